"""Why do some seeds of llmrec-smollm2 on MovieLens-100K stop at a popularity-level validation score on the GPU (issue 4)?

VALIDATION only (test is never scored). Runs `llmrec.align.align_run` for each model x seed x setting, where a setting
changes the run's numerics (`precision`: Lightning's, e.g. bf16-mixed or 32-true; `matmul`: torch's float32 matmul
precision, 'high' allows TF32, 'highest' does not) or align hyperparameters (`hp`, e.g. whiten), and prints each run's
validation NDCG@10, epochs and best epoch; the rows go to --out as CSV. The vectors are those of --root (gpu_align.py
encode's layout); `--accelerator cpu` runs on this CPU. First it writes each encoder's mean cosine between two different
items' text vectors (how nearly parallel they are) to <out>-cosines.csv; `--cosines-only` stops there.

The twenty-fifth session's run (one H200, device tool, carry [data/ml-100k .gpu/ml100k], the vectors of scripts/gpu_tune.sh
ML; what came back: results/device-runs/ml25/precision/precision.csv), and the cosines on the 2-core CPU:

    python scripts/probe_precision.py --root .gpu/ml100k --dataset ml-100k --models llmrec llmrec-smollm2 --seeds 0 1 2 \
        --workers 15 --settings '{"bf16": {}, "fp32-tf32": {"precision": "32-true"}, "fp32": {"precision": "32-true",
        "matmul": "highest"}, "bf16-whiten": {"hp": {"whiten": true}}}' --out $OUT/precision.csv
    python scripts/probe_precision.py --root .gpu/ml100k --out results/device-runs/ml25/precision/precision.csv --cosines-only
"""
import argparse, json, os, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1])); sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault('HF_HUB_OFFLINE', '1')


def _job(job):
    import torch
    torch.set_num_threads(1)
    from gpu_align import enc_dir, load_params
    from llmrec.align import align_hparams, align_run
    from llmrec.data import load_recdata
    ds, model, seed, label, setting, root, accelerator = job
    p = load_params('paper', accelerator)
    if 'precision' in setting: p['run']['precision'] = setting['precision']
    hp = {**align_hparams(p['align'], ds), **setting.get('hp', {})}
    t = time.time()
    if 'matmul' in setting:  # fit_align sets 'high' on a GPU; a later call in the same process wins only if made after it
        import llmrec.align as la
        orig = torch.set_float32_matmul_precision
        la.torch.set_float32_matmul_precision = lambda _: orig(setting['matmul'])
    r = align_run(model, load_recdata(f'data/{ds}'), p['align'], p['run'], enc_dir(root, 'paper', ds), seed, hp, test=False)
    return {'dataset': ds, 'model': model, 'seed': seed, 'setting': label, 'val_NDCG@10': r.valid['NDCG@10'],
            'epochs': r.epochs, 'best_epoch': r.best_epoch, 'temperature': r.extras.get('temperature'), 's': time.time() - t}


def mean_cosines(root, ds) -> list[dict]:
    "Per encoder in the encode folder: the mean cosine between the text vectors of two different items."
    import torch
    from gpu_align import enc_dir
    from llmrec.align import load_encoded
    out = []
    for d in sorted(p for p in enc_dir(root, 'paper', ds).iterdir() if p.is_dir()):
        v = torch.nn.functional.normalize(load_encoded(enc_dir(root, 'paper', ds), d.name)[0].double(), dim=-1)
        n = len(v); c = v @ v.T
        out.append({'dataset': ds, 'encoder': d.name, 'items': n, 'mean_cosine': float((c.sum() - c.diagonal().sum()) / (n * (n - 1)))})
    return out


def main(argv=None):
    import multiprocessing as mp
    import pandas as pd
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--root', required=True); ap.add_argument('--dataset', default='ml-100k')
    ap.add_argument('--models', nargs='+', default=['llmrec-smollm2']); ap.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    ap.add_argument('--cosines-only', action='store_true', help='only the mean cosines between items, no runs')
    ap.add_argument('--settings', default='{}', help='JSON {label: {"precision": ..., "matmul": ..., "hp": {...}}}')
    ap.add_argument('--accelerator', default=None, choices=['cpu']); ap.add_argument('--workers', type=int, default=12)
    ap.add_argument('--out', required=True)
    a = ap.parse_args(argv)
    cos = pd.DataFrame(mean_cosines(a.root, a.dataset)); print(cos.to_string(index=False))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True); cos.to_csv(Path(a.out).with_name(Path(a.out).stem + '-cosines.csv'), index=False)
    if a.cosines_only: return
    settings = json.loads(a.settings)
    jobs = [(a.dataset, m, s, k, v, a.root, a.accelerator) for k, v in settings.items() for m in a.models for s in a.seeds]
    rows = []
    with mp.get_context('spawn').Pool(min(a.workers, len(jobs)), maxtasksperchild=1) as pool:  # one run a process: `matmul` patches torch
        for r in pool.imap_unordered(_job, jobs):
            print(json.dumps(r), flush=True); rows.append(r)
    df = pd.DataFrame(rows).sort_values(['model', 'setting', 'seed'])
    df.to_csv(a.out, index=False)
    print(df.to_string(index=False))


if __name__ == '__main__':
    main()
