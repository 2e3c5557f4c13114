"""params.yaml validation fails at start and names the key; atomic writes leave nothing half-written."""
import subprocess, sys
from pathlib import Path

import pytest
import yaml

from llmrec.config import LlmrecError, atomic_write, load_params, resolve_params, write_json

ROOT = Path(__file__).resolve().parents[1]


def test_repo_params_are_valid_for_both_profiles():
    for profile in ('demo', 'paper'):
        p = load_params(ROOT / 'params.yaml', profile)
        assert p['profile'] == profile and p['run']['seeds']
    assert load_params(ROOT / 'params.yaml', 'paper')['run']['seeds'] == [0, 1, 2]


@pytest.mark.parametrize('patch, key', [
    ({'base': {'profil': 'demo'}}, "unknown key 'base.profil'"),
    ({'base': {'profile': 'laptop'}}, "'base.profile'"),
    ({'base': {'datasets': ['ml-1m']}}, "'base.datasets'"),
    ({'profiles': {'demo': {'seeds': 'zero'}}}, "'profiles.demo.seeds' must be list"),
    ({'profiles': {'paper': {'devices': 0}}}, "'profiles.paper.devices' = 0"),
    ({'profiles': {'demo': {'accelerator': 'tpu'}}}, "'profiles.demo.accelerator'"),
    ({'nonsense': {}}, "unknown section 'nonsense'"),
])
def test_bad_params_name_the_key(patch, key):
    raw = yaml.safe_load((ROOT / 'params.yaml').read_text())
    for section, values in patch.items():
        raw.setdefault(section, {})
        for k, v in values.items():
            if isinstance(v, dict) and isinstance(raw[section].get(k), dict): raw[section][k].update(v)
            else: raw[section][k] = v
    with pytest.raises(LlmrecError, match=key.replace('[', r'\[').replace('.', r'\.')):
        resolve_params(raw)


def test_yaml_is_loaded_safely(tmp_path):
    (tmp_path / 'params.yaml').write_text('base: !!python/object/apply:os.system ["echo pwned"]\n')
    with pytest.raises(LlmrecError, match='not valid YAML'):
        load_params(tmp_path / 'params.yaml')


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    f = tmp_path / 'out.json'
    write_json({'a': 1}, f)
    with pytest.raises(RuntimeError):
        with atomic_write(f) as h:
            h.write('{"a": 2')
            raise RuntimeError('killed mid-write')
    assert f.read_text() == '{\n  "a": 1\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ['out.json']


def test_cli_error_has_no_traceback(tmp_path):
    (tmp_path / 'params.yaml').write_text('base:\n  profile: laptop\n')
    r = subprocess.run([sys.executable, '-m', 'llmrec.cli', 'params', '--params', str(tmp_path / 'params.yaml')],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2, r.stderr
    assert "'base.profile'" in r.stderr and 'Traceback' not in r.stderr


# ---------------------------------------------------------------- issue 8: the stage sections (added)

@pytest.mark.parametrize('patch, key', [
    ({'align': {'ml-100k': {'temperature': -0.1}}}, r"'align\.ml-100k\.temperature' = -0\.1 is out of range"),
    ({'align': {'ml-100k': {'temperature': 'hot'}}}, r"'align\.ml-100k\.temperature' must be float, got str"),
    ({'align': {'ml-100k': {'max_len': 0}}}, r"'align\.ml-100k\.max_len' = 0 is out of range"),
    ({'align': {'demo': {'eval_batch_size': 0}}}, r"'align\.eval_batch_size' = 0"),  # a typo in a profile override
    ({'prepare': {'min_users': 3}}, r"unknown key 'prepare\.min_users'"),
    ({'prepare': {'min_user_interactions': 2}}, r"'prepare\.min_user_interactions' = 2 is out of range: must be >= 3"),
    ({'prepare': {'min_user_interactions': 3.5}}, r"'prepare\.min_user_interactions' must be int"),
    ({'encode': {'encoders': ['minilm:max']}}, r"'encode\.encoders'"),
    ({'encode': {'paper': {'batch_size': -1}}}, r"'encode\.batch_size' = -1"),  # the inactive profile is checked too
    ({'base': {'text_datasets': ['ml-1m']}}, r"'base\.text_datasets'"),
    ({'interact': {'k': 0}}, r"'interact\.k' = 0 is out of range"),
    ({'interact': {'alpha_grid': [-1.0]}}, r"'interact\.alpha_grid'"),
    ({'interact': {'max_feedback_chars': 'many'}}, r"'interact\.max_feedback_chars' must be int"),
    ({'interact': {'rochio': 1}}, r"unknown key 'interact\.rochio'"),
])
def test_bad_stage_params_name_the_key(patch, key):
    raw = yaml.safe_load((ROOT / 'params.yaml').read_text())
    for section, values in patch.items():
        for k, v in values.items():
            if isinstance(v, dict) and isinstance(raw[section].get(k), dict): raw[section][k] = {**raw[section][k], **v}
            else: raw[section][k] = v
    with pytest.raises(LlmrecError, match=key):
        resolve_params(raw, sections=[s for s in patch if s != 'base'] or None)


@pytest.mark.parametrize('section, key', [('encode', 'encoders'), ('align', 'encoder')])
def test_unknown_encoder_fails_at_start(section, key):
    raw = yaml.safe_load((ROOT / 'params.yaml').read_text())
    raw[section][key] = ['no-such-encoder'] if key == 'encoders' else 'no-such-encoder'
    with pytest.raises(LlmrecError, match=f"'{section}.{key}'"): resolve_params(raw, sections=['encode', 'align'])


@pytest.mark.parametrize('params_text, args, needle', [
    ('prepare:\n  min_user_interactions: 1\n', ['--dataset', 'ml-100k'], "'prepare.min_user_interactions' = 1"),
    ('prepare:\n  min_user_interactions: 3\n', ['--dataset', 'ml-1m'], "unknown dataset 'ml-1m'"),
])
def test_cli_bad_params_fail_before_any_work(tmp_path, params_text, args, needle):
    "Exit code 2, one line naming the key, no traceback, and the stage did nothing (no output folder)."
    (tmp_path / 'params.yaml').write_text(params_text)
    out = tmp_path / 'data' / 'x'
    r = subprocess.run([sys.executable, '-m', 'llmrec.cli', 'prepare', *args, '--out', str(out),
                        '--params', str(tmp_path / 'params.yaml')], capture_output=True, text=True, cwd=ROOT,
                       env={**__import__('os').environ, 'LLMREC_DATA_DIR': str(tmp_path / 'no-raw-files-needed')})
    assert r.returncode == 2, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith('llmrec prepare: error: ') and needle in lines[0], r.stderr
    assert not (tmp_path / 'data').exists()
