# Set-up and everyday commands. Needs only python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app campaign
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run serve consume bench load test test-sqlite lint format migrate seed translations compile-translations check audit typecheck

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo --if-empty

# The development server and, beside it, the queue's consumer (messages, reminders); the
# consumer stops with the server. With no MAIL_SERVER or SMS_GATEWAY_URL, messages are
# printed to this terminal (the console transport).
run: seed compile-translations
	$(FLASK) consume & consumer=$$!; \
	trap 'kill -INT $$consumer 2>/dev/null; wait $$consumer' EXIT; trap 'exit 130' INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# Production-style serving: gunicorn with gunicorn.conf.py on 127.0.0.1:8000, each worker
# running waitress (campaign_serving/), which hands the app only requests that have fully
# arrived, so slow clients cannot hold the site. In production, behind a reverse proxy with
# HTTPS (docs/deployment.md). The queue's consumer runs beside it and stops with it; with
# QUEUE_URL=redis://… several hosts share the work (or run `make consume` on its own).
serve: migrate compile-translations
	$(FLASK) consume & consumer=$$!; \
	trap 'kill -INT $$consumer 2>/dev/null; wait $$consumer' EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/gunicorn -c gunicorn.conf.py

# The queue's consumer alone (QUEUE_URL): sends each message as it is recorded, and every
# minute plans what is due (reminders) and sends it. WORKERS threads send at once.
WORKERS ?= 2
consume: migrate
	$(FLASK) consume --workers $(WORKERS)

# Full-size load with invariants and benchmarks: by hand, never part of `make test`.
# PostgreSQL too when LOAD_DATABASE_URL names an empty database.
load: install
	$(BIN)/python bench/load.py --joins 1000 --users 48 --workers 4
	$(if $(LOAD_DATABASE_URL),$(BIN)/python bench/load.py --database-url $(LOAD_DATABASE_URL) --joins 1000 --users 48 --workers 4)

bench: install
	$(BIN)/python bench/run.py

# Translations: catalogs (.po) are in git, compiled ones (.mo) are built here, never committed.
TRANSLATIONS := campaign/translations
CATALOGS := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ -l $*

compile-translations: $(CATALOGS:.po=.mo)

# After changing user-facing text: extract every string, merge into the catalogs, then
# translate what is new (empty msgstr) and commit the .po files.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file \
		--project campaign -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching

# The whole suite. Database tests run on SQLite, and on PostgreSQL too when
# TEST_DATABASE_URL names a server (.ci/run starts one). Two processes (pytest-xdist, one
# per core; TEST_WORKERS=auto for more); tests marked xdist_group run one after another in
# one process. Prints the 15 slowest. Exit code 5 (no tests) is not a failure.
TEST_WORKERS ?= 2
test: install compile-translations
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15 $(PYTEST_ARGS); \
		rc=$$?; if [ $$rc -eq 5 ]; then rc=0; fi; exit $$rc

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Static security checks: bandit on the code, pip-audit on the installed packages.
audit: install
	$(BIN)/bandit -q -r campaign campaign_serving -x campaign/migrations
	$(BIN)/python .ci/audit.py

# Types: mypy (settings in pyproject.toml). Errors listed in mypy-baseline.txt are known and
# pass; a new one fails, and so does a fixed one still listed (the baseline only shrinks:
# after fixing, `$(BIN)/mypy | $(BIN)/mypy-baseline sync` and commit the shorter file).
typecheck: install
	$(BIN)/mypy | $(BIN)/mypy-baseline filter --no-colors

# Everything: lint, the whole suite, the security audits and the type check.
check: lint typecheck test audit

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
