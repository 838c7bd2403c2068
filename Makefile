# Shipyard: one command per habit. `make up` runs the whole platform; `make test` is what CI runs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed
NODE_STAMP := frontend/node_modules/.package-lock.json
FRONTEND_SRC := $(shell find frontend/src frontend/index.html frontend/vite.config.ts frontend/package.json -type f 2>/dev/null)
# With DATABASE_URL / REDIS_URL unset, start the embedded PostgreSQL and Redis under var/.
SERVICES = exports="$$($(PY) -m shipyard.config.embedded env)"; eval "$$exports"
TEST_ENV = DJANGO_SETTINGS_MODULE=shipyard.config.settings.test

# The LiteRT converter (onnx2tf, TensorFlow, ai-edge-litert) pins numpy 1.x, protobuf 4 and onnx 1.19,
# which clash with the platform's pins: it lives in its own virtualenv (about 2.6 GB), run as a subprocess.
LITERT_BASE_PYTHON ?= $(shell command -v python3.11 || echo $(PYTHON))
LITERT_VENV := var/venvs/litert
LITERT_STAMP := $(LITERT_VENV)/.installed

.PHONY: help install frontend up test lint typecheck check pytest test-fast bench chromium schema stop clean litert

help:
	@echo "make up      install, build, migrate, seed the demo and run everything at http://127.0.0.1:$(PORT)"
	@echo "make test    lint, type checks, Django checks, Python tests, frontend tests, browser tests"
	@echo "make lint    ruff, mypy, eslint, tsc"
	@echo "make bench   benchmarks (figures go to docs/benchmarks.md)"
	@echo "make stop    stop the embedded PostgreSQL and Redis"

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[ml,dev]"
	@touch $(STAMP)

install: $(STAMP) $(NODE_STAMP) $(LITERT_STAMP)

$(LITERT_STAMP): workers/litert-requirements.txt
	rm -rf $(LITERT_VENV)
	$(LITERT_BASE_PYTHON) -m venv $(LITERT_VENV)
	$(LITERT_VENV)/bin/python -m pip install --quiet --no-deps -r workers/litert-requirements.txt
	$(LITERT_VENV)/bin/python -m pip check
	@touch $(LITERT_STAMP)

litert: $(LITERT_STAMP)

$(NODE_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

frontend/dist/index.html: $(NODE_STAMP) $(FRONTEND_SRC)
	cd frontend && npm run --silent build

frontend: frontend/dist/index.html

up: install frontend
	@$(SERVICES); \
	$(PY) manage.py migrate --noinput; \
	$(PY) manage.py shipyard_seed_demo; \
	PORT=$(PORT) exec $(PY) manage.py shipyard_run

stop:
	$(PY) -m shipyard.config.embedded stop

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Debian's Chromium: sudo apt-get install chromium" >&2; exit 1; \
	  fi; \
	fi

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	PYTHONPATH=platform:workers $(VENV)/bin/lint-imports --no-cache
	DATABASE_URL=$${DATABASE_URL:-postgres://localhost/typecheck} $(PY) -m mypy
	cd frontend && npm run --silent lint && npm run --silent typecheck

check: install
	@$(SERVICES); \
	$(TEST_ENV) $(PY) manage.py check; \
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run

pytest: install frontend chromium
	@$(SERVICES); \
	rc=0; $(PY) -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the suite is broken" >&2; exit 1; fi; \
	exit $$rc

test: lint check
	cd frontend && npm run --silent test
	$(MAKE) --no-print-directory pytest

test-fast: install
	@$(SERVICES); $(PY) -m pytest -m "not slow and not e2e" $(PYTEST_ARGS)

schema: install
	@$(SERVICES); $(TEST_ENV) $(PY) manage.py spectacular --file var/openapi.yaml --validate
	cd frontend && npm run --silent gen:api

$(VENV)/.bench-installed: pyproject.toml $(STAMP)
	$(PY) -m pip install --quiet -e ".[ml,dev,bench]"
	@touch $@

bench: install frontend $(VENV)/.bench-installed
	@$(SERVICES); $(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf var/static var/test-logs .pytest_cache .mypy_cache .ruff_cache frontend/dist
