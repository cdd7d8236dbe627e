# The two quick-start commands are `make demo` and `make test`; everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LAKE ?= ./lake
BENCH_MB ?= 500

.PHONY: help setup demo test lint bench obs.status clean-lake clean

help:  ## list the targets
	@grep -E '^[a-z.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install the project with its dev tools

demo: setup  ## sample dirty bronze into ./lake, run the pipeline, show what landed where
	$(BIN)/potato-pipeline sample-data --out $(LAKE)
	$(BIN)/potato-pipeline run --lake $(LAKE)
	$(BIN)/potato-pipeline status --lake $(LAKE) --runs 3

test: setup  ## run the whole test suite (real SeaweedFS included)
	$(BIN)/pytest

lint: setup  ## ruff and mypy on the packages
	$(BIN)/ruff check pipeline sre tests scripts
	$(BIN)/mypy

obs.status: setup  ## the runbook's SLIs and recent runs (PROMETHEUS_URL=... to ask Prometheus)
	$(BIN)/potato-pipeline status --lake $(LAKE)

bench: setup  ## generate ~$(BENCH_MB) MB of bronze; time the pipeline against a DuckDB baseline
	$(BIN)/python scripts/bench.py --size-mb $(BENCH_MB)

clean-lake:  ## delete the demo lake
	rm -rf $(LAKE)

clean: clean-lake  ## delete the demo lake and the virtual environment
	rm -rf $(VENV)
