# Benchmarks (`make bench` runs them all; each writes its section of bench/RESULTS.md).
.PHONY: bench bench-search bench-sms bench-realdata bench-imports

bench: bench-search bench-imports bench-sms bench-bot bench-realdata

bench-search: app-setup system-packages
	$(PY) bench/bench_search.py

# Every other importer (HSDS JSON, 211 / HSDS 1.x CSV, SAMHSA FindTreatment) through the CLI
# (bench/bench_imports.py; options through BENCH_IMPORTS_ARGS, e.g. "--sizes 100000").
bench-imports: app-setup system-packages
	$(PY) bench/bench_imports.py $(BENCH_IMPORTS_ARGS)

bench-sms: app-setup bot-train
	$(PY) bench/bench_sms.py

# The real-data held-out sets through the whole stack (bench/bench_realdata.py).
bench-realdata: app-setup bot-train
	$(PY) bench/bench_realdata.py
