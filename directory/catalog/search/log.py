"""The search log: what was searched for and where (no personal data), for the needs-and-gaps report.

Every search is logged, so the log must not put a write on the hot path (on SQLite a write per
search also serialised the web workers). `record` appends the row to this process's buffer; a
background thread writes the buffer in one INSERT every `FLUSH_SECONDS` or as soon as it holds
`FLUSH_ROWS` rows, and the buffer is written when the process exits (a web worker's graceful stop,
the CLI). Each row goes to the database that was in use when it was recorded. A failed write keeps
the rows for the next one (up to `MAX_BUFFERED`, then the oldest go; after `MAX_ATTEMPTS` failed
writes to one database its rows are dropped, with a warning).
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import deque

from sqlalchemy import insert

from directory.base import utcnow
from directory.catalog.search.query import SearchQuery

log = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0
FLUSH_ROWS = 200
MAX_BUFFERED = 100_000
MAX_ATTEMPTS = 5


def log_row(query: SearchQuery, channel: str, result_count: int) -> dict:
    """The search_log row of one search: the place's ZIP and label, never an address or a person."""
    filters = ",".join(list(query.attributes) + ([f"lang:{query.language}"] if query.language else [])
                       + ([f"when:{query.when}"] if query.when else [])
                       + (["vacancy"] if query.has_vacancy else []))
    return dict(channel=channel, category=query.category, created_at=utcnow(),
                postal_code=query.place.postal_code if query.place else None,
                place_label=query.place.label[:100] if query.place else None,
                latitude=round(query.origin.lat, 2), longitude=round(query.origin.lon, 2),
                filters=filters[:300] or None, result_count=result_count)


def log_search(session, query: SearchQuery, channel: str, result_count: int) -> None:
    """Write the row now, in the caller's transaction."""
    from directory.catalog.models import SearchLog
    session.add(SearchLog(**log_row(query, channel, result_count)))


class SearchLogBuffer:
    """Rows waiting to be written, and the thread that writes them (started in the process that
    first records: a web worker forked after the app was loaded starts its own)."""

    def __init__(self, engine, flush_seconds: float = FLUSH_SECONDS, flush_rows: int = FLUSH_ROWS):
        self._engine = engine  # a callable: the engine in use when the rows are written
        self._rows: deque = deque(maxlen=MAX_BUFFERED)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._flush_seconds, self._flush_rows = flush_seconds, flush_rows
        self._pid: int | None = None
        self._failures: dict = {}  # engine -> failed writes in a row

    def record(self, row: dict) -> None:
        engine = self._engine()
        with self._lock:
            self._rows.append((engine, row))
            full = len(self._rows) >= self._flush_rows
            if self._pid != os.getpid():
                self._start()
        if full:
            self._wake.set()

    def _start(self) -> None:
        self._pid = os.getpid()
        threading.Thread(target=self._run, name="search-log", daemon=True).start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._flush_seconds)
            self._wake.clear()
            self.flush()

    def flush(self) -> int:
        """Write what is buffered, one statement per database; returns the number of rows written."""
        from directory.catalog.models import SearchLog
        with self._lock:
            pairs = list(self._rows)
            self._rows.clear()
        by_engine: dict = {}
        for engine, row in pairs:
            by_engine.setdefault(engine, []).append(row)
        written = 0
        for engine, rows in by_engine.items():
            try:
                with engine.begin() as conn:
                    conn.execute(insert(SearchLog), rows)
            except Exception as exc:  # the log must never break a search; try again with the next flush
                failures = self._failures[engine] = self._failures.get(engine, 0) + 1
                if failures >= MAX_ATTEMPTS:
                    log.warning("search log: %d rows dropped after %d failed writes (%s)", len(rows), failures,
                                type(exc).__name__)
                    del self._failures[engine]
                    continue
                log.warning("search log: %d rows not written yet (%s)", len(rows), type(exc).__name__)
                with self._lock:
                    self._rows.extendleft(reversed([(engine, r) for r in rows]))
                continue
            self._failures.pop(engine, None)
            written += len(rows)
            if engine is not self._engine():  # a database no longer in use: no pooled connection left behind
                engine.dispose()
        return written

    def pending(self) -> int:
        with self._lock:
            return len(self._rows)


def _engine():
    from directory import db
    return db.engine()


buffer = SearchLogBuffer(_engine)
atexit.register(buffer.flush)


def record(query: SearchQuery, channel: str, result_count: int) -> None:
    """Log a search without writing now (see the module docstring)."""
    buffer.record(log_row(query, channel, result_count))
