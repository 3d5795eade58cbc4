"""The search benchmark (bench/bench_search.py) run end to end at a tiny size, so it cannot rot.

Also checks what the benchmark's numbers rest on: the synthetic generator writes the same search
entries as directory.catalog.index, and the core search returns exactly what a full scan returns.
"""
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import bench_search, synthetic  # noqa: E402

SIZE = 300
COLUMNS = ("service_at_location_id, service_id, latitude, longitude, category, attribute_bits, language_bits, "
           "beds_available, active, search_text, card")


@pytest.fixture
def out_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(synthetic, "OUT_DIR", tmp_path / "out")
    return tmp_path / "out"


def _entries(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute(f"SELECT {COLUMNS} FROM search_entry"))
    finally:
        conn.close()


def test_generated_search_entries_are_what_the_indexer_writes(out_dir, tmp_path):
    from directory import db
    from directory.catalog.index import reindex_all
    path = synthetic.cached_db(SIZE, 7, progress=False)
    generated = _entries(path)
    copy = tmp_path / "reindexed.db"
    shutil.copy(path, copy)
    db.configure(f"sqlite:///{copy}")
    with db.Session.begin() as s:
        s.connection().exec_driver_sql("DELETE FROM search_entry")
        reindex_all(s)
    db.engine().dispose()
    assert len(generated) == SIZE and _entries(copy) == generated
    # Cached: a second call reuses the file.
    assert synthetic.cached_db(SIZE, 7, progress=False).stat().st_mtime == path.stat().st_mtime


def test_benchmark_runs_and_writes_its_section(out_dir, tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Directory search\n\nold numbers\n\n### Notes\n\nkept\n\n"
                       "## Someone else's\n\ntheirs\n")
    http = shutil.which("wrk") is not None
    imports = Path("/usr/bin/time").exists()
    argv = ["--sizes", str(SIZE), "--seed", "7", "--queries", "60", "--full-scan-queries", "20", "--quiet",
            "--results", str(results), "--import-sizes"] + ([str(SIZE)] if imports else [])
    argv += ["--http-seconds", "1", "--http-runs", "2", "--http-configs", "gthread"] if http else ["--skip-http"]
    report = bench_search.main(argv)
    size = report["sizes"][0]
    assert size["full_scan_disagreements"] == 0  # the R*Tree search finds what the full scan finds
    assert size["core"]["n"] == 60 and size["floor"]["median_ms"] > 0
    if http:
        run = size["http"]["gthread"]
        assert run["requests"] > 0 and run["non_2xx"] == 0 and run["errors"] == 0
        assert run["empty_answers_in_50"] < 50
        assert len(run["runs_rps"]) == 2 and run["rps"] in run["runs_rps"]  # the median of two runs: the higher
    if imports:
        assert size["import"]["search_entries"] == SIZE and size["import"]["peak_rss_mb"] > 0
    text = results.read_text()
    assert "old numbers" not in text and "| 300 |" in text
    assert "### Notes\n\nkept\n" in text and text.endswith("## Someone else's\n\ntheirs\n")
    if not (http and imports):
        pytest.skip("wrk or /usr/bin/time missing (make bench-search-tools): HTTP or import part not run")


def test_import_memory_counts_every_process_of_the_command():
    """A big import reads in a second process: its memory counts too (bench_search.tree_rss_kb)."""
    import subprocess
    hold = "import time; b = bytearray(80_000_000); b[::4096] = b'x' * len(b[::4096]); time.sleep(30)"
    parent = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                               f"subprocess.Popen([sys.executable, '-c', {hold!r}]); exec({hold!r})"])
    try:
        import time
        deadline = time.monotonic() + 20
        while bench_search.tree_rss_kb(parent.pid) < 2 * 78_000 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert bench_search.tree_rss_kb(parent.pid) >= 2 * 78_000  # both processes' 80 MB
    finally:
        import os
        import signal
        children = subprocess.run(["pgrep", "-P", str(parent.pid)], capture_output=True, text=True).stdout.split()
        for pid in children:
            os.kill(int(pid), signal.SIGKILL)
        parent.kill()
        parent.wait()
