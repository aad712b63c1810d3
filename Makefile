# kasir — every target sets itself up on a fresh machine with Python 3.11+ and make.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist): two fill a two-core machine; 0 runs the tests in one process.
PYTEST_WORKERS ?= 2

$(STAMP): pyproject.toml requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kasir needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

.PHONY: help
help: ## Show this help
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: install
install: $(STAMP) ## Create .venv and install the locked dependencies

.PHONY: run
run: $(STAMP) ## Run the service (SQLite + built-in Duitku simulator) on 127.0.0.1:8000
	$(BIN)/kasir serve --host $(HOST) --port $(PORT)

.PHONY: migrate
migrate: $(STAMP) ## Apply database migrations to DATABASE_URL
	$(BIN)/kasir migrate

.PHONY: test
test: $(STAMP) ## Run the whole test suite (in PYTEST_WORKERS processes, 2 by default)
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

.PHONY: test-unit
test-unit: $(STAMP) ## Unit tests only: the application on in-memory fakes, no I/O (seconds)
	$(BIN)/pytest -q -m unit

.PHONY: test-integration
test-integration: $(STAMP) ## Integration tests: SQL adapter on SQLite/PostgreSQL, Duitku adapter, simulator
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) -m integration

.PHONY: test-e2e
test-e2e: $(STAMP) ## End-to-end tests: the HTTP API through the whole stack
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) -m e2e

.PHONY: test-deep
test-deep: $(STAMP) ## The stateful money-invariant test with far more examples, fresh randomness (minutes)
	KASIR_STATEFUL_EXAMPLES=$${KASIR_STATEFUL_EXAMPLES:-1000} KASIR_STATEFUL_STEPS=$${KASIR_STATEFUL_STEPS:-50} \
		$(BIN)/pytest -q -p no:cacheprovider tests/integration/stateful $(PYTEST_ARGS)

.PHONY: lint
lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

.PHONY: fmt
fmt: $(STAMP) ## Format and autofix with ruff
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

.PHONY: type
type: $(STAMP) ## mypy strict over src, tests and bench
	$(BIN)/mypy

.PHONY: imports
imports: $(STAMP) ## import-linter layer contracts
	$(BIN)/lint-imports

.PHONY: check
check: lint type imports test ## Everything CI runs: lint, types, layers, tests

.PHONY: mutation
mutation: $(STAMP) ## Mutation testing of the money rules with mutmut (minutes; not in check); prints the score
	rm -rf mutants
	$(BIN)/mutmut run --max-children $(shell nproc)
	$(BIN)/mutmut export-cicd-stats >/dev/null
	@$(BIN)/python -c 'import json; s = json.load(open("mutants/mutmut-cicd-stats.json")); k, t = s["killed"] + s["timeout"], s["total"] - s["skipped"]; print(f"mutation score: {k} of {t} mutants killed ({100 * k / max(t, 1):.0f} %); survivors: mutmut results, then mutmut show NAME")'

.PHONY: bench
bench: $(STAMP) ## Benchmarks vs a bare baseline (~30 min; not in check; installs wrk if missing)
	@command -v wrk >/dev/null || { echo "installing wrk"; $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq wrk; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

.PHONY: walk
walk: $(STAMP) ## Count the files of src/ one paying Duitku callback runs through until the order is paid
	$(BIN)/python bench/kasir_bench/walk.py

.PHONY: lock
lock: $(STAMP) ## Re-resolve requirements*.lock from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -q -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --group dev --generate-hashes --python-version 3.11 -q -o requirements-dev.lock

.PHONY: clean
clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
