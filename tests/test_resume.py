"""Issue 8, faults: an alignment run killed mid-epoch (SIGKILL) resumes from its last epoch checkpoint and ends exactly
as an uninterrupted run (same final weights, same best epoch, same test metrics); a torn checkpoint is dropped."""
import json, subprocess, sys, textwrap
from pathlib import Path

import pytest
import torch

from llmrec.align import resumable

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent('''
    import json, os, signal, sys
    import lightning as L
    sys.path.insert(0, {tests!r})
    from test_align import _planted
    from llmrec.align import ALIGN_HP, fit_align
    data, iv, pv = _planted()
    hp = {{**ALIGN_HP, 'dim': 32, 'max_len': 8, 'dropout': 0.3, 'text_dropout': 0.1, 'lr': 5e-3, 'batch_size': 16,
          'max_epochs': 6, 'patience': 10, 'eval_every': 1}}
    class Killer(L.Callback):  # a hard kill in the middle of epoch 3 (0-based), as `kill -9` would do
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            if trainer.current_epoch == 3 and batch_idx == 2: os.kill(os.getpid(), signal.SIGKILL)
    class Last(L.Callback):  # the weights after the last epoch, before the best ones are restored
        def on_train_end(self, trainer, pl_module):
            Last.w = [float(v.double().sum()) for v in pl_module.model.state_dict().values()]
    mode, ck = sys.argv[1], sys.argv[2]
    r = fit_align('llmrec', data, hp, iv, pv, seed=0, ckpt_dir=None if mode == 'plain' else ck,
                  callbacks=([Killer()] if mode == 'kill' else []) + [Last()])
    print(json.dumps({{'test': r.test, 'valid': r.valid, 'best_epoch': r.best_epoch, 'epochs': r.epochs, 'last': Last.w,
                      'best': [float(v.double().sum()) for v in r.weights.values()], 't': r.extras['temperature']}}))
''').format(tests=str(ROOT / 'tests'))


def _run(tmp_path, mode):
    (tmp_path / 'run.py').write_text(SCRIPT)
    return subprocess.run([sys.executable, str(tmp_path / 'run.py'), mode, str(tmp_path / 'ck')], capture_output=True,
                          text=True, timeout=600, cwd=tmp_path)


def test_killed_alignment_resumes_to_the_same_result(tmp_path):
    plain = _run(tmp_path, 'plain')
    assert plain.returncode == 0, plain.stderr[-2000:]
    killed = _run(tmp_path, 'kill')
    assert killed.returncode == -9 and not killed.stdout  # died mid-epoch, wrote no result
    ckpts = list((tmp_path / 'ck').rglob('last.ckpt'))
    assert len(ckpts) == 1 and torch.load(ckpts[0], weights_only=True)['epoch'] == 2  # the last finished epoch
    resumed = _run(tmp_path, 'resume')
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert 'resuming from' in resumed.stderr
    a, b = json.loads(plain.stdout.splitlines()[-1]), json.loads(resumed.stdout.splitlines()[-1])
    assert a == b  # bit-identical: last-epoch weights, best weights, best epoch, epochs, validation and test metrics
    assert not any((tmp_path / 'ck').rglob('*.ckpt'))  # a finished run leaves nothing to resume


def test_torn_checkpoint_is_dropped(tmp_path, capsys):
    p = tmp_path / 'last.ckpt'
    p.write_bytes(b'PK\x03\x04 not a whole checkpoint')
    assert resumable(p) is None and not p.exists()
    assert 'unreadable checkpoint' in capsys.readouterr().err
    assert resumable(tmp_path / 'missing.ckpt') is None


GEN_SCRIPT = textwrap.dedent('''
    import json, os, signal, sys
    import lightning as L
    from llmrec.config import resolve_params
    from llmrec.generate import fit_generator, reason_data, toy_review_data
    data = toy_review_data(n_users=24, n_items=12, seq_len=5, seed=3)
    rd = reason_data(data)
    hp = resolve_params({'generate': {'dim': 16, 'heads': 2, 'layers': 1, 'max_epochs': 5, 'patience': 10,
                                      'batch_size': 8, 'dropout': 0.3}})['generate']
    class Killer(L.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            if trainer.current_epoch == 2 and batch_idx == 1: os.kill(os.getpid(), signal.SIGKILL)
    class Last(L.Callback):
        def on_train_end(self, trainer, pl_module):
            Last.w = [float(v.double().sum()) for v in pl_module.model.state_dict().values()]
    mode, ck = sys.argv[1], sys.argv[2]
    g = fit_generator('peter', data, rd, hp, seed=0, ckpt_dir=None if mode == 'plain' else ck,
                      callbacks=([Killer()] if mode == 'kill' else []) + [Last()])
    print(json.dumps({'last': Last.w, 'best_epoch': g.best_epoch, 'loss': g.best_val_loss,
                      'best': [float(v.double().sum()) for v in g.model.state_dict().values()]}))
''')


@pytest.mark.slow  # ~40 s; the same mechanism as the alignment test above, which runs by default
def test_killed_generator_training_resumes_to_the_same_result(tmp_path):
    (tmp_path / 'gen.py').write_text(GEN_SCRIPT)
    run = lambda mode: subprocess.run([sys.executable, str(tmp_path / 'gen.py'), mode, str(tmp_path / 'ck')],
                                      capture_output=True, text=True, timeout=600, cwd=tmp_path)
    plain = run('plain'); assert plain.returncode == 0, plain.stderr[-2000:]
    killed = run('kill'); assert killed.returncode == -9 and not killed.stdout
    resumed = run('resume'); assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert 'resuming from' in resumed.stderr
    assert json.loads(plain.stdout.splitlines()[-1]) == json.loads(resumed.stdout.splitlines()[-1])
