"""Time words of a search (now, today, tonight): whether a listing's schedule matches one."""
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
