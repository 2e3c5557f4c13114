"""Paper-profile baselines on one GPU: validation-only grid search, then the chosen configuration with every seed.

Runs many small trainings at once on one GPU (each baseline is far too small to fill an H200), in a pool of worker
processes, by priority: the final runs of a (dataset, model) as soon as its grid is done, then grid points, datasets in
the order given. Every run goes through `llmrec.baselines.fit_baseline` (so through the shared evaluator); the grid runs
never score the test split. Outputs (under --out): `runs.jsonl` (one line per run: kind tune|final, dataset, model,
hyperparameters, validation and, for finals, test metrics, timings), `per_user.tar.gz` (the final runs' per-user test
tables and summaries as `<dataset>/<model>-seed<seed>.parquet|json`), `log.txt`.
`scripts/import_gpu_baselines.py` turns these into the paper-profile stage outputs.

Device run (see scripts/gpu_baselines.sh for the exact command):
    PYTHONPATH=. python scripts/gpu_baselines.py --out $OUT --datasets amazon-beauty-p5 ml-100k ... --budget-s 540
What is not handled: several GPUs; resuming a half-finished grid (rerun, or pass --only to run a part).
"""
from __future__ import annotations
import argparse, itertools, json, os, sys, tarfile, time, traceback
import multiprocessing as mp
from pathlib import Path

SEEDS = (0, 1, 2)
MODEL_ORDER = ('sasrec', 'sasrec-bce', 'bpr', 'lightgcn', 'pop', 'ease')

# Shared by every dataset unless GRIDS says otherwise: per-model base hyperparameters for the paper profile.
BASE = {
    'ease': dict(l2=100.0),  # closed form (no epochs): the ridge weight is its only hyperparameter
    'bpr': dict(dim=64, lr=5e-3, l2=1e-4, batch_size=2048, max_epochs=300, patience=5, eval_every=5),
    'lightgcn': dict(dim=64, layers=3, lr=5e-3, l2=1e-4, batch_size=2048, max_epochs=300, patience=5, eval_every=5),
    'sasrec': dict(dim=64, layers=2, heads=1, max_len=50, dropout=0.5, lr=1e-3, weight_decay=0.0, batch_size=128,
                   max_epochs=200, patience=4, eval_every=5),
    'sasrec-bce': dict(dim=64, layers=2, heads=1, max_len=50, dropout=0.5, lr=1e-3, weight_decay=0.0, batch_size=128,
                       max_epochs=200, patience=4, eval_every=10, n_negatives=1),
}
# Small validation grids (key -> values); every combination is one tuning run with seed 0.
GRID = {
    'ease': {'l2': [0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0]},  # a log grid over four decades
    'bpr': {'l2': [1e-5, 1e-4, 1e-3], 'lr': [1e-3, 5e-3]},
    'lightgcn': {'layers': [2, 3], 'l2': [1e-4, 1e-3]},
    'sasrec': {'dropout': [0.2, 0.5], 'dim': [64, 128]},
    'sasrec-bce': {},  # the published configuration, not tuned: dropout 0.5 (0.2 on MovieLens), as Kang & McAuley
}
DATASET_BASE = {  # per-dataset changes of BASE (bigger batches for the biggest set)
    'ml-100k': {'sasrec-bce': dict(dropout=0.2, max_len=200)},  # the paper's MovieLens setting
    'microlens-50k': {'sasrec': dict(batch_size=256), 'sasrec-bce': dict(batch_size=256),
                      'bpr': dict(batch_size=4096), 'lightgcn': dict(batch_size=4096)},
}

_DATA = {}

def _work(job):
    "Run one job in a worker process; return its JSON-ready record."
    import torch
    torch.set_num_threads(1)
    from llmrec.baselines import fit_baseline
    from llmrec.config import write_json, write_parquet
    from llmrec.data import load_recdata
    ds = job['dataset']
    if ds not in _DATA: _DATA[ds] = load_recdata(Path(job['data_root']) / ds)
    t0 = time.time()
    try:
        r = fit_baseline(job['model'], _DATA[ds], job['hparams'], job['seed'], job['accelerator'],
                         eval_batch_size=2048, test=job['kind'] == 'final')
    except Exception:
        return {**job, 'error': traceback.format_exc(), 'wall_s': time.time() - t0}
    if job['kind'] == 'final':
        stage = Path(job['stage']) / ds
        write_parquet(r.per_user, stage / f"{job['model']}-seed{job['seed']}.parquet")
        write_json(r.summary(), stage / f"{job['model']}-seed{job['seed']}.json")
    return {**job, 'valid': r.valid, 'test': r.test, 'best_epoch': r.best_epoch, 'epochs': r.epochs,
            'train_s': r.train_s, 's_per_epoch': r.s_per_epoch, 'device': r.device, 'wall_s': time.time() - t0}

DATASET_GRID = {  # extra grid keys: MovieLens users have ~100 items, so a longer window may pay
    'ml-100k': {'sasrec': {'max_len': [50, 200]}},
}

POINTS = {}  # (dataset, model) -> explicit points (overrides of the base), set by --points-json

def grid_points(ds, model, max_epochs=0):
    "Every hyperparameter combination to try for (dataset, model) (or the explicit POINTS given for it)."
    base = {**BASE[model], **DATASET_BASE.get(ds, {}).get(model, {})}
    if max_epochs and 'max_epochs' in base: base['max_epochs'] = min(base['max_epochs'], max_epochs)
    if (ds, model) in POINTS: return [{**base, **pt} for pt in POINTS[ds, model]]
    grid = {**GRID[model], **DATASET_GRID.get(ds, {}).get(model, {})}
    return [{**base, **dict(zip(grid, values))} for values in itertools.product(*grid.values())]

def main(argv=None):
    global SEEDS
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', required=True); p.add_argument('--data-root', default='data')
    p.add_argument('--datasets', nargs='+', required=True, help='in priority order')
    p.add_argument('--models', nargs='+', default=list(MODEL_ORDER[:4]))
    p.add_argument('--max-epochs', type=int, default=0, help='> 0: cap every run (smoke tests)')
    p.add_argument('--max-points', type=int, default=0, help='> 0: at most this many grid points per model (smoke tests)')
    p.add_argument('--workers', type=int, default=12); p.add_argument('--accelerator', default='gpu')
    p.add_argument('--budget-s', type=float, default=540, help='stop everything after this many seconds')
    p.add_argument('--tune-stop', type=float, default=0.45, help='no new grid run after this share of the budget')
    p.add_argument('--final-stop', type=float, default=0.8, help='no new final run after this share of the budget')
    p.add_argument('--stage', default='/tmp/gpu_baselines_stage')
    p.add_argument('--final-only', default=None, help='JSON {model: hparams overrides of BASE}: no grid, finals only')
    p.add_argument('--no-pop', action='store_true')
    p.add_argument('--seeds', type=int, nargs='+', default=list(SEEDS), help='seeds of the final runs (a missing one)')
    p.add_argument('--skip', nargs='*', default=[], help='dataset:model pairs not to run (finals already imported)')
    p.add_argument('--untuned', nargs='*', default=[], help='datasets run with the base configuration only (no grid)')
    p.add_argument('--grid-json', default=None, help='JSON {dataset: {model: {key: values}}}: only these grids run '
                   '(a second, wider grid where the first one chose an edge value; include the first choice to compare)')
    p.add_argument('--cap', nargs='*', default=[], help='dataset=max_epochs: cap that dataset\'s runs (device time)')
    p.add_argument('--points-json', default=None, help='JSON {dataset: {model: [overrides of the base, ...]}}: exactly these '
                   'points instead of a grid (a second round around a chosen point)')
    a = p.parse_args(argv)
    SEEDS = tuple(a.seeds)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    t_start = time.time()
    log = open(out / 'log.txt', 'a', buffering=1)
    say = lambda msg: (print(f'[{time.time() - t_start:6.1f}s] {msg}', file=log), print(f'[{time.time() - t_start:6.1f}s] {msg}', flush=True))
    runs = open(out / 'runs.jsonl', 'a', buffering=1)

    common = dict(data_root=a.data_root, accelerator=a.accelerator, stage=a.stage)
    finals = [dict(common, kind='final', dataset=ds, model='pop', seed=s, hparams={}, point=0) for ds in a.datasets for s in SEEDS]
    caps = {c.split('=')[0]: int(c.split('=')[1]) for c in a.cap}
    if a.grid_json:
        wide = json.loads(a.grid_json)
        for ds, models in wide.items():
            for m, g in models.items(): DATASET_GRID.setdefault(ds, {})[m] = g; GRID[m] = {}
        a.skip = a.skip + [f'{ds}:{m}' for ds in a.datasets for m in a.models if m not in wide.get(ds, {})]
    if a.points_json:  # explicit points: only the (dataset, model) pairs named run
        POINTS.update({(ds, m): pts for ds, models in json.loads(a.points_json).items() for m, pts in models.items()})
        a.skip = a.skip + [f'{ds}:{m}' for ds in a.datasets for m in a.models if (ds, m) not in POINTS]
    pending_tune = {(ds, m): [dict(common, kind='tune', dataset=ds, model=m, seed=0, hparams=h, point=i)
                              for i, h in enumerate(grid_points(ds, m, caps.get(ds, a.max_epochs)))
                              ][:1 if ds in a.untuned else (a.max_points or None)]
                    for ds in a.datasets for m in a.models if f'{ds}:{m}' not in a.skip}
    if a.no_pop: finals = []
    if a.final_only:
        fixed = json.loads(a.final_only)
        pending_tune = {(ds, m): [dict(common, kind='tune', dataset=ds, model=m, seed=0, point=-1,
                                       hparams={**BASE[m], **DATASET_BASE.get(ds, {}).get(m, {}), **fixed[m]})]
                        for ds in a.datasets for m in fixed}
    for key, jobs in pending_tune.items():  # a one-point grid needs no tuning run: straight to the finals
        if len(jobs) == 1: pending_tune[key] = []; finals.extend(dict(j, kind='final', seed=s) for j in jobs for s in SEEDS)
    tune_left = {k: len(v) for k, v in pending_tune.items()}
    tune_results = {k: [] for k in pending_tune}
    order = {ds: i for i, ds in enumerate(a.datasets)}
    ctx = mp.get_context('spawn')
    pool = ctx.Pool(a.workers, maxtasksperchild=None)
    inflight = {}
    def choose(key):
        "Best grid point by validation NDCG@10; queue the final runs with it."
        res = [r for r in tune_results[key] if 'error' not in r]
        if not res: say(f'{key}: no successful grid run, no final'); return
        best = max(res, key=lambda r: (r['valid'].get('NDCG@10', -1), -r['point']))
        say(f"{key}: chose point {best['point']} {best['hparams']} val NDCG@10 {best['valid']['NDCG@10']:.4f} "
            f"(of {len(res)} points)")
        finals.extend(dict(common, kind='final', dataset=key[0], model=key[1], seed=s, hparams=best['hparams'],
                           point=best['point']) for s in SEEDS)
    def next_job(now):
        "The most urgent job: earlier datasets first; within a dataset finals before grid runs."
        cands = []
        if now < a.final_stop * a.budget_s: cands += [(j, finals) for j in finals]
        if now < a.tune_stop * a.budget_s: cands += [(q[0], q) for q in pending_tune.values() if q]
        if not cands: return None
        rank = lambda j: (order[j['dataset']], j['kind'] != 'final', MODEL_ORDER.index(j['model']), j['seed'], j['point'])
        job, queue = min(cands, key=lambda c: rank(c[0]))
        queue.remove(job)
        return job
    while True:
        now = time.time() - t_start
        if now > a.budget_s: say('budget spent: stopping'); break
        if now >= a.tune_stop * a.budget_s:  # grids cut short: choose among what finished
            for key in pending_tune:
                if pending_tune[key]:
                    tune_left[key] -= len(pending_tune[key]); pending_tune[key] = []
                    if tune_left[key] == 0 and tune_results[key]: choose(key)
        while len(inflight) < a.workers:
            job = next_job(now)
            if job is None: break
            inflight[id(job)] = (job, pool.apply_async(_work, (job,)))
        if not inflight: say('all done'); break
        time.sleep(0.5)
        for k, (job, res) in list(inflight.items()):
            if not res.ready(): continue
            del inflight[k]
            rec = res.get()
            runs.write(json.dumps(rec, default=str) + '\n')
            tag = f"{rec['kind']} {rec['dataset']} {rec['model']} p{rec.get('point')} s{rec['seed']}"
            if 'error' in rec: say(f"{tag}: ERROR {rec['error'].splitlines()[-1]}"); print(rec['error'], file=log)
            else: say(f"{tag}: val NDCG@10 {rec['valid'].get('NDCG@10', 0):.4f}"
                      + (f" test HR@10 {rec['test']['HR@10']:.4f} NDCG@10 {rec['test']['NDCG@10']:.4f}" if rec['test'] else '')
                      + f" epochs {rec['epochs']} best {rec['best_epoch']} {rec['s_per_epoch']:.2f} s/epoch {rec['wall_s']:.0f} s")
            if rec['kind'] == 'final' and 'error' not in rec: pack(a.stage, out)
            if rec['kind'] == 'tune':
                key = (rec['dataset'], rec['model'])
                tune_results[key].append(rec); tune_left[key] -= 1
                if tune_left[key] == 0: choose(key)
    pool.terminate()
    pack(a.stage, out)
    say(f'wrote {out}')

def pack(stage, out):
    "(Re)write out/per_user.tar.gz from the stage folder, atomically, so a killed run still returns what finished."
    tmp = Path(out) / '.per_user.tar.gz.tmp'
    with tarfile.open(tmp, 'w:gz') as tar:
        if Path(stage).exists(): tar.add(stage, arcname='per_user')
    os.replace(tmp, Path(out) / 'per_user.tar.gz')

if __name__ == '__main__':
    main()
