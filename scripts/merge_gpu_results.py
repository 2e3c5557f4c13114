"""Merge the archives that `scripts/gpu_align.sh` calls A and C bring back into the DVC layout of the repo.

    python scripts/merge_gpu_results.py /work/.device/.../align-minilm.tgz /work/.device/.../align-smollm2.tgz

Per dataset: `results/runs/paper/<ds>/align-*.csv` -> `results/runs/paper/<ds>/align.csv` (models in the order of
`llmrec.align.ALIGN_MODELS`, then seed, then metric), the same for `results/bench-runs/paper/<ds>/align.csv`, and the
per-user parquets and JSON summaries into `models/paper/<ds>/align/`.
"""
import shutil, sys, tarfile, tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from llmrec.align import ALIGN_MODELS
from llmrec.config import write_csv
from llmrec.evaluate import METRICS

stage = Path(tempfile.mkdtemp())
for tgz in sys.argv[1:]:
    with tarfile.open(tgz) as t: t.extractall(stage, filter='data')
for kind in ('runs', 'bench-runs'):
    for d in sorted((stage / 'results' / kind / 'paper').glob('*')):
        current = Path('results') / kind / 'paper' / d.name / 'align.csv'  # earlier imports: kept unless rerun
        df = pd.concat([pd.read_csv(f) for f in [current] * current.exists() + sorted(d.glob('align-*.csv'))],
                       ignore_index=True)
        if kind == 'runs':
            df = df.drop_duplicates(['dataset', 'model', 'profile', 'seed', 'metric'], keep='last')
            df['_m'] = df.model.map({m: i for i, m in enumerate(ALIGN_MODELS)}); df['_k'] = df.metric.map({m: i for i, m in enumerate(METRICS)})
            df = df.sort_values(['_m', 'seed', '_k']).drop(columns=['_m', '_k'])
        else: df = df.drop_duplicates(['benchmark', 'metric'], keep='last').sort_values(['benchmark', 'metric'])
        write_csv(df.reset_index(drop=True), Path('results') / kind / 'paper' / d.name / 'align.csv')
        print(kind, d.name, len(df), 'rows')
for d in sorted((stage / 'models' / 'paper').glob('*/align')):
    dst = Path('models/paper') / d.parent.name / 'align'; dst.mkdir(parents=True, exist_ok=True)
    for f in d.iterdir(): shutil.copy2(f, dst / f.name)
    print('per-user', d.parent.name, len(list(d.iterdir())), 'files')
for f in sorted((stage / 'models' / 'paper').glob('*/encode/manifest.json')):
    dst = Path('results/encode-manifests/paper') / f'{f.parent.parent.name}.json'; dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(f, dst)
