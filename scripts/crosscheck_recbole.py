"""Independent check of our baselines: RecBole 1.2.1 trains BPR, LightGCN, SASRec (CE) and EASE on *our* ML-100K split.

Four steps, two virtual environments (RecBole needs numpy<2, pandas<3, scipy<1.12, so it lives in .venv-recbole):

    python scripts/crosscheck_recbole.py export  --data data/ml-100k --work /tmp/llmrec-crosscheck    # .venv
    .venv-recbole/bin/python scripts/crosscheck_recbole.py recbole --work /tmp/llmrec-crosscheck     # RecBole
    python scripts/crosscheck_recbole.py ours    --data data/ml-100k --work /tmp/llmrec-crosscheck    # .venv
    python scripts/crosscheck_recbole.py merge   --work /tmp/llmrec-crosscheck \
        --out results/crosscheck.csv --bench results/bench-runs/crosscheck/ml-100k.csv              # .venv

(`--models ease` runs one model; `merge` keeps the committed rows of models it was not given.) The longer-training check of our SASRec behind results/crosscheck-sasrec-40epochs.json
(same settings, a 40-epoch cap instead of 5; RecBole is not rerun):

    python scripts/crosscheck_recbole.py export --data data/ml-100k --work /tmp/cc40 --sasrec-epochs 40
    python scripts/crosscheck_recbole.py ours --data data/ml-100k --work /tmp/cc40 --models sasrec --threads 2
    cp /tmp/cc40/llmrec.json results/crosscheck-sasrec-40epochs.json
 `export` writes our train/valid/test as RecBole benchmark atomic files (so both systems
see the same users, the same targets and the same training interactions; RecBole's own ML-100K split orders timestamp
ties differently) and the shared settings (`settings.json`). Both systems then train with the same embedding size,
layers, heads, max length, dropout, learning rate, epoch budget, evaluation interval and patience, and are scored by
full ranking with the user's history excluded: RecBole does that itself for general models; for sequential models it
does not, so the script masks the history items in RecBole's own `_full_sort_batch_eval` (the single change made to
RecBole's evaluation). Metrics are RecBole's own Hit@10 / NDCG@10 on the RecBole side and llmrec's evaluator on ours.
Seconds per epoch are training only (evaluation excluded) on the same machine, one torch thread each.

What is not matched, by design: RecBole's SASRec is its own architecture (post-LayerNorm blocks, GELU, 4x-wide
feed-forward unless told otherwise: `inner_size` is set to our width) and trains on every prefix of every sequence
(one target each) where ours trains on windows with a target at every position; BPR in RecBole has no L2 term.
EASE (closed form in both, one "epoch" in RecBole) scores a user by their *training* row in RecBole, for the test
target too, where ours adds the validation item to the test target's history (as SASRec's sequence has it), so its
test numbers may differ by that one item per user; validation is the same computation in both.
"""
from __future__ import annotations
import argparse, json, os, sys, time
from pathlib import Path

MODELS = ('bpr', 'lightgcn', 'sasrec', 'ease')
RECBOLE_NAME = {'bpr': 'BPR', 'lightgcn': 'LightGCN', 'sasrec': 'SASRec', 'ease': 'EASE'}


def settings_for(params_path='params.yaml', dataset='ml-100k', epochs=None):
    "The shared settings: our tuned ML-100K hyperparameters (params.yaml), with the cross-check's epoch caps."
    from llmrec.config import load_params
    from llmrec.baselines import model_hparams
    section = load_params(params_path, 'paper')['baselines']
    out = {m: model_hparams(section, dataset, m) for m in MODELS}
    out['sasrec'] = {**out['sasrec'], 'max_len': 50}  # RecBole's per-prefix training at 200 would take hours on 2 cores
    for m, cap in (epochs or {}).items(): out[m]['max_epochs'] = min(out[m]['max_epochs'], cap)
    return out


def cmd_export(a):
    "Our split as RecBole benchmark files: <work>/atomic/ml100k/ml100k.{train,valid,test}.inter (+ seq files)."
    from llmrec.data import load_recdata
    data = load_recdata(a.data)
    work = Path(a.work); d = work / 'atomic' / 'ml100k'; d.mkdir(parents=True, exist_ok=True)
    caps = {m: c for m, c in (('bpr', a.bpr_epochs), ('lightgcn', a.lightgcn_epochs), ('sasrec', a.sasrec_epochs)) if c}
    settings = settings_for(a.params, data.name, caps)
    (work / 'settings.json').write_text(json.dumps(settings, indent=2))
    inter = data.interactions
    for split in ('train', 'valid', 'test'):  # general models: user, item pairs
        part = inter[inter.split == split].sort_values(['user_idx', 'position'])
        lines = ['user_id:token\titem_id:token'] + [f'{u}\t{i}' for u, i in zip(part.user_idx, part.item_idx)]
        (d / f'ml100k.{split}.inter').write_text('\n'.join(lines) + '\n')
    max_len = settings['sasrec']['max_len']
    ds = d.parent / 'ml100kseq'; ds.mkdir(exist_ok=True)
    rows = {'train': [], 'valid': [], 'test': []}
    for u, seq in enumerate(data.train_sequences()):  # sequential: every prefix of the training sequence
        for t in range(1, len(seq)):
            rows['train'].append((u, seq[max(0, t - max_len):t], seq[t]))
    for split in ('valid', 'test'):
        users, targets = data.targets(split)
        seqs = data.sequences(split)
        rows[split] = [(u, seqs[u][-max_len:], i) for u, i in zip(users, targets)]
    for split, rs in rows.items():
        lines = ['user_id:token\titem_id_list:token_seq\titem_id:token']
        lines += [f"{u}\t{' '.join(map(str, h))}\t{i}" for u, h, i in rs]
        (ds / f'ml100kseq.{split}.inter').write_text('\n'.join(lines) + '\n')
    # every user's history per split, by raw token, for the sequential masking on the RecBole side
    hist = {s: {str(u): [str(i) for i in data.history(s)[u].indices] for u in range(data.n_users)} for s in ('valid', 'test')}
    (work / 'history.json').write_text(json.dumps(hist))
    print(f'exported {data.name} to {d.parent}: {len(rows["train"])} training prefixes, settings {work / "settings.json"}')


def cmd_recbole(a):
    "Train the models in RecBole on the exported files; write <work>/recbole.json."
    import numpy as np
    np.float, np.int = float, int  # RecBole 1.2.1 still uses the aliases NumPy removed
    os.environ['TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'] = '1'  # RecBole reloads its own pickled checkpoints (its Config inside)
    import torch
    torch.set_num_threads(a.threads)
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.trainer import Trainer
    from recbole.utils import get_model, init_seed, init_logger

    work = Path(a.work).resolve(); os.chdir(work)  # RecBole writes log/ and log_tensorboard/ into the cwd
    settings = json.loads((work / 'settings.json').read_text())
    history = json.loads((work / 'history.json').read_text())
    results = json.loads((work / 'recbole.json').read_text()) if (work / 'recbole.json').exists() else {}

    class MaskedTrainer(Trainer):
        "RecBole's trainer; full-sort scores of the user's history items (train, +valid at test) set to -inf."
        masks, phase, epoch_s, valid_log = None, 'valid', [], []
        def _train_epoch(self, *args, **kw):
            t = time.perf_counter(); out = super()._train_epoch(*args, **kw)
            self.epoch_s.append(time.perf_counter() - t); return out
        def _full_sort_batch_eval(self, batched_data):
            interaction, scores, positive_u, positive_i = super()._full_sort_batch_eval(batched_data)
            users = interaction[self.config['USER_ID_FIELD']].cpu()
            scores[self.masks[self.phase][users].to(scores.device)] = -float('inf')
            return interaction, scores, positive_u, positive_i
        def _valid_epoch(self, *args, **kw):
            self.phase = 'valid'; score, result = super()._valid_epoch(*args, **kw)
            self.valid_log.append((len(self.epoch_s), float(score))); return score, result  # (epochs trained, score)

    for model in a.models:
        hp = settings[model]
        seq = model == 'sasrec'
        if model == 'ease':  # closed form: no epochs, learning rate or batches of ours to match; one RecBole "epoch"
            hp = {**hp, 'max_epochs': 1, 'eval_every': 1, 'patience': 1, 'lr': 1e-3, 'batch_size': 2048}
        cfg = {
            'data_path': str(work / 'atomic'), 'benchmark_filename': ['train', 'valid', 'test'],
            'USER_ID_FIELD': 'user_id', 'ITEM_ID_FIELD': 'item_id',
            'load_col': {'inter': ['user_id', 'item_id_list', 'item_id'] if seq else ['user_id', 'item_id']},
            'eval_args': {'mode': 'full', 'order': 'TO' if seq else 'RO', 'group_by': 'user'},  # no effect on benchmark files
            'metrics': ['Hit', 'NDCG'], 'topk': [10], 'valid_metric': 'NDCG@10', 'eval_batch_size': 4096,
            'epochs': hp['max_epochs'], 'eval_step': hp['eval_every'], 'stopping_step': hp['patience'],
            'learning_rate': hp['lr'], 'train_batch_size': hp['batch_size'] if not seq else a.sasrec_batch,
            'seed': 0, 'reproducibility': True, 'use_gpu': False, 'show_progress': False,
            'checkpoint_dir': str(work / 'saved'), 'log_wandb': False,
        }
        if model == 'ease':
            cfg.update(reg_weight=hp['l2'])
        elif model == 'bpr':
            cfg.update(embedding_size=hp['dim'])
        elif model == 'lightgcn':
            cfg.update(embedding_size=hp['dim'], n_layers=hp['layers'], reg_weight=hp['l2'], require_pow=True)
        else:
            cfg.update(hidden_size=hp['dim'], inner_size=hp['dim'], n_layers=hp['layers'], n_heads=hp['heads'],
                       hidden_dropout_prob=hp['dropout'], attn_dropout_prob=hp['dropout'], loss_type='CE',
                       MAX_ITEM_LIST_LENGTH=hp['max_len'], train_neg_sample_args=None, hidden_act='relu')
        config = Config(model=RECBOLE_NAME[model], dataset='ml100kseq' if seq else 'ml100k', config_dict=cfg)
        init_seed(config['seed'], config['reproducibility']); init_logger(config)
        dataset = create_dataset(config)
        train_data, valid_data, test_data = data_preparation(config, dataset)
        net = get_model(config['model'])(config, train_data._dataset).to(config['device'])
        trainer = MaskedTrainer(config, net)
        trainer.epoch_s, trainer.valid_log = [], []
        # history masks in RecBole's internal ids (row = internal user id, column = internal item id)
        uid, iid = dataset.uid_field, dataset.iid_field
        masks = {}
        for split in ('valid', 'test'):
            m = torch.zeros(dataset.user_num, dataset.item_num, dtype=torch.bool)
            for u, items in history[split].items():
                if u not in dataset.field2token_id[uid]: continue
                cols = [dataset.field2token_id[iid][i] for i in items if i in dataset.field2token_id[iid]]
                m[dataset.field2token_id[uid][u], cols] = True
            masks[split] = m
        trainer.masks = masks
        t0 = time.perf_counter()
        best_valid, best_valid_result = trainer.fit(train_data, valid_data, saved=True, show_progress=False)
        train_s = time.perf_counter() - t0
        trainer.phase = 'test'
        test_result = trainer.evaluate(test_data, load_best_model=True, show_progress=False)
        results[model] = {'valid': {k: float(v) for k, v in best_valid_result.items()},
                          'test': {k: float(v) for k, v in test_result.items()},
                          'epochs': len(trainer.epoch_s), 's_per_epoch': float(np.mean(trainer.epoch_s)),
                          'best_epoch': max(trainer.valid_log, key=lambda e: e[1])[0] if trainer.valid_log else None,
                          'train_s': train_s, 'settings': hp, 'recbole_config': {k: str(v) for k, v in cfg.items()},
                          'n_users_test': int(len(test_data.dataset)) if seq else int(len(test_data.uid_list))}
        print(model, json.dumps(results[model]['test']), f"{results[model]['s_per_epoch']:.1f} s/epoch", flush=True)
        (work / 'recbole.json').write_text(json.dumps(results, indent=2))


def cmd_ours(a):
    "Train our models with the same settings; write <work>/llmrec.json."
    import torch
    from llmrec.baselines import fit_baseline
    from llmrec.data import load_recdata
    work = Path(a.work)
    settings = json.loads((work / 'settings.json').read_text())
    data = load_recdata(a.data)
    results = json.loads((work / 'llmrec.json').read_text()) if (work / 'llmrec.json').exists() else {}
    for model in a.models:
        r = fit_baseline(model, data, settings[model], seed=0, cpu_threads=a.threads)
        results[model] = {'valid': r.valid, 'test': r.test, 'epochs': r.epochs, 's_per_epoch': r.s_per_epoch,
                          'train_s': r.train_s, 'best_epoch': r.best_epoch, 'settings': settings[model]}
        print(model, json.dumps({k: round(v, 4) for k, v in r.test.items()}), f'{r.s_per_epoch:.1f} s/epoch', flush=True)
        (work / 'llmrec.json').write_text(json.dumps(results, indent=2))


def best_epoch(r:dict) -> int|None:
    "The run's best validation epoch: recorded, or the only check when the run validated once, after its last epoch."
    if r.get('best_epoch'): return int(r['best_epoch'])
    st = r.get('settings', {})  # runs recorded before best_epoch was (the fourth session's RecBole runs)
    return int(r['epochs']) if st.get('eval_every', 0) >= r['epochs'] == st.get('max_epochs') else None


def cmd_merge(a):
    "Write results/crosscheck.csv (dataset,model,system,metric,value) and the timing rows."
    import pandas as pd
    from llmrec.config import write_csv
    from llmrec.baselines import device_name
    work = Path(a.work)
    ours, rb = (json.loads((work / f).read_text()) for f in ('llmrec.json', 'recbole.json'))
    rows, bench = [], []
    for model in MODELS:
        if model not in ours or model not in rb: continue
        for metric, ok, rk in (('HR@10', 'HR@10', 'hit@10'), ('NDCG@10', 'NDCG@10', 'ndcg@10')):
            rows += [('ml-100k', model, 'llmrec', metric, ours[model]['test'][ok]),
                     ('ml-100k', model, 'recbole', metric, rb[model]['test'][rk])]
        rows += [('ml-100k', model, s, 'epochs', float(d[model]['epochs'])) for s, d in (('llmrec', ours), ('recbole', rb))]
        for system, d in (('llmrec', ours), ('recbole', rb)):
            bench += [(f'crosscheck-{model}-ml-100k', system, 'demo', device_name('cpu') + '-1thread', m, float(d[model][m]))
                      for m in (('train_s',) if model == 'ease' else ('s_per_epoch', 'train_s', 'epochs'))]
            if model == 'ease': continue  # no epochs: nothing to reach
            best = best_epoch(d[model])
            if best:  # training seconds until the best validation check, as llmrec's `s_to_best` (align.bench_rows)
                bench.append((f'crosscheck-{model}-ml-100k', system, 'demo', device_name('cpu') + '-1thread', 's_to_best',
                               float(d[model]['s_per_epoch']) * best))
    df = pd.DataFrame(rows, columns=['dataset', 'model', 'system', 'metric', 'value'])
    bench = pd.DataFrame(bench, columns=['benchmark', 'system', 'profile', 'device', 'metric', 'value'])
    if Path(a.out).exists():  # the committed rows of models this work folder did not run stay
        old = pd.read_csv(a.out); df = pd.concat([old[~old.model.isin(set(df.model))], df], ignore_index=True)
    if Path(a.bench).exists():
        old = pd.read_csv(a.bench); bench = pd.concat([old[~old.benchmark.isin(set(bench.benchmark))], bench], ignore_index=True)
    write_csv(df, a.out)
    write_csv(bench, a.bench)
    wide = df[df.metric.isin(['HR@10', 'NDCG@10'])].pivot_table(index=['model', 'metric'], columns='system', values='value')
    wide['llmrec/recbole'] = wide['llmrec'] / wide['recbole']
    print(wide.round(4).to_string())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    for name in ('export', 'recbole', 'ours', 'merge'):
        s = sub.add_parser(name)
        s.add_argument('--work', default='/tmp/llmrec-crosscheck')
        s.add_argument('--data', default='data/ml-100k'); s.add_argument('--params', default='params.yaml')
        s.add_argument('--models', nargs='+', default=list(MODELS)); s.add_argument('--threads', type=int, default=1)
        s.add_argument('--sasrec-epochs', type=int, default=5, help='epoch cap for SASRec in both systems (0: none)')
        s.add_argument('--bpr-epochs', type=int, default=100, help='epoch cap for BPR in both systems (0: none)')
        s.add_argument('--lightgcn-epochs', type=int, default=60, help='epoch cap for LightGCN in both systems (0: none)')
        s.add_argument('--sasrec-batch', type=int, default=256, help="RecBole SASRec batch (prefixes); ours uses params'")
        s.add_argument('--out', default='results/crosscheck.csv')
        s.add_argument('--bench', default='results/bench-runs/crosscheck/ml-100k.csv')
    a = p.parse_args(argv)
    {'export': cmd_export, 'recbole': cmd_recbole, 'ours': cmd_ours, 'merge': cmd_merge}[a.cmd](a)


if __name__ == '__main__':
    main()
