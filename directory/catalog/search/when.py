"""Time words ("now", "today", "tonight") as windows on a listing's weekly schedule.

For a place that opens and closes (a shelter, a clinic) they ask whether it is open then. For a
meeting they ask when it starts: "now" is a meeting starting soon (within NOW_HOURS), "tonight"
one starting this evening (5 pm to midnight), "today" one starting later today; a meeting that has
begun is not one to go to (and its next meeting, the one a result shows, is next week's). `open_now` (the API's flag) still means open at this
moment, for every category.
"""
from __future__ import annotations

import datetime as dt

from directory.catalog import schedules as sched

TONIGHT_FROM = dt.time(17, 0)
NOW_HOURS = 4  # "a meeting now": one that starts within the next few hours
MEETING_CATEGORY = "support_group"


def _midnight(local: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(0), local.tzinfo)


def _window_end(when: str, now: dt.datetime, tz_name: str | None) -> dt.datetime:
    return _midnight(now.astimezone(sched.zone(tz_name)))


def meeting_window(when: str, now: dt.datetime, tz_name: str | None) -> tuple[dt.datetime, dt.datetime]:
    """[from, until) in which a meeting must start to be one for `when`, in the meeting's zone."""
    local = now.astimezone(sched.zone(tz_name))
    start = local
    if when == "now":
        return start, local + dt.timedelta(hours=NOW_HOURS)
    if when == "tonight":
        start = max(start, dt.datetime.combine(local.date(), TONIGHT_FROM, local.tzinfo))
    return start, _midnight(local)


def meeting_start(when: str, slot_info, now: dt.datetime) -> dt.datetime | None:
    """The start of the meeting's occurrence inside `when`'s window, or None."""
    tz_name, slots = slot_info
    if not slots:
        return None
    start, until = meeting_window(when, now, tz_name)
    nxt = sched.next_start(slots, start, tz_name, horizon_days=2)
    return nxt if nxt is not None and nxt < until else None


def matches_when(when: str, slot_info, now: dt.datetime, category: str | None = None) -> bool:
    """Does the listing fit `when` ("open" = open at this moment, "now", "today", "tonight")?"""
    tz_name, slots = slot_info
    if not slots:
        return False
    if when == "open":
        return bool(sched.is_open(slots, now, tz_name))
    if category == MEETING_CATEGORY:
        return meeting_start(when, slot_info, now) is not None
    if when == "now":
        return bool(sched.is_open(slots, now, tz_name))
    local = now.astimezone(sched.zone(tz_name))
    start = now
    if when == "tonight":  # from now, or from 5 pm if it is earlier, until midnight
        five = dt.datetime.combine(local.date(), TONIGHT_FROM, local.tzinfo)
        start = max(now, five)
    return sched.starts_or_open_between(slots, start, _window_end(when, now, tz_name), tz_name)
