"""Searches whose place could not be found: the clearest gap in the needs-and-gaps report.

A row in `search_log` like any search, with no coordinates and no results; its filters start with
`place:unknown` (that is how the report tells them apart), and the place is kept as typed only when
it is a ZIP or a place name: a street address could be someone's home, so it is kept as "(an
address)". No personal data, as for every search.
"""
from __future__ import annotations

import re

from directory.catalog.models import SearchLog

AN_ADDRESS = "(an address)"
UNKNOWN_PLACE = "place:unknown"  # first in `filters`
_ZIP = re.compile(r"^\d{5}(?:-\d{4})?$")
_PLACE_NAME = re.compile(r"^[^\d@]{2,60}$")


def place_text(typed: str | None) -> str:
    """What the report may show of the place someone typed: a ZIP or a place name, else '(an address)'."""
    text = " ".join((typed or "").split())
    if _ZIP.match(text):
        return text[:5]
    if _PLACE_NAME.match(text):
        return text[:100]
    return AN_ADDRESS


def search_filters(args) -> str | None:
    """The filters of a search from its request parameters, in log_search's form
    (attributes, lang:, when:, vacancy), so the report reads both alike."""
    getlist = getattr(args, "getlist", None)
    attributes = getlist("attributes") if getlist else []
    if not attributes and args.get("attributes"):
        attributes = str(args.get("attributes")).split(",")
    parts = [a.strip() for a in attributes if a and a.strip()]
    if args.get("language"):
        parts.append(f"lang:{args.get('language')}")
    when = args.get("when") or ("now" if str(args.get("open_now", "")).lower() in ("1", "true", "yes", "on") else "")
    if when:
        parts.append(f"when:{when}")
    if str(args.get("has_vacancy", "")).lower() in ("1", "true", "yes", "on"):
        parts.append("vacancy")
    return ",".join(parts)[:300] or None


def log_unknown_place(session, typed: str | None, channel: str, category: str | None = None,
                      filters: str | None = None) -> None:
    session.add(SearchLog(channel=channel, category=category or None, postal_code=None,
                          place_label=place_text(typed), latitude=None, longitude=None,
                          filters=",".join(p for p in (UNKNOWN_PLACE, filters) if p)[:300], result_count=0))
