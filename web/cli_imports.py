"""`flask --app web directory import-hsds | import-meetings | export-hsds` (filled by the importers)."""
from __future__ import annotations


def register(group) -> None:
    """Add the import/export commands to the `directory` group."""
