# The two commands a fresh clone needs: `make demo` and `make test`.
# Each sets up what it needs on first use (a .venv with the pinned Python
# packages, node_modules with the pinned cognito-local).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: demo test lint typecheck unit bench setup clean docs test-pythons

# pip stays below 26.3: chalice 1.34 requires it (its packager drives pip).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q 'pip>=23,<26.3'
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

setup: $(STAMP) $(NODE_STAMP)

## The main job: deploy the example app and wire every trigger on the embedded local AWS,
## then drive a short story through the local Cognito (each trigger printed as it fires).
demo: $(STAMP)
	$(BIN)/chalice-cognito deploy --stage local --smoke
	$(BIN)/python -m chalice_cognito.local.cognito_flows.demo --stage local

## Lint, type-check and run every test (unit, functional, integration).
test: setup lint typecheck docs
	$(BIN)/pytest -q -n 2 --dist loadgroup tests

lint: $(STAMP)
	$(BIN)/ruff check chalice_cognito tests bench app.py chalicelib docs/gen_reference.py
	$(BIN)/ruff format --check chalice_cognito tests bench app.py chalicelib docs/gen_reference.py
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache

## Build the documentation site strictly (mkdocs.yml; reference pages generated from the code).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site

## The runtime half (what runs inside Lambda) on the other Lambda Pythons this machine has.
RUNTIME_TESTS := tests/unit/events tests/unit/app tests/unit/catalogue tests/unit/testing tests/unit/access tests/unit/senders
test-pythons:
	@for v in 3.10 3.12 3.13; do \
	  py=$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v.*/bin/python 2>/dev/null | tail -n 1); \
	  [ -n "$$py" ] || py=python$$v; \
	  $$py -c 'import sys' 2>/dev/null || { echo "python$$v: not installed here, skipped"; continue; }; \
	  env=.venv-py$$v; \
	  $$env/bin/python -c 'import pytest, hypothesis, aws_encryption_sdk' 2>/dev/null || { $$py -m venv $$env && $$env/bin/pip install -q 'chalice>=1.34,<1.35' 'pydantic>=2.7,<3' pytest 'hypothesis>=6.168.5,<7' 'aws-encryption-sdk>=4,<5'; } || exit 1; \
	  echo "== runtime half on Python $$v"; \
	  $$env/bin/python -m pytest -q -p no:cacheprovider $(RUNTIME_TESTS) || exit 1; \
	done
