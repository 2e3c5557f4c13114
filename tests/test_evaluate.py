"""The full-ranking evaluator: hand-computed cases, a brute-force and a torchmetrics cross-check, properties, results files."""
import json
import math
import time

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import scipy.stats
import torch
from hypothesis import given, settings, strategies as st

from llmrec.config import LlmrecError, write_csv
from llmrec.evaluate import (KS, METRICS, RESULT_COLUMNS, collect_results, evaluate_scorer, history_mask,
                             metrics_rows, paired_test, rank_metrics, rank_of_target, read_results, summarize)

NAN, INF = float('nan'), float('inf')


def brute_rank(scores, target, excluded=()):
    "Independent reference: count, item by item, the other candidates scoring >= the target (NaN = -inf)."
    val = lambda x: -INF if math.isnan(x) else x
    t = val(scores[target])
    return sum(1 for j, s in enumerate(scores) if j != target and j not in excluded and val(s) >= t)


def brute_metrics(rank):
    "Reference metric formulas for one rank."
    out = {f'HR@{k}': float(rank < k) for k in KS}
    out.update({f'NDCG@{k}': (1 / math.log2(rank + 2) if rank < k else 0.0) for k in KS})
    out['MRR@10'] = 1 / (rank + 1) if rank < 10 else 0.0
    return out


class ToyData:
    "Duck-typed dataset: n_items, targets(split), history(split)."
    def __init__(self, targets, history, n_items):
        self.n_items, self._t, self._h = n_items, targets, history
    def targets(self, split): return self._t
    def history(self, split): return self._h


def random_data(n_users=37, n_items=53, n_hist=6, seed=0):
    "Random users, targets and histories that never contain their own target; users listed out of order."
    g = np.random.default_rng(seed)
    users = g.permutation(n_users).astype(np.int64)
    items = g.integers(0, n_items, n_users)
    rows, cols = [], []
    for u, t in zip(users, items):
        h = g.choice(np.setdiff1d(np.arange(n_items), [t]), size=g.integers(0, n_hist + 1), replace=False)
        rows += [u] * len(h); cols += h.tolist()
    hist = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_users, n_items))
    return ToyData((users, items), hist, n_items)


# ---------------------------------------------------------------- rank_of_target, hand-computed
def test_hand_example_tie_and_exclusion():
    scores = torch.tensor([[0.9, 0.5, 0.7, 0.7, 0.1, 0.8]])  # (1, 6)
    hist = torch.tensor([[True, False, False, False, False, False]])
    assert rank_of_target(scores, torch.tensor([2]), hist).tolist() == [2]  # item 5 above, item 3 tied (pessimistic)
    assert rank_of_target(scores, torch.tensor([2])).tolist() == [3]  # the history item counts when not excluded
    assert rank_of_target(scores, torch.tensor([3]), hist).tolist() == [2]  # symmetric tie: both get the worse rank
    assert rank_of_target(scores, torch.tensor([5]), hist).tolist() == [0]  # target at rank 0
    assert rank_of_target(scores, torch.tensor([4]), hist).tolist() == [4]  # last candidate
    m = rank_metrics(torch.tensor([2]))
    assert m['HR@5'][0] == 1.0 and m['NDCG@5'][0] == 0.5 and m['MRR@10'][0] == pytest.approx(1 / 3)


def test_all_ties_rank_last():
    assert rank_of_target(torch.ones(3, 10), torch.tensor([0, 4, 9])).tolist() == [9, 9, 9]
    excl = torch.zeros(3, 10, dtype=torch.bool); excl[:, 5:] = True
    assert rank_of_target(torch.ones(3, 10), torch.tensor([0, 1, 4]), excl).tolist() == [4, 4, 4]


def test_target_below_k():
    scores = torch.arange(30, 0, -1, dtype=torch.float32)[None].repeat(4, 1)  # item i has rank i
    rank = rank_of_target(scores, torch.tensor([0, 4, 5, 25]))
    assert rank.tolist() == [0, 4, 5, 25]
    m = rank_metrics(rank)
    assert m['HR@5'].tolist() == [1, 1, 0, 0] and m['HR@10'].tolist() == [1, 1, 1, 0] and m['HR@20'].tolist() == [1, 1, 1, 0]
    assert m['NDCG@5'].tolist() == pytest.approx([1, 1 / math.log2(6), 0, 0])
    assert m['NDCG@10'].tolist() == pytest.approx([1, 1 / math.log2(6), 1 / math.log2(7), 0])
    assert m['MRR@10'].tolist() == pytest.approx([1, 1 / 5, 1 / 6, 0])


def test_metric_boundaries():
    m = rank_metrics(np.array([4, 5, 9, 10, 19, 20]))
    assert m['HR@5'].tolist() == [1, 0, 0, 0, 0, 0]
    assert m['HR@10'].tolist() == [1, 1, 1, 0, 0, 0]
    assert m['HR@20'].tolist() == [1, 1, 1, 1, 1, 0]
    assert m['MRR@10'].tolist() == pytest.approx([0.2, 1 / 6, 0.1, 0, 0, 0])
    assert m['NDCG@20'][4] == pytest.approx(1 / math.log2(21)) and m['NDCG@20'][5] == 0
    assert list(m) == list(METRICS)


def test_nan_scores():
    s = torch.tensor([[NAN, 0.2, 0.1, NAN],  # NaN others rank below the target
                      [0.3, NAN, 0.1, 0.2],  # NaN target ranks last
                      [-INF, 0.5, NAN, 0.1],  # -inf target ranks last, NaN others tie with it
                      [NAN, NAN, NAN, NAN]])  # all NaN: last
    assert rank_of_target(s, torch.tensor([2, 1, 0, 1])).tolist() == [1, 3, 3, 3]
    excl = torch.tensor([[0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [1, 0, 0, 0]], dtype=torch.bool)
    assert rank_of_target(s, torch.tensor([2, 1, 0, 1]), excl).tolist() == [0, 2, 2, 2]
    assert rank_metrics(rank_of_target(s, torch.tensor([2, 1, 0, 1]))).get('HR@5').tolist() == [1, 1, 1, 1]  # only 4 items
    big = torch.full((1, 50), NAN); big[0, 7] = 0.0
    assert rank_of_target(big, torch.tensor([7])).item() == 0  # a real score beats every NaN
    big = torch.zeros(1, 50); big[0, 7] = NAN
    assert rank_of_target(big, torch.tensor([7])).item() == 49
    assert rank_metrics(torch.tensor([49]))['HR@20'][0] == 0


def test_inf_and_integer_scores():
    assert rank_of_target(torch.tensor([[INF, INF, 0.0]]), torch.tensor([0])).item() == 1
    assert rank_of_target(torch.tensor([[3, 1, 3, 2]]), torch.tensor([1])).item() == 3  # popularity counts (int64)
    assert rank_of_target(torch.tensor([[3, 1, 3, 2]]), torch.tensor([2])).item() == 1
    half = torch.tensor([[0.5, 0.25, 0.75]], dtype=torch.float16)
    assert rank_of_target(half, torch.tensor([0])).item() == 1


def test_errors():
    scores = torch.rand(2, 5)
    excl = torch.zeros(2, 5, dtype=torch.bool); excl[1, 3] = True
    with pytest.raises(LlmrecError, match='exclusion mask'): rank_of_target(scores, torch.tensor([0, 3]), excl)
    with pytest.raises(LlmrecError, match='out of range'): rank_of_target(scores, torch.tensor([0, 5]))
    with pytest.raises(LlmrecError, match='out of range'): rank_of_target(scores, torch.tensor([-1, 0]))
    with pytest.raises(ValueError, match='targets for 2 rows'): rank_of_target(scores, torch.tensor([0]))
    with pytest.raises(ValueError, match='bool tensor'): rank_of_target(scores, torch.tensor([0, 1]), excl.float())
    with pytest.raises(ValueError, match=r'\(B, n_items\)'): rank_of_target(torch.rand(5), torch.tensor([0]))


def test_scores_are_not_modified():
    scores = torch.tensor([[0.1, NAN, 0.3]]); before = scores.clone()
    rank_of_target(scores, torch.tensor([1]), torch.tensor([[True, False, False]]))
    assert torch.equal(scores.isnan(), before.isnan()) and scores[0, [0, 2]].tolist() == before[0, [0, 2]].tolist()


# ---------------------------------------------------------------- brute force and torchmetrics cross-checks
def test_matches_brute_force_with_ties():
    g = torch.Generator().manual_seed(1)
    scores = torch.randint(0, 4, (64, 25), generator=g).float()  # (64, 25) many ties
    scores[torch.rand(64, 25, generator=g) < 0.05] = NAN
    targets = torch.randint(0, 25, (64,), generator=g)
    excl = torch.rand(64, 25, generator=g) < 0.2
    excl[torch.arange(64), targets] = False
    rank = rank_of_target(scores, targets, excl)
    for b in range(64):
        ex = set(torch.nonzero(excl[b]).flatten().tolist())
        assert rank[b].item() == brute_rank(scores[b].tolist(), targets[b].item(), ex)


def test_matches_torchmetrics_without_ties():
    tm = pytest.importorskip('torchmetrics.functional.retrieval')
    g = torch.Generator().manual_seed(2)
    B, n = 40, 300
    scores = torch.rand(B, n, generator=g, dtype=torch.float64)  # (B, n) continuous: no ties
    targets = torch.randint(0, n, (B,), generator=g)
    targets[:8] = scores[:8].argmax(1)  # some targets at rank 0
    excl = torch.rand(B, n, generator=g) < 0.1
    excl[torch.arange(B), targets] = False
    ours = rank_metrics(rank_of_target(scores, targets, excl))
    for b in range(B):
        keep = ~excl[b]  # excluded items are removed before torchmetrics sees them
        preds = scores[b][keep]
        rel = (torch.arange(n) == targets[b])[keep]
        for k in KS:
            assert ours[f'HR@{k}'][b] == pytest.approx(tm.retrieval_hit_rate(preds, rel, top_k=k).item())
            assert ours[f'NDCG@{k}'][b] == pytest.approx(tm.retrieval_normalized_dcg(preds, rel, top_k=k).item())
        assert ours['MRR@10'][b] == pytest.approx(tm.retrieval_reciprocal_rank(preds, rel, top_k=10).item())
    assert 0 < ours['HR@20'].mean() < 1, 'the check must see both hits and misses'


def test_matches_torchmetrics_module_means():
    tmm = pytest.importorskip('torchmetrics.retrieval')
    g = torch.Generator().manual_seed(3)
    B, n = 50, 120
    scores = torch.randn(B, n, generator=g)
    targets = torch.randint(0, n, (B,), generator=g)
    ours = rank_metrics(rank_of_target(scores, targets))
    idx = torch.arange(B)[:, None].expand(B, n).reshape(-1)
    rel = torch.zeros(B, n, dtype=torch.bool); rel[torch.arange(B), targets] = True
    for name, cls, k in [('HR@10', tmm.RetrievalHitRate, 10), ('NDCG@20', tmm.RetrievalNormalizedDCG, 20),
                         ('MRR@10', tmm.RetrievalMRR, 10)]:
        ref = cls(top_k=k)(scores.reshape(-1), rel.reshape(-1), indexes=idx).item()
        assert ours[name].mean() == pytest.approx(ref, abs=1e-6)


# ---------------------------------------------------------------- properties
score_values = st.sampled_from([0.0, 0.25, 0.5, 1.0, -1.0, NAN, INF, -INF])


@st.composite
def ranking_case(draw):
    n = draw(st.integers(2, 25))
    scores = draw(st.lists(score_values | st.floats(-2, 2, allow_nan=False), min_size=n, max_size=n))
    target = draw(st.integers(0, n - 1))
    excl = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    excl[target] = False
    return scores, target, excl


@settings(max_examples=300, deadline=None)
@given(ranking_case())
def test_property_rank_range_and_reference(case):
    scores, target, excl = case
    r = rank_of_target(torch.tensor([scores], dtype=torch.float64), torch.tensor([target]), torch.tensor([excl])).item()
    n_candidates = len(scores) - sum(excl)
    assert 0 <= r <= n_candidates - 1
    assert r == brute_rank(scores, target, {j for j, e in enumerate(excl) if e})


@settings(max_examples=300, deadline=None)
@given(ranking_case(), st.data())
def test_property_adding_a_tie_never_improves(case, data):
    scores, target, excl = case
    others = [j for j in range(len(scores)) if j != target and not excl[j]]
    if not others: return
    j = data.draw(st.sampled_from(others))
    rank = lambda s: rank_of_target(torch.tensor([s], dtype=torch.float64), torch.tensor([target]), torch.tensor([excl])).item()
    tied = list(scores); tied[j] = scores[target]
    assert rank(tied) >= rank(scores)


@settings(max_examples=300, deadline=None)
@given(ranking_case(), st.lists(score_values | st.floats(-1e6, 1e6), min_size=25, max_size=25))
def test_property_excluded_scores_never_matter(case, noise):
    scores, target, excl = case
    changed = [noise[j] if e else s for j, (s, e) in enumerate(zip(scores, excl))]
    rank = lambda s: rank_of_target(torch.tensor([s], dtype=torch.float64), torch.tensor([target]), torch.tensor([excl])).item()
    assert rank(changed) == rank(scores)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=50))
def test_property_metrics_monotone_in_k(ranks):
    m = rank_metrics(np.array(ranks))
    for a, b in zip(KS, KS[1:]):
        assert (m[f'HR@{a}'] <= m[f'HR@{b}']).all() and (m[f'NDCG@{a}'] <= m[f'NDCG@{b}'] + 1e-15).all()
    for k in KS:
        assert ((0 <= m[f'NDCG@{k}']) & (m[f'NDCG@{k}'] <= m[f'HR@{k}'])).all()
    assert (m['MRR@10'] <= m['NDCG@10'] + 1e-15).all()  # 1/(r+1) <= 1/log2(r+2)


# ---------------------------------------------------------------- evaluate_scorer
def test_evaluate_scorer_matches_reference_and_batch_size():
    data = random_data()
    g = torch.Generator().manual_seed(0)
    table = torch.randint(0, 5, (37, 53), generator=g).float()  # (n_users, n_items) ties on purpose
    calls = []
    def score_fn(u):
        calls.append(len(u)); assert u.dtype == torch.long
        return table[u]
    df = evaluate_scorer(score_fn, data, batch_size=8, progress=False)
    assert calls == [8, 8, 8, 8, 5]
    assert list(df.columns) == ['user_idx', *METRICS] and df.user_idx.tolist() == list(range(37))
    users, items = data.targets('test')
    hist = data.history('test')
    for u, t in zip(users, items):
        r = brute_rank(table[u].tolist(), int(t), set(hist[u].indices.tolist()))
        row = df.set_index('user_idx').loc[u]
        for m, v in brute_metrics(r).items(): assert row[m] == pytest.approx(v)
    for bs in (1, 37, 1000):
        pd.testing.assert_frame_equal(evaluate_scorer(score_fn, data, batch_size=bs, progress=False), df)


def test_evaluate_scorer_users_subset_and_numpy_scores():
    data = random_data()
    table = np.random.default_rng(0).random((37, 53))
    full = evaluate_scorer(lambda u: table[u.numpy()], data, progress=False)  # numpy scores are accepted
    sub = evaluate_scorer(lambda u: torch.from_numpy(table[u.numpy()]), data, users=[30, 2, 2, 11], progress=False)
    assert sub.user_idx.tolist() == [2, 11, 30]
    pd.testing.assert_frame_equal(sub.reset_index(drop=True), full[full.user_idx.isin([2, 11, 30])].reset_index(drop=True))


def test_evaluate_scorer_history_is_excluded():
    # the model scores the history item highest; excluding it lifts the target to rank 0
    hist = sp.csr_matrix(([1.0], ([0], [3])), shape=(1, 5))
    data = ToyData((np.array([0]), np.array([1])), hist, 5)
    df = evaluate_scorer(lambda u: torch.tensor([[0.0, 0.5, 0.1, 0.9, 0.2]]), data, progress=False)
    assert df['HR@5'].item() == 1 and df['MRR@10'].item() == 1.0
    explicit_zero = sp.csr_matrix((np.array([0.0]), (np.array([0]), np.array([3]))), shape=(1, 5))
    assert not history_mask(explicit_zero, np.array([0])).any()


def test_evaluate_scorer_errors():
    data = random_data()
    ok = lambda u: torch.zeros(len(u), 53)
    with pytest.raises(LlmrecError, match='one score per item'): evaluate_scorer(lambda u: torch.zeros(len(u), 52), data, progress=False)
    with pytest.raises(LlmrecError, match='no test target'): evaluate_scorer(ok, data, users=[99], progress=False)
    with pytest.raises(LlmrecError, match="'valid' or 'test'"): evaluate_scorer(ok, data, split='train', progress=False)
    bad = ToyData(data._t, sp.csr_matrix(([1.0], ([int(data._t[0][0])], [int(data._t[1][0])])), shape=(37, 53)), 53)
    with pytest.raises(LlmrecError, match='exclusion mask'): evaluate_scorer(ok, bad, progress=False)
    with pytest.raises(LlmrecError, match='item columns'): evaluate_scorer(ok, ToyData(data._t, data._h, 60), progress=False)
    dup = ToyData((np.array([0, 0]), np.array([1, 2])), sp.csr_matrix((1, 53)), 53)
    with pytest.raises(LlmrecError, match='more than one target'): evaluate_scorer(ok, dup, progress=False)


def test_constant_scorer_scores_zero():
    data = random_data(n_users=20, n_items=40)
    df = evaluate_scorer(lambda u: torch.ones(len(u), 40), data, progress=False)
    assert summarize(df) == {m: 0.0 for m in METRICS}


# ---------------------------------------------------------------- summaries and significance
def test_summarize_and_paired_test():
    g = np.random.default_rng(0)
    a = pd.DataFrame({'user_idx': np.arange(300), 'NDCG@10': g.random(300) * (g.random(300) < 0.3)})
    b = a.assign(**{'NDCG@10': a['NDCG@10'] + 0.05 * (g.random(300) < 0.5)}).sample(frac=1, random_state=0)  # shuffled
    assert summarize(a) == {'NDCG@10': pytest.approx(a['NDCG@10'].mean())}
    d = a.sort_values('user_idx')['NDCG@10'].to_numpy() - b.sort_values('user_idx')['NDCG@10'].to_numpy()
    assert paired_test(a, b, 'NDCG@10') == pytest.approx(scipy.stats.wilcoxon(d).pvalue, rel=1e-9, abs=0)
    assert paired_test(a, b, 'NDCG@10') < 1e-10
    noisy = a.assign(**{'NDCG@10': a['NDCG@10'] + g.normal(0.01, 0.1, 300) * (g.random(300) < 0.2)})
    d = a['NDCG@10'].to_numpy() - noisy['NDCG@10'].to_numpy()  # zeros for 80% of users
    p = paired_test(a, noisy, 'NDCG@10')
    assert p == pytest.approx(scipy.stats.wilcoxon(d, zero_method='wilcox').pvalue, rel=1e-9, abs=0)
    assert p != pytest.approx(scipy.stats.wilcoxon(d, zero_method='pratt').pvalue, rel=1e-3, abs=0)
    assert paired_test(a, b, 'NDCG@10', test='ttest') == pytest.approx(scipy.stats.ttest_rel(
        a.sort_values('user_idx')['NDCG@10'], b.sort_values('user_idx')['NDCG@10']).pvalue, rel=1e-9, abs=0)
    assert paired_test(a, a.copy(), 'NDCG@10') == 1.0 and paired_test(a, a.copy(), 'NDCG@10', test='ttest') == 1.0
    assert paired_test(a, a.sample(frac=1, random_state=1), 'NDCG@10') == 1.0  # order does not matter


def test_paired_test_no_difference_is_not_significant():
    g = np.random.default_rng(1)
    a = pd.DataFrame({'user_idx': np.arange(400), 'HR@10': (g.random(400) < 0.3).astype(float)})
    b = pd.DataFrame({'user_idx': np.arange(400), 'HR@10': (g.random(400) < 0.3).astype(float)})
    assert paired_test(a, b, 'HR@10') > 0.01


def test_paired_test_errors():
    a = pd.DataFrame({'user_idx': [0, 1, 2], 'HR@10': [1.0, 0.0, 1.0]})
    with pytest.raises(LlmrecError, match='same users'): paired_test(a, a.iloc[:2], 'HR@10')
    with pytest.raises(LlmrecError, match='NDCG@10'): paired_test(a, a, 'NDCG@10')
    with pytest.raises(LlmrecError, match='duplicate'): paired_test(pd.concat([a, a]), a, 'HR@10')
    with pytest.raises(LlmrecError, match='wilcoxon'): paired_test(a, a, 'HR@10', test='z')
    with pytest.raises(LlmrecError, match='no metric columns'): summarize(a[['user_idx']])


# ---------------------------------------------------------------- results files
def per_user_table(seed):
    g = np.random.default_rng(seed)
    return pd.DataFrame({'user_idx': np.arange(10), **rank_metrics(g.integers(0, 30, 10))})


def test_metrics_rows():
    pu = per_user_table(0)
    rows = metrics_rows(pu, 'ml-100k', 'sasrec', 'paper', 2)
    assert list(rows.columns) == RESULT_COLUMNS and rows.metric.tolist() == list(METRICS)
    assert (rows.seed == 2).all() and rows.value.tolist() == pytest.approx([pu[m].mean() for m in METRICS])
    with pytest.raises(LlmrecError, match='profile'): metrics_rows(pu, 'ml-100k', 'pop', 'full', 0)
    with pytest.raises(LlmrecError, match='bad model name'): metrics_rows(pu, 'ml-100k', 'Pop,x', 'demo', 0)


def write_runs(root):
    write_csv(pd.concat([metrics_rows(per_user_table(s), 'ml-100k', m, 'demo', s) for m in ('sasrec', 'pop') for s in (1, 0)]),
              root / 'demo' / 'ml-100k' / 'baselines.csv')
    write_csv(metrics_rows(per_user_table(5), 'amazon-scientific', 'pop', 'demo', 0), root / 'demo' / 'amazon-scientific' / 'baselines.csv')


def test_collect_results(tmp_path):
    runs = tmp_path / 'results' / 'runs'
    write_runs(runs)
    out = tmp_path / 'results' / 'ranking.csv'
    df = collect_results(runs, out, tmp_path / 'results' / 'metrics.json')
    assert list(df.columns) == RESULT_COLUMNS and len(df) == 5 * len(METRICS)
    keys = df[['dataset', 'model', 'seed']].drop_duplicates().values.tolist()
    assert keys == [['amazon-scientific', 'pop', 0], ['ml-100k', 'pop', 0], ['ml-100k', 'pop', 1],
                    ['ml-100k', 'sasrec', 0], ['ml-100k', 'sasrec', 1]]
    assert df.metric.tolist()[:len(METRICS)] == list(METRICS)  # HR@5 before HR@10
    first = out.read_bytes()
    assert first.startswith(b'dataset,model,profile,seed,metric,value\namazon-scientific,pop,demo,0,HR@5,')
    collect_results(runs, out)
    assert out.read_bytes() == first, 'deterministic'
    written = read_results(out)
    assert written.value.tolist() == pytest.approx(df.value.tolist(), rel=1e-5)
    js = json.loads((tmp_path / 'results' / 'metrics.json').read_text())
    want = df[(df.dataset == 'ml-100k') & (df.model == 'pop') & (df.metric == 'NDCG@10')].value.mean()
    assert js['ml-100k/pop/demo/NDCG@10'] == pytest.approx(want) and len(js) == 3 * len(METRICS)
    assert not list(tmp_path.rglob('*.tmp')), 'atomic writes leave no temporary files'


def test_collect_results_ignores_its_own_output(tmp_path):
    write_runs(tmp_path)
    a = collect_results(tmp_path, tmp_path / 'ranking.csv')
    b = collect_results(tmp_path, tmp_path / 'ranking.csv')  # the output now lies inside runs_dir
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize('text,match', [
    ('dataset,model,profile,seed,metric\nml-100k,pop,demo,0,HR@10\n', r"missing \['value'\]"),
    ('dataset,model,profile,seed,metric,value,turn\nml-100k,pop,demo,0,HR@10,0.5,0\n', r"unexpected \['turn'\]"),
    ('dataset,model,profile,seed,metric,value\nml-100k,pop,demo,0,Recall@10,0.5\n', r"unknown metric\(s\) \['Recall@10'\]"),
    ('dataset,model,profile,seed,metric,value\nml-100k,pop,full,0,HR@10,0.5\n', 'unknown profile'),
    ('dataset,model,profile,seed,metric,value\nml-100k,pop,demo,x,HR@10,0.5\n', 'seed'),
    ('dataset,model,profile,seed,metric,value\nml-100k,pop,demo,0,HR@10,\n', 'finite'),
    ('dataset,model,profile,seed,metric,value\n', 'no rows'),
    ('dataset,model,profile,seed,metric,value\nml-100k,pop,demo,0,HR@10,0.5\n', 'more than once'),
])
def test_collect_results_errors_name_the_file(tmp_path, text, match):
    write_runs(tmp_path / 'runs')
    (tmp_path / 'runs' / 'demo' / 'bad.csv').write_text(text)
    with pytest.raises(LlmrecError, match=match) as e: collect_results(tmp_path / 'runs', tmp_path / 'ranking.csv')
    assert 'bad.csv' in str(e.value)
    assert not (tmp_path / 'ranking.csv').exists(), 'nothing is written when a file is bad'


def test_collect_results_empty(tmp_path):
    with pytest.raises(LlmrecError, match='not found'): collect_results(tmp_path / 'nope', tmp_path / 'r.csv')
    (tmp_path / 'runs').mkdir()
    with pytest.raises(LlmrecError, match='no results CSV'): collect_results(tmp_path / 'runs', tmp_path / 'r.csv')


# ---------------------------------------------------------------- speed
@pytest.mark.slow
def test_large_evaluation_takes_seconds():
    n_users, n_items = 50_000, 20_000
    g = np.random.default_rng(0)
    items = g.integers(0, n_items, n_users)
    hist = g.integers(0, n_items, (n_users, 20))
    hist = np.where(hist == items[:, None], (hist + 1) % n_items, hist)
    data = ToyData((np.arange(n_users), items),
                   sp.csr_matrix((np.ones(hist.size), (np.repeat(np.arange(n_users), 20), hist.ravel())), shape=(n_users, n_items)),
                   n_items)
    torch.manual_seed(0)
    U, V = torch.randn(n_users, 64), torch.randn(n_items, 64)
    t0 = time.time()
    df = evaluate_scorer(lambda u: U[u] @ V.T, data, progress=False)
    elapsed = time.time() - t0
    print(f'{n_users} x {n_items}: {elapsed:.1f} s')
    assert len(df) == n_users and elapsed < 120
