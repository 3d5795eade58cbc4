"""The search log is written off the hot path: buffered, written in batches, kept when a write
fails, and written when the process stops."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sqlalchemy import func, select

from directory import db
from directory.catalog.geo import Point
from directory.catalog.models import SearchLog
from directory.catalog.search.log import SearchLogBuffer, log_row
from directory.catalog.search.query import SearchQuery

ROOT = Path(__file__).resolve().parents[2]


def logged() -> int:
    with db.Session() as s:
        return s.scalar(select(func.count()).select_from(SearchLog))


def a_row(category="housing") -> dict:
    return log_row(SearchQuery(origin=Point(33.75, -117.87), radius_km=10, category=category), "api", 3)


def test_rows_wait_in_the_buffer_until_a_flush_writes_them_in_one_go(db_url):
    buf = SearchLogBuffer(db.engine, flush_seconds=3600)
    for _ in range(5):
        buf.record(a_row())
    assert logged() == 0 and buf.pending() == 5
    assert buf.flush() == 5
    assert logged() == 5 and buf.pending() == 0


def test_the_writer_thread_flushes_on_its_own(db_url):
    buf = SearchLogBuffer(db.engine, flush_seconds=0.05)
    buf.record(a_row("treatment"))
    deadline = time.time() + 5
    while logged() == 0 and time.time() < deadline:
        time.sleep(0.05)
    with db.Session() as s:
        assert s.scalars(select(SearchLog.category)).all() == ["treatment"]


def test_a_full_buffer_wakes_the_writer(db_url):
    buf = SearchLogBuffer(db.engine, flush_seconds=3600, flush_rows=3)
    for _ in range(3):
        buf.record(a_row())
    deadline = time.time() + 5
    while logged() < 3 and time.time() < deadline:
        time.sleep(0.05)
    assert logged() == 3


def test_a_failed_write_keeps_the_rows_for_the_next_one(db_url):
    class Flaky:
        broken = True

        def begin(self):
            if self.broken:
                raise RuntimeError("database is locked")
            return db.engine().begin()
    flaky = Flaky()
    buf = SearchLogBuffer(lambda: flaky, flush_seconds=3600)
    buf.record(a_row())
    buf.record(a_row())
    assert buf.flush() == 0 and buf.pending() == 2
    flaky.broken = False
    assert buf.flush() == 2 and logged() == 2


def test_rows_go_to_the_database_they_were_recorded_for_and_a_dead_one_is_given_up(db_url):
    class Dead:
        def begin(self):
            raise RuntimeError("no such table: search_log")
    engines = [Dead(), db.engine()]
    buf = SearchLogBuffer(lambda: engines[0], flush_seconds=3600)
    buf.record(a_row())  # recorded while the dead one was in use
    engines.pop(0)
    buf.record(a_row())
    assert buf.flush() == 1 and logged() == 1 and buf.pending() == 1
    for _ in range(10):
        buf.flush()
    assert buf.pending() == 0 and logged() == 1


def test_a_process_that_stops_writes_what_it_buffered(db_url):
    code = textwrap.dedent(f"""
        import sys
        from directory import db
        from directory.catalog.geo import Point
        from directory.catalog.search import log
        from directory.catalog.search.query import SearchQuery
        db.configure({db_url!r})
        log.buffer._flush_seconds = 3600  # only the exit can write them
        for _ in range(7):
            log.record(SearchQuery(origin=Point(39.1, -94.58), radius_km=5), "api", 0)
        sys.exit(0)
    """)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)
    assert logged() == 7
