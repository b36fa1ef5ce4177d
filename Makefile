# smartduty — the two commands a new user needs are `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install lint pytest migrate demo worker web clean lock

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]' 2>&1 \
	  | grep -v "is ignored: it is neither" || true
	DJANGO_SETTINGS_MODULE=smartduty.settings $(BIN)/python -c "import django; django.setup()" && touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

## make run: virtualenv + migrate + demo data (once) + web server and worker on SQLite
run: demo
	$(BIN)/python manage.py collectstatic --noinput -v 0
	@bash deploy/run-dev.sh "$(HOST)" "$(PORT)"

## make test: lint, type-check, architecture rules and the whole test suite
test: install lint pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	SMARTDUTY_DEBUG=false $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

pytest: install
	@set -o pipefail; $(BIN)/python -m pytest -n 2 -q $(PYTEST_ARGS) 2>&1 | tee var/pytest.log; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' > requirements.lock

clean:
	rm -rf $(VENV) var/static
