# Interchange: `make demo` runs it, `make test` checks it. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
VENDOR_STAMP := interchange/web/static/vendor/.copied
MANAGE := $(BIN)/python manage.py

.PHONY: help install assets demo test lint format bench migrate clean

help:
	@echo "make demo   - set up and run Interchange on SQLite with demo data (http://127.0.0.1:8000)"
	@echo "make test   - set up, lint and run the whole test suite"
	@echo "make bench  - run the benchmarks and write var/bench/results.json"
	@echo "make lint   - ruff (lint + format check) and mypy"
	@echo "make format - apply ruff's formatting and safe fixes"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(VENDOR_STAMP): $(NPM_STAMP) $(STAMP) scripts/vendor_assets.py
	$(BIN)/python scripts/vendor_assets.py
	@touch $@

install: $(STAMP) $(VENDOR_STAMP)

assets: $(VENDOR_STAMP)

migrate: install
	@mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable

demo: install
	@mkdir -p var
	DEBUG=1 $(MANAGE) migrate --noinput
	DEBUG=1 $(MANAGE) createcachetable
	DEBUG=1 $(MANAGE) demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/mypy .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install lint
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	@mkdir -p var/bench
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules interchange/web/static/vendor var/static
