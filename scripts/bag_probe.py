"""CPU probes behind the bag channel (align option `bag_dim`, twenty-first session), validation split only, seed 0.

Three kinds of rows, all scored by the shared evaluator on the validation targets (the test split is not read):
- `fism`: the channel alone, outside llmrec (FISM: source embeddings of the history summed / sqrt(n), dot target
  embeddings, plus an item bias; softmax over the catalogue, one target per user per epoch, AdamW). `--mode loo`
  trains on the user's other training items (order-free, what the channel does in llmrec); `prefix` on the items
  before a random position only. The best validation NDCG@10 of checks every 10 epochs.
- `nollm`: llmrec-nollm at the paper profile's settings of the dataset with the channel off and on (`--nollm` JSON
  overrides, e.g. the channel's learning rate or its warm-up epochs), through `llmrec.align.fit_align` on the CPU.
- `warmed` (twenty-second session): llmrec-nollm's channel right after its warm-up (`llmrec.align.warm_bag`), before
  any joint epoch: scored alone, and with the untrained towers' cos / temperature added (where the joint run starts).

    python scripts/bag_probe.py --dataset ibm-articles [--kinds fism nollm warmed] [--out results/bag-probe.csv]

Writes (atomically) dataset, kind, setting, epochs, val_NDCG@10, seconds, device; rows of the same dataset, kind and
setting are replaced, the rest stay (`--kinds` runs some kinds only).
"""
import argparse, json, sys, time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from llmrec.align import align_hparams, align_system, fit_align, warm_bag
from llmrec.baselines import device_name
from llmrec.config import load_params, write_csv
from llmrec.data import load_recdata
from llmrec.evaluate import evaluate_scorer, summarize

FISM = [  # (mode, width, history dropout, lr, epochs)
    ('loo', 256, 0.0, 3e-3, 200), ('prefix', 256, 0.0, 3e-3, 200), ('loo', 256, 0.2, 3e-3, 200), ('loo', 512, 0.2, 3e-3, 300)]
NOLLM = [{'max_epochs': 60}, {'max_epochs': 80, 'bag_dim': 256, 'bag_dropout': 0.2},
         {'max_epochs': 80, 'bag_dim': 256, 'bag_dropout': 0.2, 'bag_lr': 0.005},
         # the warm-up (`bag_warmup`, twenty-second session) at IBM's channel settings: 3 joint epochs without and after it
         {'max_epochs': 3, 'eval_every': 1, 'bag_dim': 512, 'bag_lr': 0.005, 'bag_gate': True},
         {'max_epochs': 3, 'eval_every': 1, 'bag_dim': 512, 'bag_lr': 0.005, 'bag_gate': True, 'bag_warmup': 40},
         # then to the end (early stopping) at IBM's warm-up of 30 epochs, with the InfoNCE temperature starting at IBM's
         # 0.2 and at 1.0 (the untrained towers' cos / temperature is noise on the warmed channel's ranking; `warmed`)
         {'bag_dim': 512, 'bag_lr': 0.005, 'bag_gate': True, 'bag_warmup': 30},
         {'bag_dim': 512, 'bag_lr': 0.005, 'bag_gate': True, 'bag_warmup': 30, 'temperature': 1.0}]
WARMED = [  # (channel settings, temperature)
    ({'bag_dim': 512, 'bag_lr': 0.005, 'bag_gate': True, 'bag_warmup': 30}, 0.2),
    ({'bag_dim': 512, 'bag_lr': 0.005, 'bag_gate': True, 'bag_warmup': 30}, 1.0)]


def fism(data, mode:str, dim:int, drop:float, lr:float, epochs:int, seed:int=0, wd:float=0.01) -> tuple[float, float]:
    "Best validation NDCG@10 (checks every 10 epochs) and seconds of the channel trained alone."
    torch.manual_seed(seed); g = np.random.default_rng(seed)
    x = torch.from_numpy(data.history('valid').toarray()).float()  # (n_users, n_items) training items
    seqs = data.train_sequences()
    src, tgt = nn.Embedding(data.n_items, dim), nn.Embedding(data.n_items, dim)
    for e in (src, tgt): nn.init.normal_(e.weight, std=0.05)
    bias = nn.Parameter(torch.zeros(data.n_items))
    opt = torch.optim.AdamW([src.weight, tgt.weight, bias], lr=lr, weight_decay=wd)
    score = lambda h: (h @ src.weight) / h.sum(1, keepdim=True).clamp(min=1).sqrt() @ tgt.weight.T + bias
    users = [u for u in range(data.n_users) if len(seqs[u]) > 1]
    best, t0 = 0.0, time.perf_counter()
    for ep in range(epochs):
        for b in np.array_split(g.permutation(users), max(1, len(users) // 128)):
            h, t = torch.zeros(len(b), data.n_items), []
            for k, u in enumerate(b):
                s = seqs[u]; p = int(g.integers(len(s)) if mode == 'loo' else g.integers(1, len(s)))
                h[k, (np.delete(s, p) if mode == 'loo' else s[:p].copy())] = 1; t.append(s[p])
            if drop: h = h * (torch.rand_like(h) >= drop)
            loss = F.cross_entropy(score(h).masked_fill(h > 0, -1e9), torch.tensor(t))
            opt.zero_grad(); loss.backward(); opt.step()
        if ep % 10 == 9:
            with torch.no_grad():
                m = summarize(evaluate_scorer(lambda us: score(x[us]), data, 'valid', progress=False))
            best = max(best, m['NDCG@10'])
    return best, time.perf_counter() - t0


def warmed(data, hp:dict) -> tuple[float, float, float]:
    "Validation NDCG@10 of llmrec-nollm's channel after its warm-up: alone, and with the untrained towers; seconds."
    t0 = time.perf_counter()
    system = align_system(data, hp)
    warm_bag(system, int(hp['bag_warmup']), accelerator='cpu', enable_progress_bar=False, deterministic=True)
    m, tokens = system.model.eval(), system.inputs['valid']
    with torch.no_grad():
        alone, joint = (summarize(evaluate_scorer(f, data, 'valid', progress=False))['NDCG@10'] for f in
                        (lambda u: m.bag_scores(tokens[u]), lambda u: m(tokens[u], u, 'valid')))
    return alone, joint, time.perf_counter() - t0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--dataset', default='ibm-articles'); p.add_argument('--data-root', default='data')
    p.add_argument('--threads', type=int, default=2); p.add_argument('--out', default='results/bag-probe.csv')
    p.add_argument('--kinds', nargs='+', default=['fism', 'nollm', 'warmed'], choices=['fism', 'nollm', 'warmed'])
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    data, dev, rows = load_recdata(Path(a.data_root) / a.dataset), device_name('cpu'), []
    for mode, dim, drop, lr, epochs in (FISM if 'fism' in a.kinds else []):
        v, s = fism(data, mode, dim, drop, lr, epochs)
        rows.append(('fism', f'{mode}, width {dim}, dropout {drop:g}, lr {lr:g}', epochs, v, s))
        print(rows[-1], flush=True)
    base = align_hparams(load_params('params.yaml', 'paper', ['align'])['align'], a.dataset)
    base.update(bag_dim=0, bag_lr=0.0, bag_dropout=0.0, bag_gate=False, bag_warmup=0)  # the channel only where a probe turns it on
    for over in (NOLLM if 'nollm' in a.kinds else []):
        r = fit_align('llmrec-nollm', data, {**base, **over}, None, None, 0, {'accelerator': 'cpu'}, test=False)
        rows.append(('nollm', json.dumps(over), r.epochs, r.valid['NDCG@10'], r.train_s))
        print(rows[-1], flush=True)
    for over, temp in (WARMED if 'warmed' in a.kinds else []):
        alone, joint, s = warmed(data, {**base, **over, 'temperature': temp})
        for what, v in (('channel alone', alone), ('with the untrained towers', joint)):
            rows.append(('warmed', f'{json.dumps(over)}, temperature {temp:g}: {what}', over['bag_warmup'], v, s))
            print(rows[-1], flush=True)
    key = ['dataset', 'kind', 'setting']
    df = pd.DataFrame(rows, columns=['kind', 'setting', 'epochs', 'val_NDCG@10', 'seconds']).assign(dataset=data.name, device=dev)
    df = df[[*key, 'epochs', 'val_NDCG@10', 'seconds', 'device']]
    if Path(a.out).exists():  # rows run again replace theirs in place; new rows go last
        old, new = pd.read_csv(a.out).set_index(key), df.set_index(key)
        old.update(new)
        df = pd.concat([old, new[~new.index.isin(old.index)]]).reset_index()
    write_csv(df, a.out)
    print(df.to_string(index=False))


if __name__ == '__main__':
    main()
