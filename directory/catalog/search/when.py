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


from directory.catalog import schedules as sched
TONIGHT_FROM = dt.time(17, 0)


def _window_end(when: str, now: dt.datetime, tz_name: str | None) -> dt.datetime:
    local = now.astimezone(sched.zone(tz_name))
    return dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), local.tzinfo)


def matches_when(when: str, slot_info, now: dt.datetime) -> bool:
    tz_name, slots = slot_info
    if not slots:
        return False
    if when == "now":
        return bool(sched.is_open(slots, now, tz_name))
    local = now.astimezone(sched.zone(tz_name))
    start = now
    if when == "tonight":  # from now, or from 5 pm if it is earlier, until midnight
        five = dt.datetime.combine(local.date(), TONIGHT_FROM, local.tzinfo)
        start = max(now, five)
    return sched.starts_or_open_between(slots, start, _window_end(when, now, tz_name), tz_name)
