"""Reason generation on tiny data: PETER's metrics on hand-computed cases and against a brute-force/NLTK reference,
no test reason leaks into training, the KV cache decodes exactly like re-reading the sequence, params errors, and a
tiny end-to-end run of the stage."""
import itertools, math

import numpy as np
import pandas as pd
import pytest
import torch

from llmrec.config import LlmrecError, resolve_params, write_json, write_parquet
from llmrec.generate import (METRIC_NAMES, REASON_MODELS, ReasonDecoder, feature_coverage_ratio, feature_diversity,
                             feature_matching_ratio, feature_sets, greedy_decode, grounding_precision, reason_data,
                             reason_metrics, run_generate, template_reasons, text_overlap, tokenize, toy_review_data,
                             unique_sentence_ratio)


@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope='module')
def toy():
    return toy_review_data(n_users=24, n_items=12, seq_len=5, seed=3)


def test_peter_metrics_by_hand():
    R = [['good', 'tone', 'and', 'strings'], ['tone'], ['good', 'tone', 'and', 'strings'], ['nice', 'price']]
    found = feature_sets(R, ['tone', 'strings', 'price', 'cable'])
    assert found == [{'tone', 'strings'}, {'tone'}, {'tone', 'strings'}, {'price'}]
    assert unique_sentence_ratio(R) == 3 / 4
    assert feature_matching_ratio(found, ['strings', 'cable', 'tone', 'tone']) == 2 / 4
    assert feature_coverage_ratio(found, ['tone', 'strings', 'price', 'cable']) == 3 / 4
    # pairs: (0,1) 1, (0,2) 2, (0,3) 0, (1,2) 1, (1,3) 0, (2,3) 0 -> 4 / 6
    assert math.isclose(feature_diversity(found), 4 / 6)


def test_diversity_matches_peter_double_loop():
    rng = np.random.default_rng(0)
    found = [set(rng.choice(8, rng.integers(0, 4), replace=False).tolist()) for _ in range(40)]
    pairs = sum(len(a & b) for a, b in itertools.combinations(found, 2)) / (40 * 39 / 2)
    assert math.isclose(feature_diversity(found), pairs)


def test_grounding_precision_by_hand():
    mention = frozenset({'tone', 'strings', 'price'})
    R = [['the', 'tone', 'and', 'price'], ['strings', 'strings'], ['nothing', 'here']]
    # item 0 has tone; item 1 has strings: mentions tone(T) price(F) | strings(T) -> 2 / 3 (a word counts once)
    assert math.isclose(grounding_precision(R, [0, 1, 1], [{'tone'}, {'strings'}], mention), 2 / 3)
    assert math.isnan(grounding_precision([['x']], [0], [set()], mention))


def test_bleu_rouge_against_references():
    nltk_bleu = pytest.importorskip('nltk.translate.bleu_score')
    hyps = ['the tone is warm and the strings hold well', 'great cable for the price', 'the pedal is solid and quiet']
    refs = ['the tone is very warm and the strings hold', 'a great cable for a low price', 'this pedal is solid and very quiet']
    m = text_overlap(hyps, refs)
    ref4 = nltk_bleu.corpus_bleu([[r.split()] for r in refs], [h.split() for h in hyps])
    ref1 = nltk_bleu.corpus_bleu([[r.split()] for r in refs], [h.split() for h in hyps], weights=(1,))
    assert math.isclose(m['BLEU-4'], 100 * ref4, rel_tol=1e-6) and math.isclose(m['BLEU-1'], 100 * ref1, rel_tol=1e-6)

    def lcs(a, b):
        d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
        for i, j in itertools.product(range(len(a)), range(len(b))):
            d[i + 1][j + 1] = d[i][j] + 1 if a[i] == b[j] else max(d[i][j + 1], d[i + 1][j])
        return d[-1][-1]
    f = []
    for h, r in zip(hyps, refs):
        n = lcs(h.split(), r.split()); p, q = n / len(h.split()), n / len(r.split())
        f.append(2 * p * q / (p + q))
    assert math.isclose(m['ROUGE-L'], 100 * np.mean(f), rel_tol=1e-6)


def test_no_test_reason_leaks(toy):
    # a feature written only in a test review must not become true for, or a keyword of, the item
    inter = toy.interactions.copy()
    k = inter.index[inter.split == 'test'][0]
    inter.loc[k, 'review'] = 'The tuner is great.'
    item = inter.item_idx[k]
    inter.loc[(inter.item_idx == item) & (inter.split != 'test'), 'review'] = 'The cable is great.'
    from llmrec.data import RecData, extract_explanations
    data = RecData('toy', toy.items, toy.users, inter, {}, extract_explanations(inter, ['tuner', 'cable', 'tone']))
    rd = reason_data(data)
    pairs = lambda df: set(zip(df.user_idx, df.item_idx))
    tu, ti = data.targets('test')
    assert pairs(rd.test) <= set(zip(tu, ti)) and (inter.user_idx[k], item) in pairs(rd.test)
    assert not pairs(rd.test) & pairs(rd.train) and not pairs(rd.valid) & pairs(rd.train)
    assert set(rd.train.split) == {'train'}
    assert 'tuner' not in rd.item_features[item] and 'tuner' not in rd.item_keywords[item]
    assert 'cable' in rd.item_features[item]


def test_kv_cache_decoding_equals_full_recompute():
    torch.manual_seed(0)
    m = ReasonDecoder(20, 'ids', n_users=3, n_items=4, dim=16, heads=2, layers=2, dropout=0.0).eval()
    users, items = torch.tensor([0, 1, 2, 0]), torch.tensor([3, 2, 1, 0])
    prefix = torch.tensor([[5, 6, 0, 1], [7, 0, 0, 1], [8, 9, 10, 1], [0, 0, 0, 1]])
    got = greedy_decode(m, users, items, prefix, max_words=6, batch_size=3)
    seq, ref = prefix.clone(), [[] for _ in range(4)]
    with torch.no_grad():
        for _ in range(6):
            logits, _ = m(users, items, seq)
            logits = logits[:, -1].clone(); logits[:, [0, 1, 3]] = -math.inf
            tok = logits.argmax(-1)
            seq = torch.cat([seq, tok[:, None]], 1)
    for r in range(4):
        row = seq[r, 4:].tolist()
        assert got[r] == (row[:row.index(2)] if 2 in row else row)


def test_params_errors():
    with pytest.raises(LlmrecError, match='generate.dimm'): resolve_params({'generate': {'dimm': 3}})
    with pytest.raises(LlmrecError, match='generate.models'): resolve_params({'generate': {'models': ['gpt5']}})


def test_missing_explanations_is_a_clear_error(toy):
    from llmrec.data import RecData
    with pytest.raises(LlmrecError, match='explanations'):
        reason_data(RecData('x', toy.items, toy.users, toy.interactions))


def test_tiny_end_to_end(toy, tmp_path):
    for table in ('items', 'users', 'interactions', 'explanations'):
        write_parquet(getattr(toy, table), tmp_path / 'toy' / f'{table}.parquet')
    write_json({'dataset': 'toy'}, tmp_path / 'toy' / 'stats.json')
    params = resolve_params({'generate': {'dim': 16, 'heads': 2, 'layers': 1, 'max_epochs': 2, 'batch_size': 64}})
    rows = run_generate(tmp_path / 'toy', tmp_path / 'reasons.csv', params, reasons_out=tmp_path / 'texts.csv',
                        bench_csv=tmp_path / 'bench.csv')
    assert list(rows.columns) == ['dataset', 'model', 'profile', 'seed', 'metric', 'value']
    assert set(rows.model) == set(REASON_MODELS) and set(rows.metric) == set(METRIC_NAMES)
    assert np.isfinite(rows.value).all()  # an undefined metric (grounding of reasons naming no feature) has no row
    per_model = rows.groupby('model').metric.apply(set)
    assert all(set(METRIC_NAMES) - ms <= {'grounding_precision'} for ms in per_model), per_model
    texts = pd.read_csv(tmp_path / 'texts.csv')
    assert len(texts) == len(REASON_MODELS) * toy.n_users
    assert (rows[rows.metric == 'valid_item_rate'].value == 1.0).all()


def test_template_metrics_are_deterministic(toy):
    rd = reason_data(toy)
    r = template_reasons(rd, rd.test.item_idx)
    assert reason_metrics(r, rd.test, rd) == reason_metrics(r, rd.test, rd)
    assert all(tokenize(' '.join(x))[1] in rd.features for x in r)


def test_keyword_holdout_and_user_hints_leave_the_pair_out():
    "A training pair's own sentence neither names its item (holdout) nor its user's hints; other records still see it."
    from llmrec.data import RecData, extract_explanations
    from llmrec.generate import item_prefix, record_keywords, user_hints, Vocab
    from llmrec.lm import reason_prompt
    toy = toy_review_data()
    inter = toy.interactions.copy()
    k = inter.index[(inter.split == 'train') & (inter.item_idx % 6 == 0)][0]  # an item whose sentences say 'tone'
    u, i = int(inter.user_idx[k]), int(inter.item_idx[k])
    inter.loc[k, 'review'] = 'The knob is great.'  # the only 'knob' sentence of item i and of user u
    data = RecData('toy', toy.items, toy.users, inter, {}, extract_explanations(inter, ['tone', 'knob', 'cable']))
    rd = reason_data(data)
    assert 'knob' in rd.item_keywords[i] and record_keywords(rd, u, i, holdout=False) == rd.item_keywords[i]
    assert 'knob' not in record_keywords(rd, u, i) and 'tone' in record_keywords(rd, u, i)
    other = [int(v) for v in rd.train.user_idx[rd.train.item_idx == i] if v != u][0]
    assert 'knob' in record_keywords(rd, other, i)  # another user's record of the same item keeps it
    for df in (rd.valid, rd.test):  # records never in training read the item's own keywords
        assert all(record_keywords(rd, a, b) == rd.item_keywords[b] for a, b in zip(df.user_idx, df.item_idx))
    vocab = Vocab(['tone', 'knob', 'cable'])
    assert (item_prefix(rd, vocab, [i], 4, [u]) != item_prefix(rd, vocab, [i], 4)).any()
    assert (item_prefix(rd, vocab, [i], 4, [other]) == item_prefix(rd, vocab, [i], 4)).all()
    j = (i + 1) % toy.n_items  # any other item: the pair (u, j) holds no 'knob' sentence
    assert 'knob' in user_hints(rd, u, j, 3) and 'knob' not in user_hints(rd, u, i, 3)
    assert 'You often mention: ' in reason_prompt(rd, j, u, 3) and 'You often' not in reason_prompt(rd, j, u, 0)
    assert 'knob' not in reason_prompt(rd, i, u, 0, holdout=True).split('\n')[0] and 'knob' in reason_prompt(rd, i, u)
    assert reason_prompt(rd, i) == f"Item: {' '.join(rd.item_keywords[i])}\nReason:"


def test_pooled_decoding_then_choosing_equals_choosing_at_once(toy, tmp_path):
    """A run that only decodes into pools (choose=False; the paper's GPU runs), saved and chosen later without the model
    (`redecode`), gives the reasons, greedy reasons and validation table of a run that chooses at once."""
    from llmrec.generate import decode_tuned, generate_reasons, load_pools, save_pools
    rd = reason_data(toy)
    hp = resolve_params({'generate': {'models': ['peter'], 'dim': 16, 'heads': 2, 'layers': 1, 'max_epochs': 2, 'batch_size': 64,
                                      'decoding': {'beams': 3, 'samples': 4, 'mbr': [0.0, 1.0], 'true': [0.0, 1.0],
                                                   'user': [0.0], 'false': [0.0]}}})['generate']
    direct, test, timing = generate_reasons(toy, rd, hp, seed=0)
    pools = {}
    only, _, _ = generate_reasons(toy, rd, hp, seed=0, pools=pools, choose=False)
    assert set(only) == {'peter-greedy'}  # no choice was made: only the plain greedy reasons
    save_pools(pools['peter'], tmp_path / 'p.json.gz')
    d = decode_tuned(None, None, rd, test, hp['decoding'], None, None, load_pools(tmp_path / 'p.json.gz'))
    assert d.reasons == direct['peter']
    assert (d.greedy if d.greedy is not None else d.reasons) == only['peter-greedy']  # greedy chosen: no -greedy row
    assert d.table.drop(columns='chosen').equals(timing['peter']['tuning'].drop(columns='chosen'))
    assert d.table.chosen.equals(timing['peter']['tuning'].chosen)
    with pytest.raises(LlmrecError, match='settings'):  # outputs made with 3 beams are stale for 4
        decode_tuned(None, None, rd, test, {**hp['decoding'], 'beams': 4}, None, None, load_pools(tmp_path / 'p.json.gz'))


def test_item_evidence_quotes_other_users_and_never_the_pair():
    "Evidence: other users' training sentences on the item, its most discussed features first (the pair's own sentences out of every count), the user's features before them where personal, no repeats."
    from collections import Counter
    from llmrec.generate import ReasonData, item_evidence
    from llmrec.lm import prompt_text_settings, reason_prompt
    sents = [(1, 'price', ('price', 'is', 'fair')), (2, 'tone', ('great', 'tone')), (3, 'tone', ('warm', 'tone')),
             (4, 'knob', ('the', 'knob', 'broke')), (0, 'tone', ('my', 'own', 'tone')), (5, 'tone', ('great', 'tone'))]
    rd = ReasonData(None, None, None, ['knob', 'price', 'tone'], [set()], [['tone']], frozenset(),
                    user_counts={0: Counter(tone=1, knob=3)}, pair_counts={(0, 0): Counter(tone=1)},
                    item_counts={0: Counter(tone=4, price=1, knob=1)}, item_sentences={0: sents})
    words = lambda ev: [' '.join(e) for e in ev]
    assert words(item_evidence(rd, 0, 0, 3)) == ['great tone', 'warm tone', 'price is fair']  # user 0's own left out
    assert words(item_evidence(rd, 0, 0, 3, personal=True)) == ['the knob broke', 'great tone', 'warm tone']
    assert words(item_evidence(rd, None, 0, 3)) == ['great tone', 'warm tone', 'my own tone']  # no user: every sentence
    assert words(item_evidence(rd, 0, 0, 9, words=1)) == ['great', 'warm', 'price', 'the']  # cut, and repeats dropped
    assert item_evidence(rd, 0, 1, 3) == []  # an item without training sentences
    assert reason_prompt(rd, 0, 0, evidence=2) == 'Item: tone\nOthers wrote: great tone | warm tone\nReason:'
    assert reason_prompt(rd, 0, 0, evidence=2, personal=True).split('\n')[1] == 'Others wrote: the knob broke | great tone'
    hp = {'lm_user_hints': 0, 'keyword_holdout': [], 'lm_evidence': 2, 'lm_evidence_words': 12}
    assert prompt_text_settings('llmrec', hp)['personal'] and not prompt_text_settings('llmrec-noprompt', hp)['personal']
    assert prompt_text_settings('llmrec-noprompt', hp)['evidence'] == 2
