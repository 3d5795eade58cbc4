"""SQL helpers shared by search, the listing cards and the index: read queries straight through the
SQLite driver (no statement compilation, no Row objects), IN lists with named parameters, and the
ISO dates and times SQLite hands back."""
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
