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
# A feed this long (records) is checked in a second process while this one writes (pipeline.py).
PIPELINE_MIN_RECORDS = 5_000
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


def _fetch(path_or_url: str, what: str, timeout: float) -> bytes | Path:
    """A feed's bytes from a URL, or the path of its file. Unreachable input is an ImportFailed."""
    if is_url(path_or_url):
        import requests
        try:
            resp = requests.get(path_or_url, timeout=timeout, headers={"Accept": "application/json"})
            resp.raise_for_status()
        except requests.RequestException as exc:
            raise ImportFailed(path_or_url, f"could not be fetched ({exc}). Check the URL, or download the file "
                                            "and import it from disk.") from None
        return resp.content
    path = Path(path_or_url)
    if not path.is_file():
        raise ImportFailed(path_or_url, f"is not a file. Give the path of {what} or its URL.")
    return path


def _parse(raw: bytes, label: str):
    """JSON bytes read whole. Bad input is an ImportFailed naming the place (nothing changes)."""
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ImportFailed(label, f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ImportFailed(label, f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
                                  "is the file complete?") from None


def load_json(path_or_url: str, what: str, timeout: float = 30.0):
    """A feed's JSON from a file or a URL, read whole. Unreadable input is an ImportFailed (nothing changes)."""
    source = _fetch(path_or_url, what, timeout)
    return _parse(source if isinstance(source, bytes) else source.read_bytes(), path_or_url)


class FeedRecords:
    """A feed's records, read as they are needed: a file's list streams record by record
    (json_stream.JsonList: a state's feed of a million meetings would take ~2 GB as Python objects
    read whole); a URL's answer is read whole. `list_key`: the list may also sit under this key of
    a top-level object. `head`: the first records, read at once (what a feed's fellowship is told
    from); `estimated_count`: for the progress bar. Iterate once, in a `with` block (the file is
    closed). A syntax error met on the way is an ImportFailed raised inside the import's
    transaction, so a broken file still changes nothing."""

    HEAD = 500

    def __init__(self, path_or_url: str, what: str, timeout: float = 30.0, list_key: str | None = None):
        import itertools
        from directory.catalog.importers.json_stream import JsonList
        self.label = path_or_url
        source = _fetch(path_or_url, what, timeout)
        self._stream = None
        if isinstance(source, bytes):
            data = _parse(source, self.label)
            if list_key and isinstance(data, dict) and isinstance(data.get(list_key), list):
                data = data[list_key]
            if not isinstance(data, list):
                raise ImportFailed(self.label, f"is not {what}: expected a JSON list of meetings.")
            self._records = iter(data)
            self.head = list(itertools.islice(self._records, self.HEAD))
            self.estimated_count = len(data)
            return
        self._stream = JsonList(source, key=list_key)
        self._records = iter(self._stream)
        self.head = list(itertools.islice(self._records, self.HEAD))
        if len(self.head) < self.HEAD and self._stream.shape not in ("list", "object-list"):
            self.close()
            raise ImportFailed(self.label, f"is not {what}: expected a JSON list of meetings.")
        per_record = self._stream.consumed / len(self.head) if self.head else 0
        self.estimated_count = (round(source.stat().st_size / per_record) if per_record and len(self.head) == self.HEAD
                                else len(self.head))

    def close(self) -> None:
        if self._stream is not None:
            self._records.close()  # the reader's generator: closes the file

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self):
        yield from self.head
        yield from self._records


def check_not_empty(meetings, label: str) -> None:
    """An empty answer is a broken feed, not one whose meetings all ended: nothing is removed."""
    if not (meetings if isinstance(meetings, list) else meetings.head):
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


def existing_services(session, prefix: str) -> set[str]:
    """The ids of the feed's meetings the directory has now (one query, before the import writes)."""
    return set(session.scalars(select(Service.id).where(Service.id.startswith(prefix + ":", autoescape=True))))


def import_feed(session, meetings, prefix: str, report: Report, label: str, tolerance: Tolerance, fellowship,
                make_reader, progress: bool = False, before_prune=None) -> Report:
    """What both meeting feeds do: check and write every record (write_checked), remove the
    meetings that left the feed (prune), then the search entries (finish).

    `make_reader(loader)` gives the feed's reader (`check`, `write`, `keep`, `service_ids`). A
    long feed (PIPELINE_MIN_RECORDS) is read and checked in a forked process while this one
    writes. The first import of a feed (nothing of it in the directory, so nothing to delete)
    skips SQLite's foreign key checks: every reference is to a row the import itself wrote."""
    from directory.catalog.importers import pipeline
    from directory.catalog.importers.finish import finish
    existing = existing_services(session, prefix)
    first_load = not existing and session.scalar(
        select(Location.id).where(Location.id.startswith(prefix + ":", autoescape=True)).limit(1)) is None
    count = len(meetings) if isinstance(meetings, list) else meetings.estimated_count
    big = count >= PIPELINE_MIN_RECORDS
    loader = Loader(session, report, checks_references=first_load, big=big)
    loader.params_in_reader = True  # checking a meeting costs less than writing its ~14 rows
    reader = make_reader(loader)

    def read(reader) -> set[str]:
        write_checked(reader, meetings, label, reader.loader, tolerance, fellowship, existing, progress)
        reader.report.service_ids = reader.service_ids
        return reader.keep

    keep = pipeline.read_and_write(reader, read, big)
    if before_prune:
        before_prune()
    prune(session, loader, prefix, existing - keep)
    return finish(loader, progress)


def replace_children(loader: Loader, service_ids: list[str], existing: set[str]) -> None:
    """Re-imported meetings (those in `existing`) get their schedules, phones, languages,
    attributes and places anew."""
    again = [sid for sid in service_ids if sid in existing]
    if not again:
        return
    for table, column in (("schedule", "service_id"), ("phone", "service_id"), ("language", "service_id"),
                          ("attribute", "link_id"), ("service_at_location", "service_id")):
        loader.delete_where_in(table, column, again)


def prune(session, loader: Loader, prefix: str, stale: set[str]) -> None:
    """Remove this feed's meetings that left it (`stale`: those the directory had before the import
    and the feed no longer lists; one skipped as bad keeps its listing), then its places and
    groups left without one."""
    loader.flush()
    ours = prefix + ":"
    stale = sorted(stale)
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


def write_checked(reader, meetings, label: str, loader: Loader, tolerance: Tolerance, fellowship,
                  existing: set[str], progress: bool = False) -> None:
    """A feed's meetings (a list, or FeedRecords as they stream) in chunks: `reader.check(index,
    raw)` reads and checks one (None: skipped, noted on the report), the old child rows of the
    chunk's meetings that were `existing` go, `reader.write(meeting)` writes each. Then the
    tolerance decides whether too many broke a rule, and the report names the fellowship."""
    import itertools
    report = loader.report
    total = len(meetings) if isinstance(meetings, list) else meetings.estimated_count
    records = iter(meetings)
    read = 0
    with progress_bar(progress, total=total, desc=f"meetings {label}", unit="meetings") as bar:
        while chunk := list(itertools.islice(records, CHUNK)):
            checked = [meeting for offset, m in enumerate(chunk)
                       if (meeting := reader.check(read + offset + 1, m)) is not None]
            replace_children(loader, [meeting["service_id"] for meeting in checked], existing)
            for meeting in checked:
                reader.write(meeting)
            read += len(chunk)
            if read > bar.total:  # the estimate was low
                bar.total = read
            bar.update(len(chunk))
    report.records = read
    tolerance.check(report, label)
    report.notes.append(f"Fellowship: {fellowship.name}" + (f" (attribute '{fellowship.code}')" if fellowship.code else ""))
