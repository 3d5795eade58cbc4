"""Reading weekly schedules in the location's own time zone: open now, next meeting, hours today.

A schedule is a set of weekdays (`byday`, RFC 5545 codes MO..SU) with local `opens_at` and
`closes_at`. When `closes_at` <= `opens_at` the slot runs past midnight into the next day; with
no `closes_at` (a meeting with no end given) it lasts DEFAULT_MEETING_LENGTH.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]  # Python weekday() order
DEFAULT_MEETING_LENGTH = dt.timedelta(hours=1)
DEFAULT_TZ = "America/New_York"


@dataclass(frozen=True)
class Slot:
    """A plain-data view of one Schedule row (so search can work without ORM objects)."""
    days: tuple[int, ...]  # Python weekdays 0=Monday
    opens_at: dt.time | None
    closes_at: dt.time | None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @property
    def all_day(self) -> bool:
        return self.opens_at is None or (self.opens_at == dt.time(0) and self.closes_at in (None, dt.time(0), dt.time(23, 59)))


def parse_byday(byday: str | None) -> tuple[int, ...]:
    """'MO,WE,FR' -> (0, 2, 4); '1MO' style prefixes are read as the plain weekday."""
    if not byday:
        return tuple(range(7))
    days = []
    for part in byday.replace(" ", "").upper().split(","):
        code = part[-2:]
        if code in DAY_CODES:
            days.append(DAY_CODES.index(code))
    return tuple(sorted(set(days)))


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def _intervals_on(slot: Slot, day: dt.date, tz: ZoneInfo):
    """The (start, end) aware datetimes of the slot that starts on `day`, if it does."""
    if day.weekday() not in slot.days:
        return None
    if slot.valid_from and day < slot.valid_from or slot.valid_to and day > slot.valid_to:
        return None
    if slot.all_day:
        start = dt.datetime.combine(day, dt.time(0), tz)
        return start, start + dt.timedelta(days=1)
    start = dt.datetime.combine(day, slot.opens_at, tz)
    if slot.closes_at is None:
        end = start + DEFAULT_MEETING_LENGTH
    else:
        end = dt.datetime.combine(day, slot.closes_at, tz)
        if end <= start:  # past midnight
            end += dt.timedelta(days=1)
    return start, end


def is_open(slots, now: dt.datetime, tz_name: str | None) -> bool | None:
    """True/False when there are schedules; None when nothing is known."""
    slots = list(slots)
    if not slots:
        return None
    tz = zone(tz_name)
    local = now.astimezone(tz)
    for slot in slots:
        for back in (0, 1):  # a slot that began yesterday may still run past midnight
            span = _intervals_on(slot, local.date() - dt.timedelta(days=back), tz)
            if span and span[0] <= local < span[1]:
                return True
    return False


def next_start(slots, now: dt.datetime, tz_name: str | None, horizon_days: int = 8) -> dt.datetime | None:
    """The next time a slot starts at or after `now` (aware, in the location's zone)."""
    tz = zone(tz_name)
    local = now.astimezone(tz)
    best = None
    for slot in slots:
        if slot.all_day:
            continue
        for ahead in range(horizon_days):
            span = _intervals_on(slot, local.date() + dt.timedelta(days=ahead), tz)
            if span and span[0] >= local:
                if best is None or span[0] < best:
                    best = span[0]
                break
    return best


def hours_on(slots, day: dt.date) -> str | None:
    """'9:00 am–5:00 pm' for the slots of that weekday; 'Open 24 hours'; None when closed/unknown."""
    parts = []
    for slot in sorted(slots, key=lambda s: s.opens_at or dt.time(0)):
        if day.weekday() not in slot.days:
            continue
        if slot.all_day:
            return "Open 24 hours"
        end = slot.closes_at
        parts.append(f"{clock(slot.opens_at)}–{clock(end)}" if end else f"from {clock(slot.opens_at)}")
    return ", ".join(parts) or None


def clock(t: dt.time) -> str:
    """7:30 pm, 12:00 pm, 12:00 am."""
    h = t.hour % 12 or 12
    return f"{h}:{t.minute:02d} {'am' if t.hour < 12 else 'pm'}"


def label_start(start: dt.datetime, now: dt.datetime) -> str:
    """'Today 7:30 pm', 'Tomorrow 7:00 am', 'Thu 6:00 pm' (local to the listing)."""
    local_now = now.astimezone(start.tzinfo)
    days = (start.date() - local_now.date()).days
    when = "Today" if days == 0 else "Tomorrow" if days == 1 else start.strftime("%a")
    return f"{when} {clock(start.timetz())}"


def starts_or_open_between(slots, now: dt.datetime, until: dt.datetime, tz_name: str | None) -> bool:
    """Open at some moment in [now, until) — 'tonight', 'today' filters."""
    if is_open(slots, now, tz_name):
        return True
    nxt = next_start(slots, now, tz_name, horizon_days=2)
    return nxt is not None and nxt < until
