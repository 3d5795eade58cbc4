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


def test_benchmark_runs_and_writes_its_section(out_dir, tmp_path, monkeypatch):
    """Every mix at a tiny size: the synthetic and meetings mixes through HTTP (search logging on)
    and their imports (import-hsds, import-meetings), the realistic mix without (kept fast)."""
    monkeypatch.setattr(bench_search, "WARMUP_SECONDS", 1)
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Directory search\n\nold numbers\n\n### Notes\n\nkept\n\n"
                       "## Someone else's\n\ntheirs\n")
    http = shutil.which("wrk") is not None
    imports = Path("/usr/bin/time").exists()
    common = ["--sizes", str(SIZE), "--seed", "7", "--queries", "60", "--full-scan-queries", "20", "--quiet",
              "--results", str(results)]
    if imports:  # the meetings mix is an import-meetings: it needs /usr/bin/time
        report = bench_search.main(common + ["--mixes", "realistic", "--skip-http", "--import-sizes"])
        realistic = report["sizes"][0]
        assert realistic["mix"] == "realistic" and realistic["full_scan_disagreements"] == 0
    argv = common + ["--mixes", "synthetic", *(["meetings"] if imports else []),
                     "--import-sizes", *([str(SIZE)] if imports else [])]
    argv += ["--http-seconds", "1", "--http-runs", "2", "--http-configs", "gthread"] if http else ["--skip-http"]
    report = bench_search.main(argv)
    for size in report["sizes"]:
        assert size["full_scan_disagreements"] == 0  # the R*Tree search finds what the full scan finds
        assert size["core"]["n"] == 60 and size["floor"]["median_ms"] > 0
        # The floor's standalone trees hold the same points as the app's tree.
        assert size["floor_built"]["rows"] == size["floor_built"]["app_tree_rows"] > 0
        if http:
            run = size["http"]["gthread"]
            assert run["requests"] > 0 and run["non_2xx"] == 0 and run["errors"] == 0
            assert run["empty_answers_in_50"] < 50
            assert len(run["runs_rps"]) == 2 and run["rps"] in run["runs_rps"]  # the median of two runs: the higher
            assert run["searches_logged"] >= run["requests"]  # logging on: every search was logged
    if imports:
        synthetic_size, meetings = report["sizes"]
        assert synthetic_size["import"]["search_entries"] == SIZE and synthetic_size["import"]["peak_rss_mb"] > 0
        # The feed is valid: every meeting imported (none skipped as a bad record), each one searchable.
        m = meetings["meetings_import"]
        assert meetings["mix"] == "meetings" and m["services"] == SIZE == m["search_entries"]
        assert m["seconds"] > 0 and m["peak_rss_mb"] > 0
        # The searches logged were removed again: the cached database stays as the import made it.
        conn = sqlite3.connect(synthetic.db_path(SIZE, 7, "meetings"))
        assert conn.execute("SELECT count(*) FROM search_log").fetchone()[0] == 0
        conn.close()
    text = results.read_text()
    assert "old numbers" not in text and "| synthetic | 300 |" in text and "Goals per mix" in text
    assert "### Notes\n\nkept\n" in text and text.endswith("## Someone else's\n\ntheirs\n")
    if not (http and imports):
        pytest.skip("wrk or /usr/bin/time missing (make bench-search-tools): HTTP or import part not run")


def test_meeting_feed_follows_the_spec_and_imports_cleanly(tmp_path):
    """The synthetic Meeting Guide feed: groups meeting on several days at one place, unique slugs,
    and an import that skips or repairs nothing."""
    from directory import db
    from directory.catalog.importers import meeting_guide as mg
    meetings = list(synthetic.meeting_feed(400, 7))
    assert len(meetings) == 400 and len({m["slug"] for m in meetings}) == 400
    by_group: dict[str, set] = {}
    for m in meetings:
        assert 0 <= m["day"] <= 6 and m["time"] < "24" and m["types"] and m["name"]
        by_group.setdefault(m["group"], set()).add((m["latitude"], m["longitude"]))
    assert all(len(places) == 1 for places in by_group.values())  # a group meets at one place
    assert len(by_group) < 300  # and most meet on more than one day
    assert any("conference_url" in m for m in meetings)
    db.upgrade(f"sqlite:///{tmp_path / 'feed.db'}")
    with db.Session.begin() as s:
        report = mg.import_meetings(s, meetings, "bench")
    db.engine().dispose()
    assert not report.bad and not report.skipped and not report.warnings
    assert len(report.service_ids) == 400 and report.search_entries == 400


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


def test_no_listing_is_placed_at_a_zip_without_coordinates():
    """The zipcodes package gives a few standard ZIPs 0,0 (no coordinates): the generator leaves them out."""
    zips, weights = synthetic.weighted_zips()
    assert len(zips) == len(weights) > 29000
    assert not [z for z in zips if abs(z.lat) < 1 and abs(z.lon) < 1]
