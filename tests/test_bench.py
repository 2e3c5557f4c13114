"""Benchmarks: the tidy `results/bench.csv` scheme (every raw row mapped or reported), the scaling fit, the latency rows."""
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmrec.bench import (BENCHMARKS, METRICS, REPEATED, SYSTEMS, bench_profile, map_bench, normalise_device, parse_profile,
                          run_bench, run_bench_scoring, scaling_exponents, tidy_bench)
from llmrec.cli import main
from llmrec.config import LlmrecError

ROOT = Path(__file__).resolve().parents[1]
COLS = ['benchmark', 'system', 'profile', 'device', 'metric', 'value']
# why a raw row may stay in bench-detail.csv only; anything else (an unknown name above all) fails the test
KNOWN_REASONS = {'metric not in the scheme', 'system not in the scheme', 'read into the profile cell',
                 'same tidy row as an earlier rule (kept in detail only)', REPEATED}


def _raw(rows): return pd.DataFrame(rows, columns=COLS)


def check_tidy(t: pd.DataFrame):
    "The issue's vocabulary, canonical profiles, one row per key."
    assert list(t.columns) == COLS
    assert set(t.benchmark) <= set(BENCHMARKS) and set(t.system) <= set(SYSTEMS) and set(t.metric) <= set(METRICS)
    assert all(re.fullmatch(r'cpu|h200(-x\d+)?', d) for d in t.device), set(t.device)
    assert all(parse_profile(p)[0] in ('demo', 'paper') for p in t.profile)
    assert not t.duplicated(COLS[:5]).any()


def test_every_raw_row_of_the_results_is_mapped_or_reported():
    detail = pd.read_csv(ROOT / 'results' / 'bench-detail.csv')
    t, left = map_bench(detail)
    check_tidy(t)
    assert set(left.why) <= KNOWN_REASONS | {w for w in left.why if w.startswith('kept in detail only')}, set(left.why)
    assert (t.system != 'peak').sum() + len(left) == len(detail)   # nothing vanishes: peak rows are the only extra ones
    # a raw name none of whose rows reaches the tidy table has only diagnostics (pop and llmrec-noalign train no epochs)
    n_raw, n_left = detail.benchmark.value_counts(), left.benchmark.value_counts()
    only_detail = {n for n in n_raw.index if n_left.get(n, 0) == n_raw[n]}
    assert set(left[left.benchmark.isin(only_detail)].metric) <= {'train_s', 'epochs', 'tflops', 'exponent'}, only_detail


def test_committed_bench_csv_is_the_tidy_detail():
    "results/bench.csv is what the bench stage writes from results/bench-detail.csv (rerun `llmrec bench` if not)."
    t = tidy_bench(pd.read_csv(ROOT / 'results' / 'bench-detail.csv'))
    on_disk = pd.read_csv(ROOT / 'results' / 'bench.csv')
    assert on_disk[COLS[:5]].values.tolist() == t[COLS[:5]].values.tolist()
    assert np.allclose(on_disk.value, t.value, rtol=1e-5)


def test_device_normalisation():
    got = [normalise_device(d) for d in ('cpu-2core', 'cpu-16core', 'cpu-2t', 'cpu-2core-1thread', 'NVIDIA H200',
                                         'NVIDIA-H200', 'NVIDIA-H200/16-concurrent', 'NVIDIA-H200/shared-by-6-to-14-runs',
                                         'NVIDIA-H200-x2', 'nvidia h200 x8', '4xNVIDIA-H200', 'NVIDIA-H200-x1', 'NVIDIA A100')]
    assert got == ['cpu'] * 4 + ['h200'] * 4 + ['h200-x2', 'h200-x8', 'h200-x4', 'h200', None]
    t, left = map_bench(_raw([('score-5000', 'llmrec', 'paper', 'NVIDIA A100', 'users_per_s', 1.0)]))
    assert t.empty and left.why.tolist() == ['device neither CPU nor H200']


def test_generate_rows_map_to_tokens_per_s_with_the_batch_in_the_profile():
    ds = 'generate-amazon-musical-instruments'
    raw = _raw([(ds, m, 'paper', 'NVIDIA H200', met, v) for m in ('llmrec', 'llmrec-scratch', 'peter')
                for met, v in (('tokens_per_s_batch1', 50.0), ('tokens_per_s_batch8', 300.0),
                               ('tokens_per_s_batch512', 9000.0), ('constrained_ratio', 1.2), ('train_s', 9.0))])
    t, left = map_bench(raw)
    check_tidy(t)
    want = {(f'paper dataset=amazon-musical-instruments model={m}' + (f' batch={b}' if b else ''), met)
            for m in ('llmrec', 'llmrec-scratch') for b, met in (('1', 'tokens_per_s'), ('8', 'tokens_per_s'),
                                                                  ('512', 'tokens_per_s'), ('', 'constrained_ratio'))}
    assert set(zip(t.profile, t.metric)) == want and set(t.system) == {'llmrec'} and set(t.device) == {'h200'}
    assert sorted(left.why.value_counts().items()) == [('metric not in the scheme', 2), ('system not in the scheme', 5)]


def test_unknown_names_are_counted_not_dropped_silently(tmp_path, capsys):
    raw = _raw([('score-5000', 'llmrec', 'demo', 'cpu-2core', 'users_per_s', 100.0),
                ('warmup-cache', 'llmrec', 'demo', 'cpu-2core', 'wall_s', 1.0),
                ('scaling', 'llmrec', 'demo n_items=10 step=rank', 'cpu-2core', 'wall_s', 1.0)])  # not canonical
    raw.to_csv(tmp_path / 'detail.csv', index=False)
    assert main(['bench', '--detail', str(tmp_path / 'detail.csv'), '--out', str(tmp_path / 'bench.csv')]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.startswith('bench:'))
    assert '3 raw rows -> 1 tidy rows' in line and '2 left out' in line and 'unknown names: warmup-cache' in line
    assert '1 unknown benchmark name' in line and '1 profile cell not canonical' in line
    assert pd.read_csv(tmp_path / 'bench.csv').profile.tolist() == ['demo n_items=5000']


def test_profile_cells_round_trip():
    p = bench_profile('demo', n_items=5000, stage='encode@ml-100k', dataset='ml-100k')
    assert p == 'demo dataset=ml-100k stage=encode@ml-100k n_items=5000'
    assert parse_profile(p) == ('demo', {'dataset': 'ml-100k', 'stage': 'encode@ml-100k', 'n_items': '5000'})
    assert parse_profile('paper') == ('paper', {})
    for bad in ('demo  n_items=1', 'demo n_items=', 'laptop', 'demo n_items=1 dataset=x', 'demo size=3'):
        with pytest.raises(LlmrecError): parse_profile(bad)


def test_scaling_exponents_recover_a_known_exponent():
    rng = np.random.default_rng(0)
    n = np.array([500, 2000, 8000, 32000])
    rows = [('scaling', 'llmrec', bench_profile('paper', step='encode', n_items=x), 'h200', 'wall_s', 0.01 * x ** 0.8)
            for x in n]
    rows += [('scaling', 'llmrec', bench_profile('demo', step='align', n_users=x, n_items=1000), 'cpu', 'wall_s',
              3e-4 * x ** 1.3 * np.exp(rng.normal(0, 0.01))) for x in n]
    rows += [('rank', 'llmrec', 'demo n_items=5000', 'cpu', 'users_per_s', 1.0)]   # not a scaling row: ignored
    ex = scaling_exponents(_raw(rows)).set_index('step')
    assert ex.loc['encode', ['profile', 'device', 'size', 'points']].tolist() == ['paper', 'h200', 'n_items', 4]
    assert abs(ex.loc['encode', 'exponent'] - 0.8) < 1e-9 and abs(np.exp(ex.loc['encode', 'intercept']) - 0.01) < 1e-9
    assert ex.loc['align', 'size'] == 'n_users' and abs(ex.loc['align', 'exponent'] - 1.3) < 0.02
    both = [('scaling', 'llmrec', bench_profile('demo', step='rank', n_users=x, n_items=x), 'cpu', 'wall_s', 1.0) for x in n]
    with pytest.raises(LlmrecError, match='exactly one'): scaling_exponents(_raw(both))
    assert scaling_exponents(_raw([])).empty


def test_latency_rows_at_a_synthetic_catalogue(tmp_path):
    df = run_bench_scoring(tmp_path / 'score.csv', sizes=(1000,), dim=8, min_seconds=0.01, latency_items=600, latency_calls=20)
    lat = df[df.benchmark == 'recommend-synthetic'].set_index('metric').value
    assert set(lat.index) == {'p50_ms', 'p99_ms', 'n_items'} and 0 < lat.p50_ms <= lat.p99_ms and lat.n_items == 600
    t = tidy_bench(pd.read_csv(tmp_path / 'score.csv'))
    check_tidy(t)
    rec = t[t.benchmark == 'recommend']
    assert set(rec.profile) == {'demo dataset=synthetic n_items=600'} and set(rec.metric) == {'p50_ms', 'p99_ms'}
    assert set(t[t.benchmark == 'rank'].profile) == {'demo n_items=1000'}


def test_repeated_runs_of_one_key_are_averaged_and_reported():
    "Two seeds' raw rows with the same key give one tidy row with their mean; the second is reported, not lost."
    key = ('genret-ml-100k', 'llmrec-genret', 'paper', 'NVIDIA-H200', 'constrained_ratio')
    t, left = map_bench(_raw([(*key, 1.2), (*key, 1.4)]))
    r = t[t.metric == 'constrained_ratio']
    assert len(r) == 1 and r.value.iloc[0] == pytest.approx(1.3) and r.device.iloc[0] == 'h200'
    assert list(left.why) == [REPEATED] and left.value.iloc[0] == 1.4


def test_a_run_timed_alone_wins_over_a_noted_shared_one():
    "Two raw device labels of one tidy key: the label without a '/' note is kept, whichever comes first."
    base = ('genret-ml-100k', 'llmrec-genret', 'paper')
    for order in ((('NVIDIA-H200/shared-with-another-run', 1.8), ('NVIDIA-H200', 1.5)),
                  (('NVIDIA-H200', 1.5), ('NVIDIA-H200/shared-with-another-run', 1.8))):
        t, left = map_bench(_raw([(*base, d, 'constrained_ratio', v) for d, v in order]))
        assert t[t.metric == 'constrained_ratio'].value.tolist() == [1.5], order
        assert left.value.tolist() == [1.8] and left.why.str.startswith('same tidy row').all()


def test_scaleout_rows_are_consistent():
    "Issue 10's rows (scripts/gpu_ddp.py import): per-GPU rate = rate / N, efficiency = rate(2 GPUs) / (2 x rate(1 GPU))."
    t = pd.read_csv(ROOT / 'results' / 'bench.csv')
    s = t[t.benchmark == 'scaleout']
    assert set(s.device) == {'h200', 'h200-x2'} and {parse_profile(p)[1]['step'] for p in s.profile} == {'encode', 'align', 'generate'}
    for profile, g in s.groupby('profile'):
        v = g.set_index(['device', 'metric']).value
        for dev, n in (('h200', 1), ('h200-x2', 2)):
            assert np.isclose(v[dev, 'items_per_s_per_gpu'], v[dev, 'items_per_s'] / n, rtol=1e-4), profile
        assert np.isclose(v['h200-x2', 'scaling_efficiency'], v['h200-x2', 'items_per_s'] / (2 * v['h200', 'items_per_s']), rtol=1e-4), profile
        if 's_per_epoch' in g.metric.values:  # throughput is a fixed count per epoch over the epoch's seconds
            assert np.isclose(v['h200', 'items_per_s'] * v['h200', 's_per_epoch'], v['h200-x2', 'items_per_s'] * v['h200-x2', 's_per_epoch'], rtol=1e-4)
