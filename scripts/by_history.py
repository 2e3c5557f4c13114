"""Test NDCG@10 and HR@10 by the length of a user's training history: llmrec against the best baseline (paper profile).

Where does llmrec win or lose? Users are put in bins by their number of training interactions; each bin's score is the
mean over its users of the per-user metric averaged over seeds, read from the per-user files the goal table's paired
test reads (`models/paper/<ds>/{align,baselines}/<model>-seed<s>.parquet`; in a fresh clone
`scripts/restore_per_user.py` brings them back). The best baseline is the goal table's (results/align-goals-paper.csv).
The paper renders the CSV (tbl-by-history).

    python scripts/by_history.py [--root .] [--datasets ds ...] [--out results/by-history-paper.csv]
"""
import argparse, sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1])); sys.path.insert(0, str(Path(__file__).resolve().parent))
from align_goals import per_user
from llmrec.config import write_csv

EDGES = (1, 2, 4, 8, 16)  # upper ends of the bins; the last bin is everything above
METRICS = ('NDCG@10', 'HR@10')


def label(lo:int, hi:int|None) -> str:
    return f'{lo}+' if hi is None else str(hi) if lo == hi else f'{lo}-{hi}'


def table(root:Path, datasets:list|None) -> pd.DataFrame:
    goals = pd.read_csv(root / 'results' / 'align-goals-paper.csv')
    goals = goals[goals.metric == 'NDCG@10'].set_index('dataset')
    rows = []
    for ds in datasets or list(goals.index):
        inter = pd.read_parquet(root / 'data' / ds / 'interactions.parquet', columns=['user_idx', 'split'])
        n = inter[inter.split == 'train'].groupby('user_idx').size()
        bounds = [0, *EDGES, np.inf]
        names = [label(lo + 1, None if hi == np.inf else int(hi)) for lo, hi in zip(bounds[:-1], bounds[1:])]
        users = pd.cut(n, bounds, labels=names)
        for model in ('llmrec', goals.loc[ds, 'best_baseline']):
            pu = per_user(root, 'paper', ds, model, METRICS)
            if pu is None: raise SystemExit(f'{ds}: no per-user files of {model} (run scripts/restore_per_user.py first)')
            pu = pu.set_index('user_idx').assign(seeds=pu.attrs['seeds']).join(users.rename('bin'), how='inner')
            for b, g in pu.groupby('bin', observed=True, sort=False):
                rows.append({'dataset': ds, 'model': model, 'train_items': b, 'users': len(g),
                             **{m: g[m].mean() for m in METRICS}, 'seeds': int(g.seeds.iloc[0])})
    out = pd.DataFrame(rows)
    out['train_items'] = pd.Categorical(out.train_items, categories=names, ordered=True)
    return out.sort_values(['dataset', 'model', 'train_items']).reset_index(drop=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--root', type=Path, default=Path('.'))
    ap.add_argument('--datasets', nargs='*', default=['amazon-scientific', 'ibm-articles', 'microlens-50k'])
    ap.add_argument('--out', type=Path, default=Path('results/by-history-paper.csv'))
    a = ap.parse_args(argv)
    t = table(a.root, a.datasets)
    write_csv(t, a.root / a.out)
    print(t.pivot_table(index=['dataset', 'train_items'], columns='model', values='NDCG@10', observed=True).round(4).to_string())
    print(f'wrote {a.out}')
    return 0


if __name__ == '__main__': sys.exit(main())
