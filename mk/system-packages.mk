# The one place that installs Debian packages (as root, only what is missing): wrk and GNU time for
# the search benchmark and its smoke test, PostgreSQL and Redis for the tests that run the directory
# and the service on them (they start throwaway servers) and for `make services`, Chromium and its driver for the browser tests, and
# Node.js for the Twilio mock (node-tools.mk).
.PHONY: system-packages
SYSTEM_PACKAGES := wrk time postgresql redis-server chromium chromium-driver nodejs npm

system-packages:
	@missing=""; \
	[ -x /usr/bin/wrk ] || missing="$$missing wrk"; \
	[ -x /usr/bin/time ] || missing="$$missing time"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/bin/redis-server ] || missing="$$missing redis-server"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -x /usr/bin/chromedriver ] || missing="$$missing chromium-driver"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "==> installing Debian packages:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "Missing Debian packages:$$missing. Install them as root: apt-get install$$missing" >&2; exit 1; fi; \
	fi
