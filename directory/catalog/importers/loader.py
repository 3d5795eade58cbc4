"""What every importer shares: bad-input errors that name the place, the report, batched upserts.

An import runs inside the caller's transaction (`with db.Session.begin() as s:`) and never
commits: any ImportFailed (or other error) rolls everything back, so a broken file leaves the
database exactly as it was. Rows go to the database through `Loader`, which upserts in batches
with SQLAlchemy core (INSERT ... ON CONFLICT (id) DO UPDATE, executemany): re-importing the same
ids updates the rows, never duplicates them, and no row goes through the ORM one at a time.
"""
from __future__ import annotations

from collections import defaultdict
from operator import itemgetter

from sqlalchemy import bindparam, delete, select

from directory import base
from directory.catalog.taxonomy import ensure_vocabulary
from directory.catalog.importers.errors import Report
from directory.catalog.importers.sqlite_bulk import _before_first_write
from directory.catalog.importers.sqlite_bulk import _usual_settings_at_checkin
from directory.catalog.importers.runtime import progress_bar

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
        self.tables = {name: base.Base.metadata.tables[name] for name in self.ORDER}
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
        self.keep_indexes = False  # set once the import deletes by index (delete_where_in)
        self.remote = None  # in a reading process: the pipe to the writing one (importers/pipeline.py)
        # In a reading process: make every batch's parameters here (else the writer makes those
        # of plain tables). For a reader with less to do per row than SQLite (the meeting feeds).
        self.params_in_reader = False

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
            self.write(table, self.bound_params(table, rows.values()), ids)
        elif self.params_in_reader or any(proc for _n, _d, proc in self.upsert_statement(table)[1]):
            self.remote.send(("rows", table, self.bound_params(table, rows.values()), ids))
        else:  # plain values: the writing process, when it has time to spare, makes the parameters
            self.remote.send(("dicts", table, list(rows.values()), ids))

    def bound_params(self, table: str, rows) -> list:
        """The batch's rows (dicts) as the driver's parameters, in the compiled statement's order."""
        _sql, spec, positional = self.upsert_statement(table)
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
        """Upsert one batch (`bound_params`); `ids`, for a track_new table, are counted as new or not first."""
        sql = self.upsert_statement(table)[0]
        if ids is not None:
            marks = ",".join([self.placeholder] * len(ids))
            self.cursor.execute(f"SELECT count(*) FROM {table} WHERE id IN ({marks})", ids)
            self.report.new[table] += len(ids) - self.cursor.fetchone()[0]
        # The driver's executemany with the compiled SQL: SQLAlchemy's per-row parameter handling
        # would cost more than the insert itself at a million rows.
        self.cursor.executemany(sql, params)
        self.report.written[table] += len(params)
        if (self.sqlite and not self.suspended_indexes and not self.keep_indexes
                and self.report.written[table] >= BULK_INDEX_ROWS):
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

    def upsert_statement(self, table: str):
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
        """Delete rows of `table` whose `column` is one of `ids` (children being replaced). In a
        reading process the writing one deletes, in order with the batches, and 0 is returned."""
        self.flush_through(table)
        if self.remote is not None:
            self.remote.send(("delete", table, column, list(ids)))
            return 0
        # Finding the rows by `column` needs its index; an import that deletes as it goes keeps
        # them from here on (building them again after every chunk would cost more than upkeep).
        self.restore_indexes()
        self.keep_indexes = True
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
