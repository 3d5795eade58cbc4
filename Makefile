# Signpost: `make run` serves everything on SQLite with demo data; `make test` runs the suite.
# Two Python environments (Rasa 3.6 pins Python < 3.11): the app on Python 3.11 (.venv), Rasa 3.6 on
# Python 3.10 (.venv-bot, mk/bot.mk). Debian packages: mk/system-packages.mk; npm: mk/node-tools.mk.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        ?= .venv
PY          := $(VENV)/bin/python
FLASK       := $(VENV)/bin/flask --app web
export FLASK_APP := web
PORT        ?= 5000
RASA_PORT   ?= 5005
ACTION_PORT ?= 5055
export PORT RASA_PORT ACTION_PORT
# The action server calls the API with this token; outside production both sides default to the
# development token, defined once in directory/settings.py. Production sets its own.
ifneq ($(SIGNPOST_ENV),production)
export SIGNPOST_SERVICE_TOKEN ?= $(shell sed -n 's/^DEV_SERVICE_TOKEN = "\([^"]*\)".*/\1/p' directory/settings.py)
endif

# Python 3.11 for the app: the first of these that exists.
PYTHON311 ?= $(shell for p in python3.11 $$(ls -d $$(pyenv root 2>/dev/null)/versions/3.11.*/bin/python3.11 2>/dev/null | sort -V | tail -1); do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info[:2]==(3,11)' 2>/dev/null && { command -v $$p; break; }; done)

include mk/system-packages.mk mk/node-tools.mk mk/bot.mk mk/benchmarks.mk mk/demo.mk mk/services.mk

.PHONY: help setup app-setup run migrate seed test test-fast test-app lint-imports clean
help:
	@echo "make run        - set up what is missing, migrate, seed demo data, start the service"
	@echo "make test       - set up what is missing and run the whole test suite (what CI runs)"
	@echo "make test-fast  - the unit lane: no server, no bot training (about a minute)"
	@echo "make bench      - run the benchmarks (writes bench/RESULTS.md)"
	@echo "make setup      - create the virtual environments only"
	@echo "make services   - start a local PostgreSQL and Redis (data under instance/) and print their URLs"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@if [ -z "$(PYTHON311)" ]; then echo "Python 3.11 not found. Install it (e.g. 'pyenv install 3.11') or pass PYTHON311=/path/to/python3.11." >&2; exit 1; fi
	@echo "==> creating $(VENV) with $(PYTHON311)"
	test -x $(PY) || $(PYTHON311) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --progress-bar on -r requirements-dev.txt
	touch $@

app-setup: $(VENV)/.installed
setup: app-setup bot-setup

migrate: app-setup
	$(FLASK) directory migrate

seed: migrate
	$(FLASK) directory seed-demo --if-empty

run: setup seed demo-users bot-train
	@$(MAKE) -s run-banner
	$(PY) -m directory.service run

# The layer contracts (.importlinter): the core imports neither web/ nor bot/, domains one way.
lint-imports: app-setup
	PYTHONPATH=$(CURDIR) $(VENV)/bin/lint-imports

# The unit lane: every app test that needs no server beside the app, in two processes.
test-fast: app-setup lint-imports
	$(PY) -m pytest tests -q -m "not server" -n 2 --dist loadfile

# The whole app suite: the servers its end-to-end tests start need these installed first.
test-app: app-setup lint-imports system-packages node-tools bot-train
	$(PY) -m pytest tests -q

test: test-app bot-test

clean:
	rm -rf $(VENV) $(BOT_VENV) instance/*.db .pytest_cache
