"""The search log: what was searched for and where (no personal data), for the needs-and-gaps report.

Every search is logged, so the log must not put a write on the hot path (on SQLite a write per
search also serialised the web workers). `record` appends the row to this process's buffer; a
background thread writes the buffer in one INSERT every `FLUSH_SECONDS` or as soon as it holds
`FLUSH_ROWS` rows, and the buffer is written when the process exits (a web worker's graceful stop,
the CLI). A failed write keeps the rows for the next one (up to `MAX_BUFFERED`, then the oldest go).
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

    def record(self, row: dict) -> None:
        with self._lock:
            self._rows.append(row)
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
        """Write what is buffered in one statement; returns the number of rows written."""
        from directory.catalog.models import SearchLog
        with self._lock:
            rows = list(self._rows)
            self._rows.clear()
        if not rows:
            return 0
        try:
            with self._engine().begin() as conn:
                conn.execute(insert(SearchLog), rows)
        except Exception as exc:  # the log must never break a search; try again with the next flush
            log.warning("search log: %d rows not written yet (%s)", len(rows), type(exc).__name__)
            with self._lock:
                self._rows.extendleft(reversed(rows))
            return 0
        return len(rows)

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
