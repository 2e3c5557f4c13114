"""Issue 8, fast part: bad raw data and bad params fail with one clear error and write nothing; evaluator properties
(hypothesis); no unsafe loading or code evaluation in the package; atomic writers survive an exception mid-write."""
import ast
import dataclasses
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings, strategies as st, HealthCheck

from llmrec import data as D
from llmrec import evaluate as E
from llmrec.cli import main as cli_main
from llmrec.config import LlmrecError, atomic_write, write_csv, write_json, write_parquet

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- helpers: raw files whose checksum we register

def register_raw(monkeypatch, root: Path, dataset: str, files: dict) -> Path:
    """Write `files` (name -> bytes) to `root/dataset/` and register their sha256 as `dataset`'s raw files.

    The real registry pins the published bytes, so any edit of a raw file stops at the checksum (tested below). To
    reach the loaders with bad content, these tests play a user who registered their own files: same sha256 check,
    no README counts."""
    d = root / dataset
    d.mkdir(parents=True)
    for name, b in files.items(): (d / name).write_bytes(b)
    reg = tuple(D.RawFile(n, hashlib.sha256(b).hexdigest(), 'test fixture') for n, b in files.items())
    monkeypatch.setitem(D.RAW_FILES, dataset, reg)
    monkeypatch.setitem(D.DATASET_SPECS, dataset, dataclasses.replace(D.DATASET_SPECS[dataset], files=reg, raw_counts={}))
    return d


INTER_HEADER = 'user_id:token\titem_id:token\trating:float\ttimestamp:float'
ITEM_HEADER = 'item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq'
USER_HEADER = 'user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token'


def ml_files(rows, titles=None, inter_header=INTER_HEADER, item_bytes=None):
    "Three tiny ML-100K atomic files from (user, item, rating, timestamp) rows; every item titled unless `titles` says."
    items = sorted({str(r[1]) for r in rows}, key=str)
    titles = titles if titles is not None else {i: f'Movie {i}' for i in items}
    users = sorted({str(r[0]) for r in rows}, key=str)
    inter = '\n'.join([inter_header] + ['\t'.join(map(str, r)) for r in rows]) + '\n'
    item = '\n'.join([ITEM_HEADER] + [f'{i}\t{titles.get(i, "")}\t1995\tComedy' for i in titles]) + '\n'
    user = '\n'.join([USER_HEADER] + [f'{u}\t30\tF\tother\t00000' for u in users]) + '\n'
    return {'ml-100k.inter': inter.encode(), 'ml-100k.item': item_bytes if item_bytes is not None else item.encode(),
            'ml-100k.user': user.encode()}


GOOD_ROWS = [(u, i, 4, 100 * u + k) for u in (1, 2, 3) for k, i in enumerate((10, 11, 12, 13))]


def assert_nothing_written(out: Path):
    "The output folder does not exist and no temporary sibling was left beside it."
    assert not out.exists(), f'{out} was written'
    if out.parent.exists():
        assert not [p.name for p in out.parent.iterdir() if out.name in p.name], list(out.parent.iterdir())


def prepare_fails(dataset, root, out, *patterns):
    "prepare raises one LlmrecError whose message matches every pattern, and leaves no output."
    with pytest.raises(LlmrecError) as e: D.prepare(dataset, out, raw_dir=root, verbose=False)
    msg = str(e.value)
    for p in patterns: assert re.search(p, msg), f'{p!r} not in: {msg}'
    assert_nothing_written(out)
    return msg


# ---------------------------------------------------------------- bad raw data

def test_custom_registry_accepts_good_files(monkeypatch, tmp_path):
    "The fixture itself: good files pass, so the failures below come from the damage, not the fixture."
    register_raw(monkeypatch, tmp_path / 'raw', 'ml-100k', ml_files(GOOD_ROWS))
    s = D.prepare('ml-100k', tmp_path / 'out', raw_dir=tmp_path / 'raw', verbose=False)
    assert (s['n_users'], s['n_items'], s['n_interactions']) == (3, 4, 12)


@pytest.mark.parametrize('dataset', list(D.RAW_FILES))
def test_sha256_mismatch_names_file_for_every_dataset(mirror, tmp_path, dataset):
    "Any edit of any dataset's raw file (here: its last byte dropped) stops at the checksum, naming file and source."
    src = mirror / dataset
    raw = tmp_path / 'raw' / dataset
    raw.mkdir(parents=True)
    victim = D.RAW_FILES[dataset][-1]
    for f in D.RAW_FILES[dataset]:
        if f.name == victim.name: (raw / f.name).write_bytes((src / f.name).read_bytes()[:-1])
        else: (raw / f.name).symlink_to(src / f.name)
    msg = prepare_fails(dataset, tmp_path / 'raw', tmp_path / 'data' / dataset, re.escape(victim.name),
                        victim.sha256, re.escape(victim.source), 'truncated or altered', 'Restore the exact files')
    assert all(f.name not in msg for f in D.RAW_FILES[dataset] if f.name != victim.name)


def test_cli_missing_raw_file_exit_code_and_no_output(mirror, tmp_path):
    "Through the command line: exit code 2, the file named, no traceback, nothing written."
    raw = tmp_path / 'raw' / 'ml-100k'
    raw.mkdir(parents=True)
    for name in ('ml-100k.inter', 'ml-100k.item'): (raw / name).symlink_to(mirror / 'ml-100k' / name)
    out = tmp_path / 'data' / 'ml-100k'
    env = {**os.environ, 'LLMREC_DATA_DIR': str(tmp_path / 'raw')}
    r = subprocess.run([sys.executable, '-m', 'llmrec.cli', 'prepare', '--dataset', 'ml-100k', '--out', str(out),
                        '--params', str(ROOT / 'params.yaml')], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert r.returncode == 2, r.stderr
    assert 'ml-100k.user' in r.stderr and 'no such file' in r.stderr and 'Traceback' not in r.stderr
    assert 'llmrec prepare: error: ml-100k: 1 raw file(s) missing' in r.stderr
    assert_nothing_written(out)


def _musical_gz(n=12):
    rows = [{'reviewerID': f'u{k % 3}', 'asin': f'a{k}', 'reviewText': 'The tone is great.', 'overall': 5.0,
             'unixReviewTime': 1000 + k} for k in range(n)]
    import json
    return gzip.compress(''.join(json.dumps(r) + '\n' for r in rows).encode())


@pytest.mark.parametrize('damage', ['truncated', 'not-gzip', 'bad-crc'])
def test_corrupt_gzip_with_matching_checksum(monkeypatch, tmp_path, damage):
    "A gzip file that is cut, not gzip at all, or fails its CRC: one error naming the file, nothing written."
    good = _musical_gz()
    bad = {'truncated': good[:len(good) // 2], 'not-gzip': b'this is not gzip\n',
           'bad-crc': good[:-8] + bytes(b ^ 0xFF for b in good[-8:-4]) + good[-4:]}[damage]
    name = 'reviews_Musical_Instruments_5.json.gz'
    register_raw(monkeypatch, tmp_path / 'raw', 'amazon-musical-instruments', {name: bad})
    prepare_fails('amazon-musical-instruments', tmp_path / 'raw', tmp_path / 'out', re.escape(name), 'could not be read')


def test_corrupt_zip_with_matching_checksum(monkeypatch, tmp_path):
    name = 'user-item-interactions.zip'
    register_raw(monkeypatch, tmp_path / 'raw', 'ibm-articles', {name: b'PK\x03\x04 not really a zip'})
    prepare_fails('ibm-articles', tmp_path / 'raw', tmp_path / 'out', re.escape(name), 'could not be read')


def test_missing_column_names_file_and_column(monkeypatch, tmp_path):
    header = 'user_id:token\titem_id:token\trating:float\ttime:float'
    register_raw(monkeypatch, tmp_path / 'raw', 'ml-100k', ml_files(GOOD_ROWS, inter_header=header))
    prepare_fails('ml-100k', tmp_path / 'raw', tmp_path / 'out', r'ml-100k\.inter', "'timestamp'", 'missing')


def test_wrong_type_names_file_column_and_value(monkeypatch, tmp_path):
    rows = [*GOOD_ROWS[:-1], (3, 13, 'five', 399)]
    register_raw(monkeypatch, tmp_path / 'raw', 'ml-100k', ml_files(rows))
    prepare_fails('ml-100k', tmp_path / 'raw', tmp_path / 'out', r'ml-100k\.inter', "'rating'", "'five'")


def test_non_utf8_text_names_file(monkeypatch, tmp_path):
    files = ml_files(GOOD_ROWS)
    item = files['ml-100k.item'].replace(b'Movie 11', b'Movie \xff\xfe 11')  # Latin-1 bytes, not UTF-8
    register_raw(monkeypatch, tmp_path / 'raw', 'ml-100k', {**files, 'ml-100k.item': item})
    prepare_fails('ml-100k', tmp_path / 'raw', tmp_path / 'out', r'ml-100k\.item', 'UTF-8|utf-8')


def test_empty_dataset(monkeypatch, tmp_path):
    register_raw(monkeypatch, tmp_path / 'raw', 'ml-100k', ml_files([], titles={'10': 'Movie 10'}))
    prepare_fails('ml-100k', tmp_path / 'raw', tmp_path / 'out', 'no interactions', 'ml-100k')


def test_every_user_too_short(monkeypatch, tmp_path):
    "Every user has < 3 distinct items (one has 3 rows, but a repeat): no user can give train/valid/test."
    rows = [(1, 10, 4, 1), (1, 11, 4, 2), (1, 10, 4, 3), (2, 12, 4, 1), (2, 13, 4, 2)]
    register_raw(monkeypatch, tmp_path / 'raw', 'ml-100k', ml_files(rows))
    prepare_fails('ml-100k', tmp_path / 'raw', tmp_path / 'out', 'min_user_interactions', '3', r'2 users')


def test_duplicate_interactions_are_dropped_as_the_protocol_says(monkeypatch, tmp_path):
    "A repeated (user, item) keeps its first occurrence in time; the stats count the repeats."
    rows = [*GOOD_ROWS, (1, 10, 2, 999), (1, 12, 5, 150), (2, 13, 1, 250)]
    register_raw(monkeypatch, tmp_path / 'raw', 'ml-100k', ml_files(rows))
    s = D.prepare('ml-100k', tmp_path / 'out', raw_dir=tmp_path / 'raw', verbose=False)
    assert s['n_duplicates_removed'] == 3 and s['n_interactions'] == 12
    d = D.load_recdata(tmp_path / 'out')
    i = d.interactions.merge(d.users[['user_idx', 'user_id']]).merge(d.items[['item_idx', 'item_id']])
    assert not i.duplicated(['user_id', 'item_id']).any()
    first = i.set_index(['user_id', 'item_id'])
    assert first.loc[('1', '10'), 'timestamp'] == 100 and first.loc[('1', '10'), 'rating'] == 4  # the first, not 999
    assert first.loc[('1', '12'), 'timestamp'] == 102  # the later repeat at 150 is dropped
    assert (first.loc['1'].sort_values('position').index.tolist() == ['10', '11', '12', '13'])


def test_items_without_text(monkeypatch, tmp_path):
    """An item with an empty title is kept with '' (the encoder falls back to attributes); an item missing from the
    item file is an error naming it and the file."""
    register_raw(monkeypatch, tmp_path / 'raw', 'ml-100k',
                 ml_files(GOOD_ROWS, titles={'10': 'Movie 10', '11': '', '12': 'unknown', '13': 'Movie 13'}))
    D.prepare('ml-100k', tmp_path / 'out', raw_dir=tmp_path / 'raw', verbose=False)
    items = D.load_recdata(tmp_path / 'out').items.set_index('item_id')
    assert items.title.to_dict() == {'10': 'Movie 10', '11': '', '12': '', '13': 'Movie 13'}
    assert list(items.loc['11', 'attributes']) == ['year: 1995', 'genre: Comedy']

    register_raw(monkeypatch, tmp_path / 'raw2', 'ml-100k', ml_files(GOOD_ROWS, titles={'10': 'a', '11': 'b', '12': 'c'}))
    prepare_fails('ml-100k', tmp_path / 'raw2', tmp_path / 'out2', r"1 interacted item", "'13'", 'item (file|table)')


def test_bad_content_keeps_previous_output(monkeypatch, tmp_path):
    "A failing rerun leaves the previous good output byte for byte."
    out = tmp_path / 'out'
    register_raw(monkeypatch, tmp_path / 'raw', 'ml-100k', ml_files(GOOD_ROWS))
    D.prepare('ml-100k', out, raw_dir=tmp_path / 'raw', verbose=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    rows = [*GOOD_ROWS[:-1], (3, 13, 'five', 399)]
    register_raw(monkeypatch, tmp_path / 'raw2', 'ml-100k', ml_files(rows))
    with pytest.raises(LlmrecError): D.prepare('ml-100k', out, raw_dir=tmp_path / 'raw2', verbose=False)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(os.listdir(tmp_path)) == ['out', 'raw', 'raw2']


def test_cli_bad_content_exit_code_2(monkeypatch, tmp_path, capsys):
    "The CLI turns a content error into exit code 2 and one message, no traceback."
    register_raw(monkeypatch, tmp_path / 'raw', 'ml-100k', ml_files(GOOD_ROWS, inter_header=INTER_HEADER.replace('rating', 'stars')))
    out = tmp_path / 'data' / 'ml-100k'
    rc = cli_main(['prepare', '--dataset', 'ml-100k', '--out', str(out), '--raw-dir', str(tmp_path / 'raw'),
                   '--params', str(ROOT / 'params.yaml')])
    err = capsys.readouterr().err
    lines = [l for l in re.split(r'[\r\n]', err) if l.startswith('llmrec prepare: error: ')]  # (tqdm's bar shares stderr)
    assert rc == 2 and len(lines) == 1 and "'rating'" in lines[0] and 'ml-100k.inter' in lines[0] and 'Traceback' not in err
    assert_nothing_written(out)


# ---------------------------------------------------------------- the evaluator, property-based

def naive_rank(scores: np.ndarray, target: int, excluded: np.ndarray) -> int:
    "Reference: count the other candidates whose score is >= the target's (NaN target: every candidate)."
    t = scores[target]
    others = [j for j in range(len(scores)) if j != target and not excluded[j]]
    if np.isnan(t) or t == -np.inf: return len(others)
    return sum(1 for j in others if scores[j] >= t)  # NaN >= t is False: a NaN item never beats the target


@st.composite
def ranking_case(draw):
    B = draw(st.integers(1, 6))
    n = draw(st.integers(1, 30))
    # few distinct values so ties are common; NaN and infinities included
    values = st.sampled_from([-np.inf, -1.5, -0.25, 0.0, 0.25, 1.0, 3.0, np.inf, np.nan])
    scores = np.array(draw(st.lists(st.lists(values, min_size=n, max_size=n), min_size=B, max_size=B)), np.float32)
    targets = np.array(draw(st.lists(st.integers(0, n - 1), min_size=B, max_size=B)), np.int64)
    mask = np.array(draw(st.lists(st.lists(st.booleans(), min_size=n, max_size=n), min_size=B, max_size=B)), bool)
    mask[np.arange(B), targets] = False  # a target is never in its own history
    return scores, targets, mask


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ranking_case(), st.floats(-100, 100, allow_nan=False))
def test_rank_of_target_properties(case, shift):
    scores, targets, mask = case
    B, n = scores.shape
    rank = E.rank_of_target(torch.from_numpy(scores), torch.from_numpy(targets), torch.from_numpy(mask)).numpy()
    ref = np.array([naive_rank(scores[b], targets[b], mask[b]) for b in range(B)])
    np.testing.assert_array_equal(rank, ref)
    n_candidates = n - mask.sum(1)  # the target plus the other candidates
    assert ((rank >= 0) & (rank < n_candidates)).all()
    # adding a constant to all scores changes nothing (exactly representable shift on the finite grid)
    shifted = scores + np.float32(round(shift))
    np.testing.assert_array_equal(E.rank_of_target(torch.from_numpy(shifted), torch.from_numpy(targets),
                                                   torch.from_numpy(mask)).numpy(), rank)
    # excluded items never affect the rank, whatever they score
    wild = np.where(mask, np.float32(np.inf), scores)
    np.testing.assert_array_equal(E.rank_of_target(torch.from_numpy(wild), torch.from_numpy(targets),
                                                   torch.from_numpy(mask)).numpy(), rank)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40), st.integers(0, 39), st.data())
def test_ties_are_pessimistic(n, t, data):
    "All items tied: the target ranks last among the candidates; one strictly lower item leaves it ahead of that one."
    t = t % n
    scores = torch.zeros(1, n)
    assert E.rank_of_target(scores, torch.tensor([t])).item() == n - 1
    low = data.draw(st.integers(0, n - 1).filter(lambda j: j != t))
    scores[0, low] = -1
    assert E.rank_of_target(scores, torch.tensor([t])).item() == n - 2


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 200), min_size=1, max_size=50))
def test_metrics_properties(ranks):
    m = E.rank_metrics(np.array(ranks))
    r = np.array(ranks)
    for k in E.KS:
        np.testing.assert_array_equal(m[f'HR@{k}'], (r < k).astype(float))
        assert (m[f'NDCG@{k}'] <= m[f'HR@{k}']).all() and (m[f'NDCG@{k}'] >= 0).all()
        np.testing.assert_allclose(m[f'NDCG@{k}'], [1 / np.log2(x + 2) if x < k else 0 for x in ranks])
    for a, b in zip(E.KS, E.KS[1:]):  # monotone in k
        assert (m[f'HR@{a}'] <= m[f'HR@{b}']).all() and (m[f'NDCG@{a}'] <= m[f'NDCG@{b}']).all()
    assert (m['MRR@10'] <= m['HR@10']).all() and (m['MRR@10'] >= 0).all()
    np.testing.assert_allclose(m['MRR@10'], [1 / (x + 1) if x < 10 else 0 for x in ranks])


class _Data:
    "The evaluator's data interface, from arrays."
    def __init__(self, targets, history):
        self.n_items = history.shape[1]
        self._t, self._h = targets, history
    def targets(self, split): return np.arange(len(self._t), dtype=np.int64), self._t
    def history(self, split):
        import scipy.sparse as sp
        return sp.csr_matrix(self._h.astype(np.float32))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ranking_case(), st.integers(1, 4))
def test_evaluate_scorer_matches_reference(case, batch_size):
    "Any batch size gives the naive reference's ranks, mapped through the metric formulas, user by user."
    scores, targets, mask = case
    per_user = E.evaluate_scorer(lambda u: torch.from_numpy(scores[u.numpy()]), _Data(targets, mask),
                                 batch_size=batch_size, progress=False)
    ref = np.array([naive_rank(scores[b], targets[b], mask[b]) for b in range(len(targets))])
    assert per_user.user_idx.tolist() == list(range(len(targets)))
    for name, values in E.rank_metrics(ref).items(): np.testing.assert_allclose(per_user[name], values)


# ---------------------------------------------------------------- security: what the package loads, evaluates, writes

PACKAGE = sorted((ROOT / 'llmrec').glob('*.py'))

# Allowed on purpose, each with the reason; matched on the call's source text so that line moves do not matter.
ALLOWED_EVAL = {('paper.py', "eval(compile(job['code'], '<inline>', 'eval'), shell.user_ns)"):
                'inline `{python} ...` expressions of paper/paper.qmd: the paper source is code, like a notebook cell'}


def _calls(path: Path):
    "Every call in a module, with its source text (computed lazily: `src()`)."
    text = path.read_text()
    for node in ast.walk(ast.parse(text, str(path))):
        if isinstance(node, ast.Call): yield node, (lambda node=node: ast.get_source_segment(text, node) or '')


def _name(func) -> str:
    "Dotted name of a call target: 'pickle.load', 'torch.load', 'eval', 'x.to_parquet' -> 'to_parquet' kept last."
    parts = []
    while isinstance(func, ast.Attribute): parts.append(func.attr); func = func.value
    parts.append(func.id if isinstance(func, ast.Name) else '<expr>')  # `f().eval()` is a method, not the builtin
    return '.'.join(reversed(parts))


def _kw(node, name):
    return next((k.value for k in node.keywords if k.arg == name), None)


def unsafe_calls(paths) -> list[str]:
    "Every unsafe call in `paths`, as 'file:line: reason'."
    bad = []
    for p in paths:
        text = p.read_text()
        if re.search(r'^\s*(import|from)\s+(c?pickle|dill|joblib|marshal|shelve)\b', text, re.M):
            bad.append(f'{p.name}: imports a pickle-based module')
        for node, src in _calls(p):
            n, where = _name(node.func), f'{p.name}:{node.lineno}'
            last = n.rsplit('.', 1)[-1]
            if re.search(r'(^|\.)(pickle|dill|joblib|marshal)\.loads?$', n) or n.endswith('Unpickler'):
                bad.append(f'{where}: {n}')
            if n == 'torch.load':
                wo = _kw(node, 'weights_only')
                if not (isinstance(wo, ast.Constant) and wo.value is True): bad.append(f'{where}: torch.load without weights_only=True')
            if n in ('eval', 'exec', 'builtins.eval', 'builtins.exec') and (p.name, src()) not in ALLOWED_EVAL:
                bad.append(f'{where}: {n}(...)')
            if n == 'yaml.load' or n == 'yaml.load_all' or n == 'yaml.unsafe_load':
                loader = _kw(node, 'Loader') or (node.args[1] if len(node.args) > 1 else None)
                if not (loader is not None and _name(loader).rsplit('.', 1)[-1] in ('SafeLoader', 'CSafeLoader')):
                    bad.append(f'{where}: {n} without SafeLoader')
            ap = _kw(node, 'allow_pickle')
            if last == 'load' and n.split('.')[0] in ('np', 'numpy') and isinstance(ap, ast.Constant) and ap.value is True:
                bad.append(f'{where}: {n} with allow_pickle=True')
            if last == 'read_pickle' or last == 'to_pickle': bad.append(f'{where}: {n}')
            trc = _kw(node, 'trust_remote_code')
            if isinstance(trc, ast.Constant) and trc.value is True: bad.append(f'{where}: trust_remote_code=True')
            if n == 'torch.save': bad.append(f'{where}: torch.save (pickle)')
    return bad


def test_package_has_no_unsafe_loading_or_eval():
    assert PACKAGE and {'data.py', 'config.py', 'evaluate.py'} <= {p.name for p in PACKAGE}
    assert unsafe_calls(PACKAGE) == []
    for (p, s) in ALLOWED_EVAL:
        assert s in (ROOT / 'llmrec' / p).read_text(), f'allow-listed call gone from {p}: remove it from ALLOWED_EVAL'


def test_checkpoint_resume_loads_weights_only():
    "Lightning checkpoints (the one torch format llmrec writes: exact resume needs optimizer and loop state) are only"
    " ever loaded with weights_only=True, so a planted pickle in a checkpoint folder cannot run code."
    fits = []
    for p in PACKAGE:
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Call) and _name(node.func).endswith('.fit') and _kw(node, 'ckpt_path') is not None:
                wo = _kw(node, 'weights_only')
                fits.append((p.name, isinstance(wo, ast.Constant) and wo.value is True))
    assert {n for n, _ in fits} == {'align.py', 'generate.py'} and all(ok for _, ok in fits), fits


def test_unsafe_call_detector_catches_each_pattern(tmp_path):
    "The scanner is not blind: each forbidden pattern in a scratch module is reported."
    cases = {
        'import pickle\nx = pickle.load(open("f", "rb"))\n': 'pickle',
        'import torch\nm = torch.load("m.pt")\n': 'weights_only',
        'import torch\nm = torch.load("m.pt", weights_only=False)\n': 'weights_only',
        'v = eval(row["price"])\n': 'eval',
        'exec(feedback)\n': 'exec',
        'import yaml\nc = yaml.load(open("p.yaml"))\n': 'SafeLoader',
        'import yaml\nc = yaml.load(s, Loader=yaml.Loader)\n': 'SafeLoader',
        'import pandas as pd\ndf = pd.read_pickle("x")\n': 'read_pickle',
        'import torch\ntorch.save(m.state_dict(), "m.pt")\n': 'torch.save',
        'import numpy as np\na = np.load("a.npy", allow_pickle=True)\n': 'allow_pickle',
        'from transformers import AutoModel\nAutoModel.from_pretrained(d, trust_remote_code=True)\n': 'trust_remote_code',
    }
    for i, (code, word) in enumerate(cases.items()):
        f = tmp_path / f'm{i}.py'; f.write_text(code)
        found = unsafe_calls([f])
        assert found and word in ' '.join(found), (code, found)
    ok = tmp_path / 'ok.py'
    ok.write_text('import torch, yaml\nm = torch.load("m.pt", weights_only=True)\nc = yaml.load(s, Loader=yaml.SafeLoader)\n'
                  'd = yaml.safe_load(s)\nx = json.loads(s)\nmodel.eval()\n')
    assert unsafe_calls([ok]) == []


# How each module writes files; any other writer must be added here with its format, or the test fails.
SAFE_WRITERS = {'atomic_write', 'write_text', 'write_json', 'write_csv', 'write_parquet', 'write_table', 'save_file',
                'save_pretrained', 'save_vectors', 'write_tables', 'write_bytes', 'to_parquet', 'to_csv', 'dump',
                'safe_dump', 'savefig'}
WRITE_CALLS = re.compile(r'^(to_pickle|to_hdf|to_feather|to_excel|save|savez|savez_compressed|tofile|to_json|'
                         r'write_text|write_bytes|to_parquet|to_csv|write_table|save_file|save_pretrained|savefig|dump|'
                         r'safe_dump|json\.dump|torch\.save|np\.save)$')


def test_package_writes_only_safe_formats():
    "Every write call in the package is one of the safe writers; binary model data goes through safetensors."
    found = {}
    for p in PACKAGE:
        for node, src in _calls(p):
            last = _name(node.func).rsplit('.', 1)[-1]
            if WRITE_CALLS.match(last) or WRITE_CALLS.match(_name(node.func)):
                found.setdefault(last, []).append(f'{p.name}:{node.lineno}')
                if last == 'save_pretrained':  # transformers: must ask for safetensors
                    s = _kw(node, 'safe_serialization')
                    if not (s is None or (isinstance(s, ast.Constant) and s.value is True)):
                        raise AssertionError(f'{p.name}:{node.lineno}: save_pretrained without safetensors')
    unknown = {k: v for k, v in found.items() if k not in SAFE_WRITERS}
    assert not unknown, f'writers of an unapproved format: {unknown}'
    assert 'save_file' in found and 'write_table' in found and 'to_csv' in found  # safetensors, parquet, CSV are used
    # the vectors and the model weights llmrec writes are safetensors, not torch pickles
    enc = (ROOT / 'llmrec' / 'encode.py').read_text()
    assert 'from safetensors.torch import save_file' in enc and 'safe_serialization=True' in enc


def test_yaml_loading_in_package_is_safe():
    uses = [m.group(0) for p in PACKAGE for m in re.finditer(r'yaml\.\w*load\w*\(', p.read_text())]
    assert uses and set(uses) == {'yaml.safe_load('}


# ---------------------------------------------------------------- atomic writers

class Boom(Exception): pass


@pytest.mark.parametrize('writer', ['write_csv', 'write_json', 'write_parquet', 'atomic_write_bytes'])
def test_writer_interrupted_mid_write_keeps_old_file(tmp_path, monkeypatch, writer):
    "An exception raised after part of the new content was written leaves the old file and no temporary file."
    f = tmp_path / 'result.out'
    old_df = pd.DataFrame({'a': [1, 2], 'b': ['x', 'y']})
    {'write_csv': write_csv, 'write_json': lambda d, p: write_json(d.to_dict('list'), p),
     'write_parquet': write_parquet, 'atomic_write_bytes': lambda d, p: write_parquet(d, p)}[writer](old_df, f)
    before = f.read_bytes()
    big = pd.DataFrame({'a': np.arange(50_000), 'b': ['y' * 20] * 50_000})

    if writer == 'atomic_write_bytes':
        with pytest.raises(Boom):
            with atomic_write(f, 'wb') as h:
                h.write(b'PAR1' + b'\0' * 100_000); h.flush()
                assert len(list(tmp_path.iterdir())) == 2  # the temporary file exists and holds the partial data
                raise Boom
    else:
        # make the underlying serialiser fail after writing part of its output
        written = []
        if writer == 'write_csv':
            def partial_csv(self, h, **k):
                h.write('a,b\n1,partial\n'); h.flush(); written.append(1); raise Boom
            monkeypatch.setattr(pd.DataFrame, 'to_csv', partial_csv)
            with pytest.raises(Boom): write_csv(big, f)
        elif writer == 'write_json':
            from llmrec import config as C
            def partial_dump(obj, h, **k):
                h.write('{"a": [1, 2, '); h.flush(); written.append(1); raise Boom
            monkeypatch.setattr(C.json, 'dump', partial_dump)
            with pytest.raises(Boom): write_json({'a': [3]}, f)
        else:
            def partial_parquet(self, h, **k):
                h.write(b'PAR1\0\0\0'); h.flush(); written.append(1); raise Boom
            monkeypatch.setattr(pd.DataFrame, 'to_parquet', partial_parquet)
            with pytest.raises(Boom): write_parquet(big, f)
        assert written, 'the failure happened mid-write, after bytes went to the temporary file'
    assert f.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ['result.out']


def test_writer_keyboard_interrupt_keeps_old_file(tmp_path):
    "Ctrl-C (a BaseException, not an Exception) mid-write: same guarantee."
    f = tmp_path / 'm.json'
    write_json({'v': 1}, f)
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(f) as h:
            h.write('{"v": '); raise KeyboardInterrupt
    assert f.read_text() == '{\n  "v": 1\n}\n' and os.listdir(tmp_path) == ['m.json']


def test_atomic_write_success_replaces_and_keeps_permissions(tmp_path):
    "The success path really replaces the file (so the failure tests above are not vacuous), mode as `open` gives."
    f = tmp_path / 'r.csv'
    write_csv(pd.DataFrame({'a': [1]}), f)
    write_csv(pd.DataFrame({'a': [2]}), f)
    assert f.read_text() == 'a\n2\n' and os.listdir(tmp_path) == ['r.csv']
    umask = os.umask(0); os.umask(umask)
    assert (f.stat().st_mode & 0o777) == (0o666 & ~umask)
