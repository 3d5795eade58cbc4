# The Rasa bot: its own Python 3.10 venv, training only when its inputs changed,
# the test suite `make test` runs for it, the server commands and the benchmark.
BOT_VENV     ?= .venv-bot
BOT_PY       := $(BOT_VENV)/bin/python
RASA         := $(BOT_VENV)/bin/rasa
BOT_MODELS   ?= models
BOT_STAMP    := $(BOT_MODELS)/.trained
SIGNPOST_API_URL ?= http://127.0.0.1:$(PORT)
export SIGNPOST_API_URL
# Rasa's own logs stay at WARNING: Rasa logs message text at DEBUG (none may reach the logs at INFO or above).
BOT_LOG_LEVEL ?= WARNING
# config.yml names a component in bot/nlu and the actions are the package bot.actions:
# everything runs from the repository root with it on the path.
BOT_ENV      := PYTHONPATH=$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH} LOG_LEVEL=$(BOT_LOG_LEVEL) \
	RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=3

# Python 3.10 for the bot: python3.10 on PATH only if it really is 3.10 (a pyenv shim without
# PYENV_VERSION is not), else the newest pyenv 3.10.x binary itself.
PYTHON310 ?= $(shell for p in python3.10 $$(ls -d $$(pyenv root 2>/dev/null)/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V | tail -1); do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info[:2]==(3,10)' >/dev/null 2>&1 && { command -v $$p; break; }; done)

# What the model is trained from: data/, config.yml, bot/domain.yml.
BOT_TRAIN_INPUTS := config.yml bot/domain.yml $(shell find data -name '*.yml' 2>/dev/null | sort)

.PHONY: bot-setup bot-train bot-test bot-run-rasa bot-run-actions bot-serve-rasa bot-serve-actions bench-bot

$(BOT_VENV)/.installed: bot/requirements.txt
	@if [ -z "$(PYTHON310)" ]; then echo "Python 3.10 not found (Rasa 3.6 needs it). Install it with 'pyenv install 3.10' or pass PYTHON310=/path/to/python3.10." >&2; exit 1; fi
	@echo "==> creating $(BOT_VENV) with $(PYTHON310)"
	test -x $(BOT_PY) || $(PYTHON310) -m venv $(BOT_VENV)
	$(BOT_PY) -m pip install --quiet --upgrade 'pip<25' 'setuptools<70' wheel
	$(BOT_PY) -m pip install --progress-bar off -r bot/requirements.txt
	touch $@

bot-setup: $(BOT_VENV)/.installed

# The stamp holds a fingerprint of the inputs; train only when it differs (mtime-proof on a fresh clone).
bot-train: bot-setup
	@fp=$$(cat $(BOT_TRAIN_INPUTS) | sha256sum | cut -c1-16); \
	if [ -f $(BOT_STAMP) ] && [ "$$(cat $(BOT_STAMP))" = "$$fp" ] && [ -f $(BOT_MODELS)/signpost.tar.gz ]; then \
		echo "==> bot model up to date ($$fp)"; \
	else \
		echo "==> training the bot ($$fp)"; mkdir -p $(BOT_MODELS); \
		$(BOT_ENV) $(RASA) train --domain bot/domain.yml --data data --config config.yml --out $(BOT_MODELS) --fixed-model-name signpost && \
		echo $$fp > $(BOT_STAMP); \
	fi

# Validation, test stories, then pytest: parsing, crisis net, held-out NLU quality, and the
# actions against the real directory API (web/ in the app venv, on a temp SQLite DB).
bot-test: bot-train app-setup
	$(BOT_ENV) $(RASA) data validate --domain bot/domain.yml --data data --config config.yml --fail-on-warnings
	$(BOT_ENV) $(RASA) test core --stories bot/tests/stories --model $(BOT_MODELS)/signpost.tar.gz \
		--endpoints bot/endpoints.yml --fail-on-prediction-errors --out $(BOT_MODELS)/results/core
	$(BOT_ENV) $(BOT_VENV)/bin/pytest -q -c bot/pytest.ini --rootdir bot bot/tests

# bot/rasa_server.py is the `rasa` command minus CPU sinks of Rasa 3.6 (see its docstring): same behaviour.
# bot-serve-* have no prerequisites: they are what the supervisor (directory/service.py) starts and
# restarts; `make run` trains first. RASA_ENDPOINTS: the endpoints file the service writes (the
# shared tracker and lock stores); bot/endpoints.yml alone keeps conversations in memory.
RASA_ENDPOINTS ?= bot/endpoints.yml
bot-run-rasa: bot-train
	@$(MAKE) -s --no-print-directory bot-serve-rasa

# How the bot's servers run numpy's BLAS (SERVE_BLAS; measured in bench/RESULTS.md, "SMS gateway", 2026-12-06):
# - one thread: a message is one small product after another, and OpenBLAS's second thread spins between
#   them, which doubled Rasa's CPU per message;
# - OpenBLAS 0.3.20 (numpy 1.23, as Rasa 3.6 pins it) does not recognise a CPU that reports a generic
#   model, as virtual machines do, and falls back to its slowest kernels ("Prescott"; products 3x slower,
#   the NLU 27% slower). Where the CPU has AVX2 and FMA it is told to use the kernels made for them
#   (Haswell's); elsewhere it detects as before. An OPENBLAS_CORETYPE of your own wins.
# Training is left as it was (every thread, detected kernels).
BLAS_CORETYPE := $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo && echo Haswell)
SERVE_BLAS := OPENBLAS_NUM_THREADS=$${OPENBLAS_NUM_THREADS:-1} OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} \
	$(if $(BLAS_CORETYPE),OPENBLAS_CORETYPE=$${OPENBLAS_CORETYPE:-$(BLAS_CORETYPE)})

bot-serve-rasa:
	$(BOT_ENV) $(SERVE_BLAS) exec $(BOT_PY) -m bot.rasa_server run --model $(BOT_MODELS)/signpost.tar.gz --endpoints $(RASA_ENDPOINTS) \
		--credentials $$(test -f bot/credentials.yml && echo bot/credentials.yml || echo bot/credentials.yml.example) \
		--enable-api -i 127.0.0.1 -p $(RASA_PORT) $${RASA_TOKEN:+--auth-token $$RASA_TOKEN}

# The action server calls the directory API with the service token (SIGNPOST_SERVICE_TOKEN, the
# development default exported by the Makefile). The server binds localhost only (SANIC_HOST).
bot-run-actions: bot-setup
	@$(MAKE) -s --no-print-directory bot-serve-actions

bot-serve-actions:
	SANIC_HOST=127.0.0.1 $(BOT_ENV) $(SERVE_BLAS) exec $(RASA) run actions --actions bot.actions -p $(ACTION_PORT)

# Pipeline comparison (5-fold CV, ~10 min) and serving figures; writes "## Bot" in bench/RESULTS.md.
bench-bot: bot-train app-setup
	$(BOT_ENV) $(BOT_PY) bench/bench_bot.py
