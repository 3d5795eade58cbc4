"""The needs-and-gaps report, from the search log (web, API and bot searches)."""
from __future__ import annotations

import datetime as dt

from directory import db
from directory.catalog.models import SearchLog
from directory.base import utcnow
from web.pages.reports import bar_chart_svg, needs_and_gaps


def test_web_searches_are_logged_and_reported(app, signed_in):
    case = signed_in("case_manager")
    case.get("/search?near=92701&category=sober_living")
    case.get("/search?near=64106&category=sober_living&attributes=pets_allowed")  # nothing there
    app.test_client().get("/api/v1/search?near=33125&category=housing")
    with db.Session.begin() as s:  # an old one, outside the default 30 days
        s.add(SearchLog(channel="bot", category="treatment", postal_code="92701", place_label="Santa Ana, CA 92701",
                        result_count=0, created_at=utcnow() - dt.timedelta(days=60)))
    with db.Session() as s:
        data = needs_and_gaps(s, utcnow() - dt.timedelta(days=30))
    assert data["total"] == 3 and data["empty"] == 1
    assert {r["category"]: (r["searches"], r["empty"]) for r in data["by_category"]} == {
        "sober_living": (2, 1), "housing": (1, 0)}
    assert data["gaps"] == [{"place": "Kansas City, MO 64106", "category": "Sober living and recovery residences",
                             "filters": "Pets allowed", "searches": 1}]
    assert data["channels"] == {"web": 2, "api": 1}
    page = case.get("/reports/needs").get_data(as_text=True)
    assert "<svg" in page and "Kansas City, MO 64106" in page and "3 searches, 1 found nothing" in page
    assert "4 searches," in case.get("/reports/needs?period=90").get_data(as_text=True)
    assert "1 search," in case.get("/reports/needs?period=90&channel=bot").get_data(as_text=True)


def test_chart_bars_scale_and_escape():
    svg = str(bar_chart_svg([{"label": "<b>Housing</b>", "searches": 10, "empty": 5},
                             {"label": "Rides", "searches": 5, "empty": 0}]))
    assert "&lt;b&gt;Housing" in svg and "<b>" not in svg
    assert svg.count('class="bar-found"') == 3 and svg.count('class="bar-empty"') == 2  # + the legend's
    assert str(bar_chart_svg([])) == ""


def test_unknown_places_are_counted_and_filters_recorded(app, signed_in):
    case = signed_in("case_manager")
    page = case.get("/search?near=Zyxwvutsville&category=housing&open_now=1")
    assert page.status_code == 200 and 'class="error"' in page.get_data(as_text=True)
    case.get("/search?near=1+Main+St+Nowhere+ZZ&category=treatment")  # an address: not kept
    api = app.test_client().get("/api/v1/search?near=Xyzzyville&category=support_group&attributes=women")
    assert api.status_code == 422
    case.get("/search?near=92701&category=transportation&radius_km=8&attributes=veterans&open_now=1")  # none
    with db.Session() as s:
        data = needs_and_gaps(s, utcnow() - dt.timedelta(days=1))
        rows = s.query(SearchLog).order_by(SearchLog.id).all()
        assert [(r.channel, r.place_label, r.filters) for r in rows[:3]] == [
            ("web", "Zyxwvutsville", "place:unknown,when:now"), ("web", "(an address)", "place:unknown"),
            ("api", "Xyzzyville", "place:unknown,women")]
    assert data["unknown_total"] == 3
    assert {u["place"] for u in data["unknown"]} == {"Zyxwvutsville", "(an address)", "Xyzzyville"}
    assert all(g["place"] not in ("Zyxwvutsville", "Xyzzyville") for g in data["gaps"])
    page = case.get("/reports/needs").get_data(as_text=True)
    assert "Places that could not be found" in page and "Xyzzyville" in page and "Nowhere" not in page
    assert "3 for a place that could not be found" in page
    gap = next(g for g in data["gaps"] if g["place"] == "Santa Ana, CA 92701")
    assert gap["filters"] == "Veterans, open now"  # a gap only with those filters
