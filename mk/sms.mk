# The SMS gateway (issue 5): the Twilio mock for the tests (Stoplight Prism from npm, serving
# Twilio's own OpenAPI description), the start-up banner of `make run`, and the SMS benchmark.
.PHONY: twilio-mock-setup run-banner bench-sms
# The action server (Procfile `actions`) calls the web API with this token; the web app's
# development default is the same, so `make run` works out of the box. Production sets its own.
ifneq ($(SIGNPOST_ENV),production)
export SIGNPOST_SERVICE_TOKEN ?= dev-service-token
endif
TEST_SETUP += twilio-mock-setup bot-train
BENCHES    += bench-sms

node_modules/.installed: package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "==> installing Node.js and npm (for the Twilio mock)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
		else echo "npm not found: install Node.js 18.20+ (e.g. apt-get install nodejs npm)." >&2; exit 1; fi; \
	fi
	@echo "==> installing the Twilio mock (npm ci: @stoplight/prism-cli)"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

twilio-mock-setup: node_modules/.installed

# What `make run` prints before starting the processes: where everything is, and how to sign in.
run-banner: app-setup
	@$(PY) -m web.sms.banner

bench-sms: app-setup bot-train
	$(PY) bench/bench_sms.py
