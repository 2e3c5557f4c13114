"""Rebuild the paper profile's per-user result files from the archives the device runs brought back.

`scripts/align_goals.py` (the paired test of issue 4's goal table) reads per-user parquets under
`models/paper/<ds>/{align,baselines}/<model>-seed<s>.parquet`. `models/` is git-ignored (DVC outputs and what the
imports unpack), so a fresh clone has none of them, while the archives under `results/device-runs/` (committed) hold
every run's per-user files, the current ones and those of runs later superseded. This picks, for every
(dataset, model, seed) row of `results/runs/paper/<ds>/{align,baselines}.csv`, the archived per-user file whose means
reproduce that row's test HR@10 and NDCG@10 (to the 6 significant digits the CSV keeps), and writes it (and its JSON
summary, where archived) into `models/paper/`. A row no archive reproduces is listed, never filled in from another run.

    python scripts/restore_per_user.py [--root .] [--datasets ds ...] [--check]

`--check` writes nothing: it says what it would restore and what it cannot.
"""
import argparse, io, re, sys, tarfile
from collections import defaultdict
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from align_goals import per_user_dir

MEMBER = re.compile(r'(?:^|/)(?:models/paper/(?P<ds1>[^/]+)/(?:align|baselines)|per_user/(?P<ds2>[^/]+))/'
                    r'(?P<model>[a-z0-9-]+)-seed(?P<seed>\d+)\.parquet$')
CHECKED = ('HR@10', 'NDCG@10')


def candidates(root:Path) -> dict:
    "(dataset, model, seed) -> [(archive, member name)] over every .tgz / .tar.gz under results/device-runs."
    found = defaultdict(list)
    natural = lambda p: [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', str(p))]  # round10 after round9
    for arc in sorted([*root.glob('results/device-runs/**/*.tgz'), *root.glob('results/device-runs/**/*.tar.gz')], key=natural):
        with tarfile.open(arc) as tar:
            for name in tar.getnames():
                m = MEMBER.search(name)
                if m: found[(m['ds1'] or m['ds2'], m['model'], int(m['seed']))].append((arc, name))
    return found


def close(a:float, b:float) -> bool: return abs(a - b) <= 5e-6 * max(abs(b), 1e-3)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--root', type=Path, default=Path('.'))
    ap.add_argument('--datasets', nargs='*', help='default: every dataset with paper-profile rows')
    ap.add_argument('--check', action='store_true', help='report only, write nothing')
    a = ap.parse_args(argv)
    found, restored, missing = candidates(a.root), 0, []
    for csv in sorted(a.root.glob('results/runs/paper/*/*.csv')):
        if csv.stem not in ('align', 'baselines') or (a.datasets and csv.parent.name not in a.datasets): continue
        rows = pd.read_csv(csv)
        rows = rows[rows.metric.isin(CHECKED)].pivot_table(index=['dataset', 'model', 'seed'], columns='metric', values='value')
        for (ds, model, seed), want in rows.iterrows():
            hit = None
            for arc, name in reversed(found.get((ds, model, int(seed)), [])):  # the latest archive first
                with tarfile.open(arc) as tar:
                    df = pd.read_parquet(io.BytesIO(tar.extractfile(name).read()))
                    if all(close(df[k].mean(), want[k]) for k in CHECKED):
                        hit = (arc, name, df, tar.extractfile(name[:-len('.parquet')] + '.json').read()
                               if name[:-len('.parquet')] + '.json' in tar.getnames() else None)
                        break
            if hit is None: missing.append(f'{ds} {model} seed {seed}'); continue
            arc, name, df, js = hit
            dst = per_user_dir(a.root, 'paper', ds, model) / f'{model}-seed{seed}.parquet'
            print(f'{ds} {model} seed {seed}: {arc.relative_to(a.root)} ({len(df)} users)')
            if not a.check:
                dst.parent.mkdir(parents=True, exist_ok=True); df.to_parquet(dst, index=False)
                if js is not None: dst.with_suffix('.json').write_bytes(js)
            restored += 1
    print(f'{"would restore" if a.check else "restored"} {restored} per-user files; no archive reproduces {len(missing)} rows'
          + (':\n  ' + '\n  '.join(missing) if missing else ''))
    return 0


if __name__ == '__main__': sys.exit(main())
