# 职工服务中心管理系统 — the two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-pg e2e bench lint install migrate seed clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "需要 Python 3.11（$(PYTHON)）"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

## Install, migrate, load demo data and serve on http://127.0.0.1:8000/
run: seed
	$(PY) manage.py runserver $(HOST):$(PORT)

## The whole test suite (SQLite by default; set DATABASE_URL for PostgreSQL)
test: install
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run >/dev/null
	$(PY) -m pytest -n 2 -m "not e2e" $(PYTEST_ARGS)

## Real-browser journeys (Debian chromium)
e2e: install
	$(PY) -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* var staticfiles
