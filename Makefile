# 职工服务中心管理系统 — the two commands a new user needs: `make run` and `make test`.
#
# PYTHON: any Python 3.11. Default: `python3.11` if it is a working 3.11, else `python3` if that is
# 3.11 (Debian 12's python3 is). Evaluated only when the virtualenv is (re)built.
PYTHON ?= $(shell for p in python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1 && { command -v $$p; break; }; \
	done)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-pg e2e bench bench-smoke lint install migrate seed clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "需要 Python 3.11：未找到 python3.11，python3 也不是 3.11（可用 make PYTHON=/path/to/python3.11 指定）"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "需要 Python 3.11，$(PYTHON) 不是"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

## Install, migrate, load demo data and serve on http://127.0.0.1:8000/ (with a background worker
## for large exports; it stops with the server)
run: seed
	$(PY) manage.py db_worker & WORKER=$$!; trap "kill $$WORKER 2>/dev/null" EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

## The whole test suite except the browser journeys: lint, types (mypy, configured in
## pyproject.toml), migrations up to date, pytest.
## SQLite by default; set DATABASE_URL for PostgreSQL (or use `make test-pg`).
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -n 2 -m "not e2e" $(PYTEST_ARGS)

## `make test` against a throwaway PostgreSQL server (needs the postgresql package, not a running server)
test-pg: install
	tests/pg/with-postgres.sh $(MAKE) --no-print-directory test

## Real-browser journeys (Debian chromium). E2E_ALLOW_EMPTY=1 (used by .ci/run) accepts a tests/e2e
## folder with no tests yet (pytest exit code 5); any other failure still fails.
e2e: install
	@echo "$(PY) -m pytest -m e2e tests/e2e $(PYTEST_ARGS)"
	@rc=0; $(PY) -m pytest -m e2e tests/e2e $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ] && [ "$(E2E_ALLOW_EMPTY)" = 1 ]; then \
		echo "tests/e2e：尚无浏览器测试（pytest 退出码 5），E2E_ALLOW_EMPTY=1，视为通过"; rc=0; fi; \
	exit $$rc

## Benchmarks at a million rows on PostgreSQL: DATABASE_URL=postgres://… make bench, or `make bench`
## alone for a throwaway server (the first run seeds the data; see bench/README.md)
bench: install
	@if [ -n "$$DATABASE_URL" ]; then PY=$(PY) bench/full.sh; else tests/pg/with-postgres.sh env PY=$(PY) bench/full.sh; fi

## Every benchmark at 10,000 rows (CI runs this so the benchmarks do not rot)
bench-smoke: install
	PY=$(PY) bench/smoke.sh

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .mypy_cache db.sqlite3 db.sqlite3-* var staticfiles
