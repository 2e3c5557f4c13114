"""The pipeline end to end on ML-100K with one-epoch baselines: `dvc repro` in a throwaway copy of the project."""
import os, shutil, subprocess, sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _project(tmp: Path, datasets=('ml-100k',)) -> Path:
    "A copy of the project (code, pipeline, paper) with tiny params, as its own git + DVC repository."
    proj = tmp / 'proj'
    proj.mkdir()
    for name in ('llmrec', 'paper', 'scripts'):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, proj / name, ignore=shutil.ignore_patterns('_output', '__pycache__', '*.pyc'))
    shutil.copy(ROOT / 'settings.ini', proj / 'settings.ini')
    # The skeleton's path (prepare -> baselines -> evaluate -> bench -> paper); encode, align and the scaling benchmark
    # (which loads the encoder) have their own tests and cost minutes of CPU here, so they are cut from this copy.
    pipeline = yaml.safe_load((ROOT / 'dvc.yaml').read_text())
    for stage in ('encode', 'bench-encode', 'bench-scaling', 'align', 'generate', 'interact', 'attr-reasons'): pipeline['stages'].pop(stage, None)
    ev, paper = pipeline['stages']['evaluate'], pipeline['stages']['paper']  # no reasons / interaction without their stages
    ev['cmd'] = ev['cmd'].replace('--reasons-runs results/reasons-runs --reasons-out results/reasons.csv', '')
    ev['cmd'] = ev['cmd'].replace('--interact-runs results/interact-runs --interact-out results/interact.csv', '')
    ev['deps'] = [d for d in ev['deps'] if d not in ('results/reasons-runs', 'results/interact-runs')]
    ev['outs'] = [o for o in ev['outs'] if 'results/reasons.csv' not in o and 'results/interact.csv' not in o]
    paper['deps'] = [d for d in paper['deps'] if d not in ('results/reasons.csv', 'results/interact.csv', 'results/attr-reasons-runs',
                                                           'results/interact-tuning')
                     and not d.endswith('generate/reasons.csv')]
    (proj / 'results').mkdir()
    for f in ('crosscheck.csv', 'align-goals-paper.csv', 'scaleout-paper.csv', 'align-tuning-paper.csv',  # inputs made outside
              'sasrec-tuning-paper.csv', 'baseline-tuning-paper.csv', 'by-history-paper.csv',  # the pipeline (own env / GPU runs)
              'ease-rank-paper.csv'):
        shutil.copy(ROOT / 'results' / f, proj / 'results' / f)
    for d in ('genret-runs', 'reason-examples', 'reason-decoding', 'reason-tuning', 'encode-manifests'):
        shutil.copytree(ROOT / 'results' / d, proj / 'results' / d)
    (proj / 'dvc.yaml').write_text(yaml.safe_dump(pipeline, sort_keys=False))
    params = yaml.safe_load((ROOT / 'params.yaml').read_text())
    params['base']['datasets'] = list(datasets)
    params.setdefault('baselines', {}).update(max_epochs_cap=1, models=['pop', 'bpr', 'sasrec'])
    params['baselines'].setdefault('demo', {})['max_epochs_cap'] = 1  # the profile's own cap (20) would override the top level's
    params['base']['text_datasets'] = [d for d in datasets if d != 'amazon-beauty-p5']
    params.setdefault('encode', {})['encoders'] = ['minilm']  # SmolLM2 costs minutes on CPU; 10_encode tests it
    params.setdefault('align', {}).update(max_epochs_cap=1, models=['llmrec', 'llmrec-noalign'])
    params['align'].pop('demo', None)
    params['bench'] = {'score_sizes': [1000, 4000], 'score_dim': 16, 'min_seconds': 0.05, 'latency_items': 300, 'latency_calls': 10}
    (proj / 'params.yaml').write_text(yaml.safe_dump(params, sort_keys=False))
    (proj / '_offline').mkdir()
    (proj / '_offline' / 'sitecustomize.py').write_text(NO_NETWORK)
    (proj / '.gitignore').write_text('/_offline/\n')
    env = _env(proj)
    for cmd in (['git', 'init', '-q'], [sys.executable, '-m', 'dvc', 'init', '-q'],
                [sys.executable, '-m', 'dvc', 'config', 'core.analytics', 'false']):
        subprocess.run(cmd, cwd=proj, check=True, env=env)
    return proj


NO_NETWORK = """
# Installed by tests/test_pipeline.py: any connection that leaves this machine fails and is logged.
import os, socket
_log = os.environ.get('LLMREC_NET_LOG')
_connect, _getaddrinfo = socket.socket.connect, socket.getaddrinfo

def _local(host):
    return host in ('localhost', '', None) or str(host).startswith('127.') or str(host) in ('::1', '0.0.0.0')

def _deny(what):
    if _log:
        with open(_log, 'a') as f: f.write(what + '\\n')
    raise OSError(f'network access blocked by the test: {what}')

def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]): _deny(f'connect {address}')
    return _connect(self, address)

def getaddrinfo(host, *a, **k):
    if not _local(host): _deny(f'getaddrinfo {host}')
    return _getaddrinfo(host, *a, **k)

socket.socket.connect, socket.getaddrinfo = connect, getaddrinfo
"""


def _env(proj: Path, **extra) -> dict:
    env = {**os.environ, 'PYTHONPATH': f'{proj / "_offline"}:{proj}',
           'LLMREC_NET_LOG': str(proj / '_offline' / 'attempts.log'), 'DVC_NO_ANALYTICS': '1', 'HF_HUB_OFFLINE': '1',
           'HF_DATASETS_OFFLINE': '1', 'PATH': f'{Path(sys.executable).parent}:{os.environ["PATH"]}', **extra}
    env.setdefault('LLMREC_DATA_DIR', str(ROOT.parent / 'shared' / 'datasets'))
    return env


def _dvc(proj, *args, **extra):
    return subprocess.run([sys.executable, '-m', 'dvc', *args], cwd=proj, env=_env(proj, **extra),
                          capture_output=True, text=True, timeout=900)


def test_sockets_are_blocked_in_the_pipeline_env(tmp_path):
    proj = _project(tmp_path)
    code = "import urllib.request as u; u.urlopen('https://pypi.org', timeout=5)"
    r = subprocess.run([sys.executable, '-c', code], env=_env(proj), capture_output=True, text=True)
    assert r.returncode != 0 and 'network access blocked' in r.stderr
    assert 'pypi.org' in (proj / '_offline' / 'attempts.log').read_text()


def test_demo_pipeline_end_to_end(tmp_path, mirror):
    "Every stage runs with sockets blocked (nothing is downloaded), twice gives identical results, and a rerun is a no-op."
    proj = _project(tmp_path)
    r = _dvc(proj, 'repro')
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    log = proj / '_offline' / 'attempts.log'
    assert not log.exists(), f'the pipeline tried the network: {log.read_text()}'

    ranking = pd.read_csv(proj / 'results/ranking.csv')
    assert list(ranking.columns) == ['dataset', 'model', 'profile', 'seed', 'metric', 'value']
    got = ranking[(ranking.dataset == 'ml-100k') & (ranking.profile == 'demo')]
    assert {'pop', 'bpr', 'sasrec'} <= set(got.model)
    assert set(got.metric) == {'HR@5', 'HR@10', 'HR@20', 'NDCG@5', 'NDCG@10', 'NDCG@20', 'MRR@10'}
    assert got.value.between(0, 1).all()
    html = (proj / 'paper/_output/paper.html').read_text()
    pop_hr10 = got[(got.model == 'pop') & (got.metric == 'HR@10')].value.iloc[0]
    assert f'{pop_hr10:.4f}' in html, 'the rendered paper shows the Pop HR@10 from results/ranking.csv'
    assert (proj / 'paper/_output/paper.pdf').stat().st_size > 10_000
    again = _dvc(proj, 'repro')
    assert again.returncode == 0 and 'didn\'t change' in again.stdout + again.stderr
    assert 'Running stage' not in again.stdout, 'a second `dvc repro` must do nothing'
    first = (proj / 'results/ranking.csv').read_bytes()
    forced = _dvc(proj, 'repro', '-f', '-s', 'baselines@ml-100k')
    assert forced.returncode == 0, forced.stderr[-2000:]
    assert _dvc(proj, 'repro', 'evaluate').returncode == 0
    assert (proj / 'results/ranking.csv').read_bytes() == first, 'same seed, same results: the pipeline is deterministic'


def test_corrupt_raw_file_stops_prepare_and_writes_nothing(tmp_path, mirror):
    raw = tmp_path / 'raw'
    shutil.copytree(mirror / 'ml-100k', raw / 'ml-100k')
    f = raw / 'ml-100k' / 'ml-100k.inter'
    f.chmod(0o644)
    b = bytearray(f.read_bytes()); b[1000] ^= 1; f.write_bytes(bytes(b))
    proj = _project(tmp_path)
    r = _dvc(proj, 'repro', 'prepare@ml-100k', LLMREC_DATA_DIR=str(raw))
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert 'ml-100k.inter' in out and '4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff' in out
    assert 'Traceback' not in out
    assert not (proj / 'data').exists() or not any((proj / 'data').iterdir())
