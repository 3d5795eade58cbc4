"""Geo search: the nearest fitting services around a point.

How: an index gives the candidate set inside a bounding box (SQLite's R*Tree, or the indexed
(latitude, longitude) box on PostgreSQL), SQL filters what it can (category, attribute and
language bitmasks, vacancy, text), Python takes the exact great-circle distance and drops what
is outside the circle. The box starts small and grows (x3) until enough matches lie inside the
circle the box was drawn around, or the requested radius is reached: so a dense city answers
from a few hundred rows, and a true match within the radius is never dropped.
Time filters (open now, tonight) read the schedules of the nearest candidates only.

`build_query` is the one place where search arguments are validated.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping

from sqlalchemy import select, text

from directory import geo, schedules as sched
from directory.geo import InvalidQuery, Point
from directory.geocode import Place, PlaceNotFound, default_geocoder
from directory.models import Location, Schedule, ServiceAtLocation
from directory.vocab import ATTRIBUTES, CATEGORIES, LANGUAGES, attribute_mask, language_code, language_mask

MAX_LIMIT = 100
DEFAULT_LIMIT = 10
MAX_OFFSET = 1000
WHEN_VALUES = ("now", "today", "tonight")
FIRST_RADIUS_KM = 3.0
GROWTH = 3.0
TONIGHT_FROM = dt.time(17, 0)


@dataclass(frozen=True)
class SearchQuery:
    origin: Point
    radius_km: float = geo.DEFAULT_RADIUS_KM
    category: str | None = None
    attributes: tuple[str, ...] = ()
    language: str | None = None
    has_vacancy: bool = False
    when: str | None = None  # now | today | tonight
    q: str | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    place: Place | None = None  # what `near` resolved to, for the answer's _meta


@dataclass
class Hit:
    entry_id: int
    service_at_location_id: str
    service_id: str
    latitude: float
    longitude: float
    distance_km: float


@dataclass
class SearchResult:
    hits: list[Hit]
    has_more: bool
    total: int | None  # exact count within the radius, when the search had to look that far
    searched_radius_km: float
    query: SearchQuery
    slots: dict = field(default_factory=dict)  # sal_id -> (tz, [Slot]) when time filters loaded them


def _bool(value, name) -> bool:
    if value in (None, ""):
        return False
    v = str(value).strip().lower()
    if v in ("1", "true", "yes", "on"):
        return True
    if v in ("0", "false", "no", "off"):
        return False
    raise InvalidQuery(f"{name} must be true or false.", field=name)


def _int(value, name, default, lo, hi) -> int:
    if value in (None, ""):
        return default
    try:
        n = int(str(value).strip())
    except ValueError:
        raise InvalidQuery(f"{name} must be a whole number.", field=name) from None
    if not lo <= n <= hi:
        raise InvalidQuery(f"{name} must be between {lo} and {hi}.", field=name)
    return n


def _list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        items = [p for v in value for p in str(v).split(",")]
    else:
        items = str(value).split(",")
    return [i.strip().lower() for i in items if i.strip()]


def build_query(params: Mapping, geocoder=None) -> SearchQuery:
    """Validate search arguments (from a query string, a form or the bot) into a SearchQuery.

    `params` maps names to strings (or lists, for `attributes`). Raises InvalidQuery or
    PlaceNotFound with a message a person can act on.
    """
    get = params.get
    place = None
    if get("lat") not in (None, "") or get("lon") not in (None, ""):
        origin = geo.validate_point(get("lat"), get("lon"))
    elif get("near") not in (None, ""):
        place = (geocoder or default_geocoder()).resolve(str(get("near")))
        origin = Point(place.lat, place.lon)
    else:
        raise InvalidQuery("Say where: near=ZIP, 'City, ST' or an address, or lat and lon.", field="near")

    category = (get("category") or "").strip().lower() or None
    if category and category not in CATEGORIES:
        raise InvalidQuery(f"Unknown category '{category}'. Use one of: {', '.join(CATEGORIES)}.",
                           code="unknown_category", field="category")
    attrs = _list(params.getlist("attributes") if hasattr(params, "getlist") else get("attributes"))
    unknown = [a for a in attrs if a not in ATTRIBUTES]
    if unknown:
        raise InvalidQuery(f"Unknown attribute '{unknown[0]}'. Known: {', '.join(ATTRIBUTES)}.",
                           code="unknown_attribute", field="attributes")
    language = None
    if get("language") not in (None, ""):
        language = language_code(str(get("language")))
        if language is None:
            raise InvalidQuery(f"Unknown language '{get('language')}'. Use a code such as "
                               f"{', '.join(list(LANGUAGES)[:6])}.", field="language")
    when = (get("when") or "").strip().lower() or None
    if _bool(get("open_now"), "open_now"):
        when = when or "now"
    if when and when not in WHEN_VALUES:
        raise InvalidQuery(f"when must be one of {', '.join(WHEN_VALUES)}.", field="when")
    q = (get("q") or "").strip() or None
    if q and len(q) > 100:
        raise InvalidQuery("q is too long (100 characters at most).", field="q")
    return SearchQuery(
        origin=origin,
        radius_km=geo.validate_radius(get("radius_km")),
        category=category,
        attributes=tuple(dict.fromkeys(attrs)),
        language=language,
        has_vacancy=_bool(get("has_vacancy"), "has_vacancy"),
        when=when,
        q=q,
        limit=_int(get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=_int(get("offset"), "offset", 0, 0, MAX_OFFSET),
        place=place,
    )


def _filters_sql(query: SearchQuery) -> tuple[str, dict]:
    clauses, params = ["e.active"], {}
    if query.category:
        clauses.append("e.category = :category")
        params["category"] = query.category
    if query.attributes:
        clauses.append("(e.attribute_bits & :amask) = :amask")
        params["amask"] = attribute_mask(query.attributes)
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


def _candidates(session, query: SearchQuery, radius_km: float):
    """(id, sal_id, service_id, lat, lon) of filtered entries in the box around the circle."""
    where, params = _filters_sql(query)
    sqlite = session.get_bind().dialect.name == "sqlite"
    rows = []
    for i, (a, b, c, d) in enumerate(geo.split_antimeridian(geo.bounding_box(query.origin, radius_km))):
        p = dict(params, min_lat=a, max_lat=b, min_lon=c, max_lon=d)
        if sqlite:
            sql = ("SELECT e.id, e.service_at_location_id, e.service_id, e.latitude, e.longitude "
                   "FROM search_rtree r JOIN search_entry e ON e.id = r.id "
                   "WHERE r.max_lat >= :min_lat AND r.min_lat <= :max_lat "
                   "AND r.max_lon >= :min_lon AND r.min_lon <= :max_lon AND " + where)
        else:
            sql = ("SELECT e.id, e.service_at_location_id, e.service_id, e.latitude, e.longitude "
                   "FROM search_entry e WHERE e.latitude BETWEEN :min_lat AND :max_lat "
                   "AND e.longitude BETWEEN :min_lon AND :max_lon AND " + where)
        rows.extend(session.execute(text(sql), p).all())
    return rows


def search(session, query: SearchQuery, now: dt.datetime | None = None) -> SearchResult:
    now = now or dt.datetime.now(dt.timezone.utc)
    wanted = query.offset + query.limit + 1  # one more tells us whether there is a next page
    radius = min(query.radius_km, FIRST_RADIUS_KM)
    lat0, lon0 = query.origin.lat, query.origin.lon
    slots: dict = {}
    while True:
        hits = []
        for eid, sal_id, service_id, lat, lon in _candidates(session, query, radius):
            d = geo.distance_km(lat0, lon0, lat, lon)
            if d <= radius:
                hits.append(Hit(eid, sal_id, service_id, lat, lon, d))
        hits.sort(key=lambda h: (h.distance_km, h.entry_id))
        if query.when:
            hits = _time_filter(session, hits, query.when, now, wanted, slots)
        if len(hits) >= wanted or radius >= query.radius_km:
            break
        radius = min(query.radius_km, radius * GROWTH)
    # Without a time filter, a search that reached the full radius has seen every match.
    complete = radius >= query.radius_km and (not query.when or len(hits) < wanted)
    total = len(hits) if complete else None
    page = hits[query.offset:query.offset + query.limit]
    return SearchResult(page, len(hits) > query.offset + query.limit, total, radius, query, slots)


def load_slots(session, sal_ids) -> dict[str, tuple[str | None, list[sched.Slot]]]:
    """Schedules of these service-at-locations (their own, or their service's), with the zone."""
    sal_ids = list(sal_ids)
    if not sal_ids:
        return {}
    sal_rows = session.execute(
        select(ServiceAtLocation.id, ServiceAtLocation.service_id, Location.timezone)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .where(ServiceAtLocation.id.in_(sal_ids))).all()
    service_ids = {r[1] for r in sal_rows}
    by_sal, by_service = {}, {}
    for row in session.scalars(select(Schedule).where(
            (Schedule.service_at_location_id.in_(sal_ids)) |
            ((Schedule.service_id.in_(service_ids)) & (Schedule.service_at_location_id.is_(None))))):
        slot = sched.Slot.from_row(row)
        if row.service_at_location_id:
            by_sal.setdefault(row.service_at_location_id, []).append(slot)
        else:
            by_service.setdefault(row.service_id, []).append(slot)
    return {sal_id: (tz, by_sal.get(sal_id) or by_service.get(service_id, []))
            for sal_id, service_id, tz in sal_rows}


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


def _time_filter(session, hits, when, now, wanted, cache) -> list[Hit]:
    kept = []
    for i in range(0, len(hits), 200):
        chunk = hits[i:i + 200]
        missing = [h.service_at_location_id for h in chunk if h.service_at_location_id not in cache]
        cache.update(load_slots(session, missing))
        kept.extend(h for h in chunk if matches_when(when, cache.get(h.service_at_location_id, (None, [])), now))
        if len(kept) >= wanted:
            break
    return kept


def log_search(session, query: SearchQuery, channel: str, result_count: int) -> None:
    """Record what was searched and where (no personal data) for the needs-and-gaps report."""
    from directory.models import SearchLog
    filters = ",".join(list(query.attributes) + ([f"lang:{query.language}"] if query.language else [])
                       + ([f"when:{query.when}"] if query.when else [])
                       + (["vacancy"] if query.has_vacancy else []))
    session.add(SearchLog(
        channel=channel, category=query.category,
        postal_code=query.place.postal_code if query.place else None,
        place_label=query.place.label[:100] if query.place else None,
        latitude=round(query.origin.lat, 2), longitude=round(query.origin.lon, 2),
        filters=filters[:300] or None, result_count=result_count))
