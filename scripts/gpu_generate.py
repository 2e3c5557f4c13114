"""Paper-profile runs of issue 5 on one H200, and their import here. Device side (scripts/gpu_generate.sh):

    python scripts/gpu_generate.py reasons --seed S --align DIR --out OUT   # learned reason models of one seed: texts + timings
Here, afterwards (needs sacrebleu / rouge-score, which the device image lacks):

    python scripts/gpu_generate.py import --src DIR [DIR ...]  # scores the texts, adds retrieval/template, writes results

The learned models' reasons are scored here with the same `reason_metrics` as the stage; retrieval and template do
not learn and are recomputed here. Files written by `import`:
results/reasons-runs/paper/amazon-musical-instruments/reasons.csv, models/paper/amazon-musical-instruments/generate/reasons.csv,
results/bench-runs/paper/amazon-musical-instruments/generate.csv, results/genret-runs/paper/ml-100k/genret.csv (+ bench rows),
results/reason-examples/paper.csv (the texts of the paper's three examples), results/reason-decoding/paper.csv (the
validation tables of the decoding choices, seventh session on).

Seventh session: every learned model's decoding is chosen on validation (30_generate `decode_tuned`); llmrec, peter and
llmrec-scratch were rerun with it, seeds 0-2, on one H200 (gpu_generate.sh E1-E5, see there); each run also returns its
greedy reasons as `<model>-greedy`. llmrec's (E4, E5: each alone) reproduce the committed greedy runs to the digit.
peter and llmrec-scratch first ran with the small decoders' 10 epochs (E3's and E6's, each alone; kept under
results/device-runs/reasons-decoding/superseded-max-epochs-10/): every seed of both was still improving at epoch 10, so
they were rerun with max_epochs 30 (early stopping; they stopped at 12-19), the six runs side by side on the GPU (E7,
labelled NVIDIA-H200/shared-by-6-runs), after the MI served model was retrained there (the same seed-0 result as E1).
E6 and E7 ran as inline commands:
    E6: for seed in 0 1 2: gpu_generate.py reasons --seed $seed --models llmrec-scratch (E4's environment, $W/params.yaml)
    E7: params.yaml with base.profile paper and generate.paper.max_epochs 30; `llmrec align` of MI (seed 0, llmrec);
        then gpu_generate.py reasons for peter and llmrec-scratch, seeds 0-2, six processes at once, OMP_NUM_THREADS=2
        (written down afterwards as gpu_generate.sh's case E7, which has not itself been run)
Eighth session: the LM's training settings chosen on validation loss, seed 0 (`tune`, which trains without decoding):
in full at lr 5e-5 / 1e-4 / 2e-4, LoRA rank 16 at 3e-4 / 1e-3 / 3e-3 and rank 64 at 1e-3, up to 5 epochs; peter at lr
5e-4 / 1e-3 / 2e-3 x dim 128 / 256. gpu_generate.sh F1, F2, F3 (13 runs side by side; two LM runs were still improving
when F3's 480 s limit stopped them and were rerun as F5 after F1, F2 on a fresh machine). The lowest: in full at 2e-4
(1e-4 before); peter's settings stay. The F4 reruns started on F3's eleven finished settings; F5 came after them and
neither of its two settings was lower. llmrec and llmrec-noprompt were rerun with it, seeds 0-2, three side by side
per call (F4 llmrec:0 llmrec:1 llmrec:2, then F4 llmrec-noprompt:0 ...: noprompt now also with the decoding choice).
llmrec's runs at 1e-4 (E4, E5) are kept under results/device-runs/reasons-decoding/superseded-lm-lr-1e-4/.
Ninth session (results/device-runs/reasons-holdout/): a second round on validation loss, seed 0, each model against its
settings as they were (g2-base): `keyword_holdout` (a training record's item keywords without its own pair's
sentences), and for llmrec also `lm_user_hints` 3 and the sequential tuning G1 had been written for (first stage 1e-3).
gpu_generate.sh E1, E2, G2 (ten runs side by side; `choose` wrote each model's lowest), H4 (the reruns, seeds 0-2, of
the models whose choice changed: llmrec and peter, six side by side), T3 (genret of seed 0 alone on the GPU: the trie's
cost in 3 timed rounds after a warm-up pass; its metrics repeat the committed seed 0). Then on a fresh machine F1, F2,
F4 llmrec-noprompt:0 llmrec-noprompt:1 llmrec-noprompt:2: the ablation with llmrec's training settings (its own G2
choice was g2-base, 3.2702 against 3.2713: within the seed spread; params.yaml gives it llmrec's). Superseded runs:
results/device-runs/reasons-holdout/superseded/ (F4-llmrec, F4-noprompt, E7-peter); E3's single timed round of the trie
is under results/device-runs/reasons-decoding/superseded-one-round/, its rows in
results/bench-runs/paper/ml-100k/genret.csv relabelled NVIDIA-H200/one-timed-round (by hand, once: the import keeps the
committed genret rows and adds new ones).
    python scripts/gpu_generate.py tune-import --src results/device-runs/reasons-tuning/F3 results/device-runs/reasons-tuning/F5 \
        results/device-runs/reasons-holdout/G2
Import:
    python scripts/gpu_generate.py import --replace --src results/device-runs/reasons-decoding/E7 \
        results/device-runs/reasons-holdout/F4-noprompt results/device-runs/reasons-holdout/H4 results/device-runs/reasons-holdout/T3
(--replace: the runs in --src replace every committed run of their models; a genret seed that repeats a committed one
must repeat its metrics, and then only its timing rows are added).

Fourteenth session (results/device-runs/reasons-pools/): the twelve runs again (the greedy reasons of every one
reproduced the thirteenth session's to the last character), with --pools: they only decode, and keep every output a
decoding choice could need; `redecode` then made the choice on this CPU with params.yaml's widened grids (MBR weight up
to 64, true-mention weight up to 4). With the thirteenth session's grids, `redecode` reproduced its twelve chosen reason
files and validation tables exactly. gpu_generate.sh K1, F2, K5, K6 (see there); here:
    python scripts/gpu_generate.py redecode --src .gpu/pools/K5 .gpu/pools/K6 --out results/device-runs/reasons-pools/redecoded
    python scripts/gpu_generate.py import --src results/device-runs/reasons-pools/redecoded/K5 results/device-runs/reasons-pools/redecoded/K6

Twenty-fourth session (results/device-runs/reasons-evidence/, not imported): other users' training sentences about the
item in the LM's prompt (generate.lm_evidence). gpu_generate.sh V1, S1, F2, V3 (seed 0, validation loss, four settings
side by side), V4 llmrec:0 llmrec:1 llmrec:2 (ran out of its 545 s: the three, side by side, finished training but no decoding; its
logs are kept under V4-timed-out), then on a fresh machine V1, S1, F2, V5 (seed 0 alone) and V6 (seed 1 alone; it ran as
the case's commands written inline). The pools went to .gpu/pools/V5, V6 (kept out of git); here:
    python scripts/gpu_generate.py redecode --src .gpu/pools/V5 .gpu/pools/V6 --out results/device-runs/reasons-evidence/redecoded
    python scripts/compare_reason_tables.py --model llmrec --runs before=results/device-runs/reasons-pools/redecoded/K5 \
        evidence=results/device-runs/reasons-evidence/redecoded/V5 evidence=results/device-runs/reasons-evidence/redecoded/V6 \
        --out results/reason-tuning/evidence-validation-paper.csv
    python scripts/probe_evidence_rerank.py --pools .gpu/pools/V5 .gpu/pools/V6 \
        --tables results/device-runs/reasons-evidence/redecoded --out results/reason-tuning/evidence-rerank-paper.csv
    python scripts/gpu_generate.py tune-import --src results/device-runs/reasons-evidence/V3 --out results/reason-tuning/evidence-paper.csv
(the paper's evidence paragraph reads the three files in results/reason-tuning/; its chosen setting is not params.yaml's)

Twenty-sixth session (results/device-runs/genret26/): ML-100K's generative retrieval again, on today's served model
(the committed runs had read the first sessions' one: aligned NDCG@10 0.1116 against the main table's seed 0).
gpu_align.sh M1, M2, then gpu_generate.sh S1, F2, GR1 (served model: its seed-0 row equals the table's,
`python scripts/compare_align_rows.py results/device-runs/genret26/GR1/align-ml-100k.csv`; genret seed 0 alone), GR2
(seeds 1 and 2 side by side). Import (the three seeds replace every committed genret row; their bench rows are added):
    python scripts/gpu_generate.py genret-import --src results/device-runs/genret26

Each DIR holds what one or more device calls brought back; `import` reads every DIR together (reasons of all seeds,
genret, timing rows).

The fifth session found that every SmolLM2 run so far had trained its targets to end with the tokenizer's end token
while generation stopped at the generation config's, and the device's transformers (5.17) converts the GGUF with
different ones (<|im_start|> vs <|im_end|>): most SmolLM2 reasons ended in a tail of chat-template words, and free
generative retrieval never ended a title (valid-item rate ~0). `lm.load_lm` now aligns the two. The SmolLM2 runs
before the fix (llmrec seeds 0-2, llmrec-noprompt seeds 0-2, genret seeds 0-2) were discarded; llmrec's reasons and
genret were rerun once each (seed 0, gpu_generate.sh B1, S, CF). The import of that session, with the unaffected
small-decoder runs (llmrec-scratch, peter: seeds 0 and 1 rebuilt from the committed outputs, seed 2 from C1) and C1's
forced-length tokens/s:
    python scripts/gpu_generate.py import --src OLD C1 C2 CF   (each holding only the files named above)

Runs of the fourth session: call C of gpu_generate.sh ran out of its 600 s with 4 runs sharing the GPU, and the device tool
returns at most a fixed number of files, so only genret came back from it; seed 0 (every learned model) and seed 1
(llmrec only) were rerun alone on the still-warm machine, writing to $HOME and returning one .tgz each:
    timeout 320 python3 scripts/gpu_generate.py reasons --seed 0 --align $HOME/llmrec-gen/align/amazon-musical-instruments \
        --out $HOME/gen0 --params $HOME/llmrec-gen/params.yaml; tar czf $OUT/gen0.tgz -C $HOME/gen0 .
    (seed 1: --models llmrec)
"""
import argparse, json, sys
from pathlib import Path

import pandas as pd

DS = 'amazon-musical-instruments'
LEARNED_PAPER = ['llmrec', 'llmrec-scratch', 'peter', 'llmrec-noprompt']  # the main model first


def device_label(folder:Path, default=None):
    "The device a device call's folder was run on, from its gpu.txt ('NVIDIA-H200', or with a '/shared-by-N-runs' note)."
    f = folder / 'gpu.txt'
    return f.read_text().strip().replace(' ', '-') if f.exists() else default


def with_sets(generate:dict, sets:list[str]) -> dict:
    "The `generate` section with `key=value` overrides (YAML values; 1e-3 read as a number, which YAML 1.1 reads as a string)."
    import yaml
    def value(v):
        v = yaml.safe_load(v)
        try: return float(v) if isinstance(v, str) else v
        except ValueError: return v
    over = {k: value(v) for k, v in (kv.split('=', 1) for kv in sets)}
    unknown = set(over) - set(generate)
    if unknown: raise SystemExit(f'--set: unknown generate keys {sorted(unknown)}')
    return {**generate, **over}


def choose(a):
    "The --set string of --model's tuning run of the lowest validation loss in --src (printed; '' = the params as they are)."
    runs = [r for s in a.src for f in sorted(Path(s).glob(f'tune-{a.model}-*.json'))  # the glob of llmrec also finds llmrec-*:
            if (r := json.loads(f.read_text()))['model'] == a.model]                       # the model field decides
    if not runs: raise SystemExit(f'choose: no tune-{a.model}-*.json in {a.src}')
    best = min(runs, key=lambda r: r['best_val_loss'])  # the first of ties (file-name order)
    for r in runs: print(f"choose {a.model}: {r['config']} {r['best_val_loss']:.4f}{' <-' if r is best else ''}", file=sys.stderr)
    print(best.get('set', ''))


def write_run(out:Path, seed:int, m:str, texts:dict, test, table=None):
    "One learned model's run as `import` reads it: its reasons (and `<model>-greedy`), gzipped, and its decoding table."
    from llmrec.generate import reason_texts
    if table is not None and len(table): table.assign(model=m, seed=seed).to_csv(out / f'tuning-seed{seed}-{m}.csv.gz', index=False)
    for name, rs in texts.items():  # the model, and `<model>-greedy` where another decoding was chosen
        reason_texts(name, seed, test, rs).to_csv(out / f'reasons-seed{seed}-{name}.csv.gz', index=False)


def reasons(a):
    from llmrec.config import load_params
    from llmrec.data import load_recdata
    from llmrec.generate import generate_reasons, reason_data, save_pools
    params = load_params(a.params, profile='paper', sections=['generate', 'interact', 'align', 'encode'])
    hp = {**with_sets(params['generate'], a.set), 'models': a.models or LEARNED_PAPER}
    data = load_recdata(f'data/{DS}')
    rd = reason_data(data, hp['item_keywords'], hp['item_tokens'])
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    for m in hp['models']:  # one model at a time, written as soon as it is done (a call that runs out of time keeps them)
        pools = {} if a.pools else None
        got = generate_reasons(data, rd, {**hp, 'models': [m]}, a.seed, 'gpu' if a.gpu else 'cpu',
                               align_dir=Path(a.align), data_dir=Path(f'data/{DS}'),
                               run={**params['run'], 'accelerator': 'gpu' if a.gpu else 'cpu'}, pools=pools,
                               choose=not a.pools)  # --pools: decode only; `redecode` makes the choice here
        if got is None: continue  # under DDP (run.devices > 1) a rank other than 0: it trained, rank 0 writes
        texts, test, timing = got
        write_run(out, a.seed, m, texts, test, timing.get(m, {}).pop('tuning', None))  # the table: seventh session on
        if pools and pools.get(m): save_pools(pools[m], out / f'pools-seed{a.seed}-{m}.json.gz')  # `redecode` reads them
        (out / f'timing-seed{a.seed}-{m}.json').write_text(json.dumps(timing, indent=1))
        if a.set: (out / f'set-seed{a.seed}-{m}.txt').write_text(' '.join(a.set) + '\n')  # what differed from --params


def redecode(a):
    """The decoding choice of every pooled run in --src made again here, without the models (CPU): `decode_tuned` on the
    kept outputs, with --params' `decoding` grids. Each --src folder's runs go to --out/<its name>, as `import` reads them
    (timings and device label copied); where the folder also holds the device's own reasons, says whether they agree."""
    import shutil
    from llmrec.config import load_params
    from llmrec.data import load_recdata
    from llmrec.generate import capped_splits, decode_tuned, load_pools, reason_data
    hp = load_params(a.params, profile='paper', sections=['generate'])['generate']
    data = load_recdata(f'data/{DS}')
    rd = reason_data(data, hp['item_keywords'], hp['item_tokens'])
    test, valid = capped_splits(rd, hp['max_test'])
    for s in map(Path, a.src):
        files = sorted(s.glob('pools-seed*-*.json.gz'))
        if not files: raise SystemExit(f'redecode: no pools-seed*-*.json.gz in {s}')
        out = Path(a.out) / s.name; out.mkdir(parents=True, exist_ok=True)
        if (s / 'gpu.txt').exists(): shutil.copy(s / 'gpu.txt', out / 'gpu.txt')
        for f in files:
            seed, m = f.name.removeprefix('pools-seed').removesuffix('.json.gz').split('-', 1)
            d = decode_tuned(None, None, rd, test, hp['decoding'], valid, None, load_pools(f))
            write_run(out, int(seed), m, {m: d.reasons, **({f'{m}-greedy': d.greedy} if d.greedy is not None else {})}, test, d.table)
            shutil.copy(s / f'timing-seed{seed}-{m}.json', out / f'timing-seed{seed}-{m}.json')
            c = d.table[d.table.chosen].iloc[0]
            same = ''  # the reasons the device wrote itself (its greedy ones; its chosen ones where it chose), against these
            for name in (m, f'{m}-greedy'):
                dev = next((p for p in (s / f'reasons-seed{seed}-{name}.csv.gz', s / f'reasons-seed{seed}-{name}.csv') if p.exists()), None)
                if dev is not None:
                    mine = pd.read_csv(out / f'reasons-seed{seed}-{name}.csv.gz', keep_default_na=False).reason
                    same += f", the device's {name}: {'the same' if mine.equals(pd.read_csv(dev, keep_default_na=False).reason) else 'DIFFERENT'}"
            print(f"redecode {m} seed {seed}: {c.decoding}{', grounded' if c.ground else ''} (true {c.true:g}, false {c.false:g}, "
                  f"user {c.user:g}, mbr {c.mbr:g}): validation ROUGE-L {c['ROUGE-L']:.2f}, FMR {c.FMR:.3f}, grounding "
                  f"{c.grounding_precision:.3f}{same}", file=sys.stderr)


def tune(a):
    "Train one configuration of one learned reason model (no decoding); write its validation loss and costs as JSON."
    import torch
    from llmrec.config import load_params
    from llmrec.data import load_recdata
    from llmrec.generate import condition_vectors, fit_generator, reason_data
    from llmrec.lm import fit_reason_lm
    params = load_params(a.params, profile='paper', sections=['generate', 'interact', 'align', 'encode'])
    hp = with_sets(params['generate'], a.set)
    sets = {k: hp[k] for k in (kv.split('=', 1)[0] for kv in a.set)}
    data = load_recdata(f'data/{DS}')
    rd = reason_data(data, hp['item_keywords'], hp['item_tokens'])
    vectors = condition_vectors(data, rd.features, None, Path(a.align) if a.align else None, Path(f'data/{DS}'))
    run = {**params['run'], 'accelerator': 'gpu' if a.gpu else 'cpu'}
    import lightning as L
    class EpochLog(L.Callback):  # every epoch's validation loss in the log: a run cut short still shows its course
        def on_validation_epoch_end(self, trainer, module):
            if not trainer.sanity_checking:
                print(f"tune {a.model} {a.name} epoch {trainer.current_epoch + 1}: val loss {float(trainer.callback_metrics['val/loss']):.4f}",
                      file=sys.stderr, flush=True)
    if a.model in ('llmrec', 'llmrec-noprompt') and hp['backbone'] != 'scratch':  # the LM, as generate_reasons picks it
        info = fit_reason_lm(a.model, rd, hp, *vectors, seed=a.seed, run=run, callbacks=[EpochLog()])[2]
    else:  # a small decoder, float32 as in generate_reasons
        if run['accelerator'] == 'gpu': torch.cuda.reset_peak_memory_stats()
        g = fit_generator(a.model, data, rd, hp, *vectors, seed=a.seed, run={**run, 'precision': '32-true'}, callbacks=[EpochLog()])
        info = {'train_s': g.train_s, 'epochs': g.epochs, 'best_epoch': g.best_epoch, 'best_val_loss': g.best_val_loss,
                's_per_epoch': g.train_s / max(g.epochs, 1),
                'trainable_parameters': sum(p.numel() for p in g.model.parameters() if p.requires_grad)}
        if run['accelerator'] == 'gpu': info['peak_gpu_gb'] = torch.cuda.max_memory_allocated() / 2**30
    device = torch.cuda.get_device_name().replace(' ', '-') if run['accelerator'] == 'gpu' else 'cpu'
    out = {'model': a.model, 'config': a.name, 'seed': a.seed, **sets, **info, 'device': device, 'set': ' '.join(a.set)}
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / f'tune-{a.model}-{a.name}-seed{a.seed}.json').write_text(json.dumps(out, indent=1))
    print(f"tune {a.model} {a.name} seed {a.seed}: val loss {info['best_val_loss']:.4f} (best epoch {info['best_epoch']} "
          f"of {info['epochs']}), {info['s_per_epoch']:.1f} s/epoch, {info['trainable_parameters']:,} trainable", file=sys.stderr)


def tune_import(a):
    "The tuning runs of --src as one table (--out); per model the lowest validation loss is marked chosen."
    from llmrec.config import write_csv
    rows = []
    for s in a.src:
        for f in sorted(Path(s).glob('tune-*.json')):
            r = json.loads(f.read_text())
            rows.append({**r, 'device': device_label(f.parent, r['device'])})  # the folder's label says what shared the GPU
    if not rows: raise SystemExit(f'no tune-*.json in {a.src}')
    t = pd.DataFrame(rows)
    if t.duplicated(['model', 'config', 'seed']).any(): raise SystemExit('a tuning run in two --src folders')
    t['chosen'] = t.best_val_loss == t.groupby('model').best_val_loss.transform('min')
    front = ['model', 'config', 'seed', 'chosen', 'best_val_loss', 'best_epoch', 'epochs']
    t = t[front + [c for c in t.columns if c not in front]].sort_values(['model', 'best_val_loss'], kind='stable')
    write_csv(t, a.out)
    print(t.to_string(index=False))


GENRET_CSV, GENRET_BENCH = 'results/genret-runs/paper/ml-100k/genret.csv', 'results/bench-runs/paper/ml-100k/genret.csv'


def with_new_rows(old:pd.DataFrame, frames:list) -> list:
    "`old`, then each of `frames` that has a row `old` lacks (a re-import adds nothing)."
    seen = set(map(tuple, old.astype(str).to_numpy()))
    return [old] + [b for b in frames if not set(map(tuple, b.astype(str).to_numpy())) <= seen]


def genret_import(a):
    "Generative retrieval runs (one folder per seed, `gpu_generate.sh` GR1/GR2) replace every committed genret row; their bench rows are added."
    folders = sorted({f.parent for s in map(Path, a.src) for f in Path(s).rglob('genret.csv')})
    if not folders: raise SystemExit(f'genret-import: no genret.csv under {a.src}')
    runs = [pd.read_csv(d / 'genret.csv') for d in folders]
    seeds = [sorted(set(r.seed)) for r in runs]
    if any(len(s) != 1 for s in seeds): raise SystemExit('genret-import: a genret.csv with more than one seed')
    if len({s[0] for s in seeds}) < len(seeds): raise SystemExit(f'genret-import: a seed in two folders ({seeds})')
    g = pd.concat(runs, ignore_index=True).sort_values(['seed', 'model', 'metric'], kind='stable')
    # each run's bench rows, labelled with its folder's device (a '/shared-by-N-runs' note where runs shared the GPU)
    bench = [pd.read_csv(d / 'bench-genret.csv').assign(device=lambda b, d=d: device_label(d, b.device)) for d in folders
             if (d / 'bench-genret.csv').exists()]
    from llmrec.config import write_csv
    write_csv(g, GENRET_CSV)
    write_csv(pd.concat(with_new_rows(pd.read_csv(GENRET_BENCH), bench), ignore_index=True), GENRET_BENCH)
    print(g[g.metric.isin(['NDCG@10', 'valid_item_rate'])].pivot_table(index='model', columns=['metric', 'seed'], values='value').round(4).to_string())


def import_(a):
    from llmrec.baselines import BENCH_COLUMNS
    from llmrec.config import load_params, write_csv
    from llmrec.data import load_recdata
    from llmrec.generate import reason_data, reason_metrics, reason_texts, retrieval_reasons, template_reasons, tokenize
    srcs = [Path(s) for s in a.src]
    params = load_params(profile='paper', sections=['generate'])
    hp = params['generate']
    data = load_recdata(f'data/{DS}')
    rd = reason_data(data, hp['item_keywords'], hp['item_tokens'])
    test = rd.test
    rows, texts, bench = [], [], []
    gpu = next((g for g in map(device_label, srcs) if g), 'NVIDIA-H200')
    seeds = set()
    files = sorted((f for s in srcs for f in (*s.glob('reasons-seed*-*.csv'), *s.glob('reasons-seed*-*.csv.gz'))), key=lambda f: f.name)
    if len({f.name for f in files}) < len(files): raise SystemExit('the same reasons file in two --src folders')
    # a folder's own label first; a note after '/' says the run shared its device ('NVIDIA H200/shared-with-genret'),
    # and the tidy bench then prefers a run timed alone (llmrec.bench.map_bench)
    label = lambda d: device_label(d, gpu)
    timing_of = lambda f: f.parent / f.name.removesuffix('.gz').replace('reasons-', 'timing-').replace('-greedy.csv', '.csv').replace('.csv', '.json')
    runs = [(pd.read_csv(f, keep_default_na=False), json.loads(timing_of(f).read_text()), label(f.parent)) for f in files]
    kept = pd.DataFrame(columns=BENCH_COLUMNS)
    base = lambda m: m.removesuffix('-greedy')
    tuning = [pd.read_csv(f) for s in srcs for f in sorted((*s.glob('tuning-seed*-*.csv'), *s.glob('tuning-seed*-*.csv.gz')), key=lambda f: f.name)]
    if a.replace:  # the committed runs of models not in --src stay; those in --src (and their -greedy runs) are replaced
        new_models = {base(t.model.iloc[0]) for t, *_ in runs}
        old = pd.read_csv(f'models/paper/{DS}/generate/reasons.csv', keep_default_na=False)
        old = old[old.model.map(base).isin(set(LEARNED_PAPER) - new_models)]
        runs = [(g, {}, gpu) for _, g in old.groupby(['model', 'seed'], sort=True)] + runs
        kept = pd.read_csv(f'results/bench-runs/paper/{DS}/generate.csv')
        kept = kept[~kept.system.isin(new_models)]
        dec_csv = Path('results/reason-decoding/paper.csv')
        if dec_csv.exists(): tuning.insert(0, (d := pd.read_csv(dec_csv))[~d.model.isin(new_models)])
    elif a.merge:  # the committed runs stay: their texts (learned models) and timing rows; the new runs are added
        new = {(t.model.iloc[0], int(t.seed.iloc[0])) for t, *_ in runs}
        old = pd.read_csv(f'models/paper/{DS}/generate/reasons.csv', keep_default_na=False)
        old = old[old.model.isin(LEARNED_PAPER)]
        clash = sorted(set(zip(old.model, old.seed)) & new)
        if clash: raise SystemExit(f'--merge: runs {clash} are both committed and in --src')
        runs = [(g, {}, gpu) for _, g in old.groupby(['model', 'seed'], sort=True)] + runs
        kept = pd.read_csv(f'results/bench-runs/paper/{DS}/generate.csv')
    for t, timing, dev in runs:
        seed, m = int(t.seed.iloc[0]), t.model.iloc[0]
        seeds.add(seed)
        g = t.set_index(['user_idx', 'item_idx']).loc[list(zip(test.user_idx, test.item_idx))].reset_index()
        rs = [tokenize(r) for r in g.reason]
        for metric, value in reason_metrics(rs, test, rd).items():
            if value == value: rows.append((DS, m, 'paper', seed, metric, value))  # NaN (nothing mentioned): no row
        texts.append(g)
        for metric, value in timing.get(m, {}).items(): bench.append((f'generate-{DS}', m, 'paper', dev, metric, value))
    for seed in sorted(seeds):
        for m, rs in (('template', template_reasons(rd, test.item_idx.to_numpy())),
                      ('retrieval', retrieval_reasons(rd, test.user_idx.to_numpy(), test.item_idx.to_numpy(), hp['max_words']))):
            for metric, value in reason_metrics(rs, test, rd).items():
                if value == value: rows.append((DS, m, 'paper', seed, metric, value))
            texts.append(reason_texts(m, seed, test, rs))
    out = pd.DataFrame(rows, columns=['dataset', 'model', 'profile', 'seed', 'metric', 'value'])
    write_csv(out, f'results/reasons-runs/paper/{DS}/reasons.csv')
    if tuning:  # the validation tables of the decoding choices (small: one row per setting, model and seed)
        write_csv(pd.concat(tuning, ignore_index=True).sort_values(['model', 'seed'], kind='stable'),
                  'results/reason-decoding/paper.csv')
    cols = ['model', 'seed', 'user_idx', 'item_idx', 'reason', 'reference', 'feature']
    write_csv(pd.concat(texts, ignore_index=True)[cols], f'models/paper/{DS}/generate/reasons.csv')
    from llmrec.generate import examples
    picked = examples(pd.concat(texts, ignore_index=True)[cols], data, rd, n=3)  # the paper's fixed rule
    keep = pd.concat(texts, ignore_index=True)[cols]
    keep = keep[(keep.seed == 0) & keep.user_idx.isin(set(data.users.set_index('user_id').loc[picked.user].user_idx))]
    write_csv(keep, 'results/reason-examples/paper.csv')  # small: the texts the paper's example table reads
    extra = [pd.read_csv(f) for s in srcs for f in sorted(s.glob('bench-generate*.csv'))]
    b = pd.concat([kept, pd.DataFrame(bench, columns=BENCH_COLUMNS), *extra], ignore_index=True)
    write_csv(b, f'results/bench-runs/paper/{DS}/generate.csv')
    genret = [pd.read_csv(s / 'genret.csv') for s in srcs if (s / 'genret.csv').exists()]
    if genret and (a.merge or a.replace):
        committed = pd.read_csv(GENRET_CSV)
        key = ['model', 'seed', 'metric']
        for k, g in enumerate(genret):  # a repeated seed must repeat its results; then only its timing rows are new
            both = g.merge(committed, on=key, suffixes=('', '_old'))
            if (both.value - both.value_old).abs().max() > 1e-9: raise SystemExit(f'genret: a repeated seed differs from the committed run')
            genret[k] = g[~g.set_index(key).index.isin(both.set_index(key).index)]
        genret.insert(0, committed)
    if genret:
        g = pd.concat(genret, ignore_index=True).sort_values(['seed', 'model', 'metric'], kind='stable')
        if g.duplicated(['model', 'seed', 'metric']).any(): raise SystemExit('a genret seed in two --src folders')
        write_csv(g, GENRET_CSV)
        gb = [pd.read_csv(s / 'bench-genret.csv') for s in srcs if (s / 'bench-genret.csv').exists()]
        if gb and (a.merge or a.replace): gb = with_new_rows(pd.read_csv(GENRET_BENCH), gb)
        if gb: write_csv(pd.concat(gb, ignore_index=True), GENRET_BENCH)
    print(out.pivot_table(index='model', columns='metric', values='value').round(4).to_string())


if __name__ == '__main__':
    ap = argparse.ArgumentParser(); sub = ap.add_subparsers(required=True)
    s = sub.add_parser('reasons'); s.add_argument('--seed', type=int, required=True); s.add_argument('--align', required=True)
    s.add_argument('--out', required=True); s.add_argument('--models', nargs='+'); s.add_argument('--params', default='params.yaml')
    s.add_argument('--cpu', dest='gpu', action='store_false', help='a CPU check of the script (tiny settings)')
    s.add_argument('--set', nargs='*', default=[], help='generate keys to override, key=value (YAML values)')
    s.add_argument('--pools', action='store_true', help="decode only, and keep each model's decoder outputs (pools-seed<S>-<model>.json.gz): `redecode` chooses")
    s.set_defaults(fn=reasons)
    s = sub.add_parser('redecode', help="make the pooled runs' decoding choice again here, with --params' grids")
    s.add_argument('--src', required=True, nargs='+'); s.add_argument('--out', required=True)
    s.add_argument('--params', default='params.yaml'); s.set_defaults(fn=redecode)
    s = sub.add_parser('choose', help="print the --set of a model's lowest validation loss among tune runs")
    s.add_argument('--src', required=True, nargs='+'); s.add_argument('--model', required=True); s.set_defaults(fn=choose)
    s = sub.add_parser('tune', help='train one configuration (no decoding): its validation loss and costs')
    s.add_argument('--seed', type=int, default=0); s.add_argument('--out', required=True)
    s.add_argument('--align', help='the served align model of MI (soft prompts from aligned vectors); none: review profiles only')
    s.add_argument('--model', required=True, choices=LEARNED_PAPER); s.add_argument('--name', required=True)
    s.add_argument('--set', nargs='*', default=[], help='generate keys of this configuration, key=value (YAML values)')
    s.add_argument('--params', default='params.yaml'); s.add_argument('--cpu', dest='gpu', action='store_false')
    s.set_defaults(fn=tune)
    s = sub.add_parser('tune-import', help='the tuning runs as one table (default results/reason-tuning/paper.csv)')
    s.add_argument('--src', required=True, nargs='+'); s.add_argument('--out', default='results/reason-tuning/paper.csv')
    s.set_defaults(fn=tune_import)
    s = sub.add_parser('genret-import', help='genret runs (a folder per seed, found under --src) replace the committed genret rows')
    s.add_argument('--src', required=True, nargs='+'); s.set_defaults(fn=genret_import)
    s = sub.add_parser('import'); s.add_argument('--src', required=True, nargs='+')
    s.add_argument('--merge', action='store_true', help='keep the committed runs and add those in --src (new model/seed pairs only)')
    s.add_argument('--replace', action='store_true', help='the runs in --src replace every committed run of their models (and its bench rows)')
    s.set_defaults(fn=import_)
    a = ap.parse_args(); a.fn(a)
