"""Geo search: the nearest fitting services around a point.

How: an index gives the candidate set inside a bounding box (SQLite's R*Tree, or the indexed
(latitude, longitude) box on PostgreSQL), SQL filters what it can (category, attribute and
language bitmasks, vacancy, text), Python takes the exact great-circle distance and drops what
is outside the circle. The circle starts at 0.5 km and grows (x3, or up to x8 when the matches so
far say the area is sparse) until enough matches lie inside it, or the requested radius is
reached: so a dense city answers from a few hundred rows, and a true match within the radius is
never dropped. Only the page's entries are sorted and looked up further.
Time filters (open now, tonight) read the schedules of the nearest candidates only.

This runs on every search, so its SQL goes to the SQLite driver directly (`fetch_rows`; see
bench/RESULTS.md for what that saves) and through SQLAlchemy's text() on other databases.

`build_query` is the one place where search arguments are validated.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from sqlalchemy import text
from sqlalchemy.orm import Session as OrmSession



def fetch_rows(bind, sql: str, params: dict) -> list[tuple]:
    """Run a read-only query (`:name` parameters) on a session's (or a Connection's) connection,
    as plain tuples. Callers that run several take `session.connection()` once and pass that.

    SQLite goes straight to the driver: no statement compilation, no Row objects, which is most
    of a search's time otherwise. Its dates and times come back as the stored ISO text
    (`as_date`, `as_time`, `as_datetime` read both forms); other databases go through text().
    """
    conn = bind.connection() if isinstance(bind, OrmSession) else bind
    if conn.dialect.name == "sqlite":
        return conn.connection.driver_connection.execute(sql, params).fetchall()
    return [tuple(r) for r in conn.execute(text(sql), params)]


def in_clause(name: str, values) -> tuple[str, dict]:
    """':name0,:name1,...' and its parameters, for `IN (...)` in fetch_rows SQL."""
    values = list(values)
    marks, keys = _in_marks(name, len(values))
    return marks, dict(zip(keys, values))


@lru_cache(maxsize=256)  # an import asks for the same few sizes a thousand times
def _in_marks(name: str, n: int) -> tuple[str, tuple[str, ...]]:
    keys = tuple(f"{name}{i}" for i in range(n))
    return ",".join(":" + k for k in keys), keys


def as_date(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def as_time(value) -> dt.time | None:
    return dt.time.fromisoformat(value) if isinstance(value, str) else value


def as_datetime(value) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value
