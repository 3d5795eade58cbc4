"""What the meeting feed importers (meeting_guide.py, bmlt.py) share: reading a feed, ids, the
record-by-record tolerance of bad records, replacing a re-imported meeting's rows, and removing
meetings that left the feed.

A feed is read in chunks: each record is first checked (`check` of the importer, which raises
nothing: a record that breaks a rule is skipped or repaired through the Tolerance), then the rows
of the checked meetings that exist already are deleted (`replace_children`) and written anew. A
skipped record's id is kept (`Feed.keep`), so a meeting that turns bad in a re-import keeps its
listing as it was instead of being removed with the meetings that left the feed.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import delete, select

from directory.catalog.importers.errors import ImportFailed, Report, Tolerance
from directory.catalog.importers.loader import Loader
from directory.catalog.importers.runtime import progress_bar
from directory.catalog.models import Location, Organization, Service, ServiceAtLocation
from directory.catalog.taxonomy import stable_id

CHUNK = 500
_SOURCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,23}$")


def is_url(path_or_url: str) -> bool:
    return bool(re.match(r"^https?://", path_or_url or ""))


def source_key(path_or_url: str) -> str:
    """'../oc.json' -> 'oc'; 'https://aa.example.org/wp-admin/...' -> 'aa.example.org'."""
    if is_url(path_or_url):
        from urllib.parse import urlparse
        return (urlparse(path_or_url).hostname or "feed")[:24]
    return Path(path_or_url).stem[:24]


def check_source(source: str | None) -> str:
    if not _SOURCE_RE.match(source or ""):
        raise ImportFailed(f"source '{source}'", "must be 1-24 letters, digits, '.', '_' or '-' (e.g. 'oc')")
    return source


def feed_words(label: str) -> str:
    """The words of a feed's path or URL that may name its fellowship: a file's name, a URL whole."""
    return label if is_url(label) else Path(label).name


def load_json(path_or_url: str, what: str, timeout: float = 30.0):
    """A feed's JSON from a file or a URL. Unreadable input is an ImportFailed (nothing changes)."""
    label = path_or_url
    if is_url(path_or_url):
        import requests
        try:
            resp = requests.get(path_or_url, timeout=timeout, headers={"Accept": "application/json"})
            resp.raise_for_status()
        except requests.RequestException as exc:
            raise ImportFailed(label, f"could not be fetched ({exc}). Check the URL, or download the file "
                                      "and import it from disk.") from None
        raw = resp.text
    else:
        path = Path(path_or_url)
        if not path.is_file():
            raise ImportFailed(label, f"is not a file. Give the path of {what} or its URL.")
        raw = path.read_text(encoding="utf-8-sig")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImportFailed(label, f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
                                  "is the file complete?") from None


def check_not_empty(meetings: list, label: str) -> None:
    """An empty answer is a broken feed, not one whose meetings all ended: nothing is removed."""
    if not meetings:
        raise ImportFailed(label, "has no meetings. Nothing was changed: the meetings already listed stay.")


def make_id(*parts) -> str:
    """'mg-oc:slug'; past 64 characters the last parts become a stable hash."""
    joined = ":".join(str(p) for p in parts)
    return joined if len(joined) <= 64 else f"{parts[0]}:{stable_id(*map(str, parts))}"


def record_name(index: int, key_name: str, key, name) -> str:
    """'meeting 12 (slug 'x', name 'Y')': how a warning names a record."""
    parts = [f"{key_name} '{key}'"] if key is not None else []
    if name:
        parts.append(f"name '{str(name)[:60]}'")
    return f"meeting {index}" + (f" ({', '.join(parts)})" if parts else "")


class RecordIds:
    """The service ids of a feed's records, `<prefix>:<key>`. A key seen before: the same meeting
    again (same fingerprint) is skipped; a different meeting gets an id of its own, stable across
    imports (the key and a hash of what the meeting is). Both are noted as bad records."""

    def __init__(self, prefix: str, tolerance: Tolerance, report: Report):
        self.prefix, self.tolerance, self.report = prefix, tolerance, report
        self.first: dict[str, tuple[int, str]] = {}  # key -> (first record's index, its fingerprint)
        self.used: set[str] = set()

    def assign(self, index: int, key: str, what: tuple, where: str, field_name: str) -> str | None:
        fingerprint = stable_id("meeting", key, *(str(v if v is not None else "") for v in what))
        first = self.first.get(key)
        if first is None:
            self.first[key] = (index, fingerprint)
            service_id = make_id(self.prefix, key)
            self.used.add(service_id)
            return service_id
        used_twice = ImportFailed(where, f"is used twice: meetings {first[0]} and {index}", field_name, key)
        if first[1] == fingerprint:
            self.tolerance.broken(self.report, used_twice, f"skipped (the same meeting as meeting {first[0]})")
            return None
        service_id = make_id(self.prefix, f"{key}-{fingerprint[:8]}")
        if service_id in self.used:
            self.tolerance.broken(self.report, used_twice, "skipped (the same meeting listed again)")
            return None
        self.tolerance.broken(self.report, used_twice, f"repaired: a different meeting, imported as '{service_id}'")
        self.used.add(service_id)
        return service_id

    def own_key(self, service_id: str, key: str) -> str:
        """The key for the record's own child rows: its key, or the repaired id's."""
        return key if service_id == make_id(self.prefix, key) else service_id[len(self.prefix) + 1:]


def replace_children(loader: Loader, service_ids: list[str]) -> None:
    """Re-imported meetings get their schedules, phones, languages, attributes and places anew."""
    existing = loader.existing_ids("service", service_ids)
    if not existing:
        return
    for table, column in (("schedule", "service_id"), ("phone", "service_id"), ("language", "service_id"),
                          ("attribute", "link_id"), ("service_at_location", "service_id")):
        loader.delete_where_in(table, column, existing)


def prune(session, loader: Loader, prefix: str, keep: set[str]) -> None:
    """Remove this feed's meetings that left it, then its places and groups left without one.
    `keep`: the meetings read (written, or skipped as bad: their listings stay as they were)."""
    loader.flush()
    ours = prefix + ":"
    stale = [sid for sid in session.scalars(select(Service.id).where(Service.id.startswith(ours, autoescape=True)))
             if sid not in keep]
    if stale:
        loader.delete_where_in("attribute", "link_id", stale)
        loader.report.removed["service"] += loader.delete_where_in("service", "id", stale)
    # Set operations: the feed's places that no service uses, its groups that hold no service.
    orphans = session.scalars(
        select(Location.id).where(Location.id.startswith(ours, autoescape=True))
        .where(Location.id.not_in(select(ServiceAtLocation.location_id)
                                   .where(ServiceAtLocation.location_id.is_not(None))))).all()
    if orphans:
        loader.report.removed["location"] += loader.delete_where_in("location", "id", orphans)
    empty = session.scalars(
        select(Organization.id).where(Organization.id.startswith(ours, autoescape=True))
        .where(Organization.id.not_in(select(Service.organization_id).where(Service.organization_id.is_not(None)))
               )).all()
    if empty:
        loader.report.removed["organization"] += session.execute(
            delete(Organization).where(Organization.id.in_(empty))).rowcount or 0


def write_checked(reader, meetings: list, label: str, loader: Loader, tolerance: Tolerance, fellowship,
                  progress: bool = False) -> None:
    """A feed's meetings in chunks: `reader.check(index, raw)` reads and checks one (None: skipped,
    noted on the report), the chunk's old child rows go, `reader.write(meeting)` writes each. Then
    the tolerance decides whether too many broke a rule, and the report names the fellowship."""
    report = loader.report
    with progress_bar(progress, total=len(meetings), desc=f"meetings {label}", unit="meetings") as bar:
        for start in range(0, len(meetings), CHUNK):
            chunk = meetings[start:start + CHUNK]
            checked = [meeting for offset, m in enumerate(chunk)
                       if (meeting := reader.check(start + offset + 1, m)) is not None]
            replace_children(loader, [meeting["service_id"] for meeting in checked])
            for meeting in checked:
                reader.write(meeting)
            bar.update(len(chunk))
    report.records = len(meetings)
    tolerance.check(report, label)
    report.notes.append(f"Fellowship: {fellowship.name}" + (f" (attribute '{fellowship.code}')" if fellowship.code else ""))
