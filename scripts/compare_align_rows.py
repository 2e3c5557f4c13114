"""Do rerun alignment rows reproduce the committed ones? (a reproducibility check, not an import)

    python scripts/compare_align_rows.py results/device-runs/ml25/SR/align-sciR.csv

Reads a gpu_align.py `train` output (results/runs/<profile>/<ds>/align-<tag>.csv layout) and the committed
results/runs/<profile>/<dataset>/align.csv, matches rows on (dataset, model, profile, seed, metric) and prints, per model
and seed, NDCG@10 then and now and the largest absolute difference over every metric. Exits 1 if a rerun row has no
committed counterpart.
"""
import argparse
from pathlib import Path

import pandas as pd

KEY = ['dataset', 'model', 'profile', 'seed', 'metric']


def compare(new:pd.DataFrame, root='.') -> pd.DataFrame:
    "Per (dataset, model, seed): committed and rerun NDCG@10 and the largest |difference| over the metrics both hold."
    old = pd.concat([pd.read_csv(Path(root) / 'results/runs' / p / d / 'align.csv')
                     for d, p in new[['dataset', 'profile']].drop_duplicates().itertuples(index=False)])
    m = new.merge(old, on=KEY, how='left', suffixes=('_rerun', '_committed'))
    if m.value_committed.isna().any():
        raise SystemExit(f'no committed row for: {m[m.value_committed.isna()][KEY].head().to_dict("records")}')
    m['diff'] = (m.value_rerun - m.value_committed).abs()
    nd = m[m.metric == 'NDCG@10'].set_index(['dataset', 'model', 'seed'])[['value_committed', 'value_rerun']]
    out = m.groupby(['dataset', 'model', 'seed']).agg(metrics=('diff', 'size'), max_abs_diff=('diff', 'max'))
    return nd.rename(columns=lambda c: 'NDCG@10_' + c.split('_')[1]).join(out).reset_index()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0]); p.add_argument('rerun'); p.add_argument('--root', default='.')
    a = p.parse_args(argv)
    t = compare(pd.read_csv(a.rerun), a.root)
    print(t.to_string(index=False)); print(f'largest difference over {int(t.metrics.sum())} values: {t.max_abs_diff.max():.3g}')


if __name__ == '__main__':
    main()
