"The import scripts that turn device runs into committed results: which grid point is marked chosen, what is kept."
import contextlib, io, json, runpy, sys, tarfile
from unittest import mock
from pathlib import Path

import numpy as np
import pytest
import pandas as pd

from llmrec.evaluate import METRICS

ROOT = Path(__file__).resolve().parents[1]


def _per_user(seed, n=20):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({'user_idx': np.arange(n), **{m: rng.random(n) for m in METRICS}})


def _run(script, *args, cwd):
    "Run a script as `python scripts/<script> args` would, from `cwd`, in this process (llmrec's imports are paid once)."
    path, out = ROOT / 'scripts' / script, io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), mock.patch.object(sys, 'argv', [str(path), *args]):
        try: runpy.run_path(str(path), run_name='__main__')
        except SystemExit as e: assert not e.code, f'{script} {" ".join(args)}: exit {e.code}'
    return out.getvalue()


def _tune(ds, point, hp, ndcg):
    return {'kind': 'tune', 'dataset': ds, 'model': 'sasrec', 'seed': 0, 'point': point, 'hparams': hp,
            'valid': {'HR@10': 2 * ndcg, 'NDCG@10': ndcg}, 'test': None, 'best_epoch': 5, 'epochs': 10}


def test_import_marks_the_point_the_finals_used_and_keeps_other_grids(tmp_path):
    "Finals run apart (--final-only: point -1) mark the grid point with their hyperparameters, not the highest."
    grid, finals = tmp_path / 'grid', tmp_path / 'finals'
    grid.mkdir(); finals.mkdir()
    a, b = {'dim': 64, 'lr': 1e-3}, {'dim': 128, 'lr': 1e-3}
    (grid / 'runs.jsonl').write_text('\n'.join(json.dumps(r) for r in [_tune('ds1', 0, a, 0.05), _tune('ds1', 1, b, 0.04)]) + '\n')
    stage = tmp_path / 'stage' / 'per_user' / 'ds1'; stage.mkdir(parents=True)
    recs = []
    for s in (0, 1):
        _per_user(s).to_parquet(stage / f'sasrec-seed{s}.parquet')
        recs.append({'kind': 'final', 'dataset': 'ds1', 'model': 'sasrec', 'seed': s, 'point': -1, 'hparams': b,
                     'valid': {'NDCG@10': 0.04}, 'test': {'NDCG@10': 0.03}, 'best_epoch': 5, 'epochs': 10, 'train_s': 1.0,
                     's_per_epoch': 0.1, 'device': 'cpu'})
    (finals / 'runs.jsonl').write_text('\n'.join(json.dumps(r) for r in recs) + '\n')
    with tarfile.open(finals / 'per_user.tar.gz', 'w:gz') as t: t.add(stage.parent, arcname='per_user')
    out = tmp_path / 'repo'; out.mkdir()
    pd.DataFrame([{'dataset': 'ds0', 'model': 'sasrec', 'point': 0, 'dim': 256, 'val_NDCG@10': 0.1, 'chosen': True}]
                 ).to_csv(out / 'tuning.csv', index=False)
    _run('import_gpu_baselines.py', '--src', str(grid), str(finals), '--grid-csv', 'tuning.csv', cwd=out)
    t = pd.read_csv(out / 'tuning.csv')
    assert list(t.dataset) == ['ds0', 'ds1', 'ds1']  # the other dataset's grid is kept
    chosen = t[t.dataset == 'ds1'].set_index('point').chosen
    assert not chosen[0] and chosen[1]  # the finals' point (width 128), though point 0 was higher on validation
    rows = pd.read_csv(out / 'results/runs/paper/ds1/baselines.csv')
    assert sorted(set(rows.seed)) == [0, 1] and set(rows.metric) == set(METRICS)


def test_align_goals_recomputes_only_the_datasets_named(tmp_path):
    "--datasets: those rows are recomputed from runs and per-user files; the other rows of --out stay as they were."
    ds = 'amazon-scientific'
    for model, stage, shift in (('llmrec', 'align', 0.02), ('sasrec', 'baselines', 0.0)):
        rows, d = [], tmp_path / 'models/paper' / ds / stage
        d.mkdir(parents=True, exist_ok=True)
        for s in range(3):
            pu = _per_user(s); pu['NDCG@10'] += shift; pu['HR@10'] += shift
            pu.to_parquet(d / f'{model}-seed{s}.parquet')
            rows += [{'dataset': ds, 'model': model, 'profile': 'paper', 'seed': s, 'metric': m, 'value': pu[m].mean()}
                     for m in ('NDCG@10', 'HR@10')]
        f = tmp_path / 'results/runs/paper' / ds / f'{stage}.csv'; f.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(f, index=False)
    old = pd.DataFrame([{'dataset': 'ibm-articles', 'metric': m, 'llmrec': 0.5, 'best_baseline': 'sasrec', 'baseline': 0.4,
                         'ratio': 1.25, 'p_value': 0.01} for m in ('NDCG@10', 'HR@10')])
    old.to_csv(tmp_path / 'goals.csv', index=False)
    _run('align_goals.py', '--root', str(tmp_path), '--out', str(tmp_path / 'goals.csv'), '--datasets', ds, cwd=tmp_path)
    g = pd.read_csv(tmp_path / 'goals.csv')
    assert list(zip(g.dataset, g.metric)) == [(ds, 'NDCG@10'), ('ibm-articles', 'NDCG@10'), (ds, 'HR@10'), ('ibm-articles', 'HR@10')]
    assert (g[g.dataset == 'ibm-articles'].ratio == 1.25).all()  # kept, though no runs of it exist here
    sci = g[(g.dataset == ds) & (g.metric == 'NDCG@10')].iloc[0]
    assert sci.best_baseline == 'sasrec' and sci.ratio > 1 and sci.p_value < 0.05  # recomputed: +0.02 for every user


def test_import_with_a_round_keeps_the_earlier_rounds_of_the_same_grid(tmp_path):
    "--round: a later round of (dataset, model) is added beside the earlier ones; without it, it replaces them."
    grid = tmp_path / 'grid'; grid.mkdir()
    (grid / 'runs.jsonl').write_text(json.dumps(_tune('ds1', 0, {'dim': 512}, 0.06)) + '\n')
    out = tmp_path / 'repo'; out.mkdir()
    pd.DataFrame([{'dataset': 'ds1', 'model': 'sasrec', 'round': 2, 'point': 0, 'dim': 256, 'val_NDCG@10': 0.05,
                   'chosen': True}]).to_csv(out / 'tuning.csv', index=False)
    _run('import_gpu_baselines.py', '--src', str(grid), '--grid-csv', 'tuning.csv', '--round', '3', cwd=out)
    t = pd.read_csv(out / 'tuning.csv')
    assert list(zip(t['round'], t.dim, t.chosen)) == [(2, 256, True), (3, 512, True)]  # each round marks its own choice
    _run('import_gpu_baselines.py', '--src', str(grid), '--grid-csv', 'tuning.csv', '--round', '3', cwd=out)
    assert len(pd.read_csv(out / 'tuning.csv')) == 2  # the same round again replaces itself
    _run('import_gpu_baselines.py', '--src', str(grid), '--grid-csv', 'tuning.csv', cwd=out)
    assert len(pd.read_csv(out / 'tuning.csv')) == 1  # no round: the pair's grid is replaced whole


def test_append_align_tuning_fills_the_base_and_replaces_its_own_round(tmp_path):
    "A grid's CSV holds only what it varied: the rest comes from the hparams it ran on; rerunning a round replaces it."
    hp = {'ds1': {'dim': 128, 'max_len': 50, 'profile_prior': True, 'dropout': 0.3, 'layers': 2, 'lr': 5e-4, 'text_hidden': 0}}
    (tmp_path / 'hp.json').write_text(json.dumps(hp))
    fitted = {'val_HR@10': 0.2, 'best_epoch': 3, 'epochs': 8, 's_per_epoch': 1.0, 'temperature': 0.06, 'id_gate_mean': 0.5,
              'profile_gate_mean': 0.5, 'prior_weight': 0.7}
    pd.DataFrame([{'dataset': 'ds1', 'whiten': None, 'val_NDCG@10': 0.10, **fitted},
                  {'dataset': 'ds1', 'whiten': True, 'val_NDCG@10': 0.11, **fitted}]).to_csv(tmp_path / 'grid.csv', index=False)
    pd.DataFrame([{'dataset': 'ds1', 'round': 1, 'dim': 64, 'val_NDCG@10': 0.09}]).to_csv(tmp_path / 'at.csv', index=False)
    args = ('--tuning', str(tmp_path / 'grid.csv'), '--round', '4', '--hparams', str(tmp_path / 'hp.json'), '--out', str(tmp_path / 'at.csv'))
    _run('append_align_tuning.py', *args, cwd=tmp_path)
    _run('append_align_tuning.py', *args, cwd=tmp_path)  # the same round again replaces itself
    t = pd.read_csv(tmp_path / 'at.csv')
    assert list(t['round']) == [1, 4, 4] and list(t.dim) == [64, 128, 128]  # the base's width, the grid's own score
    assert list(t.whiten) == [False, False, True] and (t.tune_layers == 0).all()  # defaults where a round had no column
    pd.DataFrame([{'dataset': 'ds1', 'dim': 256, 'val_NDCG@10': 0.12, **{k: v for k, v in fitted.items() if k != 'prior_weight'}}]
                 ).to_csv(tmp_path / 'grid5.csv', index=False)  # a round that varied the width, without a profile prior
    _run('append_align_tuning.py', '--tuning', str(tmp_path / 'grid5.csv'), '--round', '5', *args[4:], cwd=tmp_path)
    t = pd.read_csv(tmp_path / 'at.csv')
    assert list(t.dim) == [64, 128, 128, 256] and t.prior_weight.isna().iloc[-1]  # the grid's own width, not the base's
    # settings a grid did not vary come from the hparams it ran on (whitening, batch size; the starting temperature is
    # `temperature` there), and rows from before a column existed take the code defaults
    (tmp_path / 'hp6.json').write_text(json.dumps({'ds1': {**hp['ds1'], 'whiten': True, 'temperature': 0.3, 'batch_size': 512}}))
    pd.DataFrame([{'dataset': 'ds1', 'init_temperature': t0, 'val_NDCG@10': v, **fitted} for t0, v in ((0.1, 0.13), (None, 0.14))]
                 ).to_csv(tmp_path / 'grid6.csv', index=False)
    _run('append_align_tuning.py', '--tuning', str(tmp_path / 'grid6.csv'), '--round', '6', '--hparams', str(tmp_path / 'hp6.json'),
         '--out', str(tmp_path / 'at.csv'), cwd=tmp_path)
    t = pd.read_csv(tmp_path / 'at.csv')
    assert list(t.init_temperature) == [0.07] * 4 + [0.1, 0.3] and list(t.batch_size) == [256] * 4 + [512, 512]
    assert list(t.whiten) == [False, False, True, False, True, True] and list(t.heads) == [2] * 6
    # a round in two calls, from before gpu_align.py wrote init_temperature: the starts come from the calls' logs, and
    # a point both calls ran (GPU runs repeat exactly) is one row
    line = 'ds1 llmrec seed 0: valid {:.4f} test nan epochs 8 best 3 9 s {{"temperature": {}}}\n'
    for i, pts in enumerate([((0.3, 0.15), (0.07, 0.13)), ((0.3, 0.15), (0.5, 0.11))]):
        pd.DataFrame([{'dataset': 'ds1', 'val_NDCG@10': v, **fitted} for _, v in pts]).to_csv(tmp_path / f'call{i}.csv', index=False)
        (tmp_path / f'call{i}.log').write_text(''.join(line.format(v, t0) for t0, v in pts))
    two = [str(tmp_path / f'call{i}.{x}') for x in ('csv', 'log') for i in (0, 1)]
    _run('append_align_tuning.py', '--tuning', *two[:2], '--logs', *two[2:], '--round', '7', '--hparams', str(tmp_path / 'hp6.json'),
         '--out', str(tmp_path / 'at.csv'), cwd=tmp_path)
    t = pd.read_csv(tmp_path / 'at.csv')
    assert list(t['round'].iloc[6:]) == [7] * 3 and list(t.init_temperature.iloc[6:]) == [0.3, 0.07, 0.5]
    # a round on the text the encoder read: gpu_align.py writes each run's encode settings (and the variant's name)
    enc = {'item_max_tokens': 128, 'description_chars': 600, 'user_max_tokens': 256, 'profile_items': 20}
    pd.DataFrame([{'dataset': 'ds1', 'encode': None, 'val_NDCG@10': 0.15, **fitted, **enc},
                  {'dataset': 'ds1', 'encode': 'i64', 'val_NDCG@10': 0.16, **fitted, **enc, 'item_max_tokens': 64}]
                 ).to_csv(tmp_path / 'grid8.csv', index=False)
    _run('append_align_tuning.py', '--tuning', str(tmp_path / 'grid8.csv'), '--round', '8', '--hparams', str(tmp_path / 'hp6.json'),
         '--out', str(tmp_path / 'at.csv'), cwd=tmp_path)
    t = pd.read_csv(tmp_path / 'at.csv')
    assert list(t.item_max_tokens) == [128] * 10 + [64] and (t.profile_items == 20).all() and 'encode' not in t
    assert list(t['round'].iloc[-2:]) == [8, 8] and t.whiten.iloc[-1]  # the rest from the hparams it ran on
    # a round on the per-user embedding: its row says so and keeps its gate; earlier rows ran without one
    pd.DataFrame([{'dataset': 'ds1', 'user_embedding': True, 'val_NDCG@10': 0.17, **fitted, 'user_gate_mean': 0.4}]
                 ).to_csv(tmp_path / 'grid9.csv', index=False)
    _run('append_align_tuning.py', '--tuning', str(tmp_path / 'grid9.csv'), '--round', '9', '--hparams', str(tmp_path / 'hp6.json'),
         '--out', str(tmp_path / 'at.csv'), cwd=tmp_path)
    t = pd.read_csv(tmp_path / 'at.csv')
    assert list(t.user_embedding) == [False] * 11 + [True] and t.user_gate_mean.iloc[-1] == 0.4 and t.user_gate_mean.iloc[:-1].isna().all()
    # a grid over two datasets whose rounds differ: --datasets takes one's rows; the bag channel's columns, new in
    # this round, come from the grid where it varied them and take their defaults (off) in every earlier row
    (tmp_path / 'hp9.json').write_text(json.dumps({'ds1': hp['ds1'], 'ds2': hp['ds1']}))
    pd.DataFrame([{'dataset': d, 'bag_dim': b, 'bag_gate': g, 'val_NDCG@10': v, **fitted}
                  for d, b, g, v in (('ds1', 512, True, 0.2), ('ds1', None, None, 0.1), ('ds2', 256, False, 0.3))]
                 ).to_csv(tmp_path / 'grid10.csv', index=False)
    _run('append_align_tuning.py', '--tuning', str(tmp_path / 'grid10.csv'), '--datasets', 'ds1', '--round', '10',
         '--hparams', str(tmp_path / 'hp9.json'), '--out', str(tmp_path / 'at.csv'), cwd=tmp_path)
    t = pd.read_csv(tmp_path / 'at.csv')
    assert set(t.dataset) == {'ds1'} and list(t.bag_dim) == [0] * 12 + [512, 0]
    assert list(t.bag_gate) == [False] * 12 + [True, False] and (t.bag_lr == 0).all()


def test_merge_keeps_the_encoders_that_read_the_same_texts(tmp_path):
    "Each archive holds its own encoder's manifest: merged, the record lists every encoder that read the same texts."
    texts = {'template_version': 'v1', 'item_max_tokens': 128, 'description_chars': 600, 'user_max_tokens': 256, 'profile_items': 20}
    def archive(name, enc, **changed):
        d = tmp_path / name / 'models/paper/ds1/encode'; d.mkdir(parents=True)
        (d / 'manifest.json').write_text(json.dumps({**texts, **changed, 'dataset': 'ds1', 'encoders': {enc: {'dim': 8}}}))
        with tarfile.open(tmp_path / f'{name}.tgz', 'w:gz') as t: t.add(tmp_path / name / 'models', 'models')
        return str(tmp_path / f'{name}.tgz')
    out = tmp_path / 'repo'; out.mkdir()
    _run('merge_gpu_results.py', archive('a', 'minilm'), archive('b', 'smollm2'), cwd=out)
    rec = lambda: json.loads((out / 'results/encode-manifests/paper/ds1.json').read_text())
    assert set(rec()['encoders']) == {'minilm', 'smollm2'}
    _run('merge_gpu_results.py', archive('c', 'smollm2', item_max_tokens=64), cwd=out)  # other texts: the old record goes
    assert set(rec()['encoders']) == {'smollm2'} and rec()['item_max_tokens'] == 64
    _run('merge_gpu_results.py', archive('d', 'minilm', item_max_tokens=64), cwd=out)   # the same texts: kept beside it
    assert set(rec()['encoders']) == {'minilm', 'smollm2'}


def test_import_interact_keeps_the_served_models_row(tmp_path):
    "The interaction's files land as stage outputs, and the served model's seed-0 test row is kept beside them."
    src = tmp_path / 'src'; src.mkdir()
    row = lambda v: pd.DataFrame([{'dataset': 'ds1', 'model': 'llmrec', 'profile': 'paper', 'seed': 0, 'metric': m, 'value': v}
                                  for m in ('HR@10', 'NDCG@10')])
    inter = row(0.2).assign(turn=0)
    inter.to_csv(src / 'interact-ds1.csv', index=False); inter.to_csv(src / 'bench-interact-ds1.csv', index=False)
    pd.DataFrame({'alpha': [0.5]}).to_csv(src / 'tuning-ds1.csv', index=False)
    (src / 'chosen-ds1.json').write_text('{"alpha": 0.5, "beta": 0.0}')
    row(0.11).to_csv(src / 'align-ds1.csv', index=False)  # the served model's seed-0 run
    (tmp_path / 'results/runs/paper/ds1').mkdir(parents=True)
    row(0.10).to_csv(tmp_path / 'results/runs/paper/ds1/align.csv', index=False)  # the table's: another model
    _run('import_gpu_interact.py', '--src', str(src), cwd=tmp_path)
    assert pd.read_csv(tmp_path / 'results/interact-runs/paper/ds1/interact.csv').equals(inter)
    served = pd.read_csv(tmp_path / 'results/interact-tuning/paper/ds1-served.csv')
    assert (served.value == 0.11).all() and json.loads((tmp_path / 'results/interact-tuning/paper/ds1.json').read_text())['alpha'] == 0.5


def test_restore_per_user_takes_the_archived_run_that_reproduces_the_row(tmp_path):
    "Of two archived runs of one (dataset, model, seed), the one whose means give the table's row is restored; a row no"
    "archive reproduces is reported and left empty, never filled from another run."
    def archive(path, members):
        path.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(path, 'w:gz') as tar:
            for name, df in members.items():
                buf = io.BytesIO(); df.to_parquet(buf, index=False); data = buf.getvalue()
                info = tarfile.TarInfo(name); info.size = len(data); tar.addfile(info, io.BytesIO(data))
    old, new, base = _per_user(1), _per_user(2), _per_user(3)
    runs = tmp_path / 'results/device-runs'
    archive(runs / 'r1/align-a.tgz', {'models/paper/ds1/align/llmrec-seed0.parquet': old})
    archive(runs / 'r2/align-b.tgz', {'models/paper/ds1/align/llmrec-seed0.parquet': new})
    archive(runs / 'r1/bl/per_user.tar.gz', {'per_user/ds1/sasrec-seed0.parquet': base})
    rows = lambda model, df, seeds=(0,): [{'dataset': 'ds1', 'model': model, 'profile': 'paper', 'seed': s, 'metric': m,
                                           'value': float(f'{df[m].mean():.6g}')} for s in seeds for m in METRICS]
    (tmp_path / 'results/runs/paper/ds1').mkdir(parents=True)
    pd.DataFrame(rows('llmrec', old)).to_csv(tmp_path / 'results/runs/paper/ds1/align.csv', index=False)  # the older run
    pd.DataFrame(rows('sasrec', base, (0, 1))).to_csv(tmp_path / 'results/runs/paper/ds1/baselines.csv', index=False)
    out = _run('restore_per_user.py', '--check', cwd=tmp_path)
    assert 'would restore 2' in out and 'ds1 sasrec seed 1' in out and not (tmp_path / 'models').exists()
    out = _run('restore_per_user.py', cwd=tmp_path)
    got = pd.read_parquet(tmp_path / 'models/paper/ds1/align/llmrec-seed0.parquet')
    assert np.allclose(got['NDCG@10'], old['NDCG@10']) and not np.allclose(got['NDCG@10'], new['NDCG@10'])
    assert (tmp_path / 'models/paper/ds1/baselines/sasrec-seed0.parquet').exists()
    assert not (tmp_path / 'models/paper/ds1/baselines/sasrec-seed1.parquet').exists() and 'reproduces 1 rows' in out


def test_by_history_bins_users_by_training_items_and_averages_seeds(tmp_path):
    "Each user lands in the bin of their training-item count; a bin's score is its users' mean of the seed-averaged metric."
    counts = {0: 1, 1: 3, 2: 4, 3: 20}  # user -> training items: bins 1, 3-4, 3-4, 17+
    rows = [{'user_idx': u, 'item_idx': i, 'split': 'train'} for u, n in counts.items() for i in range(n)]
    rows += [{'user_idx': u, 'item_idx': 99, 'split': s} for u in counts for s in ('valid', 'test')]
    (tmp_path / 'data/ds1').mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(tmp_path / 'data/ds1/interactions.parquet', index=False)
    (tmp_path / 'results').mkdir()
    pd.DataFrame([{'dataset': 'ds1', 'metric': 'NDCG@10', 'best_baseline': 'bpr'}]).to_csv(
        tmp_path / 'results/align-goals-paper.csv', index=False)
    for stage, model, vals in (('align', 'llmrec', {0: [0.1, 0.3], 1: [0.2, 0.2], 2: [0.4, 0.0], 3: [0.0, 0.0]}),
                               ('baselines', 'bpr', {0: [0.0, 0.0], 1: [0.0, 0.0], 2: [0.0, 0.0], 3: [0.5, 0.7]})):
        d = tmp_path / 'models/paper/ds1' / stage; d.mkdir(parents=True)
        for s in (0, 1):
            pd.DataFrame({'user_idx': list(vals), 'NDCG@10': [v[s] for v in vals.values()],
                          'HR@10': [v[s] for v in vals.values()]}).to_parquet(d / f'{model}-seed{s}.parquet', index=False)
    _run('by_history.py', '--datasets', 'ds1', cwd=tmp_path)
    t = pd.read_csv(tmp_path / 'results/by-history-paper.csv', dtype={'train_items': str}).set_index(['model', 'train_items'])
    assert list(t.loc['llmrec'].index) == ['1', '3-4', '17+'] and list(t.loc['llmrec'].users) == [1, 2, 1]
    assert np.isclose(t.loc[('llmrec', '1'), 'NDCG@10'], 0.2) and np.isclose(t.loc[('llmrec', '3-4'), 'NDCG@10'], 0.2)
    assert np.isclose(t.loc[('bpr', '17+'), 'NDCG@10'], 0.6) and (t.seeds == 2).all()


def test_crosscheck_merge_keeps_the_committed_rows_of_models_it_did_not_run(tmp_path):
    "A cross-check of one model (--models ease) adds its rows; the other models' committed rows and timings stay."
    work, out = tmp_path / 'work', tmp_path / 'repo'
    work.mkdir(); out.mkdir()
    run = lambda hr, nd: {'test': {'HR@10': hr, 'NDCG@10': nd, 'hit@10': hr, 'ndcg@10': nd}, 'epochs': 1,
                          's_per_epoch': 0.2, 'train_s': 0.3, 'best_epoch': 1, 'settings': {}}
    (work / 'llmrec.json').write_text(json.dumps({'ease': run(0.14, 0.07)}))
    (work / 'recbole.json').write_text(json.dumps({'ease': run(0.13, 0.069)}))
    old = pd.DataFrame([('ml-100k', 'bpr', s, m, v) for s in ('llmrec', 'recbole') for m, v in (('HR@10', 0.1), ('NDCG@10', 0.05))],
                       columns=['dataset', 'model', 'system', 'metric', 'value'])
    old.to_csv(out / 'cc.csv', index=False)
    pd.DataFrame([('crosscheck-bpr-ml-100k', 'llmrec', 'demo', 'cpu', 's_per_epoch', 1.5)],
                 columns=['benchmark', 'system', 'profile', 'device', 'metric', 'value']).to_csv(out / 'bench.csv', index=False)
    _run('crosscheck_recbole.py', 'merge', '--work', str(work), '--out', 'cc.csv', '--bench', 'bench.csv', cwd=out)
    cc = pd.read_csv(out / 'cc.csv')
    assert set(cc.model) == {'bpr', 'ease'} and cc[cc.model == 'bpr'].value.tolist() == old.value.tolist()
    assert cc.set_index(['model', 'system', 'metric']).value[('ease', 'recbole', 'NDCG@10')] == 0.069
    bench = pd.read_csv(out / 'bench.csv')
    assert set(bench.benchmark) == {'crosscheck-bpr-ml-100k', 'crosscheck-ease-ml-100k'}
    assert set(bench[bench.benchmark == 'crosscheck-ease-ml-100k'].metric) == {'train_s'}  # a closed form has no epochs


def test_ease_rank_full_rank_is_the_fitted_model_and_a_tiny_rank_loses():
    "Rank 0 (the full map) scores as fit_baseline's validation; rank 1 scores far lower, rank 29 of 30 above it."
    import torch
    from llmrec.baselines import fit_baseline, toy_recdata
    rank_rows = runpy.run_path(str(ROOT / 'scripts' / 'ease_rank.py'))['rank_rows']
    toy = toy_recdata(n_users=60, n_items=30, n_blocks=3, seq_len=8, seed=2)
    torch.set_num_threads(1)
    rows = pd.DataFrame(rank_rows(toy, 1.0, [1, 30]))
    nd = rows[rows.metric == 'NDCG@10'].set_index('rank').value
    assert set(nd.index) == {0, 1} and 30 not in nd.index  # a rank >= the item count is the full map: not repeated
    assert nd[0] == pytest.approx(fit_baseline('ease', toy, {'l2': 1.0}, test=False).valid['NDCG@10'])
    assert nd[1] < nd[0] - 0.1
    near = pd.DataFrame(rank_rows(toy, 1.0, [29]))
    assert near[(near.metric == 'NDCG@10') & (near['rank'] == 29)].value.iloc[0] > nd[1]  # nearly all of the map


def test_bench_ease_times_both_layouts_and_they_score_alike(tmp_path):
    "The benchmark's two validation checks (row-major, column-major weights) must agree on NDCG@10; rows per step."
    from llmrec.baselines import toy_recdata
    from llmrec.config import write_json, write_parquet
    toy = toy_recdata(n_users=40, n_items=20, n_blocks=2, seq_len=6, seed=3)
    for t in ('items', 'users', 'interactions'): write_parquet(getattr(toy, t), tmp_path / 'data' / 'toy' / f'{t}.parquet')
    write_json({'dataset': 'toy', 'n_users': toy.n_users, 'n_items': toy.n_items}, tmp_path / 'data' / 'toy' / 'stats.json')
    _run('bench_ease.py', '--dataset', 'toy', '--data-root', 'data', '--l2', '1.0', '--threads', '1', '--out', 'timing.csv',
         cwd=tmp_path)
    t = pd.read_csv(tmp_path / 'timing.csv').set_index('step')
    assert list(t.index) == ['weights', 'valid-check row-major', 'valid-check column-major'] and (t.seconds > 0).all()
    assert t.ndcg10['valid-check row-major'] == t.ndcg10['valid-check column-major'] > 0


def test_apply_hparams_writes_only_the_changed_keys_and_checks_them(tmp_path):
    "A round's choice (hparams-<tag>.json) goes into align.<profile>.<dataset>; --check fails until params.yaml has it."
    import yaml
    from llmrec.align import align_hparams
    from llmrec.config import resolve_params
    raw = yaml.safe_load((ROOT / 'params.yaml').read_text())
    (tmp_path / 'params.yaml').write_text(yaml.safe_dump(raw, sort_keys=False))
    hp = {ds: align_hparams(resolve_params(raw, 'paper')['align'], ds) for ds in ('ibm-articles', 'ml-100k')}
    same = tmp_path / 'same.json'; same.write_text(json.dumps(hp))
    _run('apply_hparams.py', str(same), '--params', 'params.yaml', '--check', cwd=tmp_path)  # nothing differs: exit 0
    hp['ibm-articles'] = {**hp['ibm-articles'], 'temperature': 0.123, 'batch_size': 64}
    new = tmp_path / 'new.json'; new.write_text(json.dumps(hp))
    with pytest.raises(AssertionError, match='exit 1'):
        _run('apply_hparams.py', str(new), '--params', 'params.yaml', '--check', cwd=tmp_path)
    out = _run('apply_hparams.py', str(new), '--params', 'params.yaml', '--write', '--changed-to', 'ch.txt', cwd=tmp_path)
    assert (tmp_path / 'ch.txt').read_text() == 'ibm-articles' and 'ml-100k: params.yaml already has this choice' in out
    after = yaml.safe_load((tmp_path / 'params.yaml').read_text())
    assert align_hparams(resolve_params(after, 'paper')['align'], 'ibm-articles') == hp['ibm-articles']
    for prof in ('paper', 'demo'):  # nothing else moved: the other datasets, the other profile, the other sections
        a, b = resolve_params(raw, prof), resolve_params(after, prof)
        assert {k: v for k, v in a.items() if k != 'align'} == {k: v for k, v in b.items() if k != 'align'}
        moved = {'ibm-articles'} if prof == 'paper' else set()  # the demo profile's IBM settings stay too
        assert {k: v for k, v in a['align'].items() if k not in moved} == {k: v for k, v in b['align'].items() if k not in moved}
    _run('apply_hparams.py', str(new), '--params', 'params.yaml', '--check', cwd=tmp_path)


def test_compare_reason_tables_reads_the_chosen_and_greedy_rows_per_seed(tmp_path):
    "compare_reason_tables: per run and seed, the chosen row, the free greedy row and the best grounded ROUGE-L of the table."
    def table(chosen_r, best_ungrounded):
        return pd.DataFrame({'decoding': ['greedy', 'greedy', 'beams8', 'beams8', 'beams8'], 'ground': [False, True, False, True, False],
                             'ROUGE-L': [10.0, 11.0, chosen_r, 12.0, best_ungrounded], 'FMR': [0.1, 0.2, 0.25, 0.2, 0.3],
                             'grounding_precision': [0.8, 1.0, 0.95, 1.0, 0.5], 'chosen': [False, False, True, False, False]})
    for run, seed, r in (('a', 0, 14.0), ('b', 0, 16.0)):
        d = tmp_path / run; d.mkdir(exist_ok=True)
        table(r, 30.0).to_csv(d / f'tuning-seed{seed}-llmrec.csv.gz', index=False)
        (d / f'timing-seed{seed}-llmrec.json').write_text(json.dumps({'llmrec': {'best_val_loss': 3.0 + seed}}))
    _run('compare_reason_tables.py', '--runs', f'before={tmp_path / "a"}', f'after={tmp_path / "b"}', '--out', str(tmp_path / 'c.csv'), cwd=ROOT)
    c = pd.read_csv(tmp_path / 'c.csv')
    assert c['run'].tolist() == ['before', 'after'] and c['chosen_ROUGE-L'].tolist() == [14.0, 16.0]
    assert (c['greedy_ROUGE-L'] == 10.0).all() and (c['max_ROUGE-L_grounded'] == [14.0, 16.0]).all()  # 30.0 grounds 0.5: out
    assert np.allclose(c.chosen_objective, np.sqrt(c['chosen_ROUGE-L'] * 0.25))


def test_chosen_pools_pairs_each_kept_pool_with_its_chosen_row(tmp_path):
    "The rerank probes read each pool beside its validation table's chosen row, and skip seeds without a pool."
    sys.path.insert(0, str(ROOT / 'scripts'))
    from probe_reason_rerank import chosen_grid, chosen_pools
    from llmrec.generate import save_pools
    (tmp_path / 'V5').mkdir(); (tmp_path / 't' / 'V5').mkdir(parents=True)
    save_pools({'beams/valid/1': [[['a']], [[0.0]]]}, tmp_path / 'V5' / 'pools-seed0-llmrec.json.gz')
    pd.DataFrame({'chosen': [False, True], 'ground': [False, True], 'true': [0.0, 1.0], 'false': [0.0, 0.0], 'user': [0.0, 0.5],
                  'mbr': [0.0, 4.0]}).to_csv(tmp_path / 't' / 'V5' / 'tuning-seed0-llmrec.csv.gz', index=False)
    got = list(chosen_pools([tmp_path / 'V5'], tmp_path / 't', ['llmrec'], [0, 1]))
    assert len(got) == 1 and got[0][1:3] == ('llmrec', 0) and 'beams/valid/1' in got[0][3]
    assert chosen_grid(got[0][4]) == {'true': [1.0], 'false': [0.0], 'user': [0.5], 'mbr': [4.0]}


def test_probe_precision_mean_cosines_reads_each_encoders_item_vectors(tmp_path):
    "The anisotropy figure behind ML-100K's second round: mean cosine between two different items, per encoder."
    from safetensors.torch import save_file
    import torch
    enc = tmp_path / 'models/paper/toy/encode'
    vecs = {'spread': torch.eye(3),  # orthogonal: every pair at 0
            'parallel': torch.tensor([[1.0, 0.0], [2.0, 0.0], [1.0, 1.0]])}  # pairs at 1, 1/sqrt(2), 1/sqrt(2)
    for name, v in vecs.items():
        (enc / name).mkdir(parents=True)
        save_file({'vectors': v}, str(enc / name / 'item_vectors.safetensors'))
        save_file({r: torch.zeros(2, v.shape[1]) for r in ('fit', 'valid', 'test')}, str(enc / name / 'user_text_vectors.safetensors'))
    out = tmp_path / 'p' / 'precision.csv'
    _run('probe_precision.py', '--root', str(tmp_path), '--dataset', 'toy', '--out', str(out), '--cosines-only', cwd=ROOT)
    got = pd.read_csv(tmp_path / 'p' / 'precision-cosines.csv').set_index('encoder').mean_cosine
    assert got['spread'] == pytest.approx(0.0)
    assert got['parallel'] == pytest.approx((1 + 2 / np.sqrt(2)) / 3)
    assert not out.exists()  # --cosines-only runs nothing


def test_compare_align_rows_reports_the_largest_difference_and_refuses_unknown_rows(tmp_path):
    rows = [{'dataset': 'toy', 'model': 'llmrec', 'profile': 'paper', 'seed': s, 'metric': m, 'value': v}
            for s in (0, 1) for m, v in (('HR@10', 0.2 + s), ('NDCG@10', 0.1 + s))]
    d = tmp_path / 'results/runs/paper/toy'; d.mkdir(parents=True)
    pd.DataFrame(rows).to_csv(d / 'align.csv', index=False)
    rerun = pd.DataFrame(rows); rerun.loc[3, 'value'] += 0.01  # seed 1's NDCG@10 moved
    rerun.to_csv(tmp_path / 'rerun.csv', index=False)
    out = _run('compare_align_rows.py', str(tmp_path / 'rerun.csv'), '--root', str(tmp_path), cwd=ROOT)
    assert 'largest difference over 4 values: 0.01' in out
    mod = runpy.run_path(str(ROOT / 'scripts' / 'compare_align_rows.py'))
    t = mod['compare'](rerun, tmp_path).set_index('seed')
    assert t.loc[0, 'max_abs_diff'] == 0 and t.loc[1, 'max_abs_diff'] == pytest.approx(0.01)
    with pytest.raises(SystemExit, match='no committed row'):
        mod['compare'](rerun.assign(seed=rerun.seed + 5), tmp_path)


def test_probe_evidence_user_sentences_are_the_users_own_in_review_order():
    from types import SimpleNamespace
    mod = runpy.run_path(str(ROOT / 'scripts' / 'probe_evidence_rerank.py'))
    train = pd.DataFrame({'user_idx': [3, 1, 3, 3], 'tokens': [('a', 'b', 'c'), ('x',), ('d',), ('e', 'f')]},
                         index=[10, 11, 12, 13])  # an index that is not 0..n-1: positions, not labels, are cut
    rd = SimpleNamespace(train=train)
    assert mod['user_sentences'](rd, 3, 2, words=2) == [['a', 'b'], ['d']]
    assert mod['user_sentences'](rd, 1, 5) == [['x']] and mod['user_sentences'](rd, 7, 5) == []


def test_genret_import_replaces_the_rows_and_labels_each_runs_bench_rows(tmp_path):
    "Seed folders replace every committed genret row; each run's bench rows carry its folder's device; re-importing adds none."
    cols = ['benchmark', 'system', 'profile', 'device', 'metric', 'value']
    res, bench = tmp_path / 'results/genret-runs/paper/ml-100k', tmp_path / 'results/bench-runs/paper/ml-100k'
    res.mkdir(parents=True); bench.mkdir(parents=True)
    row = lambda seed, v: pd.DataFrame([('ml-100k', m, 'paper', seed, 'NDCG@10', v) for m in ('llmrec-aligned', 'llmrec-genret')],
                                       columns=['dataset', 'model', 'profile', 'seed', 'metric', 'value'])
    pd.concat([row(0, 0.1), row(1, 0.1), row(2, 0.1)]).to_csv(res / 'genret.csv', index=False)  # an older served model's
    old = pd.DataFrame([('genret-ml-100k', 'llmrec-genret', 'paper', 'NVIDIA-H200', 'constrained_ratio', 1.06)], columns=cols)
    old.to_csv(bench / 'genret.csv', index=False)
    for call, seed, gpu in (('GR1', 0, 'NVIDIA H200'), ('GR2', 1, 'NVIDIA H200/shared-by-2-runs')):
        d = tmp_path / 'src' / call / f'seed{seed}'; d.mkdir(parents=True)
        row(seed, 0.12 + seed / 100).to_csv(d / 'genret.csv', index=False); (d / 'gpu.txt').write_text(gpu + '\n')
        old.assign(device='NVIDIA-H200', value=0.9 + seed).to_csv(d / 'bench-genret.csv', index=False)
    for _ in range(2):
        _run('gpu_generate.py', 'genret-import', '--src', str(tmp_path / 'src'), cwd=tmp_path)
        g, b = pd.read_csv(res / 'genret.csv'), pd.read_csv(bench / 'genret.csv')
        assert sorted(set(g.seed)) == [0, 1] and g.value.round(4).tolist() == [0.12, 0.12, 0.13, 0.13]
        assert b.device.tolist() == ['NVIDIA-H200', 'NVIDIA-H200', 'NVIDIA-H200/shared-by-2-runs'] and b.value.tolist() == [1.06, 0.9, 1.9]
    d = tmp_path / 'src' / 'GR3' / 'seed1'; d.mkdir(parents=True); row(1, 0.2).to_csv(d / 'genret.csv', index=False)
    with pytest.raises(AssertionError, match='a seed in two folders'):
        _run('gpu_generate.py', 'genret-import', '--src', str(tmp_path / 'src'), cwd=tmp_path)
