# Benchmarks (`make bench` runs them all; each writes its section of bench/RESULTS.md).
.PHONY: bench bench-search bench-sms bench-realdata

bench: bench-search bench-sms bench-bot bench-realdata

bench-search: app-setup system-packages
	$(PY) bench/bench_search.py

bench-sms: app-setup bot-train
	$(PY) bench/bench_sms.py

# The real-data held-out sets through the whole stack (bench/bench_realdata.py).
bench-realdata: app-setup bot-train
	$(PY) bench/bench_realdata.py
