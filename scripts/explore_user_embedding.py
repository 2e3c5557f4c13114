"""Exploration (thirteenth session, not part of the pipeline): llmrec with a learned per-user ID embedding added where
the user tower fuses the profile, against llmrec as it is; one dataset, seed 0, validation only (test never scored).

The idea: give llmrec what BPR has on IBM articles (a free vector per user). The class below is patched into
`llmrec.align` for the 'on' run only; nothing in the library changes. The paper profile's MiniLM vectors first:

    llmrec encode --data data/ibm-articles --out /tmp/enc-ibm --cache models/encoders --params P
      (P = params.yaml with base.profile paper, profiles.paper.accelerator cpu, encode.paper.encoders [minilm])
    python scripts/explore_user_embedding.py off --vectors /tmp/enc-ibm
    python scripts/explore_user_embedding.py on --vectors /tmp/enc-ibm

Thirteenth session, 2-core CPU, IBM articles: validation NDCG@10 0.1040 off, 0.1022 on (30 epochs each, best 25).
"""
import argparse, os, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import torch.nn as nn

import llmrec.align as A
from llmrec.config import load_params
from llmrec.data import load_recdata


class UserIdTower(A.UserTower):
    "The user tower plus a learned embedding per user, added to the fused state (its profiles' rows count the users)."
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.user_embedding = nn.Embedding(self.profile_vectors.shape[1], self.dim)
        nn.init.normal_(self.user_embedding.weight, std=0.02)

    def fuse(self, h, users, role, on=None): return super().fuse(h, users, role, on) + self.user_embedding(users)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=['off', 'on'])
    ap.add_argument('--vectors', required=True, help='the encode output of the paper profile (MiniLM)')
    ap.add_argument('--dataset', default='ibm-articles')
    a = ap.parse_args()
    if a.mode == 'on': A.UserTower = UserIdTower  # build_two_tower looks the class up at call time
    p = load_params(profile='paper'); p['run']['accelerator'] = 'cpu'
    hp = A.align_hparams(p['align'], a.dataset)
    t = time.time()
    r = A.align_run('llmrec', load_recdata(f'data/{a.dataset}'), p['align'], p['run'], a.vectors, 0, hp, False)
    print(f"{a.dataset} user embedding {a.mode}: valid NDCG@10 {r.valid['NDCG@10']:.4f} HR@10 {r.valid['HR@10']:.4f}, "
          f"{r.epochs} epochs (best {r.best_epoch}), {time.time() - t:.0f} s", flush=True)


if __name__ == '__main__':
    main()
