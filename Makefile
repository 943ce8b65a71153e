# sfapi_jupyter — the two commands of the README:
#   make demo   the local facility plus JupyterLab on the quickstart notebook; installs only the
#               `demo` extra, prints each step's time, writes only into $(STATE)
#   make test   every test suite (installs the `dev` extra); as root it also starts the
#               single-node Slurm the tests use
# and: make demo-check (every notebook in notebooks/, headless, against a fresh facility).
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
# The front end's tools (esbuild, tsc, biome, vitest), installed from the lock.
JS_DEPS := js/node_modules/.installed
# The NERSC side panel (labextension/, its own npm project and lockfile): built by the package
# build too, and again here whenever labextension/ changes; `jupyter labextension develop`
# then links the venv's copy to this build (an editable install copied it once).
PANEL_SOURCES := $(shell find labextension/src labextension/style labextension/schema -type f 2>/dev/null) \
  labextension/package.json labextension/package-lock.json labextension/tsconfig.json
PANEL := sfapi_jupyter/labextension/package.json

DEMO_STAMP := $(VENV)/.demo-installed
# When `make` started (epoch seconds): the demo prints how long it took to reach JupyterLab.
MAKE_STARTED := $(shell date +%s.%N)
# quiet COMMAND...: run COMMAND without pip's "is ignored" noise, failing as COMMAND fails
# (PIPESTATUS: grep's own status, 1 when every line was noise, says nothing about pip).
QUIET = quiet() { "$$@" 2>&1 | grep -v 'is ignored'; return $${PIPESTATUS[0]}; }
# step LABEL COMMAND...: run COMMAND and print how long it took (bash's $EPOCHREALTIME).
STEP = step() { local t0=$$EPOCHREALTIME label="$$1"; shift; \
	  "$$@" || { echo "FAILED: $$label" >&2; return 1; }; \
	  printf '  [%5.1f s] %s\n' "$$(awk -v a=$$t0 -v b=$$EPOCHREALTIME 'BEGIN{print b-a}')" "$$label"; }; \
	$(QUIET)

# The JupyterHub tests' proxy (npm's configurable-http-proxy, pinned in tests/hub's lockfile).
HUB_PROXY := tests/hub/node_modules/.bin/configurable-http-proxy

.PHONY: demo demo-venv demo-check test hub-deps venv lint typecheck slurm-up slurm-down clean bench \
  bench-short reliability bad-inputs-doc

# The demo's environment: only what the demo needs (the `demo` extra), each step timed.
# A dev environment (`make venv`, `make test`) already has all of it.
$(DEMO_STAMP): pyproject.toml
	@$(STEP); \
	if [ -f $(VENV)/.installed ] && [ $(VENV)/.installed -nt pyproject.toml ]; then touch $@; exit 0; fi; \
	echo "Installing the demo into $(VENV) (the facility, JupyterLab, a kernel):"; \
	step "python3 -m venv $(VENV)" bash -c 'test -x $(PY) || python3 -m venv $(VENV)' && \
	step "pip install -e '.[demo]' (with the widgets' JavaScript bundle)" \
	  quiet $(PY) -m pip install -q --disable-pip-version-check -e '.[demo]' && \
	touch $@

demo-venv: $(DEMO_STAMP)

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	@echo "$(PY) -m pip install -q --upgrade pip"; $(QUIET); quiet $(PY) -m pip install -q --upgrade pip
	@echo "$(PY) -m pip install -q -e '.[dev]'"; $(QUIET); quiet $(PY) -m pip install -q -e '.[dev]'
	$(PY) -c 'import sfapi_jupyter.facility.app, sfapi_client, pytest'
	touch $@

venv: $(VENV)/.installed $(BUNDLE) $(PANEL)

$(JS_DEPS): js/package.json js/package-lock.json
	npm --prefix js ci --no-audit --no-fund
	touch $@

$(BUNDLE): $(JS_SOURCES) $(JS_DEPS) | $(DEMO_STAMP)
	npm --prefix js run build
	touch $@

$(PANEL): $(PANEL_SOURCES) | $(DEMO_STAMP)
	npm --prefix labextension ci --no-audit --no-fund
	npm --prefix labextension run build
	$(VENV)/bin/jupyter labextension develop --overwrite . >/dev/null
	touch $@

## demo: the local facility on 127.0.0.1:$(PORT) plus JupyterLab on the quickstart notebook.
## Everything it writes (key, settings, kernel) stays in $(STATE); ~ is left alone.
demo: $(DEMO_STAMP) $(BUNDLE) $(PANEL)
	@SFAPI_DEMO_STARTED=$(MAKE_STARTED) $(PY) -m sfapi_jupyter demo --state $(STATE) --port $(PORT)

## demo-check: every notebook in notebooks/, headless, against a fresh facility
demo-check: $(DEMO_STAMP) $(BUNDLE) $(PANEL)
	$(PY) -m sfapi_jupyter demo --check

## hub-deps: configurable-http-proxy for tests/hub (the JupyterHub tests)
hub-deps: $(HUB_PROXY)

$(HUB_PROXY): tests/hub/package.json tests/hub/package-lock.json
	npm --prefix tests/hub ci --no-audit --no-fund
	touch $@

## test: lint, types, then every test (Slurm tests need root to start Slurm, else they skip)
test: venv lint typecheck hub-deps
	@if [ "$$(id -u)" = 0 ]; then SLURM_DIR=$(SLURM_DIR) bash ci/slurm-up.sh; \
	  else echo "not root: Slurm-backed tests will be skipped (run as root to include them)"; fi
	@# the views' unit tests (vitest in jsdom with a fake model): seconds, no browser
	npm --prefix js test
	mkdir -p $(ARTIFACTS)
	$(VENV)/bin/pytest -ra --durations=15 -m "not browser" --ignore=tests/reliability --junitxml=$(ARTIFACTS)/junit.xml $(PYTEST_ARGS)
	@# Playwright's sync API keeps an event loop running on the main thread while a browser is
	@# open, which breaks asyncio tests after it: the browser suite runs in its own process.
	$(VENV)/bin/pytest -ra --durations=10 -m browser tests/browser --junitxml=$(ARTIFACTS)/junit-browser.xml $(PYTEST_ARGS)
	@# Keyless JupyterLab (Lab run as nobody on this node's Slurm, no key): its own process
	@# too (a second sync Playwright in the browser suite's process is refused).
	$(VENV)/bin/pytest -ra -m browser tests/keyless/test_keyless_lab.py --junitxml=$(ARTIFACTS)/junit-keyless-browser.xml $(PYTEST_ARGS)
	@# The browser tests under JupyterHub (as root): a process of their own too, since one
	@# process holds one Playwright. Their HTTP twins ran in the first run.
	$(VENV)/bin/pytest -ra --durations=10 -m browser tests/hub --junitxml=$(ARTIFACTS)/junit-hub.xml $(PYTEST_ARGS)
	@# The reliability suite prints its own table of figures (and fails on a lost job,
	@# a duplicated job or a secret found).
	$(MAKE) --no-print-directory reliability

## bench: every benchmark of bench/README.md against NERSC's sfapi-client, one table
##        (~10 min; N=20 for the short run, e.g. make bench N=20)
bench: venv
	$(PY) -W ignore -m bench.run $(if $(N),--n $(N)) $(BENCH_ARGS)

## bench-short: the short run CI keeps working (N = 20, rooms of 10, ~3.5 min)
bench-short: venv
	$(PY) -W ignore -m bench.run --n 20 $(BENCH_ARGS)

## reliability: issue 10's figures (faults, tokens, restarts, load, attacks, fuzz, secrets), a
## table ending in `jobs lost: N`, `jobs duplicated: N`, `secrets found: N`; fails if any is > 0.
## Also writes the bad-inputs page from the bad inputs the tests tried into the artifacts, and
## fails when the tracked docs/bad-inputs.md is stale (as root only: a run without root skips the
## account tests, so it tries fewer inputs). `make bad-inputs-doc` then updates the page.
reliability: venv
	rm -rf $(ARTIFACTS)/reliability
	mkdir -p $(ARTIFACTS)/reliability
	@status=0; \
	SFAPI_RELIABILITY_DIR=$(ARTIFACTS)/reliability $(VENV)/bin/pytest -ra tests/reliability \
	  --junitxml=$(ARTIFACTS)/junit-reliability.xml $(PYTEST_ARGS) || status=1; \
	$(PY) ci/bad_inputs_doc.py $(ARTIFACTS)/reliability $(ARTIFACTS)/bad-inputs.md \
	  $(if $(filter 0,$(shell id -u)),--check docs/bad-inputs.md) || status=1; \
	$(PY) ci/reliability_report.py $(ARTIFACTS)/reliability $(ARTIFACTS)/junit-reliability.xml \
	  || status=1; \
	exit $$status

## bad-inputs-doc: copy the page the last `make reliability` wrote over docs/bad-inputs.md
bad-inputs-doc:
	cp $(ARTIFACTS)/bad-inputs.md docs/bad-inputs.md

## lint: ruff's checks and formatting, and biome's for the widgets' TypeScript and CSS
lint: $(VENV)/.installed $(JS_DEPS)
	$(VENV)/bin/ruff check sfapi_jupyter tests
	$(VENV)/bin/ruff format --check sfapi_jupyter tests
	npm --prefix js run lint

## typecheck: mypy for the Python, tsc for the widgets' and the panel's TypeScript (their
## packages come with the builds)
typecheck: venv
	$(VENV)/bin/mypy
	npm --prefix js run typecheck
	npm --prefix labextension run typecheck

slurm-up:
	SLURM_DIR=$(SLURM_DIR) bash ci/slurm-up.sh

slurm-down:
	SLURM_DIR=$(SLURM_DIR) bash ci/slurm-down.sh

clean:
	rm -rf $(VENV) $(ARTIFACTS) .mypy_cache .ruff_cache .pytest_cache
