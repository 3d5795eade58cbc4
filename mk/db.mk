# PostgreSQL for the tests that run the same code on it (tests/test_postgres.py starts a
# throwaway server with initdb; this only makes sure the server binaries are installed).
.PHONY: pg-setup
TEST_SETUP += pg-setup

pg-setup:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "==> installing PostgreSQL (for tests/test_postgres.py)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else echo "PostgreSQL server not installed: tests/test_postgres.py will be skipped (apt-get install postgresql)."; fi
