"""Append one validation grid of `scripts/gpu_align.py train` (its tuning-<tag>.csv) to results/align-tuning-paper.csv.

    python scripts/append_align_tuning.py --tuning <tuning-grid5.csv> --round 3 \
        --hparams results/device-runs/align-grid2/hparams-grid2.json results/device-runs/align-grid3/hparams-grid3.json

The grid's CSV holds only the keys it varied (a varied base key such as `dim` is taken from it); the settings it did not
vary are read from the --hparams files the grid ran on (later files win, as in gpu_align.py). Rows of the same
(dataset, round) are replaced; the others are kept.
The other recorded settings (DEFAULTS) come from the row where the grid varied them, else from the --hparams files, else
DEFAULTS; columns an earlier round's rows lack take DEFAULTS (tune_layers 0, whiten False, id_dropout 0, init_temperature
0.07, batch_size 256, heads 2, text_dropout 0.1: the code defaults every earlier round ran with).
"""
import argparse, json
from pathlib import Path

import pandas as pd

from llmrec.config import write_csv

FIXED = ('dim', 'max_len', 'profile_prior', 'dropout', 'layers', 'lr', 'text_hidden')  # what the rounds record of the base
FITTED = ('val_HR@10', 'val_NDCG@10', 'best_epoch', 'epochs', 's_per_epoch', 'temperature', 'id_gate_mean',
          'profile_gate_mean', 'prior_weight')
DEFAULTS = {'tune_layers': 0, 'tune_lr': float('nan'), 'whiten': False, 'id_dropout': 0.0,
            'init_temperature': 0.07,  # the temperature a run starts from (then learned; `temperature` is where it ended)
            'batch_size': 256, 'heads': 2, 'text_dropout': 0.1}
BASE_KEY = {'init_temperature': 'temperature'}  # its name in the --hparams files


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--tuning', required=True); p.add_argument('--round', type=int, required=True)
    p.add_argument('--hparams', nargs='+', required=True); p.add_argument('--out', default='results/align-tuning-paper.csv')
    a = p.parse_args(argv)
    base = {}
    for f in a.hparams: base.update(json.loads(Path(f).read_text()))
    grid = pd.read_csv(a.tuning)
    given = lambda r, k: k in grid and not pd.isna(r[k])  # a key this grid varied, set in this row
    rows = [{'dataset': r['dataset'], 'round': a.round, **{k: r[k] if given(r, k) else base[r['dataset']][k] for k in FIXED},
             **{k: r.get(k, float('nan')) for k in FITTED},
             **{k: r[k] if given(r, k) else base[r['dataset']].get(BASE_KEY.get(k, k), v) for k, v in DEFAULTS.items()}}
            for _, r in grid.iterrows()]
    new = pd.DataFrame(rows)
    for k in ('tune_layers', 'batch_size', 'heads'): new[k] = new[k].astype(int)
    new['whiten'] = new.whiten.astype(bool)
    old = pd.read_csv(a.out) if Path(a.out).exists() else pd.DataFrame()
    for k, v in DEFAULTS.items():
        if len(old) and k not in old: old[k] = v
    if len(old): old = old[~(old['round'].eq(a.round) & old.dataset.isin(set(new.dataset)))]
    write_csv(pd.concat([old, new], ignore_index=True), a.out)
    print(f'{a.out}: round {a.round}, {len(new)} rows of {sorted(set(new.dataset))}')


if __name__ == '__main__':
    main()
