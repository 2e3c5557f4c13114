"""Merge the archives that `scripts/gpu_align.sh` calls A and C bring back into the DVC layout of the repo.

    python scripts/merge_gpu_results.py /work/.device/.../align-minilm.tgz /work/.device/.../align-smollm2.tgz

Per dataset: `results/runs/paper/<ds>/align-*.csv` -> `results/runs/paper/<ds>/align.csv` (models in the order of
`llmrec.align.ALIGN_MODELS`, then seed, then metric), the same for `results/bench-runs/paper/<ds>/align.csv`, and the
per-user parquets and JSON summaries into `models/paper/<ds>/align/`; the encode manifests the archives hold go to
`results/encode-manifests/paper/<ds>.json`, one per dataset with every encoder that read the same texts.
"""
import json, shutil, sys, tarfile, tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from llmrec.align import ALIGN_MODELS
from llmrec.config import write_csv, write_json
from llmrec.encode import TEXT_KEYS
from llmrec.evaluate import METRICS

TEXT = ('template_version', *TEXT_KEYS)  # what the texts were made from


def merge_manifest(old:dict|None, new:dict) -> dict:
    "`new` with the encoders of `old` it lacks, where both read the same texts (one archive per encoder otherwise overwrites)."
    if not old or any(old.get(k) != new.get(k) for k in TEXT): return new
    return {**new, 'encoders': {**old['encoders'], **new['encoders']}}


stage, manifests = Path(tempfile.mkdtemp()), {}
for tgz in sys.argv[1:]:
    with tarfile.open(tgz) as t: t.extractall(stage, filter='data')
    for f in sorted((stage / 'models' / 'paper').glob('*/encode/manifest.json')):  # each archive's, before the next one's
        ds = f.parent.parent.name
        manifests[ds] = merge_manifest(manifests.get(ds), json.loads(f.read_text())); f.unlink()
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
for ds, m in manifests.items():  # the committed record keeps the encoders these runs did not redo, if the texts agree
    dst = Path('results/encode-manifests/paper') / f'{ds}.json'
    write_json(merge_manifest(json.loads(dst.read_text()) if dst.exists() else None, m), dst)
