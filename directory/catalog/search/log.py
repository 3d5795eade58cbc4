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

`build_query` is the one place where search arguments are validated.
"""
from __future__ import annotations



from directory.catalog.search.query import SearchQuery


def log_search(session, query: SearchQuery, channel: str, result_count: int) -> None:
    """Record what was searched and where (no personal data) for the needs-and-gaps report."""
    from directory.catalog.models import SearchLog
    filters = ",".join(list(query.attributes) + ([f"lang:{query.language}"] if query.language else [])
                       + ([f"when:{query.when}"] if query.when else [])
                       + (["vacancy"] if query.has_vacancy else []))
    session.add(SearchLog(
        channel=channel, category=query.category,
        postal_code=query.place.postal_code if query.place else None,
        place_label=query.place.label[:100] if query.place else None,
        latitude=round(query.origin.lat, 2), longitude=round(query.origin.lon, 2),
        filters=filters[:300] or None, result_count=result_count))
