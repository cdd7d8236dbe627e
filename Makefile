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

# Grafana's model as its main branch had it (the SDK's "next" build of 2026-01-29; the package
# index has no 12.x-labelled build), beside the pinned 11.6 one: tests load each dashboard in both.
GRAFANA_NEXT := $(VENV)/grafana-next
$(GRAFANA_NEXT)/.installed: $(STAMP)
	$(BIN)/pip install --quiet --no-deps --target $(GRAFANA_NEXT) 'grafana-foundation-sdk==1769699241'
	touch $@

setup: $(STAMP) $(GRAFANA_NEXT)/.installed  ## create .venv and install the project with its dev tools

demo: setup  ## the incident loop, live: stale data and corrupted silver remediated (S3=1: on SeaweedFS)
	$(BIN)/python scripts/demo.py --lake $(LAKE) --root build/demo-run $(if $(KEEP),--keep) $(if $(S3),--s3)

.PHONY: stack-up stack-down mttr ha-drill
stack-up: setup  ## start Pushgateway, Prometheus, Alertmanager, sre serve on loopback and keep them
	$(BIN)/sre generate --env demo --out build/demo
	$(BIN)/sre stack up --dir build/demo-run/stack --artefacts build/demo --env demo \
	  --lake $(LAKE) --quarantine build/demo-run/quarantine --backup build/demo-run/backup \
	  --setenv POTATO_LAKE=$(if $(findstring ://,$(LAKE)),$(LAKE),$(abspath $(LAKE)))

stack-down:  ## stop the stack that stack-up (or make demo KEEP=1) left running
	$(BIN)/sre stack down --dir build/demo-run/stack

mttr: setup  ## time to repair: each incident replayed MTTR_N (3) times on the real stack, medians
	$(BIN)/python scripts/mttr.py --runs $(or $(MTTR_N),3)

ha-drill: setup  ## exactly once on the HA topology (3 Alertmanagers, 2+2 replicas, lake on SeaweedFS) under each fault
	$(BIN)/python scripts/ha_drill.py --root build/ha-drill --rounds $(or $(HA_ROUNDS),1) --s3

test: setup  ## run the whole test suite (real SeaweedFS included)
	$(BIN)/pytest

lint: setup  ## ruff and mypy on the packages
	$(BIN)/ruff check pipeline sre tests scripts
	$(BIN)/mypy

obs.status: setup  ## the runbook's SLIs and recent runs (PROMETHEUS_URL=... to ask Prometheus)
	$(BIN)/potato-pipeline status --lake $(LAKE)

bench: setup  ## generate ~$(BENCH_MB) MB of bronze; time the pipeline against a DuckDB baseline
	$(BIN)/python scripts/bench.py --size-mb $(BENCH_MB) --repeat 3 --overhead

clean-lake:  ## delete the demo lake
	rm -rf $(LAKE)

clean: clean-lake  ## delete the demo lake and the virtual environment
	rm -rf $(VENV)

.PHONY: deploy-check
deploy-check: setup  ## offline checks of docker/, infra/terraform and infra/k8s (docs/deploy.md)
	$(BIN)/python scripts/deploy_check.py
