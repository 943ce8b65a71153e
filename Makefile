# sfapi_jupyter — the two commands of the README:
#   make demo   the local facility plus JupyterLab on the quickstart notebook
#   make test   every test suite; as root it also starts the single-node Slurm the tests use
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STATE ?= $(CURDIR)/.facility
PORT ?= 8000
SLURM_DIR ?= /tmp/slurm-ci
ARTIFACTS ?= $(CURDIR)/test-artifacts
PYTEST_ARGS ?=
# The widgets' JavaScript: built by the package build (hatch-jupyter-builder) on install, and
# again here whenever js/ changes after that. Never committed.
JS_SOURCES := $(shell find js/src -type f 2>/dev/null) js/package.json js/package-lock.json
BUNDLE := sfapi_jupyter/widgets/static/job_card.js

.PHONY: demo test venv lint typecheck slurm-up slurm-down clean reliability

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip 2>&1 | grep -v 'is ignored' || true
	$(PY) -m pip install -q -e '.[dev]' 2>&1 | grep -v 'is ignored' || true
	$(PY) -c 'import sfapi_jupyter.facility.app, sfapi_client, pytest'
	touch $@

venv: $(VENV)/.installed $(BUNDLE)

$(BUNDLE): $(JS_SOURCES) | $(VENV)/.installed
	npm --prefix js ci --no-audit --no-fund
	npm --prefix js run build
	touch $@

## demo: the local facility on 127.0.0.1:$(PORT) plus JupyterLab on the quickstart notebook
demo: venv
	$(PY) -m sfapi_jupyter demo --state $(STATE) --port $(PORT)

## test: lint, types, then every test (Slurm tests need root to start Slurm, else they skip)
test: venv
	@if [ "$$(id -u)" = 0 ]; then SLURM_DIR=$(SLURM_DIR) bash ci/slurm-up.sh; \
	  else echo "not root: Slurm-backed tests will be skipped (run as root to include them)"; fi
	$(VENV)/bin/ruff check sfapi_jupyter tests
	$(VENV)/bin/ruff format --check sfapi_jupyter tests
	$(VENV)/bin/mypy
	mkdir -p $(ARTIFACTS)
	npm --prefix js run typecheck
	$(VENV)/bin/pytest -ra -m "not browser" --junitxml=$(ARTIFACTS)/junit.xml $(PYTEST_ARGS)
	@# Playwright's sync API keeps an event loop running on the main thread while a browser is
	@# open, which breaks asyncio tests after it: the browser suite runs in its own process.
	$(VENV)/bin/pytest -ra -m browser tests/browser --junitxml=$(ARTIFACTS)/junit-browser.xml $(PYTEST_ARGS)

## reliability: issue 10's figures (faults, tokens, restarts, load, attacks, fuzz, secrets), a
## table ending in `jobs lost: N`, `jobs duplicated: N`, `secrets found: N`; fails if any is > 0.
## Also writes docs/bad-inputs.md from the bad inputs the tests tried.
reliability: venv
	rm -rf $(ARTIFACTS)/reliability
	mkdir -p $(ARTIFACTS)/reliability
	@status=0; \
	SFAPI_RELIABILITY_DIR=$(ARTIFACTS)/reliability $(VENV)/bin/pytest -ra tests/reliability \
	  --junitxml=$(ARTIFACTS)/junit-reliability.xml $(PYTEST_ARGS) || status=1; \
	$(PY) ci/bad_inputs_doc.py $(ARTIFACTS)/reliability docs/bad-inputs.md || status=1; \
	$(PY) ci/reliability_report.py $(ARTIFACTS)/reliability $(ARTIFACTS)/junit-reliability.xml \
	  || status=1; \
	exit $$status

lint:
	$(VENV)/bin/ruff check sfapi_jupyter tests && $(VENV)/bin/ruff format --check sfapi_jupyter tests

typecheck:
	$(VENV)/bin/mypy

slurm-up:
	SLURM_DIR=$(SLURM_DIR) bash ci/slurm-up.sh

slurm-down:
	SLURM_DIR=$(SLURM_DIR) bash ci/slurm-down.sh

clean:
	rm -rf $(VENV) $(ARTIFACTS) .mypy_cache .ruff_cache .pytest_cache
