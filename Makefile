# smartduty — the two commands a new user needs are `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
NPM ?= npm
FRONTEND := frontend
NPM_STAMP := $(FRONTEND)/node_modules/.installed
WEB_BUILT := src/smartduty/web/static/web/.built
FRONTEND_SOURCES := $(shell find $(FRONTEND) -path $(FRONTEND)/node_modules -prune -o -type f \
  \( -name '*.ts' -o -name '*.vue' -o -name '*.css' -o -name '*.html' -o -name '*.js' \
  -o -name '*.json' -o -name '*.png' -o -name '*.webmanifest' \) -print 2>/dev/null)

.PHONY: run test install lint pytest migrate demo models worker web clean lock frontend frontend-check api-client bench-peers \
  system-packages-run system-packages-test system-packages-ci

## make system-packages-<group>: the Debian packages of a group (run, test, ci), installed when
## missing and running as root; the one list lives in deploy/system-packages.sh (ADR 0008)
system-packages-run system-packages-test system-packages-ci:
	@bash deploy/system-packages.sh $(@:system-packages-%=%)

# rapidocr_onnxruntime is installed only for the PP-OCRv4 ONNX files it ships (plate reader);
# --no-deps because its metadata asks for the GUI opencv-python, which clashes with the headless build.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]' \
	  > $(VENV)/pip.log 2>&1 || { grep -v "is ignored: it is neither" $(VENV)/pip.log; exit 1; }
	@$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -c requirements.lock \
	  rapidocr_onnxruntime >> $(VENV)/pip.log 2>&1 || { grep -v "is ignored" $(VENV)/pip.log; exit 1; }
	DJANGO_SETTINGS_MODULE=smartduty.settings $(BIN)/python -c "import django; django.setup()" && touch $(STAMP)

## plate-detector models: installed from ../shared/models (SHA-256 pinned) when that folder exists;
## without them recognition falls back to the wheel-shipped PP-OCRv4 detector
SHARED_MODELS ?= ../shared/models/hyperlpr3
models: install
	@if [ -d "$(SHARED_MODELS)" ]; then $(BIN)/python manage.py install_models --from "$(SHARED_MODELS)"; \
	  else echo "未找到 $(SHARED_MODELS)：车牌识别使用 wheel 自带模型 (no optional models found)"; fi

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate models
	$(BIN)/python manage.py seed_demo

## make frontend: `npm ci` (when node_modules is missing or the lock changed), then build the
## officer app and the command centre into src/smartduty/web/static/web/ (served by Django)
$(NPM_STAMP): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
	@command -v node >/dev/null || { echo "Node.js 20.19+ is required for the front ends"; exit 1; }
	cd $(FRONTEND) && $(NPM) ci --no-audit --no-fund
	touch $@

$(WEB_BUILT): $(NPM_STAMP) $(FRONTEND_SOURCES)
	$(NPM) --prefix $(FRONTEND) run build
	touch $@

frontend: $(WEB_BUILT)

## make frontend-check: type-check, lint and unit-test the front ends
frontend-check: $(NPM_STAMP)
	$(NPM) --prefix $(FRONTEND) run typecheck
	$(NPM) --prefix $(FRONTEND) run lint
	$(NPM) --prefix $(FRONTEND) run test

## make api-client: regenerate frontend/api-client from the API's OpenAPI schema (commit both)
api-client: install $(NPM_STAMP)
	$(BIN)/python manage.py export_openapi_schema --api smartduty.api.api --indent 1 --sorted \
	  --output $(FRONTEND)/api-client/openapi.json
	$(NPM) --prefix $(FRONTEND) run gen:api

## make run: Debian packages + virtualenv + migrate + demo data (once) + web server and worker on SQLite
run: system-packages-run frontend demo
	@$(BIN)/python manage.py check --database default --fail-level ERROR
	$(BIN)/python manage.py collectstatic --noinput -v 0
	@bash deploy/run-dev.sh "$(HOST)" "$(PORT)"

## make test: lint, type-check, architecture rules and the whole test suite
test: system-packages-test install frontend frontend-check lint pytest

lint: install system-packages-run
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

## make bench-peers: the offline peers `bench/plates.py` compares against, in their own venv
## (hyperlpr2 needs opencv-python<5, which the product's OpenCV 5 cannot share a venv with)
PEERS_VENV := var/peers-venv
bench-peers:
	@test -x $(PEERS_VENV)/bin/python || $(PY) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install -q --disable-pip-version-check \
	  "opencv-python==4.14.0.94" "hyperlpr2==2.0.0" "rapidocr_onnxruntime==1.4.4" \
	  "onnxruntime==1.32.0" "numpy==2.4.6"

clean:
	rm -rf $(VENV) var/static
