"""Turn the output of `scripts/gpu_baselines.py` (runs.jsonl + per_user.tar.gz) into the paper-profile stage outputs.

    python scripts/import_gpu_baselines.py --src <folder with runs.jsonl> [...] [--profile paper] [--grid-report FILE]

writes, per dataset that has final runs, exactly what `llmrec baselines` writes for the paper profile:
`results/runs/<profile>/<dataset>/baselines.csv`, `results/bench-runs/<profile>/<dataset>/baselines.csv` and
`models/<profile>/<dataset>/baselines/<model>-seed<seed>.{parquet,json}` (through `write_baseline_outputs`), and prints
the validation grid of every (dataset, model) with the chosen point marked (what params.yaml's comments record).
"""
import argparse, json, sys, tarfile, tempfile
from pathlib import Path

import pandas as pd

from llmrec.baselines import BaselineRun, write_baseline_outputs
from llmrec.config import write_csv


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--src', required=True, nargs='+', help='one folder, or several whose runs.jsonl are read together'); p.add_argument('--profile', default='paper')
    p.add_argument('--device-note', default='', help='appended to the device name in bench rows, e.g. "/12-concurrent"')
    p.add_argument('--grid-report', default=None, help='also write the grid table (markdown) to this file')
    p.add_argument('--grid-csv', default=None, help='also write the grid table as CSV to this file')
    p.add_argument('--round', type=int, default=None, help="the tuning round of this grid (column `round`): the grid CSV "
                   "keeps other rounds' rows of the same (dataset, model); without it they are replaced")
    a = p.parse_args(argv)
    srcs = [Path(x) for x in a.src]
    recs = [json.loads(l) for src in srcs for l in (src / 'runs.jsonl').read_text().splitlines() if l.strip()]
    recs = [r for r in recs if 'error' not in r]
    with tempfile.TemporaryDirectory() as tmp:
        for src in srcs:  # a folder with grid runs only may have no per-user archive
            if (src / 'per_user.tar.gz').exists():
                with tarfile.open(src / 'per_user.tar.gz') as tar: tar.extractall(tmp, filter='data')
        root = Path(tmp) / 'per_user'
        for ds in dict.fromkeys(r['dataset'] for r in recs if r['kind'] == 'final'):
            runs = []
            for r in recs:
                if r['kind'] != 'final' or r['dataset'] != ds: continue
                f = root / ds / f"{r['model']}-seed{r['seed']}.parquet"
                if not f.exists(): print(f'missing {f}', file=sys.stderr); continue
                runs.append(BaselineRun(r['model'], r['seed'], pd.read_parquet(f), r['test'], r['valid'], r.get('best_epoch', 0),
                                        r['epochs'], r['train_s'], r['s_per_epoch'], r['hparams'], r['device'] + a.device_note))
            runs.sort(key=lambda r: (r.model, r.seed))
            out_csv = Path('results/runs') / a.profile / ds / 'baselines.csv'
            bench_csv = Path('results/bench-runs') / a.profile / ds / 'baselines.csv'
            old = [pd.read_csv(f) if f.exists() else None for f in (out_csv, bench_csv)]
            write_baseline_outputs(runs, ds, a.profile, out_csv, Path('models') / a.profile / ds / 'baselines', bench_csv)
            new_models = {r.model for r in runs}
            new_pairs = {(r.model, r.seed) for r in runs}
            if old[0] is not None:  # keep earlier imports' rows of (model, seed) pairs this import did not run
                keep = old[0][[(m, s) not in new_pairs for m, s in zip(old[0].model, old[0].seed)]]
                merged = pd.concat([keep, pd.read_csv(out_csv)]).sort_values(['model', 'seed', 'metric'], kind='stable')
                write_csv(merged, out_csv)
            if old[1] is not None:  # timing rows are per model: a model rerun for some seeds only keeps its old rows
                partial = {m for m in new_models if old[0] is not None and
                           set(old[0][old[0].model == m].seed) - {s for mm, s in new_pairs if mm == m}}
                ran = old[1].benchmark.str.extract(r'^train-(.+)-' + ds + '$')[0]
                fresh = pd.read_csv(bench_csv)
                fresh_model = fresh.benchmark.str.extract(r'^train-(.+)-' + ds + '$')[0]
                merged = pd.concat([old[1][~ran.isin(new_models - partial)], fresh[~fresh_model.isin(partial)]])
                write_csv(merged, bench_csv)
            print(f'{ds}: {len(runs)} runs -> results/runs/{a.profile}/{ds}/baselines.csv')
    tune = pd.DataFrame([{'dataset': r['dataset'], 'model': r['model'], 'point': r['point'], **r['hparams'],
                          'val_HR@10': r['valid']['HR@10'], 'val_NDCG@10': r['valid']['NDCG@10'], 'best_epoch': r['best_epoch'],
                          'epochs': r['epochs']} for r in recs if r['kind'] == 'tune'])
    # the chosen point is the grid point whose hyperparameters the final runs used (finals run apart, with
    # --final-only, carry no grid point number); a grid whose finals are not in this import marks its highest
    final_hp = {(r['dataset'], r['model']): r['hparams'] for r in recs if r['kind'] == 'final'}
    if len(tune):
        tune_hp = [r['hparams'] for r in recs if r['kind'] == 'tune']
        tune['chosen'] = [final_hp.get((d, m)) == hp for d, m, hp in zip(tune.dataset, tune.model, tune_hp)]
        best = tune.groupby(['dataset', 'model'])['val_NDCG@10'].transform('max') == tune['val_NDCG@10']
        no_final = pd.Series([(d, m) not in final_hp for d, m in zip(tune.dataset, tune.model)], index=tune.index)
        tune['chosen'] = tune.chosen | (best & no_final)
        if a.round is not None: tune.insert(2, 'round', a.round)
        report = tune.sort_values(['dataset', 'model', 'val_NDCG@10'], ascending=[True, True, False]).to_markdown(index=False)
        print(report)
        if a.grid_report: Path(a.grid_report).write_text(report + '\n')
        if a.grid_csv:  # rows of (dataset, model) pairs this import did not tune are kept
            out = tune.sort_values(['dataset', 'model', 'point'], kind='stable')  # a later round's rows follow earlier ones
            if Path(a.grid_csv).exists():
                old = pd.read_csv(a.grid_csv)
                if a.round is not None and 'round' in old:  # one (dataset, model, round) is one grid
                    pairs = set(zip(tune.dataset, tune.model, tune['round']))
                    keep = [(d, m, r) not in pairs for d, m, r in zip(old.dataset, old.model, old['round'])]
                else:
                    pairs = set(zip(tune.dataset, tune.model))
                    keep = [(d, m) not in pairs for d, m in zip(old.dataset, old.model)]
                out = pd.concat([old[keep], out], ignore_index=True)
            write_csv(out, a.grid_csv)

if __name__ == '__main__':
    main()
