"""Time EASE on one dataset, on this machine: the weights (Gram matrix, Cholesky inverse), then one validation check
(after a small warm-up check) with the weights row-major (as `ease_weights` returns them) and column-major (as LAPACK's inverse leaves them, what
`ease_weights` returned before it made them row-major). Both checks must give the same NDCG@10.

    python scripts/bench_ease.py --dataset microlens-50k [--l2 100] [--threads 2] [--out results/ease-timing.csv]

Appends (replaces its own dataset's rows) dataset, device, threads, step, seconds, ndcg10 to --out and prints them.
"""
import argparse, sys, time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from llmrec.baselines import device_name, ease_scorer, ease_weights, model_hparams
from llmrec.config import load_params, write_csv
from llmrec.data import load_recdata
from llmrec.evaluate import evaluate_scorer, summarize


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--dataset', required=True); p.add_argument('--data-root', default='data')
    p.add_argument('--l2', type=float, default=None, help="default: the paper profile's (params.yaml)")
    p.add_argument('--threads', type=int, default=2); p.add_argument('--out', default='results/ease-timing.csv')
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    data = load_recdata(Path(a.data_root) / a.dataset)
    l2 = a.l2 if a.l2 is not None else model_hparams(load_params('params.yaml', 'paper', ['baselines'])['baselines'],
                                                     a.dataset, 'ease')['l2']
    train = data.history('valid')
    rows, dev = [], device_name('cpu')
    t = time.perf_counter(); w = ease_weights(train, l2); rows.append(('weights', time.perf_counter() - t, np.nan))
    users = data.targets('valid')[0][:100]  # a warm-up check first: the first call pays one-off costs
    evaluate_scorer(ease_scorer(w, train), data, 'valid', users=users, progress=False)
    for step, weights in (('valid-check row-major', w), ('valid-check column-major', np.asfortranarray(w))):
        t = time.perf_counter()
        m = summarize(evaluate_scorer(ease_scorer(weights, train), data, 'valid', progress=False))
        rows.append((step, time.perf_counter() - t, m['NDCG@10']))
    df = pd.DataFrame([{'dataset': data.name, 'device': dev, 'threads': a.threads, 'l2': l2, 'step': s, 'seconds': sec,
                        'ndcg10': nd} for s, sec, nd in rows])
    if Path(a.out).exists():
        old = pd.read_csv(a.out); df = pd.concat([old[old.dataset != data.name], df], ignore_index=True)
    write_csv(df, a.out)
    print(df.to_string(index=False))


if __name__ == '__main__':
    main()
