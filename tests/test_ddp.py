"""Distributed training on the CPU (issue 10): the alignment trainer under Lightning DDP with the gloo backend on two
processes gives the same model as one process with the same seed and the same global batch."""
import json, os, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Run as a script because Lightning's 'ddp' strategy starts the other ranks by re-running the command.
SCRIPT = r'''
import json, sys
import torch, torch.nn.functional as F
from llmrec.align import ALIGN_HP, dist_rank_world, fit_align, is_rank_zero
from llmrec.baselines import toy_recdata
devices, out = int(sys.argv[1]), sys.argv[2]
data = toy_recdata(n_users=90, n_items=30, n_blocks=3, seq_len=8)
g = torch.Generator().manual_seed(0)
blocks = F.normalize(torch.randn(3, 32, generator=g), dim=-1)
iv = F.normalize(blocks.repeat_interleave(10, 0) + 0.5 * torch.randn(30, 32, generator=g), dim=-1)
pv = F.normalize(torch.randn(90, 32, generator=g), dim=-1)
# no dropout: each rank draws its own masks, so only a dropout-free model can match one process exactly
hp = {**ALIGN_HP, 'dim': 32, 'max_len': 8, 'dropout': 0.0, 'text_dropout': 0.0, 'lr': 5e-3, 'batch_size': 32,
      'max_epochs': 2, 'patience': 10, 'eval_every': 1}
run = {'accelerator': 'cpu', 'devices': devices, 'strategy': 'ddp' if devices > 1 else 'auto', 'precision': '32-true'}
r = fit_align('llmrec', data, hp, iv, pv, seed=0, run=run)
if is_rank_zero():
    with open(out, 'w') as f:
        json.dump({'test': r.test, 'epochs': r.epochs, 'temperature': r.extras['temperature'],
                   'world': dist_rank_world()[1]}, f)
'''


@pytest.mark.slow
def test_ddp_gloo_two_processes_match_one(tmp_path):
    script = tmp_path / 'ddp_align.py'
    script.write_text(SCRIPT)
    env = {**os.environ, 'PYTHONPATH': str(ROOT), 'PL_TORCH_DISTRIBUTED_BACKEND': 'gloo', 'OMP_NUM_THREADS': '1',
           'MASTER_ADDR': '127.0.0.1', 'MASTER_PORT': '29533'}
    res = {}
    for n in (1, 2):
        out = tmp_path / f'devices{n}.json'
        p = subprocess.run([sys.executable, str(script), str(n), str(out)], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stderr[-3000:]
        res[n] = json.loads(out.read_text())
    one, two = res[1], res[2]
    assert one['world'] == 1 and two['world'] == 2  # really two processes in one gloo group
    assert one['epochs'] == two['epochs'] == 2
    print(one, two)
    assert abs(one['temperature'] - two['temperature']) < 1e-4, (one, two)
    for m in ('HR@10', 'NDCG@10', 'MRR@10'):
        assert abs(one['test'][m] - two['test'][m]) < 0.02, (m, one['test'], two['test'])


def test_ranks_split_each_global_batch(monkeypatch):
    "Under DDP each rank reads its share of every global batch: together the ranks see each window exactly once."
    import torch
    import llmrec.align as align
    from llmrec.baselines import toy_recdata
    seqs = toy_recdata(n_users=40, n_items=20, n_blocks=2, seq_len=8).train_sequences()
    batches = {}
    for rank, world in ((0, 1), (0, 2), (1, 2)):
        monkeypatch.setattr(align, 'dist_rank_world', lambda: (rank, world))
        ds = align.AlignBatches(seqs, max_len=4, batch_size=8, seed=0)
        batches[rank, world] = [b[0] for b in ds]  # inputs of every batch of epoch 0
    one, r0, r1 = batches[0, 1], batches[0, 2], batches[1, 2]
    assert len(one) == len(r0) == len(r1) > 1
    for full, a, b in zip(one, r0, r1):
        assert len(a) + len(b) == len(full) and abs(len(a) - len(b)) <= 1
        rows = lambda t: sorted(map(tuple, t[:, -1:].tolist()))  # last input token of each window
        assert rows(torch.cat([a[:, -1:], b[:, -1:]])) == rows(full[:, -1:])
