"""Each benchmark rewrites only its section of RESULTS.md and keeps its hand-written notes
(bench/results_file.py, as bench_sms.py, bench_search.py and bench_imports.py call it)."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.results_file import write_section  # noqa: E402


def test_write_section_keeps_notes_and_other_sections(tmp_path):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## SMS gateway\n\nold figures\n\n### Notes\n\nkept by hand\n\n"
                       "## Directory search\n\ntheirs\n")
    write_section("## SMS gateway\n\nnew figures\n", "## SMS gateway", results)
    text = results.read_text()
    assert "old figures" not in text and "new figures" in text
    assert "### Notes\n\nkept by hand\n" in text and text.endswith("## Directory search\n\ntheirs\n")
    assert text.index("new figures") < text.index("kept by hand") < text.index("## Directory search")
