"""Bad input that names its place (`ImportFailed`: file, row, field, value) and the summary every
import ends with (`Report`)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field




class ImportFailed(Exception):
    """Bad input. The message names the file, the row (or record) and the field, for a person."""

    def __init__(self, where: str, message: str, field_name: str | None = None, value=None):
        self.where, self.message, self.field_name, self.value = where, message, field_name, value
        text = where
        if field_name is not None:
            text += f", field '{field_name}'"
        if value is not None:
            text += f": {_show(value)} {message}"
        else:
            text += f": {message}"
        super().__init__(text)

    def __reduce__(self):  # sent back from a reading process (importers/pipeline.py)
        return ImportFailed, (self.where, self.message, self.field_name, self.value)


def _show(value) -> str:
    text = repr(value) if not isinstance(value, str) else "'" + value + "'"
    return text if len(text) <= 60 else text[:57] + "...'"


@dataclass
class Report:
    """What an import did: rows written per table, new vs updated listings, skips and warnings."""
    source: str
    written: Counter = field(default_factory=Counter)
    new: Counter = field(default_factory=Counter)
    removed: Counter = field(default_factory=Counter)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (record, reason)
    warnings: Counter = field(default_factory=Counter)  # reason -> count
    warning_examples: dict[str, str] = field(default_factory=dict)
    service_ids: list[str] = field(default_factory=list)  # touched, for reindexing
    search_entries: int = 0

    def warn(self, reason: str, example: str = "") -> None:
        self.warnings[reason] += 1
        if example and reason not in self.warning_examples:
            self.warning_examples[reason] = example

    def skip(self, record: str, reason: str) -> None:
        self.skipped.append((record, reason))

    def summary(self) -> str:
        lines = [f"Imported {self.source}:"]
        for table in ("organization", "service", "location", "service_at_location", "address", "phone",
                      "schedule", "language", "accessibility", "taxonomy_term", "attribute"):
            if self.written[table]:
                extra = ""
                if table in self.new:
                    extra = f" ({self.new[table]:,} new, {self.written[table] - self.new[table]:,} updated)"
                lines.append(f"  {self.written[table]:>9,} {table.replace('_', ' ')} rows{extra}")
        for table, n in self.removed.items():
            lines.append(f"  {n:>9,} {table.replace('_', ' ')} rows removed (gone from the source)")
        lines.append(f"  {self.search_entries:>9,} search entries for the imported services")
        if self.skipped:
            reasons = Counter(reason for _, reason in self.skipped)
            lines.append(f"Skipped {len(self.skipped):,} records:")
            for reason, n in reasons.most_common():
                names = [rec for rec, r in self.skipped if r == reason][:5]
                more = ", ..." if n > len(names) else ""
                lines.append(f"  {n:>6,} {reason}: {', '.join(names)}{more}")
        if self.warnings:
            lines.append("Warnings (imported anyway):")
            for reason, n in self.warnings.most_common():
                example = self.warning_examples.get(reason)
                lines.append(f"  {n:>6,} {reason}" + (f" (e.g. {example})" if example else ""))
        return "\n".join(lines)
