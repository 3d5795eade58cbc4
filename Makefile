# Signpost: `make run` serves everything on SQLite with demo data; `make test` runs the suite.
# Two Python environments (GUIDE §1): the app on Python 3.11 (.venv), Rasa 3.6 on Python 3.10 (.venv-bot).
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

# Python 3.11 for the app: the first of these that exists.
PYTHON311 ?= $(shell for p in python3.11 $$(ls -d $$(pyenv root 2>/dev/null)/versions/3.11.*/bin/python3.11 2>/dev/null | sort -V | tail -1); do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info[:2]==(3,11)' 2>/dev/null && { command -v $$p; break; }; done)

# Extension points for mk/*.mk: more set-up before the app tests, more benchmarks.
TEST_SETUP  :=
BENCHES     := bench-search
-include mk/*.mk

.PHONY: help setup app-setup run migrate seed test test-app bench bench-search clean
help:
	@echo "make run    - set up what is missing, migrate, seed demo data, start the service"
	@echo "make test   - set up what is missing and run the whole test suite"
	@echo "make bench  - run the benchmarks (writes bench/RESULTS.md)"
	@echo "make setup  - create the virtual environments only"

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

run: setup seed bot-train
	@$(MAKE) -s run-banner
	$(VENV)/bin/honcho --procfile Procfile start

test-app: app-setup $(TEST_SETUP)
	$(PY) -m pytest tests -q

test: test-app bot-test

bench: $(BENCHES)

bench-search: app-setup
	$(PY) bench/bench_search.py

clean:
	rm -rf $(VENV) $(BOT_VENV) instance/*.db .pytest_cache
