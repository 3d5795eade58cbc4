"""Geo search: the index never drops a true match, sorting, filters, paging, time filters."""
import datetime as dt
import math
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from geopy.distance import great_circle
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete, insert

from directory import db
from directory.catalog import geo
from directory.catalog.geo import InvalidQuery, Point
from directory.catalog.models import SearchEntry
from directory.catalog.geo import distance_km
from directory.catalog.search import nearby
from directory.catalog.search.nearby import E7, search, to_e7
from directory.catalog.search.query import SearchQuery, build_query
from directory.catalog.codes import ATTRIBUTE_BITS


@pytest.fixture(scope="module")
def geo_db(tmp_path_factory):
    """An empty migrated database whose search_entry rows the property test writes directly."""
    url = f"sqlite:///{tmp_path_factory.mktemp('geo') / 'geo.db'}"
    db.upgrade(url)
    with db.engine().begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    return url


points = st.tuples(st.floats(min_value=-60, max_value=70), st.floats(min_value=-179.9, max_value=179.9))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(origin=points,
       offsets=st.lists(st.tuples(st.floats(-1.5, 1.5), st.floats(-1.5, 1.5), st.booleans()), min_size=0, max_size=60),
       radius=st.floats(min_value=0.5, max_value=150), limit=st.integers(1, 100),
       sort_up_to=st.sampled_from([0, nearby.SORT_UP_TO]))
def test_search_never_drops_a_true_match(geo_db, origin, offsets, radius, limit, sort_up_to):
    # The page taken by a heap (0) or by sorting every row in the circle: both must give the truth.
    with mock.patch.object(nearby, "SORT_UP_TO", sort_up_to):
        _check_against_full_scan(geo_db, origin, offsets, radius, limit)


def _check_against_full_scan(geo_db, origin, offsets, radius, limit):
    db.configure(geo_db)
    lat0, lon0 = origin
    rows = []
    for i, (dlat, dlon, women) in enumerate(offsets):
        lon = ((lon0 + dlon + 180) % 360) - 180  # wraps across the antimeridian
        rows.append(dict(id=i + 1, service_at_location_id=f"sal{i}", service_id=f"s{i}", latitude=lat0 + dlat,
                         longitude=lon, category="housing", attribute_bits=ATTRIBUTE_BITS["women"] if women else 0,
                         language_bits=0, active=True, search_text=""))
    with db.engine().begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.execute(delete(SearchEntry))
        if rows:
            conn.execute(insert(SearchEntry), rows)
    # The oracle: a full scan with geopy's great-circle distance, of the positions as the index keeps
    # them (SQLite's R*Tree: whole 1e-7 degrees, see directory.catalog.search.nearby.to_e7).
    def position(r):
        return to_e7(r["latitude"]) / E7, to_e7(r["longitude"]) / E7

    truth = sorted((great_circle((lat0, lon0), position(r)).km, r["id"]) for r in rows)
    truth = [(d, i) for d, i in truth if d <= radius - 1e-9]
    with db.Session() as s:
        result = search(s, SearchQuery(origin=Point(lat0, lon0), radius_km=radius, limit=limit))
        got = [h.entry_id for h in result.hits]
        borderline = {r["id"] for r in rows if abs(great_circle((lat0, lon0), position(r)).km - radius) < 1e-6}
        expected = [i for _, i in truth][:limit]
        assert [g for g in got if g not in borderline] == [e for e in expected if e not in borderline]
        assert [h.distance_km for h in result.hits] == sorted(h.distance_km for h in result.hits)
        assert result.has_more == (len(truth) > limit)
        women = search(s, SearchQuery(origin=Point(lat0, lon0), radius_km=radius, limit=100, attributes=("women",)))
        expected_women = [i for _, i in truth if rows[i - 1]["attribute_bits"]][:100]
        assert [h.entry_id for h in women.hits if h.entry_id not in borderline] == \
            [i for i in expected_women if i not in borderline]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(origin=points,
       places=st.lists(st.tuples(st.sampled_from([0.0, 0.03]) | st.floats(-0.2, 0.2),  # some on one latitude
                                 st.floats(-0.2, 0.2)), min_size=1, max_size=8),
       at=st.lists(st.integers(0, 7), min_size=1, max_size=50), wanted=st.booleans(),
       radius=st.floats(min_value=0.5, max_value=40), limit=st.integers(1, 12))
def test_listings_sharing_a_place_come_by_id_with_its_distance_on_every_page(geo_db, origin, places, at, wanted,
                                                                            radius, limit):
    # Meeting feeds put several meetings at one place; search works out a place's distance once for
    # the rows of it that come out of the tree together. Every page must still be the full scan's
    # (distance, id) order, with geo.distance_km's distance of each listing's own position.
    db.configure(geo_db)
    lat0, lon0 = origin
    rows = []
    for i, place in enumerate(at):  # ids in an order unrelated to the places
        dlat, dlon = places[place % len(places)]
        rows.append(dict(id=i + 1, service_at_location_id=f"sal{i}", service_id=f"s{i}", latitude=lat0 + dlat,
                         longitude=((lon0 + dlon + 180) % 360) - 180, category="support_group",
                         attribute_bits=ATTRIBUTE_BITS["women"] if wanted and i % 2 else 0, language_bits=0,
                         active=True, search_text=""))
    with db.engine().begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.execute(delete(SearchEntry))
        conn.execute(insert(SearchEntry), rows)

    def distance(r):
        return distance_km(lat0, lon0, to_e7(r["latitude"]) / E7, to_e7(r["longitude"]) / E7)

    borderline = {r["id"] for r in rows if abs(distance(r) - radius) < 1e-6}
    for attributes in ((), ("women",)):
        matching = [r for r in rows if not attributes or r["attribute_bits"]]
        truth = [(distance(r), r["id"]) for r in sorted(matching, key=lambda r: (distance(r), r["id"]))
                 if distance(r) <= radius and r["id"] not in borderline]
        got = []
        with db.engine().connect() as conn:
            for offset in range(0, len(rows) + limit, limit):
                page = search(conn, SearchQuery(origin=Point(lat0, lon0), radius_km=radius, limit=limit, offset=offset,
                                                category="support_group", attributes=attributes)).hits
                got += [(h.distance_km, h.entry_id) for h in page if h.entry_id not in borderline]
        assert got == truth


@pytest.mark.parametrize("origin", [(40.0, -75.0), (-33.9, 151.2), (0.0, 179.99)])
def test_a_listing_exactly_on_the_circle_is_in_and_one_float_further_is_out(geo_db, origin):
    # The circle test is in kilometres (the haversine term only skips the rows far from the edge):
    # a radius of exactly the listing's distance finds it, the float below that does not.
    db.configure(geo_db)
    lat, lon = origin[0] + 0.0731, origin[1] + 0.0003
    with db.engine().begin() as conn:
        conn.execute(delete(SearchEntry))
        conn.execute(insert(SearchEntry), [dict(id=1, service_at_location_id="sal1", service_id="s1", latitude=lat,
                                                longitude=lon, category="housing", attribute_bits=0, language_bits=0,
                                                active=True, search_text="")])
    exact = distance_km(origin[0], origin[1], to_e7(lat) / E7, to_e7(lon) / E7)
    with db.Session() as s:
        def found(radius):
            return [(h.entry_id, h.distance_km) for h in search(s, SearchQuery(origin=Point(*origin), radius_km=radius)).hits]
        assert found(exact) == [(1, exact)]
        assert found(math.nextafter(exact, 0)) == []


def test_rtree_category_codes_are_the_migrations(geo_db):
    import importlib
    migration = importlib.import_module("directory.migrations.versions.0006_search_rtree_by_category")
    from directory.catalog.codes import CATEGORY_CODES
    assert migration.CATEGORY_CODES == CATEGORY_CODES
    per_category = importlib.import_module("directory.migrations.versions.0009_search_rtree_2d_per_category")
    assert per_category.CATEGORIES == tuple(CATEGORY_CODES)


def _tree_counts(conn) -> dict[str, int]:
    from directory.catalog.index import RTREES
    return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in RTREES}


def test_the_rtree_follows_category_and_active_changes(geo_db):
    db.configure(geo_db)
    with db.engine().begin() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.execute(delete(SearchEntry))
        conn.execute(insert(SearchEntry), [dict(id=1, service_at_location_id="a", service_id="a", latitude=40.0,
                                                longitude=-74.0, category="housing", attribute_bits=0,
                                                language_bits=0, active=True, search_text="")])

    def found(category=None):
        with db.Session() as s:
            q = SearchQuery(origin=Point(40.001, -74.0), radius_km=5, category=category)
            return [h.entry_id for h in search(s, q).hits]

    assert found() == [1] and found("housing") == [1] and found("treatment") == []
    with db.engine().begin() as conn:
        conn.execute(SearchEntry.__table__.update().values(category="treatment"))
        counts = _tree_counts(conn)
    assert counts["search_rtree"] == 1 and counts["search_rtree_treatment"] == 1 and counts["search_rtree_housing"] == 0
    assert sum(counts.values()) == 2  # the tree of all entries and the category's own
    assert found("housing") == [] and found("treatment") == [1]
    with db.engine().begin() as conn:
        conn.execute(SearchEntry.__table__.update().values(active=False))
    assert found() == []
    with db.engine().begin() as conn:
        conn.execute(SearchEntry.__table__.update().values(active=True, latitude=41.0))
    assert found() == []  # moved 110 km away
    with db.engine().begin() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM search_rtree").scalar() == 1
    with db.engine().begin() as conn:
        conn.execute(delete(SearchEntry))
        assert conn.exec_driver_sql("SELECT count(*) FROM search_rtree").scalar() == 0


def test_demo_search_is_sorted_with_distances(session):
    result = search(session, build_query({"near": "92701", "radius_km": "50", "limit": "100"}))
    d = [h.distance_km for h in result.hits]
    assert d == sorted(d) and len(d) == 13  # every Orange County listing, none from Miami or KC
    assert result.total == 13 and not result.has_more


def test_paging_walks_the_same_order(session):
    everything = search(session, build_query({"near": "33125", "limit": "100"})).hits
    pages = []
    for offset in range(0, len(everything), 3):
        pages += search(session, build_query({"near": "33125", "limit": "3", "offset": str(offset)})).hits
    assert [h.entry_id for h in pages] == [h.entry_id for h in everything]


def test_filters_category_attributes_language_vacancy_text(session):
    def names(**params):
        from directory.catalog.views import search_items
        q = build_query({"near": "92701", **params})
        return [i["name"] for i in search_items(session, search(session, q), dt.datetime.now(dt.timezone.utc))]
    assert names(category="sober_living", attributes="women,mat_friendly") == ["Harbor House Women's Sober Living"]
    assert names(category="sober_living", has_vacancy="true") == ["Harbor House Women's Sober Living"]
    assert "Noches de Esperanza NA (Spanish)" in names(category="support_group", language="Spanish")
    assert "Tuesday Night Women's Big Book (AA)" not in names(category="support_group", language="es")
    assert sorted(names(q="bright path")) == ["Bright Path Detox", "Bright Path MAT Clinic (Suboxone, Methadone)"]
    assert names(q="100%_") == []  # LIKE wildcards are escaped


def test_open_now_and_tonight(session):
    la = ZoneInfo("America/Los_Angeles")
    thursday_7pm = dt.datetime(2026, 11, 26, 19, 0, tzinfo=la)
    saturday_9am = dt.datetime(2026, 11, 28, 9, 0, tzinfo=la)
    q_tonight = build_query({"near": "92701", "category": "support_group", "when": "tonight"})
    tonight = {h.service_id for h in search(session, q_tonight, now=thursday_7pm).hits}
    q_now = build_query({"near": "92701", "category": "support_group", "open_now": "true"})
    from directory.catalog.taxonomy import stable_id
    big_book = stable_id("demo-service", "Tuesday Night Women's Big Book (AA)")
    noches = stable_id("demo-service", "Noches de Esperanza NA (Spanish)")
    alanon = stable_id("demo-service", "Al-Anon Saturday Morning")
    assert {big_book, noches} <= tonight and alanon not in tonight
    assert big_book not in {h.service_id for h in search(session, q_now, now=thursday_7pm).hits}  # starts 7:30
    assert alanon not in {h.service_id for h in search(session, q_now, now=saturday_9am).hits}
    assert alanon in {h.service_id for h in search(session, q_now, now=saturday_9am.replace(hour=10, minute=15)).hits}


@pytest.mark.parametrize("params,field", [
    ({}, "near"), ({"near": "92701", "limit": "0"}, "limit"), ({"near": "92701", "limit": "101"}, "limit"),
    ({"near": "92701", "offset": "-1"}, "offset"), ({"near": "92701", "category": "beds"}, "category"),
    ({"near": "92701", "attributes": "women,unicorns"}, "attributes"), ({"near": "92701", "when": "later"}, "when"),
    ({"near": "92701", "open_now": "maybe"}, "open_now"), ({"near": "92701", "language": "klingon"}, "language"),
    ({"lat": "33", "lon": "500"}, "lon"), ({"near": "92701", "q": "x" * 101}, "q"),
])
def test_build_query_is_the_one_place_that_validates(params, field):
    with pytest.raises(InvalidQuery) as err:
        build_query(params)
    assert err.value.field == field and str(err.value)


def test_density_hints_belong_to_their_database(db_url, tmp_path):
    """Where a search starts its circle is learnt per database: another database in the same
    process (the benchmark runs two sizes in one) starts from nothing, not from the first one's."""
    import shutil
    from directory.catalog.search import nearby
    from directory.db import make_engine
    other = tmp_path / "other.db"
    shutil.copy(db_url.removeprefix("sqlite:///"), other)
    query = build_query({"lat": "33.7455", "lon": "-117.8677", "radius_km": "50"})
    second = make_engine(f"sqlite:///{other}")
    try:
        with db.engine().connect() as conn:
            first_hits = [h.entry_id for h in search(conn, query).hits]
            assert nearby._hints_of(conn)
        with second.connect() as conn:
            assert nearby._hints_of(conn) == {}
            assert [h.entry_id for h in search(conn, query).hits] == first_hits
            assert nearby._hints_of(conn)
    finally:
        second.dispose()


@pytest.mark.parametrize("h", [0.0, 1e-300, 0.25, math.nextafter(1.0, 0), 1.0, math.nextafter(1.0, 2), 1.5])
def test_km_of_a_haversine_term_is_geo_distance_s_last_step(h):
    # nearby._km skips min(): the same float for every h, the rounding past 1 of a term for
    # antipodal points included.
    assert nearby._km(h) == 2 * geo.EARTH_RADIUS * math.asin(min(1.0, math.sqrt(h)))

