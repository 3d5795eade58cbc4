"""Field parsers every importer shares: text, numbers, clock times, dates, time zones, coordinates.
Each raises ImportFailed naming the record and the field."""
from __future__ import annotations

import datetime as dt
import math
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


from directory.catalog.importers.errors import ImportFailed
from directory.catalog.importers.errors import Report


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


_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_BARE_HOST_RE = re.compile(r"^[\w-]+(\.[\w-]+)+(:\d+)?([/?#]\S*)?$")


def website(value, limit: int | None = 500, keep_other: bool = False) -> str | None:
    """A web address with its scheme: 'www.example.org' -> 'https://www.example.org'. Anything
    else ('ask at the door', 'mailto:...') is None, for the caller to report, or kept as it is
    (`keep_other`, for importers that store what the source says)."""
    url = text(value)
    if url is None:
        return None
    if url[:8].lower().startswith(("http://", "https://")):
        return url[:limit] if limit else url
    bare = url[2:] if url.startswith("//") else url
    if _SCHEME_RE.match(bare) or not _BARE_HOST_RE.match(bare):
        return (url[:limit] if limit else url) if keep_other else None
    url = "https://" + bare
    return url[:limit] if limit else url


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
