# The two commands a newcomer needs:  `make run`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000

.PHONY: run test install catalogs lint typecheck bench load capacity

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

# Each catalog is compiled when its .po is newer than its .mo, so two `make test` side by side
# (.ci/run's lanes) never rewrite a catalog the other is reading.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

catalogs: install $(CATALOGS)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | install
	$(BIN)/pybabel compile -d translations -l $* >/dev/null

# The worker and scheduler run beside the app (jobs in instance/jobs.db unless JOBS_URL or
# REDIS_URL names Redis) and stop with it.
run: catalogs
	PORT=$(PORT) $(BIN)/flask --app app setup --demo
	@echo "Phone menu simulator: http://127.0.0.1:$(PORT)/try/"
	$(BIN)/flask --app app jobs run & jobs=$$!; trap 'kill $$jobs 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app app run --port $(PORT)

test: catalogs
	$(BIN)/python -m pytest

lint: typecheck

typecheck: install
	$(BIN)/ruff format --check . && $(BIN)/ruff check . && $(BIN)/mypy

bench: catalogs
	$(BIN)/python bench/webhooks.py

load: catalogs
	$(BIN)/python bench/callers.py

capacity: catalogs
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/capacity.py --plot docs/capacity.png
