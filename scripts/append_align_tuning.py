"""Append one validation round of `scripts/gpu_align.py train` (its tuning-<tag>.csv) to results/align-tuning-paper.csv.

    python scripts/append_align_tuning.py --tuning <tuning-grid5.csv> --round 3 \
        --hparams results/device-runs/align-grid2/hparams-grid2.json results/device-runs/align-grid3/hparams-grid3.json

A round run in several calls gives every call's CSV to --tuning (a point that ran twice, as GPU runs repeat exactly,
keeps one row). A CSV written before gpu_align.py named a grid's starting temperature `init_temperature` holds the
learned temperature in `temperature` only; --logs (those calls' train-<tag>.log, whose run lines end with their grid
point) then give each row its starting value, found by its dataset and validation NDCG@10 (which must be unique).

The grid's CSV holds only the keys it varied (a varied base key such as `dim` is taken from it); the settings it did not
vary are read from the --hparams files the grid ran on (later files win, as in gpu_align.py). Rows of the same
(dataset, round) are replaced; the others are kept.
The other recorded settings (DEFAULTS) come from the row where the grid varied them, else from the --hparams files, else
DEFAULTS; columns an earlier round's rows lack take DEFAULTS (tune_layers 0, whiten False, id_dropout 0, init_temperature
0.07, batch_size 256, heads 2, text_dropout 0.1, item_bias False, mask_seen True, id_embedding True, user_embedding
False, weight_decay 0, history_mean False, bag_dim 0, bag_lr 0, bag_dropout 0, bag_gate False, bag_warmup 0, and the encode settings item_max_tokens 128, description_chars 600, user_max_tokens 256,
profile_items 20: what every earlier round ran with).
"""
import argparse, json, re
from pathlib import Path

import pandas as pd

from llmrec.config import write_csv

FIXED = ('dim', 'max_len', 'profile_prior', 'dropout', 'layers', 'lr', 'text_hidden')  # what the rounds record of the base
FITTED = ('val_HR@10', 'val_NDCG@10', 'best_epoch', 'epochs', 's_per_epoch', 'temperature', 'id_gate_mean',
          'profile_gate_mean', 'prior_weight', 'user_gate_mean', 'mean_gate_mean')
DEFAULTS = {'tune_layers': 0, 'tune_lr': float('nan'), 'whiten': False, 'id_dropout': 0.0,
            'init_temperature': 0.07,  # the temperature a run starts from (then learned; `temperature` is where it ended)
            'batch_size': 256, 'heads': 2, 'text_dropout': 0.1, 'item_bias': False, 'mask_seen': True, 'id_embedding': True,
            'user_embedding': False, 'weight_decay': 0.0, 'history_mean': False,
            'bag_dim': 0, 'bag_lr': 0.0, 'bag_dropout': 0.0, 'bag_gate': False,  # the bag channel (off in every round before the 21st session)
            'bag_warmup': 0,  # its warm-up epochs (none before the 22nd session)
            # the text the encoder read (params.yaml's encode section; gpu_align.py writes them from each run's manifest)
            'item_max_tokens': 128, 'description_chars': 600, 'user_max_tokens': 256, 'profile_items': 20}
BASE_KEY = {'init_temperature': 'temperature'}  # its name in the --hparams files
RUN_LINE = re.compile(r'^(\S+) llmrec seed 0: valid ([0-9.]+) test nan .*? (\{.*\})$', re.M)  # gpu_align.py's grid runs


def starts_from_logs(grid:pd.DataFrame, logs:list) -> pd.DataFrame:
    "`grid` with `init_temperature`, each row's starting temperature read from the log line of the run that made it."
    start = {}
    for log in logs:
        for ds, v, point in RUN_LINE.findall(Path(log).read_text()):
            t = json.loads(point).get('temperature')
            if start.setdefault((ds, v), t) != t: raise SystemExit(f'{log}: two {ds} runs scored {v} from different starts')
    keys = [(r.dataset, f"{r['val_NDCG@10']:.4f}") for _, r in grid.iterrows()]
    if len(set(keys)) < len(keys) or any(k not in start for k in keys):
        raise SystemExit(f'--logs: no one run line for each row of the grid ({keys})')
    return grid.assign(init_temperature=[start[k] for k in keys])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--tuning', required=True, nargs='+'); p.add_argument('--round', type=int, required=True)
    p.add_argument('--logs', nargs='*', default=[], help="the calls' train logs, for CSVs without init_temperature")
    p.add_argument('--hparams', nargs='+', required=True); p.add_argument('--out', default='results/align-tuning-paper.csv')
    p.add_argument('--datasets', nargs='+', default=None, help="only these datasets' rows (a grid whose datasets' rounds differ)")
    a = p.parse_args(argv)
    base = {}
    for f in a.hparams: base.update(json.loads(Path(f).read_text()))
    grids = [pd.read_csv(f) for f in a.tuning]
    grids = [starts_from_logs(g, a.logs) if a.logs and 'init_temperature' not in g else g for g in grids]
    grid = pd.concat(grids, ignore_index=True)
    if a.datasets: grid = grid[grid.dataset.isin(a.datasets)]
    if grid.empty: raise SystemExit(f'no rows of {a.datasets} in {a.tuning}')
    grid = grid.drop_duplicates([c for c in grid if c not in FITTED])  # a point run twice: one row
    if len(grids) > 1:  # several calls' rows in the order each call writes its own: by dataset, best first
        grid = grid.sort_values(['dataset', 'val_NDCG@10'], ascending=[True, False], kind='stable')
    given = lambda r, k: k in grid and not pd.isna(r[k])  # a key this grid varied, set in this row
    rows = [{'dataset': r['dataset'], 'round': a.round, **{k: r[k] if given(r, k) else base[r['dataset']][k] for k in FIXED},
             **{k: r.get(k, float('nan')) for k in FITTED},
             **{k: r[k] if given(r, k) else base[r['dataset']].get(BASE_KEY.get(k, k), v) for k, v in DEFAULTS.items()}}
            for _, r in grid.iterrows()]
    new = pd.DataFrame(rows)
    for k in ('tune_layers', 'batch_size', 'heads', 'bag_dim', 'item_max_tokens', 'description_chars', 'user_max_tokens', 'profile_items'):
        new[k] = new[k].astype(int)
    for k in ('whiten', 'item_bias', 'mask_seen', 'id_embedding', 'user_embedding', 'history_mean', 'bag_gate'):
        new[k] = new[k].astype(bool)
    old = pd.read_csv(a.out) if Path(a.out).exists() else pd.DataFrame()
    for k, v in DEFAULTS.items():
        if len(old) and k not in old: old[k] = v
    if len(old): old = old[~(old['round'].eq(a.round) & old.dataset.isin(set(new.dataset)))]
    write_csv(pd.concat([old, new], ignore_index=True), a.out)
    print(f'{a.out}: round {a.round}, {len(new)} rows of {sorted(set(new.dataset))}')


if __name__ == '__main__':
    main()
