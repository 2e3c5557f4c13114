"""Data stage: raw counts against the mirror README, leakage audits, the cleaning rules, bad raw files."""
import json
import os
import random
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmrec import data as D
from llmrec.config import LlmrecError

# The mirror README's table, typed in here on purpose (not imported from llmrec.data), so a wrong registry fails.
README_COUNTS = {
    'ml-100k': {'raw_users': 943, 'raw_items': 1682, 'raw_interactions': 100_000},
    'amazon-scientific': {'raw_users': 8317, 'raw_items': 4344, 'raw_interactions': 58_492},
    'amazon-musical-instruments': {'raw_users': 1429, 'raw_items': 900, 'raw_interactions': 10_261,
                                   'raw_reviews_with_text': 10_254},
    'amazon-beauty-p5': {'raw_users': 22_363, 'raw_items': 12_101, 'raw_interactions': 198_502},
    'microlens-50k': {'raw_users': 50_000, 'raw_items': 19_220, 'raw_interactions': 359_708},
    'ibm-articles': {'raw_users': 5148, 'raw_items': 714, 'raw_interactions': 45_993, 'raw_distinct_pairs': 33_682,
                     'raw_rows_without_user': 17},
}
ML_SHA = {'ml-100k.inter': '4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff',
          'ml-100k.item': '51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532',
          'ml-100k.user': '4f670007d9cfbeb9807e757209af1555b9bcc186bde25e767f67cb67c6dd5972'}


def audit(data: D.RecData):
    "Leakage and consistency checks every prepared dataset must pass."
    inter = data.interactions
    assert data.n_users == inter.user_idx.nunique() and data.n_items == inter.item_idx.nunique()
    assert data.items.item_idx.tolist() == list(range(data.n_items))
    assert data.users.user_idx.tolist() == list(range(data.n_users))
    # ids follow the sorted raw ids (as strings), whatever the split
    assert data.items.item_id.tolist() == sorted(data.items.item_id.astype(str))
    assert data.users.user_id.tolist() == sorted(data.users.user_id.astype(str))
    assert not inter.duplicated(['user_idx', 'item_idx']).any()
    assert inter.groupby('user_idx').size().min() >= 3
    assert (inter[inter.split != 'train'].groupby(['user_idx', 'split']).size() == 1).all()
    # positions are 0..n-1 per user; test is the last, valid the second-last
    g = inter.groupby('user_idx').position
    assert (g.min() == 0).all() and (g.max() + 1 == inter.groupby('user_idx').size()).all()
    last = inter.position == inter.groupby('user_idx').position.transform('max')
    assert (inter.split[last] == 'test').all()
    assert (inter.split[inter.position == inter.groupby('user_idx').position.transform('max') - 1] == 'valid').all()
    # time never runs backwards along a sequence
    if inter.timestamp.notna().any():
        o = inter.sort_values(['user_idx', 'position'])
        assert (o.groupby('user_idx').timestamp.diff().dropna() >= 0).all()
    key = lambda u, i: np.asarray(u, np.int64) * data.n_items + np.asarray(i, np.int64)  # one int per (user, item)
    tr = inter[inter.split == 'train']
    train = key(tr.user_idx, tr.item_idx)
    seqs = {s: data.sequences(s) for s in ('valid', 'test')}
    for split in ('valid', 'test'):
        users, items = data.targets(split)
        assert len(users) == data.n_users and (np.diff(users) > 0).all()
        assert not np.isin(key(users, items), train).any(), f'{split} target in the train table'
        hist = data.history(split)
        assert hist.shape == (data.n_users, data.n_items)
        assert hist[users, items].sum() == 0, f'history({split}) contains its target'
        seq = seqs[split]
        seq_keys = key(np.repeat(np.arange(data.n_users), [len(q) for q in seq]), np.concatenate(seq))
        assert not np.isin(key(users, items), seq_keys).any(), f'sequences({split}) contains its target'
    train_seqs = data.train_sequences()
    assert sum(map(len, train_seqs)) == len(train) == data.history('valid').sum()
    assert data.history('test').sum() == len(train) + data.n_users
    vu, vi = data.targets('valid')
    assert all(s[-1] == i and len(s) == len(t) + 1 for s, t, i in zip(seqs['test'], train_seqs, vi))
    assert all(a is b or np.array_equal(a, b) for a, b in zip(seqs['valid'], train_seqs))


def reference_split(rows, min_n=3):
    "An independent, plain-Python leave-one-out: {(user, item): split} for rows (user, item, ts) in file order."
    by_user = {}
    for r, (u, i, t) in enumerate(rows): by_user.setdefault(u, []).append((t, r, i))
    out = {}
    for u, evs in by_user.items():
        seen, seq = set(), []
        for t, r, i in sorted(evs, key=lambda e: (e[0], e[1])):
            if i not in seen: seen.add(i); seq.append(i)
        if len(seq) < min_n: continue
        for k, i in enumerate(seq): out[(u, i)] = 'test' if k == len(seq) - 1 else 'valid' if k == len(seq) - 2 else 'train'
    return out


def synthetic_raw(rows, titles=None, reviews=None):
    "A RawData from (user, item, timestamp) rows."
    users, items, ts = zip(*rows)
    inter = pd.DataFrame({'user_id': list(users), 'item_id': list(items), 'timestamp': pd.array(ts, dtype='Int64'),
                          'rating': np.nan, 'review': pd.array(reviews or [None] * len(rows), dtype='string')})
    ids = sorted(set(items))
    item_table = pd.DataFrame({'item_id': ids, 'title': [f'title {i}' for i in ids], 'description': '',
                               'attributes': [[] for _ in ids]})
    return D.RawData(inter, item_table, None, {'raw_users': len(set(users)), 'raw_items': len(ids),
                                                'raw_interactions': len(rows)})


def prepared(raw, tmp_path, **kw):
    tables, stats = D.make_tables(raw, **kw)
    D.write_tables(tables, {'dataset': 'synthetic', **stats}, tmp_path / 'synthetic')
    return D.load_recdata(tmp_path / 'synthetic'), stats


# ---------------------------------------------------------------- the real mirror, one test per dataset

@pytest.fixture(scope='session')
def real(mirror, tmp_path_factory):
    "prepare(dataset) on the mirror, once per dataset and session: returns (stats, out_dir)."
    done = {}
    def get(dataset):
        if dataset not in done:
            out = tmp_path_factory.mktemp(dataset) / dataset
            done[dataset] = D.prepare(dataset, out, raw_dir=mirror / dataset, verbose=False), out
        return done[dataset]
    return get


@pytest.mark.parametrize('dataset', list(README_COUNTS))
def test_raw_counts_and_audit(dataset, real):
    stats, out = real(dataset)
    on_disk = json.loads((out / 'stats.json').read_text())
    assert on_disk == json.loads(json.dumps(stats))
    for k, v in README_COUNTS[dataset].items(): assert on_disk[k] == v, (k, on_disk[k], v)
    assert on_disk['n_interactions'] == on_disk['n_train'] + on_disk['n_valid'] + on_disk['n_test']
    assert on_disk['n_users'] == on_disk['n_valid'] == on_disk['n_test']
    data = D.load_recdata(out)
    assert (data.name, data.n_users, data.n_items) == (dataset, on_disk['n_users'], on_disk['n_items'])
    audit(data)
    i = data.interactions
    assert {c: str(t) for c, t in i.dtypes.items()} == {
        'user_idx': 'int64', 'item_idx': 'int64', 'position': 'int64', 'timestamp': 'Int64', 'rating': 'float64',
        'review': 'string', 'split': 'str'}
    assert {'item_idx', 'item_id', 'title', 'description', 'attributes'} <= set(data.items.columns)
    assert set(os.listdir(out.parent)) == {dataset}  # no temporary folders left beside the output


def test_cleaning_counts(real):
    "IBM is the one dataset with repeats and short users: 45,993 rows - 17 without user - repeats - short users."
    s = real('ibm-articles')[0]
    assert s['raw_interactions'] - s['raw_rows_without_user'] - s['n_duplicates_removed'] == 33_669
    assert 33_669 - s['n_interactions_dropped'] == s['n_interactions']
    assert s['n_users'] + s['n_users_dropped'] == 5148 and s['n_users_dropped'] > 0
    for ds in ('ml-100k', 'amazon-beauty-p5'):
        s = real(ds)[0]
        assert s['n_duplicates_removed'] == s['n_users_dropped'] == 0 and s['n_interactions'] == s['raw_interactions']


@pytest.fixture(scope='module')
def ml100k(real):
    return D.load_recdata(real('ml-100k')[1])


def test_ml100k_matches_reference_split(ml100k, mirror):
    "Our split equals a plain-Python stable sort of the raw file, pair by pair."
    r = pd.read_csv(mirror / 'ml-100k' / 'ml-100k.inter', sep='\t')
    ref = reference_split(list(zip(r.iloc[:, 0].astype(str), r.iloc[:, 1].astype(str), r.iloc[:, 3])))
    i = ml100k.interactions
    ours = dict(zip(zip(ml100k.users.user_id.to_numpy()[i.user_idx], ml100k.items.item_id.to_numpy()[i.item_idx]), i.split))
    assert ours == ref


def test_ml100k_text_and_users(ml100k):
    items = ml100k.items.set_index('item_id')
    assert items.loc['1', 'title'] == 'Toy Story' and items.loc['1', 'year'] == 1995
    assert list(items.loc['1', 'attributes']) == ['year: 1995', 'genre: Animation', "genre: Children's", 'genre: Comedy']
    assert (items.title != '').sum() == 1681  # item 267 is 'unkonwn' in the raw file
    u = ml100k.users.set_index('user_id').loc['1']
    assert (u.age, u.gender, u.occupation, u.zip_code) == (24, 'M', 'technician', '85711')


def test_test_item_never_in_train_derived_data(ml100k):
    "A user's train table rows and train sequence never contain that user's valid or test item."
    seqs = ml100k.train_sequences()
    for split in ('valid', 'test'):
        users, items = ml100k.targets(split)
        assert not any(i in set(seqs[u]) for u, i in zip(users, items))


# ---------------------------------------------------------------- tiny synthetic data

def test_synthetic_rules(tmp_path):
    rows = [('b', 'x', 1), ('b', 'z', 5), ('b', 'x', 3), ('b', 'w', 2), ('b', 'y', 5),  # tie on day 5: file order z, y
            ('c', 'x', 1), ('c', 'y', 2), ('c', 'x', 3),  # 2 distinct items after dedup: dropped
            ('a', 'q', 7), ('a', 'p', 7), ('a', 'r', 7)]  # all tied: file order q, p, r
    data, stats = prepared(synthetic_raw(rows), tmp_path)
    assert (stats['n_duplicates_removed'], stats['n_users_dropped'], stats['n_interactions_dropped']) == (2, 1, 2)
    assert data.users.user_id.tolist() == ['a', 'b']
    assert data.items.item_id.tolist() == ['p', 'q', 'r', 'w', 'x', 'y', 'z']
    ids = data.items.item_id.to_numpy()
    seq = {u: ids[g.sort_values('position').item_idx].tolist() for u, g in data.interactions.groupby('user_idx')}
    assert seq == {0: ['q', 'p', 'r'], 1: ['x', 'w', 'z', 'y']}
    assert dict(zip(ids[data.targets('test')[1]], ids[data.targets('valid')[1]])) == {'r': 'p', 'y': 'z'}
    audit(data)


def test_synthetic_random_against_reference(tmp_path):
    rng = random.Random(0)
    rows = [(f'u{rng.randrange(40)}', f'i{rng.randrange(25)}', rng.randrange(6)) for _ in range(600)]
    data, stats = prepared(synthetic_raw(rows), tmp_path)
    ref = reference_split(rows)
    i = data.interactions
    ours = dict(zip(zip(data.users.user_id.to_numpy()[i.user_idx], data.items.item_id.to_numpy()[i.item_idx]), i.split))
    assert ours == ref and stats['n_duplicates_removed'] > 0
    audit(data)


def test_item_ids_do_not_depend_on_the_split(tmp_path):
    "Reversing time (so other items become test items) leaves the item and user numbering unchanged."
    rows = [(f'u{u}', f'i{(u * 7 + k) % 13}', k) for u in range(6) for k in range(5)]
    a, _ = prepared(synthetic_raw(rows), tmp_path / 'a')
    b, _ = prepared(synthetic_raw([(u, i, 100 - t) for u, i, t in rows]), tmp_path / 'b')
    assert a.items.item_id.tolist() == b.items.item_id.tolist() == sorted({r[1] for r in rows})
    assert a.users.user_id.tolist() == b.users.user_id.tolist()
    assert not np.array_equal(a.targets('test')[1], b.targets('test')[1])


def test_explanation_vocab_from_train_only(tmp_path):
    "A feature word that only test reviews use is not in the vocabulary, so it explains nothing."
    rows, reviews = [], []
    for u in range(4):
        for k, (item, text) in enumerate([('a', 'The strings are great. The tone is warm.'),
                                          ('b', 'My strings are cheap but the tone is nice.'),
                                          ('c', 'The knobs are flimsy. The tone is good.')]):
            rows.append((f'u{u}', f'{item}{u}', k)); reviews.append(text)
    data_tables, stats = D.make_tables(synthetic_raw(rows, reviews=reviews), feature_min_df=2, explain=True)
    ex = data_tables['explanations.parquet']
    assert stats['explanation_vocab_size'] == 2 and set(ex.feature) == {'strings', 'tone'}
    assert set(ex.split) == {'train', 'valid', 'test'} and 'knobs' not in set(ex.feature)
    inter = data_tables['interactions.parquet'].set_index(['user_idx', 'item_idx'])
    assert all(s in inter.loc[(u, i), 'review'] and inter.loc[(u, i), 'split'] == sp
               for u, i, s, sp in ex[['user_idx', 'item_idx', 'sentence', 'split']].itertuples(index=False))
    assert stats['explanation_coverage'] == 1.0


def test_musical_explanations(real):
    s, out = real('amazon-musical-instruments')
    data = D.load_recdata(out)
    ex = data.explanations
    assert list(ex.columns) == ['user_idx', 'item_idx', 'sentence', 'feature', 'split']
    assert s['explanation_coverage'] > 0.6 and 200 < s['explanation_vocab_size'] < 2000
    assert {'sound', 'price', 'quality', 'strings', 'tone'} <= set(ex.feature)
    m = ex.merge(data.interactions[['user_idx', 'item_idx', 'split', 'review']], on=['user_idx', 'item_idx'])
    assert len(m) == len(ex) and (m.split_x == m.split_y).all()
    assert all(a in b for a, b in zip(m.sentence, m.review))
    train_reviews = data.interactions.review[(data.interactions.split == 'train') & data.interactions.review.notna()]
    assert set(ex.feature) <= set(D.build_feature_vocab(train_reviews))


# ---------------------------------------------------------------- writing and errors

def test_prepare_is_deterministic_and_replaces_output(mirror, tmp_path):
    out = tmp_path / 'out'
    out.mkdir(); (out / 'stale.txt').write_text('old')
    D.prepare('ml-100k', out, raw_dir=mirror / 'ml-100k', verbose=False)
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert 'stale.txt' not in first
    D.prepare('ml-100k', out, raw_dir=mirror, verbose=False)  # the mirror root works too
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    assert os.listdir(tmp_path) == ['out']


@pytest.fixture
def ml_copy(mirror, tmp_path):
    root = tmp_path / 'mirror'
    shutil.copytree(mirror / 'ml-100k', root / 'ml-100k')
    for p in (root / 'ml-100k').iterdir(): p.chmod(0o644)
    return root


def _damage(path, how):
    if how == 'missing': path.unlink()
    elif how == 'truncated': path.write_bytes(path.read_bytes()[:-10])
    else:
        b = bytearray(path.read_bytes()); b[len(b) // 2] ^= 0x20; path.write_bytes(bytes(b))


@pytest.mark.parametrize('how', ['missing', 'truncated', 'altered'])
@pytest.mark.parametrize('via', ['raw_dir', 'env'])
def test_bad_raw_file_writes_nothing(ml_copy, tmp_path, monkeypatch, how, via):
    name = 'ml-100k.inter' if how != 'altered' else 'ml-100k.item'
    _damage(ml_copy / 'ml-100k' / name, how)
    out = tmp_path / 'data' / 'ml-100k'
    if via == 'env':
        monkeypatch.setenv('LLMREC_DATA_DIR', str(ml_copy))
        kw = {}
    else: kw = {'raw_dir': ml_copy / 'ml-100k'}
    with pytest.raises(LlmrecError) as e: D.prepare('ml-100k', out, verbose=False, **kw)
    msg = str(e.value)
    assert name in msg and ML_SHA[name] in msg and 'recbole==1.2.1' in msg
    assert ('no such file' in msg) if how == 'missing' else (D.sha256_file(ml_copy / 'ml-100k' / name) in msg)
    assert not (tmp_path / 'data').exists()


def test_bad_file_keeps_previous_output(ml_copy, tmp_path):
    out = tmp_path / 'out'
    D.prepare('ml-100k', out, raw_dir=ml_copy, verbose=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _damage(ml_copy / 'ml-100k' / 'ml-100k.user', 'altered')
    with pytest.raises(LlmrecError, match='ml-100k.user'): D.prepare('ml-100k', out, raw_dir=ml_copy, verbose=False)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before and sorted(os.listdir(tmp_path)) == ['mirror', 'out']


def test_all_problems_in_one_message(ml_copy):
    _damage(ml_copy / 'ml-100k' / 'ml-100k.user', 'missing')
    _damage(ml_copy / 'ml-100k' / 'ml-100k.item', 'truncated')
    with pytest.raises(LlmrecError) as e: D.verify_raw_files('ml-100k', ml_copy / 'ml-100k')
    assert 'ml-100k.user' in str(e.value) and 'ml-100k.item' in str(e.value) and 'ml-100k.inter' not in str(e.value)


def test_user_errors(tmp_path, monkeypatch):
    with pytest.raises(LlmrecError, match='unknown dataset'): D.prepare('ml-1m', tmp_path / 'x', verbose=False)
    with pytest.raises(LlmrecError, match='llmrec prepare'): D.load_recdata(tmp_path / 'nothing')
    monkeypatch.setenv('LLMREC_DATA_DIR', str(tmp_path / 'empty'))
    with pytest.raises(LlmrecError, match='Scientific.inter.json'): D.resolve_raw_dir('amazon-scientific')
    assert not (tmp_path / 'x').exists()


def test_sha256_in_chunks(tmp_path):
    p = tmp_path / 'f'; p.write_bytes(b'abc' * 1000)
    import hashlib
    assert D.sha256_file(p, chunk_size=7) == hashlib.sha256(b'abc' * 1000).hexdigest()


@pytest.mark.slow
def test_fetch_ml100k_from_pypi(tmp_path, monkeypatch, mirror):
    "Without a mirror, ML-100K comes from RecBole's wheel on PyPI, byte-identical (needs the network to PyPI)."
    monkeypatch.setenv('LLMREC_CACHE', str(tmp_path / 'cache'))
    monkeypatch.setenv('LLMREC_DATA_DIR', str(tmp_path / 'no-mirror'))
    d = D.resolve_raw_dir('ml-100k')
    assert d == tmp_path / 'cache' / 'ml-100k'
    assert {p.name: D.sha256_file(p) for p in d.iterdir()} == ML_SHA
    assert D.fetch_ml100k() == d  # second call: already there, verified, nothing fetched
    s = D.prepare('ml-100k', tmp_path / 'out', verbose=False)
    assert (s['raw_users'], s['raw_items'], s['raw_interactions']) == (943, 1682, 100_000)
