"""How many dimensions does EASE's item-to-item map need? Validation NDCG@10 of its weights truncated to rank k.

EASE (llmrec.baselines.ease_weights, at the paper profile's λ from params.yaml) scores a user by their history row
times an items x items matrix B. llmrec, BPR and SASRec score by inner products of vectors of a few hundred dimensions
at most, so they can represent only a low-rank map. Truncating B to its k largest singular values (the best rank-k
approximation) and scoring the validation targets with it shows how much of EASE's accuracy a rank-k scorer could
keep. Validation split only: the test targets are not read.

    python scripts/ease_rank.py --datasets ibm-articles amazon-scientific [--ranks 32 64 ...] [--out results/ease-rank-paper.csv]

Writes tidy rows dataset, rank (0 = full), l2, metric, value (atomically); prints them.
"""
import argparse, sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from llmrec.baselines import ease_scorer, ease_weights, model_hparams
from llmrec.config import load_params, write_csv
from llmrec.data import load_recdata
from llmrec.evaluate import evaluate_scorer, summarize


def rank_rows(data, l2:float, ranks) -> list[dict]:
    "Validation NDCG@10 and HR@10 of EASE's weights at full rank (rank 0) and truncated to each rank in `ranks`."
    train = data.history('valid')  # the training rows, which are also the validation targets' history
    w = ease_weights(train, l2)
    u, s, vt = np.linalg.svd(w.astype(np.float64))
    rows = []
    for k in [0, *sorted(r for r in ranks if r < len(s))]:
        wk = w if k == 0 else ((u[:, :k] * s[:k]) @ vt[:k]).astype(np.float32)
        m = summarize(evaluate_scorer(ease_scorer(wk, train), data, 'valid', progress=False))
        rows += [{'dataset': data.name, 'rank': k, 'l2': l2, 'metric': k_, 'value': m[k_]} for k_ in ('NDCG@10', 'HR@10')]
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--datasets', nargs='+', required=True); p.add_argument('--data-root', default='data')
    p.add_argument('--ranks', nargs='+', type=int, default=[32, 64, 128, 256, 512, 1024])
    p.add_argument('--params', default='params.yaml'); p.add_argument('--out', default='results/ease-rank-paper.csv')
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    section = load_params(a.params, 'paper', ['baselines'])['baselines']
    rows = []
    for ds in a.datasets:
        rows += rank_rows(load_recdata(Path(a.data_root) / ds), model_hparams(section, ds, 'ease')['l2'], a.ranks)
    df = pd.DataFrame(rows)
    if Path(a.out).exists():  # other datasets' rows stay
        old = pd.read_csv(a.out); df = pd.concat([old[~old.dataset.isin(a.datasets)], df], ignore_index=True)
    write_csv(df, a.out)
    print(df.pivot_table(index=['dataset', 'rank'], columns='metric', values='value').round(4).to_string())


if __name__ == '__main__':
    main()
