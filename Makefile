# The two set-up commands are `make run` and `make test`; everything else is reached from them.
VENV    ?= .venv
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app portal
PYBABEL := $(VENV)/bin/pybabel
HOST    ?= 127.0.0.1
PORT    ?= 5000
STAMP   := $(VENV)/.installed

.PHONY: install run serve test lint format translations compile-translations db clean scan \
	loadtest bench bench-export

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

compile-translations: install
	$(PYBABEL) compile -d translations -D messages --statistics

## Extract every marked string, merge it into the sv and uk catalogs, compile.
translations: install
	$(PYBABEL) extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -k pgettext:1c,2 -k npgettext:1c,2,3 \
	  -k lazy_ngettext:1,2 --add-comments=Translators: --sort-by-file \
	  --project="Stockholm-Kyiv cooperation portal" --width 100 -o translations/messages.pot portal
	$(PYBABEL) update -i translations/messages.pot -d translations -D messages --no-fuzzy-matching --ignore-obsolete \
	  --width 100
	$(PYBABEL) compile -d translations -D messages --statistics

## Migrate the database, load reference data, and demo data when the database is empty.
db: install compile-translations
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) seed reference
	$(FLASK) seed demo --if-empty

run: db
	$(FLASK) run --host $(HOST) --port $(PORT)

## Production-like: gunicorn (gunicorn.conf.py) with PORTAL_ENV=production after `db upgrade` and
## `seed reference`. Needs SECRET_KEY, TOTP_ENCRYPTION_KEY, DATABASE_URL (PostgreSQL) and REDIS_URL
## (PORTAL_BASE_URL defaults to http://HOST:PORT); see README.
serve: install compile-translations
	HOST=$(HOST) PORT=$(PORT) VENV=$(VENV) scripts/serve.sh

lint: install
	$(VENV)/bin/ruff check portal tests scripts bench wsgi.py gunicorn.conf.py
	$(VENV)/bin/ruff format --check portal tests scripts bench wsgi.py gunicorn.conf.py
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format portal tests scripts bench wsgi.py gunicorn.conf.py
	$(VENV)/bin/ruff check --fix portal tests scripts bench wsgi.py gunicorn.conf.py

## The browser tests drive Debian's Chromium; install it when missing and we may (root).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Chromium is missing: run 'apt-get install chromium' as root"; exit 1; fi; }

## The suite in parallel, then the browser suite, also in parallel (each process drives its own
## Chromium against its own live portal on its own port and database).
## BROWSER=0 leaves the browser suite out (its live portal always runs on SQLite, so CI runs it
## once, with the SQLite pass).
BROWSER ?= 1
test: install compile-translations lint chromium
	$(PY) -m pytest -n auto --ignore=tests/browser
	if [ "$(BROWSER)" != 0 ]; then $(PY) -m pytest -n auto tests/browser; fi

## Security scan (scripts/scan.py): bandit, then wapiti and sqlmap signed in against a throw-away
## production-configured portal; ~8 minutes; fails on any finding. Installs the scanners (root).
scan: install compile-translations
	@test -x $(VENV)/bin/bandit || $(PY) -m pip install --quiet "bandit>=1.7.9,<2"
	@command -v wapiti >/dev/null 2>&1 && command -v sqlmap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wapiti sqlmap; \
	  else echo "wapiti or sqlmap is missing: run 'apt-get install wapiti sqlmap' as root"; exit 1; fi; }
	VENV=$(VENV) $(PY) scripts/scan.py

## Load test (bench/loadtest.py): locust's simulated requesters, experts and coordinators against
## gunicorn + PostgreSQL + Redis (production configuration), then every acknowledged write is
## looked up in the database; fails on any 5xx or missing write. 50 people for 2 minutes;
## LOADTEST_SMALL=1: 20 people for 30 s (what .ci/run runs). LOADTEST_FAULT=postgres takes the
## database away during the load, LOADTEST_FAULT=worker kills gunicorn workers (SIGKILL). A request
## without any response fails the run (but with the worker fault); LOADTEST_MAX_REQUESTS=100
## replaces workers within a short run.
LOADTEST_FAULT ?= none
loadtest: install compile-translations
	@test -x $(VENV)/bin/locust || $(PY) -m pip install --quiet "locust>=2.20,<3"
	VENV=$(VENV) $(PY) bench/loadtest.py --fault $(LOADTEST_FAULT)

## Benchmark (bench/run.py): wrk against the main pages at 100k needs on PostgreSQL and SQLite,
## against a hello-world and a floor page (bench/floor.py) under the same gunicorn settings, each
## page with the output cache (hit) and without (miss); writes bench/results/latest.{json,md}.
## 20-35 minutes (more when the bulk data must be loaded); not run by CI. BENCH_ARGS passes on.
bench: install compile-translations
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	  else echo "wrk is missing: run 'apt-get install wrk' as root"; exit 1; fi; }
	VENV=$(VENV) $(PY) bench/run.py $(BENCH_ARGS)
	VENV=$(VENV) $(PY) bench/export.py

## Exports (bench/export.py): every need of the bulk data as CSV and XLSX, as a coordinator;
## prints seconds and peak RSS of each. EXPORT_ARGS passes on (e.g. --needs 10000 --databases sqlite).
bench-export: install compile-translations
	VENV=$(VENV) $(PY) bench/export.py $(EXPORT_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache translations/*/LC_MESSAGES/*.mo
