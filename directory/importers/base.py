"""What every importer shares: bad-input errors that name the place, the report, batched upserts.

An import runs inside the caller's transaction (`with db.Session.begin() as s:`) and never
commits: any ImportFailed (or other error) rolls everything back, so a broken file leaves the
database exactly as it was. Rows go to the database through `Loader`, which upserts in batches
with SQLAlchemy core (INSERT ... ON CONFLICT (id) DO UPDATE, executemany): re-importing the same
ids updates the rows, never duplicates them, and no row goes through the ORM one at a time.
"""
from __future__ import annotations

import datetime as dt
import gc
import math
import re
import sys
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import OperationalError

from directory import models
from directory.vocabulary import ensure_vocabulary

BATCH_SIZE = 2000
# Rows of one table in one import beyond which SQLite's secondary indexes are dropped and built
# again once, sorted, at the end: a row inserted into a dozen indexes keyed by random UUIDs
# touches pages all over the file, and a million of them made most of a big import's write time.
BULK_INDEX_ROWS = 50_000
# Input this size or more is a big import (Loader's `big`): about 40,000 listings of HSDS CSV.
BIG_IMPORT_BYTES = 50 * 1024 ** 2
_MISSING = object()
# SQLite page cache while importing (KiB, negative = size): random-UUID keys touch index pages
# all over the file, and the 2 MB default makes a million-row import wait on the disk.
IMPORT_CACHE_KIB = 256 * 1024


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


# ---- field parsers: each raises ImportFailed naming the place and the field

def text(value, limit: int | None = None) -> str | None:
    """Trimmed text, None when empty. `limit` cuts to the column's size (PostgreSQL enforces it)."""
    if value.__class__ is not str:
        if value is None:
            return None
        value = str(value)
    value = value.strip()
    if not value:
        return None
    return value[:limit] if limit else value


def number(value, where: str, field_name: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ImportFailed(where, "is not a number", field_name, value)
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ImportFailed(where, "is not a number", field_name, value) from None
    if math.isnan(out) or math.isinf(out):
        raise ImportFailed(where, "is not a number", field_name, value)
    return out


def integer(value, where: str, field_name: str) -> int | None:
    out = number(value, where, field_name)
    if out is None:
        return None
    if out != int(out):
        raise ImportFailed(where, "is not a whole number", field_name, value)
    return int(out)


_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$")


_TIMES: dict[str, dt.time] = {}  # the same few clock times repeat across a whole import


def clock_time(value, where: str, field_name: str) -> dt.time | None:
    """'19:30', '7:05', '19:30:00' -> time. '24:00' is midnight at the end of the day."""
    if value is None:
        return None
    known = _TIMES.get(value) if value.__class__ is str else None
    if known is not None:
        return known
    raw = str(value).strip()
    if not raw:
        return None
    m = _TIME_RE.match(raw)
    if m:
        h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        if h == 24 and mi == 0 and s == 0:
            return _TIMES.setdefault(value, dt.time(0, 0))
        if h < 24 and mi < 60 and s < 60:
            return _TIMES.setdefault(value, dt.time(h, mi, s)) if len(_TIMES) < 10_000 else dt.time(h, mi, s)
    raise ImportFailed(where, "is not a time of day (HH:MM, 24-hour)", field_name, value)


def date(value, where: str, field_name: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ImportFailed(where, "is not a date (YYYY-MM-DD)", field_name, value) from None


def timestamp(value, where: str, field_name: str) -> dt.datetime | None:
    """An ISO date-time (naive means UTC) -> naive UTC, as the models store it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    raw = str(value).strip()
    try:
        out = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ImportFailed(where, "is not a date-time (YYYY-MM-DD HH:MM:SS)", field_name, value) from None
    if out.tzinfo is not None:
        out = out.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return out


def timezone_name(value, where: str, field_name: str) -> str | None:
    name = text(value)
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImportFailed(where, "is not a time zone name (e.g. America/Chicago)", field_name, value) from None
    return name


def coordinates(lat, lon, where: str, report: Report) -> tuple[float | None, float | None]:
    """Both or neither. Not a number is an error; a number off the globe is dropped with a warning."""
    la = number(lat, where, "latitude")
    lo = number(lon, where, "longitude")
    if la is None or lo is None:
        return None, None
    if not (-90 <= la <= 90 and -180 <= lo <= 180):
        report.warn("coordinates off the globe were dropped", f"{where}: {la}, {lo}")
        return None, None
    if la == 0 and lo == 0:
        report.warn("coordinates 0,0 were dropped", where)
        return None, None
    return la, lo


# ---- writing

def _column_defaults(table) -> dict:
    out = {}
    for column in table.columns:
        default = column.default
        if default is None or column.primary_key:
            continue
        out[column.name] = default.arg  # a value, or a callable taking an (unused) context
    return out


class Loader:
    """Buffers rows per table and upserts them in batches (core executemany, one statement a batch).

    Tables are flushed parents first (see ORDER) so foreign keys hold. `track_new` tables also
    count how many ids were new (one indexed IN lookup per batch, for the summary). `preserve`
    names columns an update leaves alone (e.g. bed counts kept by peer workers). An importer that
    checks every reference itself (`checks_references`) lets SQLite skip its own foreign key
    checks, a third of the insert time. On SQLite, a table past BULK_INDEX_ROWS suspends the
    secondary indexes until `finish`, and `big` (the caller knows the input is large) writes a
    first load through a rollback journal when nothing else has the file open (`_before_first_write`).
    """

    ORDER = ("taxonomy_term", "organization", "location", "service", "service_at_location", "address",
             "phone", "schedule", "language", "accessibility", "attribute")

    def __init__(self, session, report: Report, batch_size: int = BATCH_SIZE,
                 track_new=("organization", "service"), preserve: dict[str, set[str]] | None = None,
                 checks_references: bool = False, big: bool = False):
        self.session = session
        self.preserve = preserve or {}  # table -> columns set on insert only (ours, not the source's)
        self.report = report
        self.batch_size = batch_size
        self.track_new = set(track_new)
        self.buffers: dict[str, dict[str, dict]] = defaultdict(dict)
        self.tables = {name: models.Base.metadata.tables[name] for name in self.ORDER}
        self.defaults = {name: _column_defaults(t) for name, t in self.tables.items()}
        self._statements = {}
        self._converted: dict[int, dict] = {}  # bind processor -> {value: converted}
        connection = session.connection()
        self.sqlite = connection.dialect.name == "sqlite"
        if self.sqlite:
            _usual_settings_at_checkin(connection)
            _before_first_write(connection, foreign_keys_off=checks_references, first_load=big)
            connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        ensure_vocabulary(session)
        session.flush()
        self.cursor = connection.connection.dbapi_connection.cursor()
        self.placeholder = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        self.suspended_indexes: list[str] = []  # CREATE INDEX statements to run again (bulk mode)
        self.suspended_tables: list[str] = []  # the table of each
        self.remote = None  # in a reading process: the pipe to the writing one (importers/pipeline.py)

    def add(self, table: str, row: dict) -> None:
        """Queue one row (a later row with the same id replaces an earlier one in the batch)."""
        self.buffers[table][row["id"]] = row
        if len(self.buffers[table]) >= self.batch_size:
            self.flush_through(table)

    def flush_through(self, table: str) -> None:
        """Flush `table` and every table it may reference (those before it in ORDER)."""
        for name in self.ORDER[: self.ORDER.index(table) + 1]:
            self._flush(name)

    def flush(self) -> None:
        for name in self.ORDER:
            self._flush(name)

    def _flush(self, table: str) -> None:
        rows = self.buffers.get(table)
        if not rows:
            return
        self.buffers[table] = {}
        ids = list(rows) if table in self.track_new else None
        if self.remote is None:
            self.write(table, self._params(table, rows.values()), ids)
        elif any(proc for _n, _d, proc in self._upsert(table)[1]):  # dates and times: converted here
            self.remote.send(("rows", table, self._params(table, rows.values()), ids))
        else:  # plain values: the writing process, which has time to spare, makes the parameters
            self.remote.send(("dicts", table, list(rows.values()), ids))

    def _params(self, table: str, rows) -> list:
        """The batch's rows (dicts) as the driver's parameters, in the compiled statement's order."""
        _sql, spec, positional = self._upsert(table)
        # Defaults once per batch (a callable one, like utcnow, gives the batch one value).
        pairs = [(name, default(None) if callable(default) else default) for name, default, _p in spec]
        converters = [(i, proc) for i, (_n, _d, proc) in enumerate(spec) if proc is not None]
        defaults = dict(pairs)
        values_of = itemgetter(*defaults) if len(defaults) > 1 else lambda r: (r[pairs[0][0]],)
        # {**defaults, **row} then one itemgetter: a third of the cost of a .get() per column.
        params = [values_of({**defaults, **row}) for row in rows]
        if converters:  # dates and times to the dialect's form
            params = [list(values) for values in params]
            for i, proc in converters:
                done = self._converted.setdefault(id(proc), {})  # the same few dates and times recur
                if len(done) > 10_000:
                    done.clear()
                for values in params:
                    value = values[i]
                    if value is not None:
                        out = done.get(value)
                        if out is None:
                            out = done[value] = proc(value)
                        values[i] = out
        if not positional:  # e.g. psycopg: %(name)s
            names = [name for name, _d in pairs]
            params = [dict(zip(names, p)) for p in params]
        return params

    def write(self, table: str, params: list, ids: list[str] | None) -> None:
        """Upsert one batch (`_params`); `ids`, for a track_new table, are counted as new or not first."""
        sql = self._upsert(table)[0]
        if ids is not None:
            marks = ",".join([self.placeholder] * len(ids))
            self.cursor.execute(f"SELECT count(*) FROM {table} WHERE id IN ({marks})", ids)
            self.report.new[table] += len(ids) - self.cursor.fetchone()[0]
        # The driver's executemany with the compiled SQL: SQLAlchemy's per-row parameter handling
        # would cost more than the insert itself at a million rows.
        self.cursor.executemany(sql, params)
        self.report.written[table] += len(params)
        if self.sqlite and not self.suspended_indexes and self.report.written[table] >= BULK_INDEX_ROWS:
            self.suspend_indexes()

    def table_done(self, table: str) -> None:
        """The import writes no more rows of `table`. In a reading process, the writing one then
        builds that table's suspended indexes while this one reads on (time it would otherwise wait)."""
        self.flush_through(table)
        if self.remote is not None:
            self.remote.send(("table_done", table))

    def execute_many(self, sql: str, params: list) -> None:
        """Any other statement of the import (placeholders: `placeholder`), in order with the batches."""
        self.flush()
        if self.remote is not None:
            self.remote.send(("sql", sql, params))
        else:
            self.cursor.executemany(sql, params)

    def suspend_indexes(self) -> None:
        """SQLite, big imports: drop the import tables' secondary indexes for the rest of this
        transaction (`restore_indexes` builds them again; a rollback brings them back as they were).
        Primary keys and unique indexes stay: upserts and id lookups need them."""
        tables = ", ".join(f"'{t}'" for t in self.ORDER)
        saved = self.cursor.execute(
            f"SELECT name, sql, tbl_name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({tables}) "
            "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' ORDER BY name").fetchall()
        for name, _sql, _table in saved:
            self.cursor.execute(f'DROP INDEX "{name}"')
        self.suspended_indexes = [sql for _name, sql, _table in saved]
        self.suspended_tables = [table for _name, _sql, table in saved]

    def restore_indexes(self, progress: bool = False, tables=None) -> None:
        """Build the indexes `suspend_indexes` dropped (before anything reads by those columns);
        `tables`: only theirs (tables the import is done with)."""
        pairs = list(zip(self.suspended_tables, self.suspended_indexes))
        keep = [(t, sql) for t, sql in pairs if tables is not None and t not in tables]
        saved = [sql for t, sql in pairs if tables is None or t in tables]
        self.suspended_tables, self.suspended_indexes = [t for t, _ in keep], [sql for _, sql in keep]
        if not saved:
            return
        with progress_bar(progress, total=len(saved), desc="table indexes", unit="index") as bar:
            for sql in saved:
                self.cursor.execute(sql)
                bar.update(1)

    def _upsert(self, table: str):
        """INSERT ... ON CONFLICT (id) DO UPDATE for this dialect, compiled once: (sql, columns, bind processors)."""
        compiled = self._statements.get(table)
        if compiled is None:
            t = self.tables[table]
            dialect = self.session.get_bind().dialect
            if dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert
            else:
                from sqlalchemy.dialects.sqlite import insert
            ins = insert(t).values({c.name: bindparam(c.name, type_=c.type) for c in t.columns})
            stmt = ins.on_conflict_do_update(
                index_elements=[t.c.id],
                set_={c.name: ins.excluded[c.name] for c in t.columns
                      if c.name != "id" and c.name not in self.preserve.get(table, ())})
            sql = stmt.compile(dialect=dialect)
            order = list(sql.positiontup) if dialect.positional else [c.name for c in t.columns]
            columns = {c.name: c for c in t.columns}
            spec = [(name, self.defaults[table].get(name), columns[name].type._cached_bind_processor(dialect))
                    for name in order]
            compiled = self._statements[table] = (str(sql), spec, dialect.positional)
        return compiled

    def delete_where_in(self, table: str, column: str, ids) -> int:
        """Delete rows of `table` whose `column` is one of `ids` (children being replaced)."""
        assert self.remote is None, "not in a reading process"
        self.flush_through(table)
        self.restore_indexes()  # finding the rows by `column` needs its index
        t = self.tables[table]
        ids = list(ids)
        removed = 0
        for i in range(0, len(ids), 500):
            removed += self.session.execute(delete(t).where(t.c[column].in_(ids[i:i + 500]))).rowcount or 0
        return removed

    def existing_ids(self, table: str, ids) -> set[str]:
        """Which of these ids the database already has (one IN lookup per 500)."""
        self.flush_through(table)
        if self.remote is not None:
            self.remote.send(("ids", table, list(ids)))
            return self.remote.recv()
        t = self.tables[table]
        ids = list(ids)
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            found.update(self.session.scalars(select(t.c.id).where(t.c.id.in_(ids[i:i + 500]))))
        return found


_RESTORE_LISTENING = set()


def _before_first_write(connection, *, foreign_keys_off: bool, first_load: bool) -> None:
    """SQLite settings that only take effect before the import's transaction first writes (the
    usual case: the Loader is made first); the pool puts the connection's usual settings back
    when it is returned (db.sqlite_pragmas).

    foreign_keys_off: skip foreign key checks, for an importer that checks every reference itself.
    Cascading deletes need the checks on, so only importers that never delete use this.

    first_load: a big import. Into a directory with no listings yet, and with no other
    connection on the file, it writes through a rollback journal instead of the WAL: pages the
    cache spills go straight to the database file instead of piling up in the WAL (a
    million-listing import re-spills the same pages again and again, reads them back through
    the WAL index, then copies the whole WAL at the checkpoint): a quarter of such an import's
    time. It holds the file exclusively until the commit, as a migration would, which is why it
    is kept to a first load (there is nothing to serve yet). With listings already there, or
    any other connection open (a running web app), the import runs in the WAL as usual: SQLite
    refuses the switch at once. Reads skip the memory map meanwhile: the pages touched would
    count as the importer's own memory.
    """
    dbapi = connection.connection.dbapi_connection
    if getattr(dbapi, "in_transaction", True):
        return
    if foreign_keys_off:
        connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
    if first_load and connection.exec_driver_sql("SELECT 1 FROM service LIMIT 1").first() is None:
        connection.exec_driver_sql("PRAGMA mmap_size = 0")
        connection.exec_driver_sql("PRAGMA busy_timeout = 0")  # someone else is there: don't wait, use the WAL
        try:
            connection.exec_driver_sql("PRAGMA journal_mode = TRUNCATE")
        except OperationalError:  # "database is locked": another connection has the file open
            pass
        connection.exec_driver_sql("PRAGMA busy_timeout = 10000")


def _usual_settings_at_checkin(connection) -> None:
    """Have the pool put back this connection's usual settings (WAL, foreign keys, memory map,
    page cache: db.sqlite_pragmas) when the import's session returns it."""
    connection.connection.info["signpost_restore"] = True
    pool = connection.engine.pool
    if id(pool) not in _RESTORE_LISTENING:
        from sqlalchemy import event
        from directory.db import sqlite_pragmas
        _RESTORE_LISTENING.add(id(pool))

        @event.listens_for(pool, "checkin")
        def _restore(dbapi_connection, record):
            if record is not None and record.info.pop("signpost_restore", False):
                sqlite_pragmas(dbapi_connection, record)


@contextmanager
def cyclic_gc_paused():
    """Python's cycle collector off for the length of an import. An import makes tens of millions
    of short-lived rows while millions of ids it must remember sit in the heap, and every full
    collection walks all of them again: a tenth of a big import's CPU, for cycles it does not make."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def progress_bar(enabled: bool, **kwargs):
    from tqdm import tqdm
    return tqdm(file=sys.stderr, disable=not enabled, leave=False, dynamic_ncols=True, **kwargs)


def finish(loader: Loader, progress: bool = False) -> Report:
    """Flush what is left and rebuild the search entries of every touched service."""
    from directory import index
    from directory.importers import pipeline
    loader.flush()
    loader.restore_indexes(progress)  # the search entries are read through them
    report = loader.report
    ids = list(dict.fromkeys(report.service_ids))
    report.service_ids = ids
    written = 0
    bulk = len(ids) >= index.BULK_RTREE_MIN
    triggers = index.suspend_rtree_triggers(loader.session) if bulk else []
    with progress_bar(progress, total=len(ids), desc="search index", unit="services") as bar:
        if bulk and pipeline.available(loader):
            written = pipeline.reindex(loader.session, ids, bar.update)  # cards made in a second process
        else:
            for i in range(0, len(ids), 5000):
                chunk = ids[i:i + 5000]
                written += index.reindex_services(loader.session, chunk)
                bar.update(len(chunk))
    if triggers:
        with progress_bar(progress, total=1, desc="search R*Tree", unit="tree") as bar:
            index.rebuild_rtree(loader.session, triggers)
            bar.update(1)
    report.search_entries = written
    return report
