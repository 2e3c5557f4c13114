"""The validation side of reason runs, side by side (issue 5): per run folder of `gpu_generate.py redecode` (or a device
call's own tables) and seed, the greedy row and the chosen decoding's row of its validation table (ROUGE-L, FMR, grounding,
the choice's objective sqrt(ROUGE-L x FMR)), the highest ROUGE-L any setting of grounding >= 0.9 reaches, and the
training's best validation loss (timing-seed<S>-<model>.json). Test records are not read.

    python scripts/compare_reason_tables.py --model llmrec --runs before=results/device-runs/reasons-pools/redecoded/K5 \
        evidence=results/device-runs/reasons-evidence/redecoded/V5 evidence=results/device-runs/reasons-evidence/redecoded/V6 \
        --out results/reason-tuning/evidence-validation-paper.csv
"""
import argparse, json, sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from llmrec.config import write_csv


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--runs', nargs='+', required=True, help='label=folder ...'); p.add_argument('--model', default='llmrec')
    p.add_argument('--min-grounding', type=float, default=0.9); p.add_argument('--out', required=True)
    a = p.parse_args(argv)
    rows = []
    for spec in a.runs:
        label, folder = spec.split('=', 1)
        for f in sorted(Path(folder).glob(f'tuning-seed*-{a.model}.csv.gz')):
            seed = int(f.name.removeprefix('tuning-seed').split('-', 1)[0])
            t = pd.read_csv(f)
            c, g = t[t.chosen].iloc[0], t[(t.decoding == 'greedy') & ~t.ground].iloc[0]
            timing = json.loads((Path(folder) / f'timing-seed{seed}-{a.model}.json').read_text())[a.model]
            rows.append({'run': label, 'folder': folder, 'model': a.model, 'seed': seed, 'best_val_loss': timing['best_val_loss'],
                         'greedy_ROUGE-L': g['ROUGE-L'], 'greedy_FMR': g.FMR, 'chosen_ROUGE-L': c['ROUGE-L'], 'chosen_FMR': c.FMR,
                         'chosen_grounding': c.grounding_precision, 'chosen_objective': float(np.sqrt(c['ROUGE-L'] * c.FMR)),
                         'max_ROUGE-L_grounded': t[t.grounding_precision >= a.min_grounding]['ROUGE-L'].max()})
    if not rows: raise SystemExit(f'no tuning-seed*-{a.model}.csv.gz in {a.runs}')
    out = pd.DataFrame(rows)
    write_csv(out, a.out)
    print(out.drop(columns='folder').round(4).to_string(index=False))
    print(out.groupby('run', sort=False).mean(numeric_only=True).drop(columns='seed').round(4).to_string())


if __name__ == '__main__':
    main()
