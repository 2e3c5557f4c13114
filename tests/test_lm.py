"""The LM head: soft-prompt fine-tuning for reasons and generative retrieval under a trie (a tiny random Llama with
SmolLM2's tokenizer stands in for SmolLM2, so every test runs on a CPU in seconds)."""
import json

import numpy as np
import pandas as pd
import pytest
import torch

from llmrec.config import LlmrecError, resolve_params
from llmrec.evaluate import read_results
from llmrec.generate import reason_data, run_generate, toy_review_data
from llmrec.lm import (SoftPromptLM, Trie, decode_limit, item_names, lm_dir, lm_records, load_lm, run_genret, tiny_lm)
from test_interact import served  # noqa: F401  (the toy dataset and its served align model)


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    return tiny_lm(tmp_path_factory.mktemp('lm') / 'tiny', hidden=32, layers=1)


def test_lm_dir_never_downloads(tmp_path):
    with pytest.raises(LlmrecError, match='offline'): lm_dir('HuggingFaceTB/SmolLM2-135M-Instruct')
    with pytest.raises(LlmrecError, match='config.json'): lm_dir(str(tmp_path))
    with pytest.raises(LlmrecError, match='backbone'): resolve_params({'generate': {'backbone': 'gpt2'}})


def test_trie_constrained_beams_are_catalogue_items(tiny):
    "Under the trie every returned beam of a random LM is a catalogue name; without it, (almost) none is."
    tok, lm = load_lm(tiny)
    names = item_names(pd.DataFrame({'item_idx': range(6), 'item_id': list('abcdef'), 'year': [1990] * 6,
                                     'title': ['Heat', 'Heat', 'Alien', 'Aliens', 'Fargo', 'Toy Story']}))
    assert len(set(names)) == 6 and names[0] == 'Heat (1990) #a'
    trie = Trie(tok([' ' + n for n in names], add_special_tokens=False).input_ids, tok.eos_token_id)
    model = SoftPromptLM(lm, torch.randn(2, 8), None, 1).eval()
    recs = lm_records(tok, [0, 1], None, ['Seen: Heat\nNext:', 'Seen: Alien\nNext:'])
    b = recs.collate([0, 1])
    for constraint in (trie, None):
        out = model.generate(b['users'], None, b['prompts'], 12, num_beams=6, num_return=6, allowed=constraint)
        got = [t.strip() for t in tok.batch_decode(out, skip_special_tokens=True)]
        valid = sum(g in names for g in got)
        if constraint is not None: assert valid == len(got) == 12 and set(got) == set(names)
        else: assert valid < len(got)


def test_load_lm_ends_targets_where_generation_stops(tiny, tmp_path):
    "A tokenizer whose eos is not the generation config's (transformers 5.17's GGUF conversion of SmolLM2) is aligned to it."
    import shutil
    from transformers import AutoTokenizer
    d = tmp_path / 'lm'; shutil.copytree(tiny, d)
    tok = AutoTokenizer.from_pretrained(str(d)); tok.eos_token = '<|im_start|>'; tok.save_pretrained(d)
    tok2, lm = load_lm(d)
    assert tok2.eos_token_id == lm.generation_config.eos_token_id != tok.eos_token_id
    assert lm_records(tok2, [0], None, ['Item: x'], [' a reason']).targets[0][-1] == lm.generation_config.eos_token_id


def test_decoding_limit_covers_the_longest_name(tiny):
    "A name longer than max_new_tokens is cut mid-way under the trie (no item); the limit grows to the trie's depth."
    tok, lm = load_lm(tiny)
    names = ['Nosferatu (Nosferatu, eine Symphonie des Grauens) (1922)', 'Heat (1995)', 'Old Lady Who Walked in the Sea, The (1991)']
    ids = tok([' ' + n for n in names], add_special_tokens=False).input_ids
    trie = Trie(ids, tok.eos_token_id)
    assert trie.depth == max(map(len, ids)) + 1 and min(map(len, ids)) > 4
    assert decode_limit({'max_new_tokens': 4}, trie) == trie.depth and decode_limit({'max_new_tokens': 99}, trie) == 99
    model = SoftPromptLM(lm, torch.randn(1, 8), None, 1).eval()
    b = lm_records(tok, [0], None, ['Next:']).collate([0])
    for limit in (4, decode_limit({'max_new_tokens': 4}, trie)):
        out = model.generate(b['users'], None, b['prompts'], limit, num_beams=3, num_return=3, allowed=trie)
        got = [t.strip() for t in tok.batch_decode(out, skip_special_tokens=True)]
        assert sum(g in names for g in got) == (3 if limit == trie.depth else 0), (limit, got)


def test_genret_stage(served, tiny, tmp_path):
    "Trie: valid-item rate 1; the aligned row is the align stage's own test result; bench rows and lists written."
    root, params = served
    p = resolve_params({**json.loads((root / 'params.yaml').read_text()),
                        'generate': {'genret': {'backbone': str(tiny), 'positions': 2, 'max_epochs': 1, 'beams': 10, 'k': 10,
                                                'batch_size': 32, 'lr': 1e-3, 'max_new_tokens': 12, 'bench_users': 4,
                                                'bench_rounds': 2}}})
    out = run_genret(root / 'toy', root / 'align', tmp_path / 'g.csv', p, tmp_path / 'b.csv', tmp_path / 'lists.csv')
    v = out.set_index(['model', 'metric']).value
    assert v['llmrec-genret', 'valid_item_rate'] == 1.0
    assert 0.0 <= v['llmrec-genret-notrie', 'valid_item_rate'] < 1.0
    aligned = read_results(root / 'a.csv')
    a = aligned[(aligned.model == 'llmrec') & (aligned.metric == 'NDCG@10')].value.iloc[0]
    assert v['llmrec-aligned', 'NDCG@10'] == pytest.approx(a, abs=1e-6)
    for m in ('llmrec-genret', 'llmrec-genret-notrie'): assert 0 <= v[m, 'HR@10'] <= 1
    bench = pd.read_csv(tmp_path / 'b.csv').set_index('metric').value
    assert bench['constrained_ratio'] > 0 and bench['trainable_parameters'] > 0
    assert bench['constrained_ratio_min'] <= bench['constrained_ratio'] <= bench['constrained_ratio_max']  # median of 2 rounds
    lists = pd.read_csv(tmp_path / 'lists.csv', keep_default_na=False)
    got = [int(i) for s in lists[lists.model == 'llmrec-genret']['items'] for i in s.split()]
    assert got and all(0 <= i < 30 for i in got)
    from llmrec.lm import item_names
    names = set(item_names(pd.read_parquet(root / 'toy' / 'items.parquet')))
    written = [t for s in lists[lists.model == 'llmrec-genret']['texts'] for t in s.split(' | ')]
    assert written and set(written) <= names  # under the trie every written text is a catalogue name


def test_generate_with_lm_backbone(tiny, tmp_path):
    "The generate stage with an LM backbone: llmrec / llmrec-noprompt on the LM, llmrec-scratch on the small decoder."
    from llmrec.config import write_parquet
    toy = toy_review_data()
    d = tmp_path / 'toy'
    for f in ('items', 'users', 'interactions', 'explanations'): write_parquet(getattr(toy, f), d / f'{f}.parquet')
    (d / 'stats.json').write_text(json.dumps({'dataset': 'toy'}))
    p = resolve_params({'generate': {'backbone': str(tiny), 'models': ['llmrec', 'llmrec-noprompt', 'llmrec-scratch', 'template'],
                                     'lm_max_epochs': 1, 'lm_lr': 1e-3, 'max_epochs': 1, 'dim': 32, 'max_words': 8,
                                     'keyword_holdout': ['llmrec', 'llmrec-scratch'], 'lm_user_hints': 2}})
    out = run_generate(d, tmp_path / 'r.csv', p, reasons_out=tmp_path / 'texts.csv', bench_csv=tmp_path / 'b.csv')
    assert set(out.model) >= {'llmrec', 'llmrec-noprompt', 'llmrec-scratch', 'template'}
    bench = pd.read_csv(tmp_path / 'b.csv')
    assert {'train_s', 'trainable_parameters'} <= set(bench[bench.system == 'llmrec'].metric)
    texts = pd.read_csv(tmp_path / 'texts.csv', keep_default_na=False)
    assert len(texts[texts.model == 'llmrec']) == len(reason_data(toy).test)


def test_aligned_vectors_are_the_served_models(served):
    "Soft prompts of the paper profile start from the served align model: unit user (history before test) and item vectors."
    from llmrec.generate import aligned_vectors
    from llmrec.interact import Recommender
    root, params = served
    users, items = aligned_vectors(root / 'align', root / 'toy')
    rec = Recommender.load(root / 'align', params=params, encoder=False)
    assert users.shape == (rec.data.n_users, rec.item_vectors.shape[1]) and items.shape == rec.item_vectors.shape
    assert torch.allclose(users.norm(dim=-1), torch.ones(len(users)), atol=1e-5)
    top = (users[:5] @ items.T).argmax(-1)
    assert torch.equal(top, torch.nn.functional.normalize(rec.base_vectors(np.arange(5)), dim=-1).matmul(rec.item_vectors.T).argmax(-1))


def test_trie_mask_is_the_tree():
    "Per row, exactly the tree's continuations of its prefix keep their scores (off the tree: <eos> alone); the rest are -inf."
    g = torch.Generator().manual_seed(0)
    seqs = [torch.randint(3, 40, (int(n),), generator=g).tolist() for n in torch.randint(1, 6, (30,), generator=g)]
    seqs += [seqs[0][:1] + [7, 8], seqs[1] + [9]]  # shared prefixes and a name that continues another
    trie = Trie(seqs, eos=2)
    for t in range(6):
        prefixes = [(s + [2] * 6)[:t] for s in seqs] + [[41] * t, [3] * t]  # the last two: off the tree (t > 0)
        ids = torch.tensor(prefixes, dtype=torch.long).view(len(prefixes), t)
        scores = torch.randn(len(prefixes), 50, generator=g)
        out = trie(ids, scores.clone())
        for r, p in enumerate(prefixes):
            allowed = trie.allowed(p)
            assert torch.isfinite(out[r]).nonzero().view(-1).tolist() == allowed, (t, p)
            assert torch.equal(out[r, allowed], scores[r, allowed])
    assert trie.allowed([41]) == [2] and trie.allowed([]) == sorted({s[0] for s in seqs})


def test_grounded_decoding_masks_words_of_one_and_several_tokens(tiny):
    "BanProcessor: a one-token word is masked at every step, a longer one at its last token once the rest is written."
    from llmrec.lm import BanProcessor, WordBan
    from llmrec.generate import ReasonData
    p = BanProcessor([[(5,), (7, 8)], [(9,)]])
    out = p(torch.tensor([[1, 7], [1, 7]]), torch.zeros(2, 12))
    assert torch.isinf(out[0, [5, 8]]).all() and torch.isinf(out[1, 9]) and torch.isfinite(out[1, [5, 8]]).all()
    assert torch.isfinite(out).sum() == 24 - 3
    out = p(torch.tensor([[1, 2], [1, 2]]), torch.zeros(2, 12))
    assert torch.isfinite(out[0, 8]) and torch.isinf(out[0, 5])
    # WordBan: an item is banned exactly the spellings of the mention words it lacks, each record repeated per beam
    tok, _ = load_lm(tiny)
    rd = ReasonData(None, None, None, ['tone', 'strings'], [{'tone'}, {'tone', 'strings'}], [[], []], frozenset({'tone', 'strings'}))
    wb = WordBan(tok, rd)
    bp = wb([0, 1], beams=2)
    spelled = {tuple(tok(v, add_special_tokens=False).input_ids) for v in (' strings', ' Strings')}
    rows = [set(r) | {(p_ + (last,)) for v in m.values() for p_, last in v} for r, m in
            zip(([(t,) for t in s] for s in bp.single), bp.multi)]
    assert rows[0] == rows[1] == spelled and rows[2] == rows[3] == set()


def test_lm_samples_are_the_models_draws(tiny):
    "lm_samples (MBR's pseudo-references): n per record, the same draws for the same seed, others for another; at a temperature near 0, greedy."
    from llmrec.lm import decode_reasons, lm_samples
    tok, lm = load_lm(tiny)
    torch.manual_seed(0)
    model = SoftPromptLM(lm, torch.randn(3, 8), torch.randn(3, 8), 1).eval()
    recs = lm_records(tok, [0, 1, 2], [2, 0, 1], ['Item: a\nReason:', 'Item: b\nReason:', 'Item: c\nReason:'])
    torch.manual_seed(123); before = torch.random.get_rng_state()
    s = lm_samples(model, tok, recs, max_words=6, n=4, max_new_tokens=8, batch_size=2, seed=1)
    assert torch.equal(torch.random.get_rng_state(), before)  # the caller's random state is left as it was
    assert [len(r) for r in s] == [4, 4, 4] and all(len(c) <= 6 for r in s for c in r)
    assert lm_samples(model, tok, recs, max_words=6, n=4, max_new_tokens=8, batch_size=2, seed=1) == s
    assert lm_samples(model, tok, recs, max_words=6, n=4, max_new_tokens=8, batch_size=2, seed=2) != s
    greedy, _ = decode_reasons(model, tok, recs, 6, max_new_tokens=8, batch_size=2)
    cold = lm_samples(model, tok, recs, max_words=6, n=2, temperature=1e-6, max_new_tokens=8, batch_size=2)
    assert cold == [[g, g] for g in greedy]
