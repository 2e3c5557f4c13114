"""Shared pytest setup: offline environment, the `slow` marker and the raw-data mirror location."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
for k, v in {'HF_HUB_OFFLINE': '1', 'HF_DATASETS_OFFLINE': '1', 'TRANSFORMERS_OFFLINE': '1', 'DVC_NO_ANALYTICS': '1'}.items():
    os.environ[k] = v


def pytest_addoption(parser):
    parser.addoption('--runslow', action='store_true', default=False, help='also run tests marked slow')


def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: slow test (minutes or network); run with --runslow')


def pytest_collection_modifyitems(config, items):
    if config.getoption('--runslow'): return
    skip = pytest.mark.skip(reason='slow: run with --runslow')
    for item in items:
        if 'slow' in item.keywords: item.add_marker(skip)


@pytest.fixture(scope='session')
def mirror() -> Path:
    "The raw dataset mirror (`$LLMREC_DATA_DIR` or `../shared/datasets`); skips when absent."
    d = Path(os.environ.get('LLMREC_DATA_DIR', ROOT.parent / 'shared' / 'datasets'))
    if not d.exists(): pytest.skip(f'raw dataset mirror not found at {d}')
    return d
