# Directory search benchmark (bench/bench_search.py, run by the root `bench-search` rule): wrk
# drives the HTTP load and GNU time reports the import's peak memory, both Debian packages.
# The app tests need them too: tests/test_bench_smoke.py runs the whole benchmark at a tiny size.
.PHONY: bench-search-tools
TEST_SETUP += bench-search-tools
bench-search: bench-search-tools

bench-search-tools:
	@if [ ! -x /usr/bin/wrk ] || [ ! -x /usr/bin/time ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "==> installing wrk and time (for the search benchmark)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk time >/dev/null; \
		else echo "wrk or GNU time missing: install the Debian packages wrk and time (as root)." >&2; exit 1; fi; \
	fi
