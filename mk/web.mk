# The web pages (issue 3): headless Chromium for the end-to-end tests, and the README screenshots.
# Chromium and its driver are Debian packages (nothing downloaded at test time); Selenium drives
# them (requirements-dev.txt).
.PHONY: e2e-setup screenshots demo-users
TEST_SETUP += e2e-setup

e2e-setup:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "==> installing chromium and chromium-driver (for the browser tests)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else echo "Chromium missing: install the Debian packages chromium and chromium-driver (as root)." >&2; exit 1; fi; \
	fi

# Refresh docs/screenshots/*.png (shown in the README) from the end-to-end tests.
screenshots: app-setup e2e-setup
	SIGNPOST_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/e2e -q

# The demo users (development only; `make run` prints their logins). After the seed, so the
# demo peer worker keeps the demo organizations. An extra prerequisite of the root `run` rule.
demo-users: seed
	@if [ "$${SIGNPOST_ENV:-development}" = development ]; then $(FLASK) users demo >/dev/null && echo "==> demo users ready"; fi
run: demo-users
