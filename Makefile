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

.PHONY: run test test-pg e2e bench bench-smoke lint install migrate seed clean wheelhouse install-offline upgrade

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

# --- Running it for real (docs/deploy.md) ----------------------------------------------------------------
WHEELS ?=
# wheelhouse: also the dev dependencies (make wheelhouse EXTRAS=dev); production needs none.
EXTRAS ?=
# upgrade: the services' environment file; the user the commands run as (when make runs as root);
# the "current" link to point at this release; the services to restart; NO_BACKUP=1 skips the backup.
ENV_FILE ?=
AS_USER ?=
LINK ?=
SERVICES ?= servicecenter-web servicecenter-worker
NO_BACKUP ?=
# upgrade restarts SERVICES with systemctl when systemd runs (this folder exists).
SYSTEMD_DIR ?= /run/systemd/system
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
RUN = $(if $(ENV_FILE),deploy/with-env $(ENV_FILE)) $(if $(AS_USER),runuser --preserve-environment -u $(AS_USER) --)

## On a machine with internet: every Python dependency as a wheel in $(WHEELS) (default ./wheelhouse),
## pinned with hashes, plus the Debian package list and this release's source — one folder to carry
## to the intranet server (docs/deploy.md, step 0)
wheelhouse:
	@test -n "$(PYTHON)" || { echo "需要 Python 3.11（可用 make PYTHON=/path/to/python3.11 指定）"; exit 1; }
	@set -e; out="$(or $(WHEELS),wheelhouse)"; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	rm -rf "$$out/wheels"; mkdir -p "$$out/wheels"; \
	echo "+ pip wheel → $$out/wheels"; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/pip" wheel --quiet --wheel-dir "$$out/wheels" ".$(if $(EXTRAS),[$(EXTRAS)])"; \
	rm -f "$$out"/wheels/servicecenter-*.whl; \
	$(PYTHON) deploy/pin-wheels.py "$$out/wheels" > "$$out/requirements.txt"; \
	cp deploy/debian-packages.txt "$$out/"; \
	if git rev-parse --git-dir >/dev/null 2>&1; then \
		git diff --quiet HEAD -- . 2>/dev/null || echo "注意：有未提交的改动，源码包只含已提交的 $$(git rev-parse --short HEAD)"; \
		rel=servicecenter-$(VERSION)-$$(git rev-parse --short HEAD); rm -f "$$out"/servicecenter-*.tar.gz; \
		git rev-parse --short HEAD > "$$tmp/RELEASE"; \
		git archive --format=tar.gz --prefix="$$rel/" --add-file="$$tmp/RELEASE" -o "$$out/$$rel.tar.gz" HEAD; \
	fi; \
	(cd "$$out" && sha256sum requirements.txt debian-packages.txt *.tar.gz wheels/*.whl 2>/dev/null > SHA256SUMS); \
	echo "wheelhouse: $$out（$$(ls "$$out/wheels" | wc -l) 个 wheel，$$(du -sh "$$out" | cut -f1)）"

## On the intranet server: the virtualenv from $(WHEELS) only — no package index, no network
install-offline:
	@test -n "$(WHEELS)" -a -f "$(WHEELS)/requirements.txt" || { echo "用法：make install-offline WHEELS=<make wheelhouse 生成的目录>"; exit 1; }
	@test -n "$(PYTHON)" || { echo "需要 Python 3.11（Debian 12 的 python3 与 python3-venv）"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
		$(PY) -m pip install --quiet --no-index --find-links "$(WHEELS)/wheels" --require-hashes \
		--disable-pip-version-check -r "$(WHEELS)/requirements.txt"
	touch $(VENV)/.installed-offline

## Upgrade this release in place (docs/deploy.md, "升级"): install, back up, migrate, collectstatic,
## point LINK here, restart SERVICES. On the server, as root, from the new release's folder:
##   make upgrade WHEELS=/srv/wheelhouse ENV_FILE=/etc/servicecenter/servicecenter.env AS_USER=servicecenter LINK=/opt/servicecenter/current
upgrade:
	@echo "== 1/6 安装依赖"
	@if [ -n "$(WHEELS)" ]; then $(MAKE) --no-print-directory install-offline WHEELS="$(WHEELS)"; \
	else test -x $(PY) || $(PYTHON) -m venv $(VENV); $(PY) -m pip install --quiet .; fi
	@echo "== 2/6 检查配置"
	$(RUN) $(PY) manage.py check --deploy --fail-level ERROR
	@echo "== 3/6 备份（迁移之前）"
	@if [ "$(NO_BACKUP)" = 1 ]; then echo "NO_BACKUP=1：跳过备份"; else $(RUN) $(PY) manage.py backup; fi
	@echo "== 4/6 迁移数据库"
	$(RUN) $(PY) manage.py migrate --noinput
	@echo "== 5/6 收集静态文件"
	$(RUN) $(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "== 6/6 切换并重启"
	@if [ -n "$(LINK)" ]; then ln -sfn "$(CURDIR)" "$(LINK)" && echo "$(LINK) → $(CURDIR)"; fi
	@if [ -d "$(SYSTEMD_DIR)" ] && command -v systemctl >/dev/null; then \
		for s in $(SERVICES); do echo "+ systemctl restart $$s"; systemctl restart "$$s" || exit 1; done; \
	else echo "未检测到 systemd：请自行重启 $(SERVICES)"; fi
	@echo "升级完成。"

clean:
	rm -rf $(VENV) .mypy_cache db.sqlite3 db.sqlite3-* var staticfiles
