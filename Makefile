# Two commands set everything up on a fresh machine:
#   make run    server on http://127.0.0.1:8080 (embedded SQLite, demo data, printed credentials)
#   make test   the whole suite, on SQLite and on a throwaway PostgreSQL cluster
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test test-sqlite test-postgresql typecheck venv dev-venv postgresql chromium peers load-generators bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	touch $(VENV)/.installed $@

venv: $(VENV)/.installed
dev-venv: $(VENV)/.installed-dev

# ARGS: more flags of `polytrack serve`, e.g. make run ARGS="--no-rate-limits" (later flags win)
run: venv
	$(BIN)/polytrack serve --demo --host $(HOST) --port $(PORT) --db sqlite:///./polytrack.db $(ARGS)

# The PostgreSQL server binaries (initdb, pg_ctl, postgres) come from Debian's package.
postgresql:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	else echo "installing PostgreSQL (Debian package postgresql)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; fi

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Real peers the tests drive: Debian's headless Chromium (Playwright drives it; it downloads no
# browser of its own) and the browser libraries of tests/js (the Webtrekk Smart Pixel), from npm.
chromium:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Chromium (Debian package chromium)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

tests/js/node_modules/.installed: tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

peers: chromium tests/js/node_modules/.installed

test: typecheck postgresql peers
	POLYTRACK_TEST_DB=sqlite $(BIN)/pytest
	POLYTRACK_TEST_DB=postgresql $(BIN)/pytest

# mypy over the files [tool.mypy] in pyproject.toml names (the kernel, every API's operations
# and domain modules)
typecheck: dev-venv
	$(BIN)/mypy

test-sqlite: dev-venv peers
	POLYTRACK_TEST_DB=sqlite $(BIN)/pytest $(ARGS)

test-postgresql: dev-venv postgresql peers
	POLYTRACK_TEST_DB=postgresql $(BIN)/pytest $(ARGS)

# the load generators: wrk (as fast as the server answers) and h2load (a fixed request rate)
load-generators:
	@command -v wrk >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	@command -v h2load >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nghttp2-client >/dev/null; }

bench: venv load-generators
	$(BIN)/python -m bench http

# What `make run` and `make test` leave in the tree (bench/out keeps benchmark output: not here).
# polytrack.db-*: the database's WAL files, its read-cache generation file and the files made
# next to it (AvidTrak's server secret: it belongs to this database and goes with it).
clean:
	rm -rf $(VENV) tests/js/node_modules polytrack.db polytrack.db-* src/*.egg-info .hypothesis .pytest_cache .mypy_cache
	find src tests bench tools -name __pycache__ -type d -prune -exec rm -rf {} +
