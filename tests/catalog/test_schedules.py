import datetime as dt
from zoneinfo import ZoneInfo

from directory.catalog import schedules as sched
from directory.catalog.schedules import Slot

LA = "America/Los_Angeles"


def at(y, m, d, hh, mm, tz=LA):
    return dt.datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(tz))


# 2026-11-26 is a Thursday.
def test_open_now_in_the_locations_own_zone():
    slots = [Slot(sched.parse_byday("MO,TU,WE,TH,FR"), dt.time(9), dt.time(17))]
    assert sched.is_open(slots, at(2026, 11, 26, 10, 0), LA) is True
    # 10:00 in New York is 07:00 in Los Angeles: closed there.
    assert sched.is_open(slots, at(2026, 11, 26, 10, 0, "America/New_York"), LA) is False
    assert sched.is_open(slots, at(2026, 11, 28, 10, 0), LA) is False  # Saturday
    assert sched.is_open([], at(2026, 11, 26, 10, 0), LA) is None


def test_hours_past_midnight_belong_to_the_day_they_start():
    slots = [Slot(sched.parse_byday("TH,FR,SA"), dt.time(20), dt.time(2))]
    assert sched.is_open(slots, at(2026, 11, 27, 1, 30), LA) is True   # Friday 1:30, from Thursday
    assert sched.is_open(slots, at(2026, 11, 27, 2, 30), LA) is False
    assert sched.is_open(slots, at(2026, 11, 29, 1, 0), LA) is True    # Sunday 1:00, from Saturday night
    assert sched.is_open(slots, at(2026, 11, 30, 1, 0), LA) is False   # Monday 1:00: no Sunday slot


def test_past_midnight_edges():
    slots = [Slot(sched.parse_byday("SA"), dt.time(20), dt.time(2))]
    assert sched.is_open(slots, at(2026, 11, 29, 1, 0), LA) is True    # Sunday 1:00, Saturday's slot
    assert sched.is_open(slots, at(2026, 11, 30, 1, 0), LA) is False   # Monday 1:00


def test_next_meeting_on_several_days():
    slots = [Slot(sched.parse_byday("TU,TH"), dt.time(19, 30), dt.time(20, 30))]
    nxt = sched.next_start(slots, at(2026, 11, 26, 20, 0), LA)  # Thursday, just started
    assert nxt == at(2026, 12, 1, 19, 30)  # next Tuesday
    assert sched.label_start(nxt, at(2026, 11, 26, 20, 0)) == "Tue 7:30 pm"
    nxt = sched.next_start(slots, at(2026, 11, 26, 18, 0), LA)
    assert sched.label_start(nxt, at(2026, 11, 26, 18, 0)) == "Today 7:30 pm"


def test_hours_text():
    slots = [Slot(sched.parse_byday("MO,TU,WE,TH,FR"), dt.time(9), dt.time(21)),
             Slot(sched.parse_byday("SA"), dt.time(10), None)]
    assert sched.hours_on(slots, dt.date(2026, 11, 26)) == "9:00 am–9:00 pm"
    assert sched.hours_on(slots, dt.date(2026, 11, 28)) == "from 10:00 am"
    assert sched.hours_on(slots, dt.date(2026, 11, 29)) is None
    assert sched.hours_on([Slot(tuple(range(7)), dt.time(0), dt.time(0))], dt.date(2026, 11, 29)) == "Open 24 hours"


def test_validity_window():
    slots = [Slot(tuple(range(7)), dt.time(9), dt.time(17), dt.date(2026, 12, 1), None)]
    assert sched.is_open(slots, at(2026, 11, 26, 10, 0), LA) is False
    assert sched.is_open(slots, at(2026, 12, 2, 10, 0), LA) is True


def test_dst_change_keeps_local_wall_clock():
    # US DST ended 2026-11-01: a 7 pm meeting is 7 pm local either side.
    slots = [Slot(sched.parse_byday("SA,SU"), dt.time(19), dt.time(20))]
    nxt = sched.next_start(slots, at(2026, 10, 31, 20, 0), LA)
    assert nxt.hour == 19 and nxt.utcoffset() == dt.timedelta(hours=-8)
