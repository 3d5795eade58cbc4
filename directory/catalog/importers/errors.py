"""Bad input that names its place (`ImportFailed`: file, row, field, value) and the summary every
import ends with (`Report`).

Records that break a rule. A feed's importer (Meeting Guide, BMLT) takes a `Tolerance`: a record
that breaks a rule is skipped or repaired and noted on the report (`Report.bad`, naming the
record and the field), up to `max_bad` of the records read; past that, `Tolerance.check` raises
ImportFailed and nothing changes. `strict` refuses the file at the first such record.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from directory.settings import DEFAULT_MAX_BAD_SHARE as DEFAULT_MAX_BAD, import_max_bad_share
SHOW_BAD = 10  # bad records listed in the summary; the rest are counted

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


@dataclass(frozen=True)
class BadRecord:
    """A record that broke a rule: where (file, record, its id and name), what, and what was done."""
    where: str
    problem: str  # e.g. "field 'time': '25:99' is not a time of day (HH:MM, 24-hour)"
    action: str  # "skipped", or how it was repaired

    def __str__(self) -> str:
        return f"{self.where}, {self.problem}: {self.action}"


@dataclass(frozen=True)
class Tolerance:
    """How many bad records an import accepts: a share of those read (`max_bad`), or none (`strict`)."""
    max_bad: float = DEFAULT_MAX_BAD
    strict: bool = False

    @classmethod
    def of(cls, max_bad: float | None = None, strict: bool = False) -> "Tolerance":
        """From the CLI's options; `max_bad` unset reads IMPORT_MAX_BAD_SHARE (default 5%)."""
        if max_bad is None:
            try:
                max_bad = import_max_bad_share()
            except ValueError:
                raise ImportFailed("IMPORT_MAX_BAD_SHARE", "is not a share (e.g. 0.05 or 5%)") from None
        if not 0 <= max_bad <= 1:
            raise ImportFailed("--max-bad", "must be a share between 0 and 1 (e.g. 0.05 for 5%)", value=max_bad)
        return cls(max_bad=max_bad, strict=strict)

    def broken(self, report: "Report", exc: ImportFailed, action: str) -> None:
        """A record broke a rule: refuse the file when strict, else note it (skipped or repaired)."""
        if self.strict:
            raise exc
        problem = str(exc)[len(exc.where):].lstrip(", ").removeprefix(": ")
        report.bad.append(BadRecord(exc.where, problem, action))

    def check(self, report: "Report", label: str) -> None:
        """Past the share of bad records, the whole import fails (the caller's transaction rolls back)."""
        bad, total = report.bad_records, report.records
        if bad and bad > self.max_bad * total:
            first = "; ".join(str(b) for b in report.bad[:3])
            raise ImportFailed(label, f"{bad} of {total:,} records break the format's rules, more than the "
                                      f"{self.max_bad:.0%} allowed (--max-bad, IMPORT_MAX_BAD_SHARE). "
                                      f"First: {first}")


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
    records: int = 0  # records read, for the share of bad ones
    bad: list[BadRecord] = field(default_factory=list)  # records that broke a rule (see Tolerance)
    notes: list[str] = field(default_factory=list)  # lines for the summary (e.g. the feed's fellowship)

    @property
    def bad_records(self) -> int:
        """Records that broke a rule (one may break several)."""
        return len({b.where for b in self.bad})

    def warn(self, reason: str, example: str = "") -> None:
        self.warnings[reason] += 1
        if example and reason not in self.warning_examples:
            self.warning_examples[reason] = example

    def skip(self, record: str, reason: str) -> None:
        self.skipped.append((record, reason))

    def summary(self) -> str:
        lines = [f"Imported {self.source}:"]
        lines.extend(f"  {note}" for note in self.notes)
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
        if self.bad:
            skipped = sum(b.action.startswith("skipped") for b in self.bad)
            lines.append(f"Records that broke a rule: {self.bad_records:,} of {self.records:,} "
                         f"({skipped:,} skipped, {len(self.bad) - skipped:,} repaired):")
            lines.extend(f"  {b}" for b in self.bad[:SHOW_BAD])
            if len(self.bad) > SHOW_BAD:
                lines.append(f"  ... and {len(self.bad) - SHOW_BAD:,} more")
        if self.warnings:
            lines.append("Warnings (imported anyway):")
            for reason, n in self.warnings.most_common():
                example = self.warning_examples.get(reason)
                lines.append(f"  {n:>6,} {reason}" + (f" (e.g. {example})" if example else ""))
        return "\n".join(lines)
