"""Baselines on tiny synthetic data: exact Pop and LightGCN against independent NumPy references, every trainable model
beats popularity on a planted pattern, determinism, windows/negatives/mask properties, params errors, the stage files."""
import json, math

import numpy as np
import pandas as pd
import pytest
import torch

from llmrec.baselines import (BASELINE_DEFAULTS, MODEL_DEFAULTS, LightGCN, Popularity, SASRec, causal_mask, ease_weights,
                              fit_baseline, model_hparams, normalized_adjacency, pair_keys, popularity_counts, run_baselines,
                              sample_negatives, sequence_windows, toy_recdata)
from llmrec.config import LlmrecError, resolve_params, write_json, write_parquet
from llmrec.data import RecData

FAST = dict(max_epochs=6, eval_every=3, patience=2, batch_size=64)
TOY_HP = {'bpr': dict(lr=0.02), 'lightgcn': dict(lr=0.02, layers=2),
          'sasrec': dict(max_len=8, dim=32, lr=0.01), 'sasrec-bce': dict(max_len=8, dim=32, lr=0.01)}


@pytest.fixture(autouse=True)
def one_thread():
    "Tiny tensors: one thread avoids OpenMP oversubscription on a shared 2-core machine."
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope='module')
def toy():
    return toy_recdata(n_users=45, n_items=24, n_blocks=3, seq_len=8, seed=1)


def hp(name, **kw): return {**MODEL_DEFAULTS[name], **FAST, **TOY_HP[name], **kw}


def reference_ranks(scores: np.ndarray, data, split):
    "Independent NumPy ranks: items scoring >= the target among non-history items, target excluded."
    users, targets = data.targets(split)
    hist = data.history(split).toarray() > 0
    out = []
    for u, t in zip(users, targets):
        s = scores[u]; cand = ~hist[u]; cand[t] = False
        out.append(int((s[cand] >= s[t]).sum()))
    return np.array(out)


def test_pop_exact(toy):
    counts = popularity_counts(toy)
    train = toy.interactions[toy.interactions.split == 'train']
    assert counts.tolist() == [float((train.item_idx == i).sum()) for i in range(toy.n_items)]
    run = fit_baseline('pop', toy, {})
    rank = reference_ranks(np.tile(counts, (toy.n_users, 1)), toy, 'test')
    assert np.allclose(run.per_user['HR@10'], rank < 10)
    assert np.allclose(run.per_user['NDCG@10'], np.where(rank < 10, 1 / np.log2(rank + 2), 0))
    assert run.test['HR@10'] == pytest.approx(np.mean(rank < 10))
    assert fit_baseline('pop', toy, {}).per_user.equals(run.per_user)  # deterministic


def test_ease_weights_are_the_constrained_ridge_regression():
    "Every column of the closed form equals a ridge regression of that item on the other items, solved directly."
    rng = np.random.default_rng(3)
    x = (rng.random((60, 9)) < 0.3).astype(np.float32)
    import scipy.sparse as sp
    for l2 in (0.5, 20.0):
        w = ease_weights(sp.csr_matrix(x), l2)
        assert w.dtype == np.float32 and np.all(np.diag(w) == 0)
        xd = x.astype(np.float64)
        for j in range(9):
            o = np.arange(9) != j
            ridge = np.linalg.solve(xd[:, o].T @ xd[:, o] + l2 * np.eye(8), xd[:, o].T @ xd[:, j])
            assert np.allclose(w[o, j], ridge, atol=1e-5), (l2, j)
    with pytest.raises(LlmrecError, match='l2 > 0'): ease_weights(sp.csr_matrix(x), -1.0)


def test_ease_scores_the_test_target_from_the_validation_item():
    """A probe user trains on item 0 only (which nobody else has), then validates on 1 and tests on 2; thirty others
    train on 1 and 2 together. EASE's test history includes the validation item, so 2 is the probe's first test item;
    its validation history (item 0 alone) gives every item score 0, a tie that counts against the target."""
    rows = [(0, i, t, None, None, None, s) for t, (i, s) in enumerate([(0, 'train'), (1, 'valid'), (2, 'test')])]
    for u in range(1, 31):
        seq = [(1, 'train'), (2, 'train'), (3 + u % 6, 'valid'), (9 + u % 6, 'test')]
        rows += [(u, i, t, None, None, None, s) for t, (i, s) in enumerate(seq)]
    inter = pd.DataFrame(rows, columns=['user_idx', 'item_idx', 'position', 'timestamp', 'rating', 'review', 'split'])
    items = pd.DataFrame({'item_idx': np.arange(15), 'item_id': [f'i{i}' for i in range(15)], 'title': '',
                          'description': '', 'attributes': [[] for _ in range(15)]})
    data = RecData('probe', items, pd.DataFrame({'user_idx': np.arange(31), 'user_id': [f'u{u}' for u in range(31)]}), inter)
    run = fit_baseline('ease', data, {'l2': 1.0})
    probe = run.per_user.set_index('user_idx').loc[0]
    assert probe['HR@5'] == 1 and probe['NDCG@10'] == pytest.approx(1.0)
    assert run.epochs == 0 and run.hparams == {'l2': 1.0}
    from llmrec.baselines import ease_scorer
    from llmrec.evaluate import evaluate_scorer
    w = ease_weights(data.history('valid'), 1.0)
    valid = evaluate_scorer(ease_scorer(w, data.history('valid')), data, 'valid', progress=False).set_index('user_idx')
    assert valid.loc[0, 'HR@10'] == 0  # all scores 0: the pessimistic tie puts the target last of 14 candidates
    assert fit_baseline('ease', data, {'l2': 1.0}, test=False).test == {}
    assert fit_baseline('ease', data, {'l2': 1.0}).per_user.equals(run.per_user)  # deterministic


def test_lightgcn_propagation_exact():
    rng = np.random.default_rng(0)
    n_users, n_items, dim, layers = 5, 6, 3, 3
    users, items = rng.integers(0, n_users, 14), rng.integers(0, n_items, 14)
    R = np.zeros((n_users, n_items)); R[users, items] = 1  # duplicates count once
    A = np.block([[np.zeros((n_users, n_users)), R], [R.T, np.zeros((n_items, n_items))]])
    d = A.sum(1); dinv = np.where(d > 0, d, 1) ** -0.5 * (d > 0)
    A_hat = dinv[:, None] * A * dinv[None, :]
    model = LightGCN(normalized_adjacency(users, items, n_users, n_items), n_users, n_items, dim, layers)
    E0 = np.concatenate([model.user_embedding.weight.detach().numpy(), model.item_embedding.weight.detach().numpy()])
    ref, e = [E0], E0
    for _ in range(layers): e = A_hat @ e; ref.append(e)
    ref = np.mean(ref, 0)
    u, i = model.embeddings()
    np.testing.assert_allclose(torch.cat([u, i]).detach().numpy(), ref, rtol=1e-5, atol=1e-6)
    # gradient through the custom symmetric backward equals the dense one
    u.sum().backward()
    g = np.zeros_like(E0); g[:n_users] = 1
    np.testing.assert_allclose(model.user_embedding.weight.grad.numpy(), (sum(np.linalg.matrix_power(A_hat, k) for k in range(layers + 1)) / (layers + 1) @ g)[:n_users], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('name', ['bpr', 'lightgcn', 'sasrec', 'sasrec-bce'])
def test_models_beat_popularity(toy, name):
    pop = fit_baseline('pop', toy, {}).test['NDCG@10']
    run = fit_baseline(name, toy, hp(name), seed=0)
    assert run.test['NDCG@10'] > pop + 0.15, (name, run.test, pop)
    assert 0 < run.best_epoch <= run.epochs <= 6 and run.s_per_epoch > 0
    assert len(run.per_user) == toy.n_users and set(run.valid) >= {'HR@10', 'NDCG@10'}


def test_determinism(toy):
    a = fit_baseline('sasrec', toy, hp('sasrec', max_epochs=2, eval_every=1), seed=3)
    b = fit_baseline('sasrec', toy, hp('sasrec', max_epochs=2, eval_every=1), seed=3)
    c = fit_baseline('sasrec', toy, hp('sasrec', max_epochs=2, eval_every=1), seed=4)
    assert a.per_user.equals(b.per_user) and a.valid == b.valid
    assert a.valid != c.valid or not a.per_user.equals(c.per_user)


def test_last_epoch_is_validated(toy):
    run = fit_baseline('bpr', toy, hp('bpr', max_epochs=4, eval_every=3, patience=5), seed=0)
    assert run.epochs == 4 and run.best_epoch in (3, 4)


def test_tuning_never_scores_test(toy, monkeypatch):
    import llmrec.baselines as B
    splits = []
    real = B.evaluate_scorer
    monkeypatch.setattr(B, 'evaluate_scorer', lambda fn, data, split, **kw: (splits.append(split), real(fn, data, split, **kw))[1])
    run = fit_baseline('bpr', toy, hp('bpr', max_epochs=2, eval_every=1), test=False)
    assert set(splits) == {'valid'} and run.per_user is None and run.test == {}


def test_sequence_windows_every_target_once():
    rng = np.random.default_rng(0)
    seqs = [rng.integers(0, 50, n) for n in rng.integers(0, 30, 40)]
    for max_len in (1, 3, 7, 50):
        inp, tgt, own = sequence_windows(seqs, max_len)
        assert inp.shape == tgt.shape == (len(own), max_len)
        for u, s in enumerate(seqs):
            t = tgt[own == u]; x = inp[own == u]
            assert sorted((t[t > 0] - 1).tolist()) == sorted(s[1:].tolist())  # every target once
            assert ((t > 0) == (x > 0)).all()  # an input for every target
        # within a window, the target at position p is the input at p + 1
        shifted = tgt[:, :-1] > 0
        assert (tgt[:, :-1][shifted] == inp[:, 1:][shifted]).all()


def test_negatives_avoid_seen():
    rng = np.random.default_rng(0)
    users, items = rng.integers(0, 20, 300), rng.integers(0, 15, 300)
    seen = pair_keys(users, items, 15)
    draw_users = rng.integers(0, 20, (100, 7))
    neg = sample_negatives(draw_users, 15, seen, rng)
    assert neg.shape == draw_users.shape
    assert not np.isin(draw_users * 15 + neg, seen).any()


def test_causal_mask_and_sasrec_causality():
    m = causal_mask(torch.tensor([[True, True, False, False]]))[0, 0]
    assert m.tolist() == [[True, False, False, False], [False, True, False, False],
                          [False, False, True, False], [False, False, True, True]]
    torch.manual_seed(0)
    sas = SASRec(n_items=9, dim=8, layers=2, heads=2, max_len=6).eval()
    with torch.no_grad():
        x = torch.tensor([[0, 0, 1, 2, 3, 4]])
        y = x.clone(); y[0, -1] = 9
        assert torch.allclose(sas.encode(x)[0, :5], sas.encode(y)[0, :5], atol=1e-6)
        assert torch.isfinite(sas(torch.zeros(1, 6, dtype=torch.long))).all()  # an empty history gives no NaN


def test_params_errors():
    with pytest.raises(LlmrecError, match=r'baselines\.ml-100k\.bpr\.dimm'):
        resolve_params({'baselines': {'ml-100k': {'bpr': {'dimm': 3}}}})
    with pytest.raises(LlmrecError, match=r'baselines\.ml-100k\.sasrec\.dropout'):
        resolve_params({'baselines': {'ml-100k': {'sasrec': {'dropout': 1.5}}}})
    with pytest.raises(LlmrecError, match=r'baselines\.models'):
        resolve_params({'baselines': {'models': ['pop', 'gru4rec']}})
    with pytest.raises(LlmrecError, match='divisible'):
        model_hparams({**BASELINE_DEFAULTS, 'ml-100k': {**MODEL_DEFAULTS, 'sasrec': {**MODEL_DEFAULTS['sasrec'], 'heads': 3}}},
                      'ml-100k', 'sasrec')
    with pytest.raises(LlmrecError, match=r'baselines\.skip'):
        resolve_params({'baselines': {'skip': ['ml-100k:gru4rec']}})
    with pytest.raises(LlmrecError, match=r'baselines\.skip'):
        resolve_params({'baselines': {'skip': ['sasrec']}})
    assert resolve_params({'baselines': {'skip': ['microlens-50k:sasrec']}})['baselines']['skip'] == ['microlens-50k:sasrec']
    p = resolve_params({'baselines': {'max_epochs_cap': 0, 'demo': {'max_epochs_cap': 3}, 'ml-100k': {'bpr': {'lr': 0.01}}}}, 'demo')
    hp_ = model_hparams(p['baselines'], 'ml-100k', 'bpr')
    assert hp_['max_epochs'] == 3 and hp_['lr'] == 0.01 and hp_['dim'] == MODEL_DEFAULTS['bpr']['dim']


def test_run_baselines_writes_contract_files(toy, tmp_path):
    d = tmp_path / 'toy'
    for table in ('items', 'users', 'interactions'): write_parquet(getattr(toy, table), d / f'{table}.parquet')
    write_json({'dataset': 'toy', 'n_users': toy.n_users, 'n_items': toy.n_items}, d / 'stats.json')
    params = resolve_params({'baselines': {'models': ['pop', 'sasrec'], 'max_epochs_cap': 1},
                             'profiles': {'demo': {'seeds': [0, 1]}}})
    out, per_user, bench = tmp_path / 'runs' / 'baselines.csv', tmp_path / 'pu', tmp_path / 'bench' / 'baselines.csv'
    run_baselines(d, out, per_user, params, bench)
    rows = pd.read_csv(out)
    assert list(rows.columns) == ['dataset', 'model', 'profile', 'seed', 'metric', 'value']
    assert len(rows) == 2 * 2 * 7 and set(rows.model) == {'pop', 'sasrec'} and set(rows.seed) == {0, 1}
    assert (rows.dataset == 'toy').all() and (rows.profile == 'demo').all()
    files = sorted(p.name for p in per_user.iterdir())
    assert files == sorted(f'{m}-seed{s}.{e}' for m in ('pop', 'sasrec') for s in (0, 1) for e in ('json', 'parquet'))
    pu = pd.read_parquet(per_user / 'sasrec-seed1.parquet')
    assert len(pu) == toy.n_users and 'NDCG@10' in pu
    assert json.loads((per_user / 'sasrec-seed1.json').read_text())['epochs'] == 1
    b = pd.read_csv(bench)
    assert list(b.columns) == ['benchmark', 'system', 'profile', 'device', 'metric', 'value']
    assert set(b.benchmark) == {'train-pop-toy', 'train-sasrec-toy'}
    assert set(b[b.benchmark == 'train-sasrec-toy'].metric) == {'s_per_epoch', 'train_s', 'epochs'}
    assert not list(tmp_path.rglob('*.tmp'))  # atomic writes leave no temporary files


def test_run_baselines_skip(toy, tmp_path):
    d = tmp_path / 'toy'
    for table in ('items', 'users', 'interactions'): write_parquet(getattr(toy, table), d / f'{table}.parquet')
    write_json({'dataset': 'toy', 'n_users': toy.n_users, 'n_items': toy.n_items}, d / 'stats.json')
    params = resolve_params({'baselines': {'models': ['pop', 'bpr'], 'max_epochs_cap': 1}})
    params['baselines']['skip'] = ['toy:bpr']  # 'toy' is not a mirror dataset, so set after validation
    rows = run_baselines(d, tmp_path / 'b.csv', tmp_path / 'pu', params)
    assert set(rows.model) == {'pop'} and set(pd.read_csv(tmp_path / 'b.csv').model) == {'pop'}


def test_train_fraction(toy):
    from llmrec.baselines import build_system, train_batches
    hp = dict(MODEL_DEFAULTS['sasrec'], batch_size=8, max_epochs=1, eval_every=1)
    system = build_system('sasrec', toy, hp, 0, 64)
    n = len(system.train_dataloader().dataset)
    assert n > 4 and train_batches(system, 1.0) == 1.0 and train_batches(system, 0.25) == math.ceil(n / 4)
    full, part = (fit_baseline('sasrec', toy, dict(hp, train_fraction=f), 0, 'cpu') for f in (1.0, 0.25))
    assert full.test['NDCG@10'] != part.test['NDCG@10']  # fewer steps, another model
    with pytest.raises(LlmrecError, match='train_fraction'):
        resolve_params({'baselines': {'ml-100k': {'bpr': {'train_fraction': 1.5}}}})
