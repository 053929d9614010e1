# The two commands a new machine needs: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# make test: the machine's real PostgreSQL and Redis (override to point elsewhere).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/iecq
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# make bench / make seed-scale: how many certificates (make bench SCALE=100000 is the quick run).
SCALE ?= 1000000
SCALE_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/iecq_scale

.PHONY: run test install migrate demo worker beat lint format bench seed-scale check-deploy schema messages clean stress backup restore

$(STAMP): pyproject.toml scripts/requirements.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) scripts/requirements.py dev > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	@touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo

## Serve the portal with demo data: SQLite and in-process tasks unless DATABASE_URL / REDIS_URL are set.
run: demo
	@echo ""
	@echo "Portal:   http://$(HOST):$(PORT)/"
	@echo "API docs: http://$(HOST):$(PORT)/api/v1/docs/"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

## The whole suite on PostgreSQL and Redis (started, or installed, when they are not running).
test: $(STAMP)
	bash scripts/ensure-services.sh
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) RELIABILITY_REPORT=docs/reliability.md \
		$(PY) -m pytest $(PYTEST_ARGS)

## The race test at length: ROUNDS rounds of 50 concurrent clients; figures added to docs/reliability.md.
ROUNDS ?= 1000
stress: $(STAMP)
	bash scripts/ensure-services.sh
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) RELIABILITY_REPORT=docs/reliability.md \
		RELIABILITY_RUN="make stress" RACE_ROUNDS=$(ROUNDS) RACE_SECTION="Races (make stress)" \
		$(PY) -m pytest tests/test_races.py -q $(PYTEST_ARGS)

## A consistent pg_dump (custom format) of DATABASE_URL: make backup [FILE=backups/x.dump]
backup:
	$(PY) scripts/backup.py $(FILE)

## Restore a dump into a fresh database (never over an existing one): make restore FILE=backups/x.dump
restore:
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=backups/iecq-....dump" >&2; exit 2; }
	$(PY) scripts/restore.py $(FILE)

worker: $(STAMP)
	$(VENV)/bin/celery -A iecq worker --loglevel=INFO

beat: $(STAMP)
	$(VENV)/bin/celery -A iecq beat --loglevel=INFO --schedule=/tmp/iecq-celerybeat-schedule

lint: $(STAMP)
	$(VENV)/bin/ruff check .

format: $(STAMP)
	$(VENV)/bin/ruff format .

schema: $(STAMP)
	$(PY) manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

messages: $(STAMP)
	$(PY) manage.py makemessages -l fr --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

bench: $(STAMP)
	bash scripts/ensure-services.sh
	SCALE=$(SCALE) DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bench/run.py

## A national-scale data set (COPY) in its own database: make seed-scale SCALE=100000
seed-scale: $(STAMP)
	bash scripts/ensure-services.sh
	psql "$(SCALE_DATABASE_URL)" -c 'SELECT 1' >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres $(notdir $(SCALE_DATABASE_URL))
	DATABASE_URL=$(SCALE_DATABASE_URL) $(PY) manage.py migrate --noinput
	DATABASE_URL=$(SCALE_DATABASE_URL) $(PY) manage.py seed_scale --certificates $(SCALE)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts .pytest_cache .ruff_cache
