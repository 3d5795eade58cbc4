"""The search API on real data as it comes (../shared/data: the Orange County and Kansas City
Meeting Guide feeds): bare and misspelt cities, fellowships, one result per weekly group, meetings
that start tonight or now."""
from __future__ import annotations

import datetime as dt
import shutil
import weakref
from zoneinfo import ZoneInfo

import pytest

from directory import db
from directory.catalog.importers import meeting_guide as mg

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture(scope="module")
def realdata_url(tmp_path_factory, seeded_db_template, shared_data):
    """The demo directory plus both real feeds, imported once for the module."""
    path = tmp_path_factory.mktemp("realdata") / "signpost.db"
    shutil.copy(seeded_db_template, path)
    url = f"sqlite:///{path}"
    db.configure(url)
    for feed in ("oc.json", "kc.json"):
        with db.Session.begin() as s:
            mg.import_meetings(s, mg.load_feed(str(shared_data / "meeting-guide" / feed)), feed.split(".")[0])
    db.engine().dispose()
    return url


@pytest.fixture
def api(realdata_url):
    from web import create_app
    app = create_app({"TESTING": True, "DATABASE_URL": realdata_url, "SECRET_KEY": "test",
                      "SERVICE_TOKEN": "test-token", "LOG_SEARCHES": False, "RATELIMIT_ENABLED": False})
    yield app.test_client()
    db.engine().dispose()


@pytest.fixture
def clock(monkeypatch):
    """clock(when) fixes the API's now."""
    import web.api
    return lambda moment: monkeypatch.setattr(web.api, "_now", lambda: moment)


def get(api, query, status=200):
    r = api.get(f"/api/v1/search?{query}")
    assert r.status_code == status, r.get_json()
    return r.get_json()


@pytest.mark.parametrize("near,label", [
    ("santa ana", "Santa Ana, CA"), ("irvine", "Irvine, CA"), ("overland park", "Overland Park, KS"),
    ("kansas city", "Kansas City, MO"),
    ("Santa Anna", "Santa Ana, CA"), ("overland prk", "Overland Park, KS"), ("hungtington beach", "Huntington Beach, CA"),
    ("Maimi, FL", "Miami, FL"),  # outside the area, but the state is named
])
def test_bare_and_misspelt_cities_resolve_in_the_directorys_area(api, near, label):
    body = get(api, f"near={near}&category=support_group&limit=3")
    assert body["_meta"]["origin"]["label"] == label
    if label != "Miami, FL":
        assert len(body["items"]) == 3


def test_the_default_area_is_where_the_directorys_places_cluster(api, realdata_url):
    from directory.catalog.geocode import data_area
    # The feeds' metros: Orange County (CA) and Kansas City, whose feed is all Missouri but whose
    # cell holds Kansas too; the demo's few Miami listings are not a cluster beside 2,000 meetings.
    assert set(data_area(db.engine())) == {"CA", "MO", "KS"}
    assert get(api, "near=hialeah", 422)["error"]["code"] == "unknown_place"
    assert get(api, "near=boise", 422)["error"]["code"] == "unknown_place"


def test_an_unknown_place_suggests_spellings(api):
    error = get(api, "near=Hunntingdon%20Baech", 422)["error"]
    assert error["suggestions"][0] == "Huntington Beach, CA"
    assert error["message"].startswith("I couldn't find 'Hunntingdon Baech'. Did you mean Huntington Beach, CA")


def test_fellowship_filter_finds_that_fellowships_meetings(api):
    # The importer records a Meeting Guide feed's fellowship (AA: the format's own, no other signal).
    for name in ("AA", "aa", "Alcoholics Anonymous"):
        body = get(api, f"near=92648&fellowship={name}&radius_km=40&limit=10")
        assert len(body["items"]) == 10 and all("aa" in i["attributes"] for i in body["items"])
        assert any(i["service_id"].startswith("mg-oc:") for i in body["items"])
        assert body["_meta"]["fellowship_unmatched"] is False and body["_meta"]["filters"]["fellowship"] == ["aa"]
    assert get(api, "near=92701&fellowship=Al-Anon&radius_km=10")["items"][0]["name"] == "Al-Anon Saturday Morning"


def test_fellowship_not_recorded_nearby_is_said_and_the_nearest_meetings_listed(api):
    body = get(api, "near=92701&fellowship=CA&radius_km=10&limit=5")  # no Cocaine Anonymous listed anywhere
    assert body["_meta"]["fellowship_unmatched"] is True
    assert body["items"] and all(i["category"] == "support_group" for i in body["items"])
    # The next best are meetings that record no fellowship: never another fellowship's (the feed's AA).
    assert not any({"aa", "na", "al_anon", "ca", "smart_recovery"} & set(i["attributes"]) for i in body["items"])
    assert not any(i["service_id"].startswith("mg-oc:") for i in body["items"])
    assert get(api, "near=92701&fellowship=klingon", 400)["error"]["code"] == "unknown_fellowship"


def test_a_weekly_group_is_one_result_with_its_days(api, clock):
    from sqlalchemy import text
    with db.engine().connect() as conn:
        lat, lon = conn.execute(text(
            "SELECT l.latitude, l.longitude FROM service_at_location sal JOIN location l ON l.id = sal.location_id "
            "WHERE sal.service_id = 'mg-oc:ampliacion-de-vida-3'")).one()
    body = get(api, f"lat={lat}&lon={lon}&radius_km=2&q=ampliacion&limit=10")
    # Fifteen listings: the group at 612 E 4th St (Mon-Sat 11 am, Fri and Sat midnight), its Sunday
    # study, and the group at 1111 E 4th St (Mon-Sat noon): three results.
    assert [(i["name"], i["address"].split(",")[0]) for i in body["items"]] == [
        ("Ampliacion De Vida", "612 E 4th St"), ("Ampliacion De Vida (Estudio)", "612 E 4th St"),
        ("Ampliacion De Vida", "1111 E 4th St")]
    assert body["_meta"]["total"] == 3
    noon = body["items"][2]
    assert noon["meets"] == "Mon-Sat 12:00 pm"
    assert [o["day"] for o in noon["occurrences"]] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    assert len({o["service_id"] for o in noon["occurrences"]}) == 6 and noon["service_id"] in \
        {o["service_id"] for o in noon["occurrences"]}
    eleven = body["items"][0]
    assert eleven["meets"] == "Mon-Sat 11:00 am; Fri, Sat 12:00 am" and len(eleven["occurrences"]) == 8
    # Paging counts results, not listings.
    first = get(api, f"lat={lat}&lon={lon}&radius_km=2&q=ampliacion&limit=1")
    second = get(api, f"lat={lat}&lon={lon}&radius_km=2&q=ampliacion&limit=1&offset=1")
    assert first["_meta"]["has_more"] and first["items"][0]["service_id"] != second["items"][0]["service_id"]
    assert [first["items"][0]["service_id"], second["items"][0]["service_id"]] == \
        [i["service_id"] for i in body["items"][:2]]
    # The listing that meets next stands for the group: its detail and referral say that meeting.
    clock(dt.datetime(2026, 11, 26, 12, 0, tzinfo=LA))  # Thursday noon: next is Friday's midnight meeting
    eleven = get(api, f"lat={lat}&lon={lon}&radius_km=2&q=ampliacion&limit=1")["items"][0]
    assert eleven["service_id"] == "mg-oc:ampliacion-de-vida-11" and eleven["next_meeting"]["label"] == "Tomorrow 12:00 am"


def test_a_dense_page_is_still_full_after_collapsing(api):
    body = get(api, "near=92701&category=support_group&limit=20")
    assert len(body["items"]) == 20 and body["_meta"]["has_more"]
    keys = [(i["name"].lower(), i["address"]) for i in body["items"]]
    assert len(set(keys)) == 20
    assert any(len(i["occurrences"]) > 1 for i in body["items"])


@pytest.mark.parametrize("query", [
    "near=92701&category=support_group&limit=20", "near=92701&limit=10&offset=10",
    "near=irvine&category=support_group&limit=15", "near=kansas city&category=support_group&limit=10&offset=5",
    "near=92701&category=support_group&when=tonight&limit=30&offset=20", "near=92701&fellowship=aa&limit=20",
    "near=santa ana&attributes=women&limit=10",
])
def test_reading_on_in_passes_gives_the_page_one_big_read_gives(api, clock, monkeypatch, query):
    """A page of groups read in several passes (each reading on from where the last stopped) is
    the page that one read of every listing within reach gives: the same items in the same order."""
    from directory.catalog.search import results
    clock(dt.datetime(2026, 11, 26, 18, 0, tzinfo=LA))
    monkeypatch.setattr(results, "_listings_per_group", weakref.WeakKeyDictionary())
    monkeypatch.setattr(results, "FIRST_READ_AHEAD", 50.0)  # reads up to MAX_CANDIDATES at once
    one_read = get(api, query)
    passes = []
    real_search = results.search
    monkeypatch.setattr(results, "search", lambda *a, **k: passes.append(1) or real_search(*a, **k))
    monkeypatch.setattr(results, "_listings_per_group", weakref.WeakKeyDictionary())
    monkeypatch.setattr(results, "FIRST_READ_AHEAD", 0.05)  # a first read too small for the page
    monkeypatch.setattr(results, "READ_AHEAD_MARGIN", 1.0)
    several = get(api, query)
    assert len(passes) > 1  # the small start did have to read on
    assert several["items"] == one_read["items"] and several["items"]
    assert {k: several["_meta"][k] for k in ("has_more", "returned", "when_unmatched")} == \
        {k: one_read["_meta"][k] for k in ("has_more", "returned", "when_unmatched")}
    # A total is given when the search read every match within the radius, as one big read does.
    assert several["_meta"]["total"] in (None, one_read["_meta"]["total"])


def _starts(items):
    return [dt.datetime.fromisoformat(i["next_meeting"]["start"]) for i in items]


def test_tonight_means_starting_this_evening_soonest_first(api, clock):
    thursday_6pm = dt.datetime(2026, 11, 26, 18, 0, tzinfo=LA)
    clock(thursday_6pm)
    body = get(api, "near=92701&category=support_group&when=tonight&limit=10")
    starts = _starts(body["items"])
    assert len(starts) == 10 and starts == sorted(starts)
    assert all(thursday_6pm <= s < dt.datetime(2026, 11, 27, tzinfo=LA) for s in starts)
    assert body["_meta"]["when_unmatched"] is False


def test_now_means_starting_within_hours(api, clock):
    thursday_7am = dt.datetime(2026, 11, 26, 7, 0, tzinfo=LA)
    clock(thursday_7am)
    starts = _starts(get(api, "near=santa ana&category=support_group&when=now&limit=10")["items"])
    assert starts and starts == sorted(starts)
    assert all(thursday_7am <= s <= thursday_7am + dt.timedelta(hours=4) for s in starts)


def test_nothing_tonight_is_said_with_the_next_ones(api, clock):
    from sqlalchemy import text
    with db.engine().connect() as conn:
        lat, lon = conn.execute(text(
            "SELECT l.latitude, l.longitude FROM service_at_location sal JOIN location l ON l.id = sal.location_id "
            "WHERE sal.service_id = 'mg-oc:ampliacion-de-vida-3'")).one()
    clock(dt.datetime(2026, 11, 26, 15, 0, tzinfo=LA))  # a Thursday: this group meets at 11 am, noon, midnight
    body = get(api, f"lat={lat}&lon={lon}&radius_km=1&q=ampliacion&category=support_group&when=tonight")
    assert body["_meta"]["when_unmatched"] is True
    starts = _starts(body["items"])
    assert starts and starts == sorted(starts) and starts[0] >= dt.datetime(2026, 11, 27, tzinfo=LA)


def test_the_search_page_shows_a_groups_days_and_filters_by_fellowship(signed_in):
    # The demo directory (the `app` fixture): its meetings name their fellowship.
    page = signed_in("case_manager").get("/search?near=santa+ana&category=support_group&fellowship=na")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Noches de Esperanza NA (Spanish)" in html and "Meets Daily 8:00 pm" in html
    assert "Big Book (AA)" not in html
    assert '<option value="na" selected>NA</option>' in html
    html = signed_in("case_manager").get("/search?near=92701&fellowship=CA&radius_km=8").get_data(as_text=True)
    assert "No meeting listed as that fellowship within this distance" in html
    assert "Unknown fellowship" in signed_in("case_manager").get("/search?near=92701&fellowship=xx").get_data(as_text=True)


def test_nothing_at_all_raises_no_fallback_flag(api):
    body = get(api, "lat=38.5&lon=-116.5&radius_km=5&category=support_group&fellowship=AA&when=tonight")  # Nevada
    assert body["items"] == [] and body["_meta"]["total"] == 0
    assert body["_meta"]["when_unmatched"] is False and body["_meta"]["fellowship_unmatched"] is False
