"""The small things the pages say: ages, vacancy lines, schedule lines, distances."""
from __future__ import annotations

import datetime as dt

import pytest

from web.pages import ago, miles, schedule_line, vacancy

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("then,expected", [
    (NOW - dt.timedelta(seconds=20), "just now"), (NOW - dt.timedelta(minutes=5), "5 min ago"),
    (NOW - dt.timedelta(hours=3, minutes=50), "3 h ago"), (NOW - dt.timedelta(days=1, hours=2), "1 day ago"),
    (NOW - dt.timedelta(days=12), "12 days ago"), (None, "never"),
    ("2026-11-26T09:00:00+00:00", "3 h ago"),  # the API's ISO strings
    (dt.datetime(2026, 11, 26, 9, 0), "3 h ago"),  # naive values are UTC (as the database keeps them)
])
def test_ago(then, expected):
    assert ago(then, now=NOW) == expected


def test_vacancy_lines():
    recent = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=3, minutes=5)).isoformat()
    assert vacancy({"available": 2, "unit": "beds", "updated_at": recent}) == "2 beds free · updated 3 h ago"
    assert vacancy({"available": 1, "unit": "beds", "updated_at": recent}) == "1 bed free · updated 3 h ago"
    assert vacancy({"available": 0, "unit": "rooms", "updated_at": None}) == "Full · updated never"
    assert vacancy({"available": None, "maximum": 8}) == "" and vacancy(None) == ""


@pytest.mark.parametrize("schedule,expected", [
    ({"byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "17:00"}, "Mon–Fri: 9:00 am–5:00 pm"),
    ({"byday": "TU,TH", "opens_at": "19:30", "closes_at": "20:30"}, "Tue, Thu: 7:30 pm–8:30 pm"),
    ({"byday": "MO,TU,WE,TH,FR,SA,SU", "opens_at": "00:00", "closes_at": "00:00"}, "Every day: open 24 hours"),
    ({"byday": "FR,SA,SU", "opens_at": "22:00", "closes_at": None}, "Fri–Sun: from 10:00 pm"),
])
def test_schedule_lines(schedule, expected):
    assert schedule_line(schedule) == expected


def test_miles():
    assert miles(1.609344) == "1.0 mi" and miles(40) == "25 mi" and miles(None) == ""
