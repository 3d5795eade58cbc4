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

`query.build_query` is the one place where search arguments are validated.
"""
from __future__ import annotations

import datetime as dt
import heapq
import math
import weakref
from dataclasses import dataclass
from typing import NamedTuple
from math import asin, cos, radians, sin, sqrt

from sqlalchemy.orm import Session as OrmSession

from directory.catalog import geo
from directory.catalog.geo import Point
from directory.catalog.codes import CATEGORY_CODES, attribute_mask, language_mask
from directory.catalog.search.query import SearchQuery
from directory.sql import fetch_rows
from directory.sql import in_clause
from directory.catalog.search.when import matches_when
FIRST_RADIUS_KM = 0.5  # dense city centres answer from this; the sparse grow fast (_next_radius)
GROWTH = 3.0  # at least; more when the first circles were sparse (_next_radius)
MAX_GROWTH = 8.0
SORT_UP_TO = 150  # rows in the final circle that a page takes from by sorting them all
GROWTH_MARGIN = 1.3  # over the radius that would hold enough matches if the density were even


@dataclass(slots=True)  # a search makes one per hit
class Hit:
    entry_id: int
    service_at_location_id: str | None  # None from search(..., listing_ids=False) until cards.load
    service_id: str | None
    latitude: float
    longitude: float
    distance_km: float
    card: str | None = None  # the listing's card (directory/catalog/cards.py), as stored


class Circle(NamedTuple):
    """Where a search stopped: its radius and every match inside it, (h, id, lat, lon) as _within gives them."""
    radius: float
    scored: list


@dataclass
class SearchResult:
    hits: list[Hit]
    has_more: bool
    total: int | None  # exact count within the radius, when the search had to look that far
    searched_radius_km: float
    query: SearchQuery
    circle: Circle | None = None  # to read on from (search's `circle`); None after a time filter


def _filters_sql(query: SearchQuery, sqlite: bool) -> tuple[str, dict]:
    """The WHERE clauses on search_entry `e` beyond the box. On SQLite the R*Tree already holds
    active entries only, one tree per category: those need no clause."""
    clauses, params = [] if sqlite else ["e.active"], {}
    if query.category and not sqlite:
        clauses.append("e.category = :category")
        params["category"] = query.category
    if query.attributes:
        clauses.append("(e.attribute_bits & :amask) = :amask")
        params["amask"] = attribute_mask(query.attributes)
    if query.fellowship:
        clauses.append("(e.attribute_bits & :fmask) != 0")
        params["fmask"] = attribute_mask(query.fellowship)
    if query.without_attributes:
        clauses.append("(e.attribute_bits & :nmask) = 0")
        params["nmask"] = attribute_mask(query.without_attributes)
    if query.language:
        lmask = language_mask([query.language])
        if lmask:
            clauses.append("(e.language_bits & :lmask) = :lmask")
            params["lmask"] = lmask
    if query.has_vacancy:
        clauses.append("e.beds_available > 0")
    if query.q:
        escaped = query.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append("e.search_text LIKE :q ESCAPE '\\'")
        params["q"] = f"%{escaped}%"
    return " AND ".join(clauses), params


_SQL_CACHE: dict[tuple, str] = {}


def _box_sql(sqlite: bool, where: str, category: str | None) -> str:
    """The candidate query for one box, built once per filter shape: (id, lat, lon) rows, in
    1e-7 degrees from SQLite's R*Trees (rtree_i32, see migration 0009: one 2-D tree of every active
    entry, one per category), in degrees elsewhere."""
    key = (sqlite, where, category)
    sql = _SQL_CACHE.get(key)
    if sql is None:
        if sqlite:
            tree = f"search_rtree_{category}" if category else "search_rtree"
            box = "r.max_lat >= :min_lat AND r.min_lat <= :max_lat AND r.max_lon >= :min_lon AND r.min_lon <= :max_lon"
            # The R*Tree alone when nothing else filters (the common case): no lookup per candidate,
            # and the box's four numbers bound by position (a name is looked up per parameter).
            sql = (f"SELECT r.id, r.min_lat, r.min_lon FROM {tree} r "
                   "WHERE r.max_lat >= ? AND r.min_lat <= ? AND r.max_lon >= ? AND r.min_lon <= ?" if not where else
                   f"SELECT r.id, r.min_lat, r.min_lon FROM {tree} r JOIN search_entry e ON e.id = r.id "
                   f"WHERE {box} AND {where}")
        else:
            sql = ("SELECT e.id, e.latitude, e.longitude FROM search_entry e "
                   "WHERE e.latitude BETWEEN :min_lat AND :max_lat "
                   "AND e.longitude BETWEEN :min_lon AND :max_lon AND " + where)
        _SQL_CACHE[key] = sql
    return sql


E7 = 10_000_000.0  # R*Tree units per degree
TWO_R = 2 * geo.EARTH_RADIUS
DEG = math.pi / 180  # the constant math.radians multiplies by (CPython's degToRad)


def to_e7(degrees: float) -> int:
    """Degrees in the R*Tree's whole 1e-7 degrees, rounded half away from zero exactly as
    SQLite's CAST(round(x * 10000000.0) AS INTEGER) in the R*Trees' triggers (migration 0009)."""
    x = degrees * E7
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


class _Candidates(NamedTuple):
    """One search's candidate query, prepared once for all its circles."""
    run: object  # (sql, params) -> rows
    sql: str
    params: dict | None  # the filters' named parameters; None: the box's four alone, by position
    sqlite: bool


def _candidates(conn, query: SearchQuery) -> _Candidates:
    sqlite = conn.dialect.name == "sqlite"
    where, params = _filters_sql(query, sqlite)
    category = query.category if sqlite and query.category in CATEGORY_CODES else None  # validated by build_query
    if sqlite:  # straight to the driver (see fetch_rows), looked up once, not once per circle
        execute = conn.connection.driver_connection.execute
        run = lambda sql, p: execute(sql, p).fetchall()  # noqa: E731
    else:
        run = lambda sql, p: fetch_rows(conn, sql, p)  # noqa: E731
    return _Candidates(run, _box_sql(sqlite, where, category), params if where else None, sqlite)


def _within(cands: _Candidates, origin: Point, radius_km: float) -> list[tuple[float, int, float, float]]:
    """(h, id, lat, lon) of the filtered entries inside the circle, unsorted, where h is the
    haversine term of the distance: it orders as the distance does, and `_km(h)` is the distance
    (geo.distance_km's formula), worked out for the page's hits only.

    On SQLite positions come from the R*Tree in whole 1e-7 degrees (about 1 cm): distances are
    those of the rounded positions, the same in every search, the oracle tests and the hits."""
    sql, params, run = cands.sql, cands.params, cands.run
    # geo.distance_km inlined (same formula, same operation order; x * DEG is math.radians(x)) up to
    # its haversine term h: this loop sees every candidate. h is monotonic in the distance, so only
    # an h within rounding of the radius's own needs the distance itself to tell whether it lies inside.
    lat0, lon0 = origin.lat, origin.lon
    p1 = radians(lat0)
    cos_p1 = cos(p1)
    h_radius = sin(min(radius_km / TWO_R, math.pi / 2)) ** 2
    h_in, h_max = h_radius * (1 - 1e-9), h_radius * (1 + 1e-9) + 1e-18  # surely inside / outside
    scale = E7 if cands.sqlite else 1.0  # (x / 1.0 is x)
    deg = DEG
    out = []
    append = out.append
    for a, b, c, d in geo.split_antimeridian(geo.bounding_box(origin, radius_km)):
        if cands.sqlite:  # whole units, widened by one so that no rounded position on the edge is lost
            box = (math.floor(a * E7) - 1, math.ceil(b * E7) + 1, math.floor(c * E7) - 1, math.ceil(d * E7) + 1)
        else:
            box = (a, b, c, d)
        if params is None:
            rows = run(sql, box)
        else:
            params.update(zip(("min_lat", "max_lat", "min_lon", "max_lon"), box))
            rows = run(sql, params)
        # A place's listings (a meeting place's weekly meetings: 6-7 a place in the Orange County and
        # Kansas City Meeting Guide feeds) have one position and come out of the tree together: the
        # row before's terms serve.
        row_lat = row_lon = None
        for eid, e_lat, e_lon in rows:
            if e_lat != row_lat or e_lon != row_lon:
                row_lat, row_lon = e_lat, e_lon
                lat, lon = e_lat / scale, e_lon / scale
                p2 = lat * deg
                s_lat, s_lon = sin((p2 - p1) / 2), sin((lon - lon0) * deg / 2)
                h = s_lat * s_lat + cos_p1 * cos(p2) * (s_lon * s_lon)
                inside = h <= h_in or (h <= h_max and _km(h) <= radius_km)  # the test that counts is in kilometres
            if inside:
                append((h, eid, lat, lon))
    return out


def _km(h: float) -> float:
    """The distance of a haversine term h (geo.distance_km's last step, asin(min(1.0, sqrt(h))):
    a float under 1 has its square root under 1 too)."""
    return TWO_R * asin(sqrt(h) if h < 1.0 else 1.0)


def _hits(conn, scored, with_cards: bool = False) -> list[Hit]:
    """Hits for (h, id, lat, lon) tuples (see _within), in their order, with their listing ids (and cards:
    the time filter reads schedules from them; a result page leaves them to directory.catalog.views)."""
    if not scored:
        return []
    marks, params = in_clause("e", [s[1] for s in scored])
    card = "card" if with_cards else "NULL"
    keys = {eid: (sal_id, service_id, card) for eid, sal_id, service_id, card in fetch_rows(
        conn, f"SELECT id, service_at_location_id, service_id, {card} FROM search_entry WHERE id IN ({marks})",
        params)}
    return [Hit(eid, *keys[eid][:2], lat, lon, _km(h), keys[eid][2]) for h, eid, lat, lon in scored]


def _next_radius(radius: float, found: int, wanted: int, limit_km: float) -> float:
    """Grow the circle: x GROWTH, more (up to x MAX_GROWTH) when the matches so far say the area is
    sparse, and straight to the requested radius when the next circle would cover most of it."""
    factor = MAX_GROWTH if not found else min(MAX_GROWTH, max(GROWTH, GROWTH_MARGIN * math.sqrt(wanted / found)))
    grown = radius * factor
    return limit_km if grown * 1.5 >= limit_km else grown


# Where to start the circle: the density of matches that the last search of the same kind found in
# the same cell of about 10 km, else the highest density seen in its cell of about 100 km (the
# highest, so that a dense town in a sparse region does not start too wide). It only saves circles
# that would have been too small: whatever the start, the circle grows until it holds enough
# matches, so results never depend on it.
# Hints belong to a database: one process may search several (the benchmark, the tests), and a
# sparse one's hints would start every search in a dense one too wide.
HINT_CELLS_PER_DEGREE = (10, 1)  # fine, coarse
MAX_HINTS = 100_000
MIN_HINT_AREA_KM2 = 1e-6  # a database keeps at most this many cells, then starts afresh
_density_hints: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> {(level, cell, kind): matches per km²}


def _hints_of(conn) -> dict[tuple, float]:
    hints = _density_hints.get(conn.engine)
    if hints is None:
        hints = _density_hints[conn.engine] = {}
    return hints


def _hint_keys(query: SearchQuery) -> list[tuple]:
    kind = (query.category, query.attributes, query.fellowship, query.without_attributes, query.language,
            query.has_vacancy, query.q, query.when, query.open_now)
    return [(per, round(query.origin.lat * per), round(query.origin.lon * per), kind) for per in HINT_CELLS_PER_DEGREE]


def _start_radius(hints: dict, keys: list[tuple], query: SearchQuery, wanted: int) -> float:
    fine, coarse = keys
    density = hints.get(fine, hints.get(coarse))
    if density is None:
        return min(query.radius_km, FIRST_RADIUS_KM)
    if density <= 0:  # nothing matched around here: look at the whole radius at once
        return query.radius_km
    # The radius that would hold GROWTH_MARGIN² x wanted matches at that density.
    return min(query.radius_km, max(FIRST_RADIUS_KM, GROWTH_MARGIN * math.sqrt(wanted / (math.pi * density))))


def _remember_density(hints: dict, keys: list[tuple], found: int, radius: float) -> None:
    area = math.pi * radius * radius
    if not area > MIN_HINT_AREA_KM2:  # a pin-point circle (radius_km=1e-200) says nothing about density
        return
    if len(hints) >= MAX_HINTS:
        hints.clear()
    density = found / area
    fine, coarse = keys
    hints[fine] = density
    hints[coarse] = max(density, hints.get(coarse, 0.0))


def search(session, query: SearchQuery, now: dt.datetime | None = None, listing_ids: bool = True,
           circle: Circle | None = None) -> SearchResult:
    """The query's page of hits. `session` is an ORM Session or a Core Connection (the API's
    search endpoint passes a Connection: a Session's set-up is a tenth of its time).

    With `listing_ids=False` the hits carry entry ids, positions and distances only: the result
    list reads each listing's ids with its card (directory.catalog.views), in the same query.
    `circle`: the one an earlier search of this same query (but for offset and limit) ended with,
    to start from, so that reading on asks the index again only if that circle holds too few."""
    wanted = query.offset + query.limit + 1  # one more tells us whether there is a next page
    conn = session.connection() if isinstance(session, OrmSession) else session
    hints, hint_keys = _hints_of(conn), _hint_keys(query)
    cands = None
    if circle is not None and not query.when:
        radius, scored = circle
    else:
        radius, scored = _start_radius(hints, hint_keys, query, wanted), None
    while True:
        if scored is None:
            cands = cands or _candidates(conn, query)
            scored = _within(cands, query.origin, radius)
        if query.when:
            scored.sort()
            now = now or dt.datetime.now(dt.timezone.utc)
            hits = _time_filter(conn, scored, "open" if query.open_now else query.when, now, wanted)
            found = len(hits)
        else:
            found = len(scored)
        if found >= wanted or radius >= query.radius_km:
            break
        radius, scored = _next_radius(radius, found, wanted, query.radius_km), None
    _remember_density(hints, hint_keys, found, radius)
    # Without a time filter, a search that reached the full radius has seen every match.
    complete = radius >= query.radius_km and (not query.when or found < wanted)
    total = found if complete else None
    end = query.offset + query.limit
    if query.when:
        page = hits[query.offset:end]
    else:  # only the page needs sorting and its listing ids
        # (a sort is faster than a heap up to ~150 rows, the usual case; they give the same order)
        top = (sorted(scored) if len(scored) <= SORT_UP_TO else heapq.nsmallest(end, scored))[query.offset:end]
        page = _hits(conn, top) if listing_ids else [Hit(eid, None, None, lat, lon, _km(h)) for h, eid, lat, lon in top]
    return SearchResult(page, found > end, total, radius, query, None if query.when else Circle(radius, scored))


def all_within(session, query: SearchQuery) -> list[str]:
    """The service_at_location ids of every match within the query's full radius, nearest first:
    no paging and no growing circle, for filters that must count every match (HSDS `proximity`)."""
    conn = session.connection() if isinstance(session, OrmSession) else session
    scored = sorted(_within(_candidates(conn, query), query.origin, query.radius_km))
    sal_of: dict[int, str] = {}
    for start in range(0, len(scored), 1000):  # IN lists well under SQLite's parameter limit
        marks, params = in_clause("e", [eid for _d, eid, _la, _lo in scored[start:start + 1000]])
        sal_of.update(fetch_rows(conn, f"SELECT id, service_at_location_id FROM search_entry WHERE id IN ({marks})",
                                 params))
    return [sal_of[eid] for _d, eid, _la, _lo in scored]


def _time_filter(conn, scored, when, now, wanted) -> list[Hit]:
    """Hits (nearest first) whose schedules match `when`, reading their cards 200 candidates at a time."""
    from directory.catalog import cards  # cards builds on this module's SQL helpers
    kept = []
    for i in range(0, len(scored), 200):
        chunk = _hits(conn, scored[i:i + 200], with_cards=True)
        by_entry = cards.load(conn, chunk)
        kept.extend(h for h in chunk if h.entry_id in by_entry
                    and matches_when(when, cards.slot_info(by_entry[h.entry_id]), now,
                                     by_entry[h.entry_id].get("category")))
        if len(kept) >= wanted:
            break
    return kept
