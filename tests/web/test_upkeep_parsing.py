"""The edit form's parsers: hours in plain forms, phones, addresses, languages, websites, and
validating only what changed."""
from __future__ import annotations

import datetime as dt

import pytest

from directory.staff.upkeep import ListingError, clean_changes, parse_hours, web_address

T = dt.time


@pytest.mark.parametrize("text,expected", [
    ("MO-FR 09:00-17:00", [("MO,TU,WE,TH,FR", T(9), T(17))]),
    ("Mon-Fri 9am-5pm", [("MO,TU,WE,TH,FR", T(9), T(17))]),
    ("Mon, Wed 7pm-8pm", [("MO,WE", T(19), T(20))]),
    ("Tuesday 7:30 pm to 8:30 pm", [("TU", T(19, 30), T(20, 30))]),
    ("Thurs 7-8pm", [("TH", T(19), T(20))]),
    ("Mon 11-1pm", [("MO", T(11), T(13))]),
    ("weekdays 9-5", [("MO,TU,WE,TH,FR", T(9), T(17))]),
    ("Sat noon-3pm", [("SA", T(12), T(15))]),
    ("Sat & Sun 10 a.m. - 2 p.m.", [("SA,SU", T(10), T(14))]),
    ("Monday through Thursday 8:30am - 4:30pm", [("MO,TU,WE,TH", T(8, 30), T(16, 30))]),
    ("daily 24h", [("MO,TU,WE,TH,FR,SA,SU", T(0), T(0))]),
    ("FR 22:00-02:00", [("FR", T(22), T(2))]),
    ("Mon-Fri 9am-5pm\nSat 10am-2pm", [("MO,TU,WE,TH,FR", T(9), T(17)), ("SA", T(10), T(14))]),
])
def test_hours_in_plain_forms(text, expected):
    assert [(h.byday, h.opens_at, h.closes_at) for h in parse_hours(text)] == expected


@pytest.mark.parametrize("text,message", [
    ("Mon 25:00-26:00", "not a time"), ("Funday 9-5", "not a day"), ("9-5", "days then times"),
    ("Mon 13pm-2pm", "not a time"), ("Mon 9am-9am", "the same"),
])
def test_bad_hours_name_the_problem(text, message):
    with pytest.raises(ListingError, match=message):
        parse_hours(text)


def test_web_addresses():
    assert web_address("www.girlscoutsfl.org") == "https://www.girlscoutsfl.org"
    assert web_address("http://example.org/x") == "http://example.org/x"
    assert web_address("//example.org") == "https://example.org"
    assert web_address("javascript:alert(1)") is None and web_address("") is None


def test_only_changed_fields_are_checked():
    before = {"url": "www.example.org", "name": "Harbor", "hours": "", "phone": "nonsense from an import"}
    assert clean_changes({"url": "www.example.org", "name": "Harbor", "phone": "nonsense from an import",
                          "hours": "Mon-Fri 9am-5pm"}, before=before) == {"hours": "Mon-Fri 9am-5pm"}
    with pytest.raises(ListingError, match="Phone"):
        clean_changes({"phone": "still nonsense"}, before=before)
    assert clean_changes({"url": "example.org/new"}, before=before) == {"url": "https://example.org/new"}


def test_languages_attributes_phones_addresses():
    assert clean_changes({"languages": "spanish, English, es"}) == {"languages": "Spanish, English"}
    assert clean_changes({"attributes": "walk_in,men"}) == {"attributes": "men,walk_in"}
    with pytest.raises(ListingError, match="unknown feature"):
        clean_changes({"attributes": "men,flying"})
    assert clean_changes({"phone": "305-555-0123 ext. 4"}) == {"phone": "305-555-0123 ext. 4"}
    assert clean_changes({"address": "1 Main St, Suite 2, Miami, FL 33130"}) == \
        {"address": "1 Main St, Suite 2, Miami, FL 33130"}
    assert clean_changes({"phone": ""}) == {"phone": None}


def test_beds_are_checked_against_the_unchanged_total():
    with pytest.raises(ListingError, match="more than beds in total"):
        clean_changes({"capacity_available": "9", "capacity_maximum": "8"},
                      before={"capacity_available": "2", "capacity_maximum": "8"})


def test_hours_text_merges_days_with_the_same_times():
    from types import SimpleNamespace as Row
    from directory.staff.upkeep import hours_text
    rows = [Row(byday=d, opens_at=T(8, 30), closes_at=T(16, 30)) for d in ("FR", "MO", "TH", "TU", "WE")]
    rows.append(Row(byday="SA", opens_at=T(10), closes_at=T(12)))
    assert hours_text(rows) == "MO-FR 08:30-16:30\nSA 10:00-12:00"  # 211 keeps one row per day
    assert parse_hours(hours_text(rows)) == parse_hours("Mon-Fri 8:30am-4:30pm\nSat 10am-12pm")
