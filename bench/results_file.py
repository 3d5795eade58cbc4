"""bench/RESULTS.md: each benchmark owns one `## ` section and rewrites only that one, keeping the
section's hand-written `### Notes` subsection (figures are the script's, the notes a person's)."""
from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
NOTES = "### Notes"  # a hand-written subsection at the end of a section, kept across runs


def write_section(text: str, section: str, results: Path = RESULTS) -> None:
    """Replace `section` (e.g. "## Imports") of the results file with `text` (which starts with
    that heading), keeping its NOTES subsection; a section not there yet is added at the end."""
    current = results.read_text() if results.exists() else "# Benchmark results\n"
    start = current.find(section + "\n")
    if start < 0:
        new = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(section))
        end = len(current) if end < 0 else end + 1
        old = current[start:end]
        notes = old[old.index(NOTES):].rstrip("\n") + "\n" if NOTES in old else ""
        new = current[:start] + text + ("\n" + notes if notes else "") + ("\n" if end < len(current) else "") \
            + current[end:]
    results.write_text(new)
