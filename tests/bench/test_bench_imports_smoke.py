"""The import benchmark (bench/bench_imports.py) run end to end at a tiny size, so it cannot rot:
every format's generated input imports through the CLI with every record searchable."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import bench_imports, synthetic  # noqa: E402

SIZE = 120


@pytest.fixture
def out_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(synthetic, "OUT_DIR", tmp_path / "out")
    return tmp_path / "out"


def test_generated_inputs_import_cleanly_in_process(out_dir, tmp_path):
    """Each format's input, imported in this process: nothing skipped, every record a listing."""
    from directory import db
    from directory.catalog.importers import findtreatment, import_hsds_path
    for fmt in bench_imports.FORMATS:
        folder = bench_imports.cached_input(fmt, SIZE, 3)
        url = f"sqlite:///{tmp_path / fmt}.db"
        db.upgrade(url)
        db.configure(url)
        with db.Session.begin() as s:
            if fmt == "findtreatment":
                report = findtreatment.import_file(s, folder / "facilities.json")
            elif fmt == "211":
                report = import_hsds_path(s, folder, source="bench211")
            else:
                report = import_hsds_path(s, folder / "services.json")
        db.engine().dispose()
        assert report.written["service"] == SIZE and report.search_entries == SIZE, fmt
        assert not report.skipped and not report.bad, fmt
        assert bench_imports.cached_input(fmt, SIZE, 3) == folder  # cached: the same folder again
    # Deterministic: the same seed writes the same input.
    again = tmp_path / "again"
    again.mkdir()
    bench_imports.write_findtreatment(again, SIZE, 3)
    assert (again / "facilities.json").read_bytes() == (out_dir / f"imports-findtreatment-{SIZE}-seed3" /
                                                        "facilities.json").read_bytes()


def test_benchmark_runs_and_writes_its_section(out_dir, tmp_path):
    if not Path("/usr/bin/time").exists():
        pytest.skip("/usr/bin/time missing (make system-packages)")
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Imports\n\nold numbers\n\n### Notes\n\nkept\n\n"
                       "## Someone else's\n\ntheirs\n")
    report = bench_imports.main(["--sizes", str(SIZE), "--seed", "3", "--quiet", "--results", str(results)])
    assert [r["format"] for r in report["runs"]] == list(bench_imports.FORMATS)
    for run in report["runs"]:
        assert run["services"] == SIZE == run["search_entries"], run["format"]
        assert run["seconds"] > 0 and run["cpu_s"] > 0 and run["peak_rss_mb"] > 0
        assert run["s_per_million"] == pytest.approx(run["seconds"] / SIZE * 1e6)
    text = results.read_text()
    assert "old numbers" not in text and f"| 211 | {SIZE} |" in text and "s per million" in text
    assert "### Notes\n\nkept\n" in text and text.endswith("## Someone else's\n\ntheirs\n")
    # --no-write leaves the file alone.
    before = results.read_text()
    bench_imports.main(["--sizes", "40", "--formats", "findtreatment", "--seed", "3", "--quiet", "--no-write",
                        "--results", str(results)])
    assert results.read_text() == before
