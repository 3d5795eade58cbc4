"""The fellowship of a meeting feed (AA, NA, Al-Anon, CA, SMART, or any other named one).

Meeting feeds rarely tag the fellowship on each meeting: it is the feed's. So the importer takes
it as an option (`--fellowship AA`, case-insensitive, a known name or free text) or infers it
from the feed's own words (its file name or URL, source key, entity, the meetings' web pages),
and records it on every meeting: the attribute code (codes.FELLOWSHIPS, what search filters on)
when the fellowship is a known one, and always a term of the `fellowship` taxonomy whose value is
the fellowship's name (free text included), so a listing says which fellowship it belongs to.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from directory.catalog.importers.errors import ImportFailed
from directory.catalog.taxonomy import attribute_link_row, stable_id

TAXONOMY = "fellowship"

# code -> (name, spellings people and feeds use). The codes are attribute codes (codes.FELLOWSHIPS).
KNOWN: dict[str, tuple[str, tuple[str, ...]]] = {
    "aa": ("Alcoholics Anonymous", ("aa", "alcoholics anonymous", "alcoholicos anonimos")),
    "na": ("Narcotics Anonymous", ("na", "narcotics anonymous", "narcoticos anonimos")),
    "al_anon": ("Al-Anon Family Groups", ("al-anon", "alanon", "al anon", "al_anon", "alateen",
                                          "al-anon family groups")),
    "ca": ("Cocaine Anonymous", ("ca", "cocaine anonymous")),
    "smart_recovery": ("SMART Recovery", ("smart", "smart recovery", "smart_recovery")),
}
_BY_SPELLING = {spelling: code for code, (_name, spellings) in KNOWN.items() for spelling in spellings}

# Signals in a feed's words. "aa" counts as the start of a word ("aasanjose", "oc-aa.org"); the
# two-letter NA and CA must stand alone ("na-berlin"), as "nashville" or "ca" (California) abound.
_SIGNALS: tuple[tuple[str, re.Pattern], ...] = (
    ("al_anon", re.compile(r"al-?anon|alateen", re.I)),
    ("smart_recovery", re.compile(r"smart ?recovery", re.I)),
    ("ca", re.compile(r"cocaine anonymous|(?<![a-z])ca\.org", re.I)),
    ("na", re.compile(r"narcotics anonymous|(?<![a-z0-9])na(?![a-z0-9])|bmlt", re.I)),
    ("aa", re.compile(r"alcoholics anonymous|(?<![a-z])aa", re.I)),
)
# Meeting Guide types that say a whole feed is Al-Anon's when most meetings carry them.
_AL_ANON_TYPES = {"AL-AN", "AL"}


@dataclass(frozen=True)
class Fellowship:
    code: str | None  # an attribute code (codes.FELLOWSHIPS), None for a free-text fellowship
    name: str

    @property
    def term_id(self) -> str:
        return f"{TAXONOMY}:{self.code or stable_id(TAXONOMY, self.name.lower())[:13]}"


def named(value: str) -> Fellowship:
    """'AA', 'al-anon', 'Narcotics Anonymous' -> the known fellowship; other text is kept as given."""
    raw = (value or "").strip()
    if not raw:
        raise ImportFailed("--fellowship", "is empty: give a name such as AA, NA, Al-Anon, CA or SMART")
    code = _BY_SPELLING.get(re.sub(r"\s+", " ", raw.lower()))
    if code:
        return Fellowship(code, KNOWN[code][0])
    return Fellowship(None, raw[:300])


def from_words(*texts) -> Fellowship | None:
    """The first fellowship a feed's words name (its path or URL, source key, entity...), else None."""
    words = " ".join(str(t) for t in texts if t)
    for code, pattern in _SIGNALS:
        if pattern.search(words):
            return Fellowship(code, KNOWN[code][0])
    return None


def from_types(types_per_meeting: list[list[str]]) -> Fellowship | None:
    """Al-Anon when most of a feed's meetings carry an Al-Anon type."""
    if not types_per_meeting:
        return None
    al_anon = sum(1 for types in types_per_meeting if _AL_ANON_TYPES & set(types))
    return Fellowship("al_anon", KNOWN["al_anon"][0]) if al_anon * 2 > len(types_per_meeting) else None


def term_row(fellowship: Fellowship) -> dict:
    return {"id": fellowship.term_id, "code": (fellowship.code or fellowship.name)[:100], "name": fellowship.name,
            "description": f"Meetings of {fellowship.name}", "taxonomy": TAXONOMY, "language": "en"}


def attribute_rows(service_id: str, fellowship: Fellowship) -> list[dict]:
    """The meeting's fellowship: the searchable attribute code (when known) and the named term."""
    rows = [{"id": stable_id("fellowship", service_id), "link_id": service_id, "link_entity": "service",
             "link_type": TAXONOMY, "taxonomy_term_id": fellowship.term_id, "value": fellowship.name}]
    if fellowship.code:
        rows.append(attribute_link_row(service_id, fellowship.code))
    return rows
