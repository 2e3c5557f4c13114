"""Paper-profile runs of issue 4 on the device machine: encode (MiniLM, SmolLM2), encode benchmarks, alignment runs.

Uses only llmrec's exported functions (`encode`, `bench_encode`, `align_run`, `save_run`, `bench_rows`) with the
params of `params.yaml`, profile `paper`. Alignment runs go to a pool of worker processes on the one GPU (the model is small: one run leaves the GPU
mostly idle). Outputs mirror the DVC layout under --root; `scripts/gpu_align.sh` holds the exact commands.

    python scripts/gpu_align.py peak --out OUT
    python scripts/gpu_align.py encode --datasets ml-100k ... --encoders minilm --bench microlens-50k --out OUT
    python scripts/gpu_align.py train --datasets ... --models llmrec ... [--grid JSON] --workers 12 --tag minilm --out OUT

A validation round on the text the encoder reads (the `encode` params item_max_tokens, description_chars,
user_max_tokens, profile_items): `encode --variant NAME --set JSON` writes vectors made with those params changed to
models/paper/<ds>/encode-NAME, and a grid point {"encode": "NAME"} trains on them (the point's other keys are align
hyperparameters). The tuning table records each run's encode params from the manifest of the vectors it read.

`--accelerator cpu` runs the same on this CPU (fp32), e.g. a grid on IBM articles (about 4 min a run on 2 cores), after `encode`
with the same flag and `--root` (its vectors go under ROOT/models/paper/<ds>/encode, where `train --root ROOT` reads them).
"""
import argparse, json, os, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('HF_DATASETS_OFFLINE', '1')
COST = {'microlens-50k': 0, 'amazon-scientific': 1, 'ml-100k': 2, 'ibm-articles': 3}  # biggest first
from llmrec.encode import TEXT_KEYS as ENC_KEYS  # what an encode variant may change: a dataset's own text settings


def enc_dir(root, profile, ds, variant=None) -> Path:
    "The vectors a run reads: the stage's encode folder, or an encode variant's (`encode --variant NAME`)."
    return Path(root) / (f'models/{profile}/{ds}/encode' + (f'-{variant}' if variant else ''))


def load_params(profile='paper', accelerator=None):
    "params.yaml for `profile` (the one copy of the paper settings); `accelerator` 'cpu' runs the profile on this CPU."
    from llmrec import config
    p = config.load_params('params.yaml', profile)
    if accelerator == 'cpu': p['run'].update(accelerator='cpu', precision='32-true', num_workers=0)
    return p


def cmd_peak(a):
    import torch
    from llmrec.encode import matmul_peak_tflops
    peak = matmul_peak_tflops()
    out = {'device': torch.cuda.get_device_name(0), 'bf16_matmul_tflops': peak, 'torch': torch.__version__}
    print(json.dumps(out)); Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / 'peak.json').write_text(json.dumps(out, indent=1))


def cmd_encode(a):
    import pandas as pd
    from llmrec.encode import bench_encode, encode, matmul_peak_tflops
    p = load_params(a.profile, a.accelerator)
    p['encode']['encoders'] = a.encoders
    changed = json.loads(a.set) if a.set else {}
    if set(changed) - set(ENC_KEYS): raise SystemExit(f'--set: only {ENC_KEYS} may change, got {sorted(changed)}')
    if changed and not a.variant: raise SystemExit('--set needs --variant (the stage folder keeps the params.yaml vectors)')
    root, out = Path(a.root), Path(a.out)
    cache = Path(a.cache) if a.cache else root / 'models/encoders'
    for ds in a.datasets:
        t = time.time()
        # a variant's settings win over the section's and over the dataset's own (params.yaml encode.<profile>.<ds>)
        pe = {**p['encode'], **changed, ds: {**(p['encode'].get(ds) or {}), **changed}}
        m = encode(f'data/{ds}', enc_dir(root, a.profile, ds, a.variant), {**p, 'encode': pe}, cache_dir=cache, progress=False)
        print(ds, a.variant or '', {k: m[k] for k in ENC_KEYS},
              {k: (v['seconds'], v['cache_hits']) for k, v in m['encoders'].items()}, f'{time.time() - t:.1f} s', flush=True)
    if a.bench:
        peak = matmul_peak_tflops() if p['run']['accelerator'] in ('gpu', 'cuda') else None
        p['encode']['bench_texts'] = a.bench_texts
        frames = []
        for spec in a.encoders:
            for kind in ('items', 'users'):
                frames.append(bench_encode(f'data/{a.bench}', root / f'bench-{spec}-{kind}.csv', p, spec, kind,
                                           cache_dir=root / 'models/encoders', peak_tflops=peak))
        df = pd.concat(frames, ignore_index=True)
        print(df.to_string()); out.mkdir(parents=True, exist_ok=True)
        df.to_csv(out / f'bench-encode-{"-".join(a.encoders)}.csv', index=False)


def _job(job):
    import torch
    torch.set_num_threads(1)  # many workers share the machine's cores
    from llmrec.align import align_run, save_run
    from llmrec.data import load_recdata
    ds, name, seed, hp, test, root, profile, accelerator = job
    p = load_params(profile, accelerator)
    data = load_recdata(f'data/{ds}')
    hp = dict(hp); variant = hp.pop('encode', None)  # a grid point's encode variant (validation rounds only)
    if variant and test: raise SystemExit(f'{ds}: final runs read the stage vectors; an encode variant is for validation')
    vectors = enc_dir(root, profile, ds, variant)
    t = time.time()
    r = align_run(name, data, p['align'], p['run'], vectors, seed, hp, test)
    rows = save_run(r, ds, profile, Path(root) / f'models/{profile}/{ds}/align') if test else None
    r.per_user = None  # the parquet is on disk; keep what travels back small
    if not test:  # the tuning table records the text each run read
        man = json.loads((vectors / 'manifest.json').read_text())
        r.hparams['encode'] = variant or ''; r.extras.update({k: man.get(k) for k in ENC_KEYS})
    return ds, r, rows, time.time() - t


def _pool(jobs, workers, show=()):
    import multiprocessing as mp
    results = []
    with mp.get_context('spawn').Pool(min(workers, len(jobs))) as pool:
        for ds, r, rows, secs in pool.imap_unordered(_job, jobs):
            print(f'{ds} {r.model} seed {r.seed}: valid {r.valid.get("NDCG@10", float("nan")):.4f} '
                  f'test {r.test.get("NDCG@10", float("nan")):.4f} epochs {r.epochs} best {r.best_epoch} {secs:.0f} s'
                  + (f' {json.dumps({k: r.hparams.get(k) for k in show})}' if show else ''), flush=True)
            results.append((ds, r, rows))
    return results


def cmd_train(a):
    import pandas as pd
    from llmrec.align import align_hparams, bench_rows
    from llmrec.config import write_csv, write_json
    p, prof = load_params(a.profile, a.accelerator), a.profile
    root, out = Path(a.root), Path(a.out); out.mkdir(parents=True, exist_ok=True)
    datasets = sorted(a.datasets, key=lambda d: COST.get(d, 9))
    hp = {ds: align_hparams(p['align'], ds) for ds in datasets}
    for f in a.hparams or []:  # hyperparameters chosen on validation by earlier calls (one file per call; later ones win)
        hp.update({ds: v for ds, v in json.loads(Path(f).read_text()).items() if ds in hp})
    grid = json.loads(a.grid) if a.grid else {}
    grid = {ds: grid.get(ds, grid.get('*', [])) for ds in datasets}
    for ds in datasets:  # one point and finals: nothing to choose, so the finals run at it (it was silently dropped)
        if len(grid[ds]) == 1 and not a.no_final: hp[ds] = {**hp[ds], **grid[ds][0]}
    tuned_ds = [ds for ds in datasets if len(grid[ds]) > 1 or (grid[ds] and a.no_final)]  # --no-final: one point too
    if not a.no_final and any(pt.get('encode') for ds in datasets for pt in grid[ds]):
        raise SystemExit('a grid with encode variants is validation only: run it with --no-final')
    seeds = p['run']['seeds']
    final = lambda dss: [(ds, m, s, hp[ds], True, str(root), prof, a.accelerator) for ds in dss for m in a.models for s in seeds]
    # wave 1: the validation grid (seed 0, full model, test never scored) and the final runs of untuned datasets
    jobs = [(ds, 'llmrec', 0, {**hp[ds], **pt}, False, str(root), prof, a.accelerator) for ds in tuned_ds for pt in grid[ds]]
    keys = sorted({k for ds in tuned_ds for pt in grid[ds] for k in pt})  # the grid's axes, printed with each run
    untuned = [] if a.no_final else [ds for ds in datasets if ds not in tuned_ds]  # --no-final: test is never scored
    wave1 = _pool(jobs + final(untuned), a.workers, keys) if jobs or untuned else []
    tuned = [(ds, r, rows) for ds, r, rows in wave1 if rows is None]
    done = [(ds, r, rows) for ds, r, rows in wave1 if rows is not None]
    if tuned:
        # a grid axis the run also reports a fitted value of (the learned temperature) is written as init_<key>
        table = pd.DataFrame([{'dataset': ds, **{('init_' * (k in r.extras)) + k: r.hparams.get(k) for k in keys}, 'val_HR@10': r.valid['HR@10'],
                               'val_NDCG@10': r.valid['NDCG@10'], 'best_epoch': r.best_epoch, 'epochs': r.epochs,
                               's_per_epoch': r.s_per_epoch, **r.extras} for ds, r, _ in tuned])
        table = table.sort_values(['dataset', 'val_NDCG@10'], ascending=[True, False])
        table.to_csv(out / f'tuning-{a.tag}.csv', index=False); print(table.to_string(), flush=True)
        before = {ds: dict(hp[ds]) for ds in tuned_ds}
        for ds in tuned_ds: hp[ds] = max((r for d, r, _ in tuned if d == ds), key=lambda r: r.valid['NDCG@10']).hparams
        for ds in tuned_ds:  # a chosen encode variant is not an align hyperparameter: say so, and keep the align part
            if hp[ds].pop('encode', ''): print(f'{ds}: an encode variant won; set its params and encode again before finals')
        if a.skip_unchanged:  # the grid kept the settings the committed finals already used: nothing new to test
            kept = [ds for ds in tuned_ds if hp[ds] == before[ds]]
            if kept: print(f'unchanged, no finals: {kept}', flush=True)
            tuned_ds = [ds for ds in tuned_ds if ds not in kept]
    write_json(hp, out / f'hparams-{a.tag}.json'); write_json(hp, root / f'hparams-{a.tag}.json')
    if tuned_ds and not a.no_final: done += _pool(final(tuned_ds), a.workers)  # wave 2: the chosen point, every model and seed
    order = {m: i for i, m in enumerate(a.models)}
    for ds in datasets:
        got = sorted([(r, rows) for d, r, rows in done if d == ds], key=lambda x: (order[x[0].model], x[0].seed))
        if not got: continue  # --no-final: a grid alone
        write_csv(pd.concat([rows for _, rows in got], ignore_index=True), root / f'results/runs/{prof}/{ds}/align-{a.tag}.csv')
        write_csv(bench_rows([r for r, _ in got], ds, prof), root / f'results/bench-runs/{prof}/{ds}/align-{a.tag}.csv')


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    for name in ('peak', 'encode', 'train'):
        s = sub.add_parser(name); s.add_argument('--out', default=os.environ.get('OUT', '/tmp/out'))
        s.add_argument('--root', default='.'); s.add_argument('--profile', default='paper')
        s.add_argument('--accelerator', default=None, choices=['cpu'], help="'cpu': the profile's runs on this CPU (fp32)")
        if name != 'peak': s.add_argument('--datasets', nargs='+', default=list(COST))
    s = sub.choices['encode']; s.add_argument('--encoders', nargs='+', default=['minilm'])
    s.add_argument('--variant', default=None, help='write to models/<profile>/<ds>/encode-VARIANT (with --set)')
    s.add_argument('--set', default=None, help=f'JSON: encode params changed for this variant, among {ENC_KEYS}')
    s.add_argument('--cache', default=None, help='vector cache folder (default ROOT/models/encoders); variants may share one')
    s.add_argument('--bench', default=None); s.add_argument('--bench-texts', type=int, default=50000)
    s = sub.choices['train']; s.add_argument('--models', nargs='+', required=True); s.add_argument('--grid', default=None)
    s.add_argument('--workers', type=int, default=12); s.add_argument('--tag', default='run')
    s.add_argument('--hparams', nargs='+', default=None, help='JSON files {dataset: hyperparameters} (hparams-<tag>.json)')
    s.add_argument('--no-final', action='store_true', help='the validation grid only: no test-scored final runs')
    s.add_argument('--skip-unchanged', action='store_true', help='no final runs where the grid chose the base settings')
    a = ap.parse_args()
    {'peak': cmd_peak, 'encode': cmd_encode, 'train': cmd_train}[a.cmd](a)


if __name__ == '__main__':
    main()
