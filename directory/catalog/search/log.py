"""The search log: what was searched for and where (no personal data), for the needs-and-gaps report."""
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
