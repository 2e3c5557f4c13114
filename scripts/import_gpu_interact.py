"""Import the paper-profile interaction runs of scripts/gpu_interact.sh (fetched from the device tool) as stage outputs.

Per dataset <ds> of the fetched folder: interact-<ds>.csv -> results/interact-runs/paper/<ds>/interact.csv,
bench-interact-<ds>.csv -> results/bench-runs/paper/<ds>/interact.csv, tuning-<ds>.csv + chosen-<ds>.json ->
results/interact-tuning/paper/<ds>.csv / .json (the validation tables, committed for transparency). The seed-0 align rows
(align-<ds>.csv) are compared with results/runs/paper/<ds>/align.csv (the served model should be the run whose test
metrics the paper reports) and kept as results/interact-tuning/paper/<ds>-served.csv: the paper checks them against its
table, and says so where the interaction ran with another served model.
"""
import argparse, json, shutil, sys
from pathlib import Path
import pandas as pd

def main():
    p = argparse.ArgumentParser(); p.add_argument('--src', required=True, nargs='+'); p.add_argument('--root', default='.')
    a = p.parse_args(); root = Path(a.root)
    for src in map(Path, a.src):
        for f in sorted(src.glob('interact-*.csv')):
            ds = f.stem[len('interact-'):]
            (root / 'results/interact-runs/paper' / ds).mkdir(parents=True, exist_ok=True)
            shutil.copy(f, root / 'results/interact-runs/paper' / ds / 'interact.csv')
            (root / 'results/bench-runs/paper' / ds).mkdir(parents=True, exist_ok=True)
            shutil.copy(src / f'bench-interact-{ds}.csv', root / 'results/bench-runs/paper' / ds / 'interact.csv')
            (root / 'results/interact-tuning/paper').mkdir(parents=True, exist_ok=True)
            shutil.copy(src / f'tuning-{ds}.csv', root / 'results/interact-tuning/paper' / f'{ds}.csv')
            shutil.copy(src / f'chosen-{ds}.json', root / 'results/interact-tuning/paper' / f'{ds}.json')
            a0 = src / f'align-{ds}.csv'
            if a0.exists():
                new = pd.read_csv(a0).query("model == 'llmrec' and seed == 0").set_index('metric')['value']
                old = pd.read_csv(root / 'results/runs/paper' / ds / 'align.csv').query("model == 'llmrec' and seed == 0").set_index('metric')['value']
                diff = (new - old.reindex(new.index)).abs().max()
                print(f'{ds}: served seed-0 model vs recorded paper align seed 0: max |diff| {diff:.2e}', file=sys.stderr)
                shutil.copy(a0, root / 'results/interact-tuning/paper' / f'{ds}-served.csv')
            print(f'imported {ds} from {src}', file=sys.stderr)

if __name__ == '__main__': main()
