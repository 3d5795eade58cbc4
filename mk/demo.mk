# What `make run` adds for local use: the demo users, the start-up banner, and the README
# screenshots refreshed from the browser tests.
.PHONY: screenshots demo-users run-banner

# The demo users (development only; `make run` prints their logins). After the seed, so the
# demo peer worker keeps the demo organizations.
demo-users: seed
	@if [ "$${SIGNPOST_ENV:-development}" = development ]; then $(FLASK) users demo >/dev/null && echo "==> demo users ready"; fi

# Where everything is, and how to sign in.
run-banner: app-setup
	@$(PY) -m web.sms.banner

# Refresh docs/screenshots/*.png (shown in the README) from the end-to-end tests.
screenshots: app-setup system-packages node-tools
	SIGNPOST_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/e2e -q
