"""Would other users' training sentences about the item help choose among the decoder's candidates (issue 5)? VALIDATION only.

Per pooled run (scripts/gpu_generate.py --pools; kept out of git under .gpu/pools/<call>) and at the decoding its
validation table chose (results/device-runs/<...>/redecoded/<call>/tuning-seed<S>-<model>.csv.gz), each beam candidate
also scores `weight` x its mean ROUGE-L F1 (0-1, `lcs_f1`) against up to `--sentences` training sentences other users
wrote about the item (`item_evidence`: never the record's own pair), a minimum-Bayes-risk term whose pseudo-references
are people's sentences instead of the model's samples. Prints and writes validation ROUGE-L, FMR and grounding at each
weight (weight 0 must reproduce the chosen row). Test records are not read. `--pseudo user` takes instead the record's
user's own training sentences (about their training items, so never the validation pair), in review order: whether the
user's way of writing, rather than what others say of the item, is what the reference shares.

    python scripts/probe_evidence_rerank.py --pools .gpu/pools/V5 .gpu/pools/V6 \
        --tables results/device-runs/reasons-evidence/redecoded --out results/reason-tuning/evidence-rerank-paper.csv
    python scripts/probe_evidence_rerank.py --pools .gpu/pools/V5 .gpu/pools/V6 --pseudo user \
        --tables results/device-runs/reasons-evidence/redecoded --out results/reason-tuning/evidence-rerank-user-paper.csv
"""
import argparse, sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1])); sys.path.insert(0, str(Path(__file__).resolve().parent))
from llmrec.config import write_csv
from llmrec.generate import decoding_table, item_evidence, mbr_utility, user_features
from probe_reason_rerank import chosen_grid, chosen_pools, validation_data

def user_sentences(rd, user:int, k:int, words:int=50) -> list[list[str]]:
    "Up to `k` of `user`'s own training sentences (cut to `words` tokens), in review order."
    t = rd.train[rd.train.user_idx == user].tokens
    return [list(x[:words]) for x in t.iloc[:k]]


WEIGHTS = (0.0, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--pools', nargs='+', required=True); p.add_argument('--tables', required=True)
    p.add_argument('--models', nargs='+', default=['llmrec']); p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--sentences', type=int, default=20); p.add_argument('--out', required=True)
    p.add_argument('--pseudo', choices=['item', 'user'], default='item',
                   help="pseudo-references: other users' sentences about the item, or the user's own training sentences")
    a = p.parse_args(argv)
    _, rd, valid = validation_data()
    uf, rows = user_features(rd), []
    ev = [item_evidence(rd, u, i, a.sentences, 50) if a.pseudo == 'item' else user_sentences(rd, int(u), a.sentences)
          for u, i in zip(valid.user_idx, valid.item_idx)]
    for src, m, seed, pools, c in chosen_pools(a.pools, a.tables, a.models, a.seeds):
        g = int(bool(c.ground))
        cands, lp = pools[f'beams/valid/{g}']
        U = mbr_utility(cands, pools[f'samples/valid/{g}']) if c.mbr else None
        E = mbr_utility(cands, ev)  # (N, K): mean ROUGE-L F1 against the pseudo-references
        greedy = pools[f'greedy/valid/{g}']
        for w in WEIGHTS:
            r = decoding_table(greedy, cands, np.asarray(lp) + w * E, valid, rd, uf, chosen_grid(c), U).iloc[1]
            if w == 0: assert abs(r['ROUGE-L'] - c['ROUGE-L']) < 1e-6, 'weight 0 must be the committed choice'
            rows.append({'call': src.name, 'model': m, 'seed': seed, 'ground': bool(c.ground), 'true': c.true, 'false': c.false,
                         'user': c.user, 'mbr': c.mbr, 'pseudo': a.pseudo, 'sentences': a.sentences, 'evidence_weight': w, 'ROUGE-L': r['ROUGE-L'],
                         'FMR': r.FMR, 'grounding_precision': r.grounding_precision})
            print(f"{src.name} {m} seed {seed}: evidence weight {w:g}: valid ROUGE-L {r['ROUGE-L']:.2f}, FMR {r.FMR:.3f}, "
                  f"grounding {r.grounding_precision:.3f}", flush=True)
    write_csv(pd.DataFrame(rows), a.out)


if __name__ == '__main__':
    main()
