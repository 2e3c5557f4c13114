"""Issue 10: the paper profile on two GPUs (Lightning DDP over NCCL) against one, and the import of those runs here.

Device side (scripts/gpu_ddp.sh, kind nvidia-h200-x2):

    python scripts/gpu_ddp.py compare-vectors --a VEC1 --b VEC2 --out F.json   # encode: 2 devices vs 1, every vector file

Here, afterwards:

    python scripts/gpu_ddp.py import --src DIR [DIR ...]   # X1's files and X4's .tgz unpacked: bench rows + a summary

`import` writes results/bench-runs/paper/scaleout.csv (benchmark `scaleout`: encode, align and reason fine-tuning with 1
and 2 devices: throughput, throughput per GPU, seconds per epoch, scaling efficiency; the `evaluate` stage merges it
into results/bench.csv) and results/scaleout-paper.csv (test metrics of each seed with 1 and 2 devices).

What each figure is:
- encode: texts encoded (items + the three user-profile roles) over the encoder's seconds in manifest.json (rank 0's
  time from the loaded model to the written vectors, all_gather included; not process start or text building).
- align: training windows per epoch (`AlignBatches`) over the mean seconds per epoch (validation included) of 3 seeds.
- generate: training sentences per epoch over seconds per epoch of llmrec's SmolLM2 fine-tuning (seed 1).
- scaling efficiency: throughput with 2 devices / (2 x throughput with 1 device).
The run of 2026-11-29 (sixth session): X1 and X4 of scripts/gpu_ddp.sh on nvidia-h200-x2. X1's file list was cut by
the device tool's file count (encode-compare.json and the MicroLens manifests did not come back); its printed output
holds them and is kept as X1/output_tail.txt, which `import` reads for the vector comparison. What came back is
committed (small): python scripts/gpu_ddp.py import --src results/device-runs/scaleout/X1 results/device-runs/scaleout/X4
rebuilds both results files byte for byte.
"""
import argparse, json, re, sys
from pathlib import Path

import numpy as np


def compare_vectors(a):
    from safetensors.torch import load_file
    rows = []
    for fa in sorted(Path(a.a).rglob('*.safetensors')):
        fb = Path(a.b) / fa.relative_to(a.a)
        va, vb = load_file(fa), load_file(fb)
        for k in va:
            x, y = va[k].float(), vb[k].float()
            cos = (x * y).sum(-1) / (x.norm(dim=-1) * y.norm(dim=-1)).clamp_min(1e-12)
            rows.append({'file': str(fa.relative_to(a.a)), 'key': k, 'n': int(x.shape[0]),
                         'max_abs_diff': float((x - y).abs().max()), 'min_cosine': float(cos.min())})
            print(rows[-1])
    Path(a.out).write_text(json.dumps(rows, indent=1))


def import_(a):
    import ast
    import pandas as pd
    from llmrec.align import AlignBatches, align_hparams
    from llmrec.bench import bench_profile
    from llmrec.config import load_params, write_csv
    from llmrec.data import load_recdata
    from llmrec.generate import reason_data, reason_metrics, tokenize
    srcs = [Path(s) for s in a.src]
    def find(name):
        got = [s / name for s in srcs if (s / name).exists()]
        if not got: raise SystemExit(f'{name}: in none of {a.src}')
        return got[0]
    gpu = find('gpu.txt').read_text().strip().replace(' ', '-')
    dev = {1: gpu, 2: f'{gpu}-x2'}
    rows, metrics = [], []
    def add(step, dataset, model, n, metric, value):
        rows.append(('scaleout', 'llmrec', bench_profile('paper', dataset=dataset, model=model, step=step), dev[n], metric, float(value)))
    def rates(step, dataset, model, rate, extra=None):  # rate: {devices: items per second}
        for n, r in rate.items():
            add(step, dataset, model, n, 'items_per_s', r); add(step, dataset, model, n, 'items_per_s_per_gpu', r / n)
            for metric, v in (extra or {}).get(n, {}).items(): add(step, dataset, model, n, metric, v)
        add(step, dataset, model, 2, 'scaling_efficiency', rate[2] / (2 * rate[1]))
    # encode
    for ds in ('amazon-scientific', 'microlens-50k'):
        try: man = {n: json.loads(find(f'encode-{ds}-d{n}.json').read_text()) for n in (1, 2)}
        except SystemExit: continue
        texts = man[1]['n_items'] + 3 * man[1]['n_users']  # items + the user profiles of roles fit, valid, test
        rates('encode', ds, 'minilm', {n: texts / m['encoders']['minilm']['seconds'] for n, m in man.items()})
    comp = [ast.literal_eval(l) for l in find('output_tail.txt').read_text().splitlines() if l.startswith("{'file'")]
    # align
    params = load_params(profile='paper', sections=['align'])
    hp = align_hparams(params['align'], 'amazon-scientific')  # what `llmrec align` trained with
    data = load_recdata('data/amazon-scientific')
    windows = len(AlignBatches(data.train_sequences(), hp['max_len'], hp['batch_size']).inputs)
    spe = {n: pd.read_csv(find(f'bench-align-d{n}.csv')).set_index('metric').value for n in (1, 2)}
    rates('align', 'amazon-scientific', 'llmrec', {n: windows / b['s_per_epoch'] for n, b in spe.items()},
          {n: {'s_per_epoch': b['s_per_epoch']} for n, b in spe.items()})
    for n in (1, 2):
        m = pd.read_csv(find(f'align-d{n}.csv'))
        metrics += [('align', 'amazon-scientific', 'llmrec', n, r.seed, r.metric, r.value) for r in m.itertuples()]
    # generate (llmrec's SmolLM2 fine-tuning, seed 1)
    hpg = load_params(profile='paper', sections=['generate'])['generate']
    mi = load_recdata('data/amazon-musical-instruments')
    rd = reason_data(mi, hpg['item_keywords'], hpg['item_tokens'])
    tim = {n: json.loads(find(f'd{n}/timing-seed1-llmrec.json').read_text())['llmrec'] for n in (1, 2)}
    rates('generate', 'amazon-musical-instruments', 'llmrec', {n: len(rd.train) / t['s_per_epoch'] for n, t in tim.items()},
          {n: {'s_per_epoch': t['s_per_epoch']} for n, t in tim.items()})
    test = rd.test
    for n, folder in ((1, 'd1'), (2, 'd2')):
        for f in sorted(find(folder).glob('reasons-seed*-llmrec.csv')):
            t = pd.read_csv(f, keep_default_na=False)
            g = t.set_index(['user_idx', 'item_idx']).loc[list(zip(test.user_idx, test.item_idx))].reset_index()
            seed = int(t.seed.iloc[0])
            res = reason_metrics([tokenize(r) for r in g.reason], test, rd)
            res['best_val_loss'] = json.loads((f.parent / f'timing-seed{seed}-llmrec.json').read_text())['llmrec']['best_val_loss']
            metrics += [('generate', 'amazon-musical-instruments', 'llmrec', n, seed, k, v) for k, v in res.items() if v == v]
    bench = pd.DataFrame(rows, columns=['benchmark', 'system', 'profile', 'device', 'metric', 'value'])
    write_csv(bench, 'results/bench-runs/paper/scaleout.csv')
    out = pd.DataFrame(metrics, columns=['step', 'dataset', 'model', 'devices', 'seed', 'metric', 'value'])
    out = pd.concat([out, pd.DataFrame([('encode', c['file'].split('/')[0], 'minilm', 2, -1, f"{c['file'].split('/')[-1].split('.')[0]}:{c['key']}:{k}", c[k])
                                        for c in comp for k in ('max_abs_diff', 'min_cosine')], columns=out.columns)])
    write_csv(out, 'results/scaleout-paper.csv')
    print(bench.assign(profile=bench.profile.str.replace('paper ', '')).to_string(index=False))
    key = out[out.metric.isin(['NDCG@10', 'HR@10', 'ROUGE-L', 'FMR', 'USR', 'grounding_precision', 'best_val_loss'])]
    print(key.pivot_table(index=['step', 'metric'], columns='devices', values='value', aggfunc=['mean', 'std', 'count']).round(4).to_string())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(required=True)
    s = sub.add_parser('compare-vectors'); s.add_argument('--a', required=True); s.add_argument('--b', required=True)
    s.add_argument('--out', required=True); s.set_defaults(fn=compare_vectors)
    s = sub.add_parser('import'); s.add_argument('--src', required=True, nargs='+'); s.set_defaults(fn=import_)
    a = ap.parse_args(argv)
    a.fn(a)


if __name__ == '__main__': main()
