"""A search's arguments, validated in one place (`build_query`): place, radius, need, filters, time
words, paging. Bad input raises InvalidQuery (the API answers 400)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping


from directory.catalog import geo
from directory.catalog.geo import InvalidQuery, Point
from directory.catalog.geocode import Place, default_geocoder
from directory.catalog.codes import ATTRIBUTES, CATEGORIES, LANGUAGES, fellowship_codes, language_code

MAX_LIMIT = 100
DEFAULT_LIMIT = 10
MAX_OFFSET = 1000
WHEN_VALUES = ("now", "today", "tonight")


@dataclass(frozen=True)
class SearchQuery:
    origin: Point
    radius_km: float = geo.DEFAULT_RADIUS_KM
    category: str | None = None
    attributes: tuple[str, ...] = ()
    fellowship: tuple[str, ...] = ()  # attribute codes, any of which matches (codes.FELLOWSHIPS)
    without_attributes: tuple[str, ...] = ()  # none of these (the fellowship fallback: fellowship not recorded)
    language: str | None = None
    has_vacancy: bool = False
    when: str | None = None  # now | today | tonight
    open_now: bool = False  # open at this moment (for meetings too; `when=now` means starting soon for them)
    q: str | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    place: Place | None = None  # what `near` resolved to, for the answer's _meta


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
        n = geo.strict_int(value)
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
    fellowship: list[str] = []
    for name in _list(get("fellowship")):
        codes = fellowship_codes(name)
        if codes is None:
            raise InvalidQuery(f"Unknown fellowship '{name}'. Use one of: AA, NA, Al-Anon, CA, SMART.",
                               code="unknown_fellowship", field="fellowship")
        fellowship += codes
    language = None
    if get("language") not in (None, ""):
        language = language_code(str(get("language")))
        if language is None:
            raise InvalidQuery(f"Unknown language '{get('language')}'. Use a code such as "
                               f"{', '.join(list(LANGUAGES)[:6])}.", field="language")
    when = (get("when") or "").strip().lower() or None
    open_now = _bool(get("open_now"), "open_now")
    if open_now:
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
        fellowship=tuple(dict.fromkeys(fellowship)),
        language=language,
        has_vacancy=_bool(get("has_vacancy"), "has_vacancy"),
        when=when,
        open_now=open_now,
        q=q,
        limit=_int(get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        offset=_int(get("offset"), "offset", 0, 0, MAX_OFFSET),
        place=place,
    )
