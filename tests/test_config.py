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
