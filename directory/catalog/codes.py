"""The fixed vocabularies: need categories, attribute codes and language codes.

Search keeps attributes and languages as bitmasks on each search entry, so each code here owns
one bit. Append new codes at the end: the bit positions are stored in the database.
"""
from __future__ import annotations

from functools import lru_cache

CATEGORIES: dict[str, str] = {
    "support_group": "Support groups and meetings",
    "sober_living": "Sober living and recovery residences",
    "housing": "Housing and shelter",
    "transportation": "Transportation and rides",
    "treatment": "Treatment (detox, MAT, outpatient, residential)",
}
# The category's number in SQLite's search R*Tree (its third dimension; migration 0006 has a frozen copy).
CATEGORY_CODES: dict[str, int] = {code: i for i, code in enumerate(CATEGORIES, start=1)}

# code -> (label, group). Groups let the web show filters in sections.
ATTRIBUTES: dict[str, tuple[str, str]] = {
    "women": ("Women only", "gender"),
    "men": ("Men only", "gender"),
    "lgbtq": ("LGBTQ+", "population"),
    "mat_friendly": ("MAT-friendly (methadone, buprenorphine, naltrexone)", "recovery"),
    "wheelchair": ("Wheelchair accessible", "access"),
    "free": ("Free", "cost"),
    "sliding_scale": ("Sliding scale", "cost"),
    "insurance": ("Takes insurance / Medicaid", "cost"),
    "online": ("Online", "format"),
    "in_person": ("In person", "format"),
    "youth": ("Young people", "population"),
    "families_with_children": ("Families with children", "population"),
    "veterans": ("Veterans", "population"),
    "open_meeting": ("Open meeting (anyone may attend)", "meeting"),
    "closed_meeting": ("Closed meeting (for people with the problem)", "meeting"),
    "speaker": ("Speaker meeting", "meeting"),
    "step_study": ("Step study", "meeting"),
    "big_book": ("Big Book", "meeting"),
    "beginners": ("Newcomers / beginners", "meeting"),
    "discussion": ("Discussion", "meeting"),
    "pets_allowed": ("Pets allowed", "housing"),
    "walk_in": ("Walk-in, no appointment", "access"),
    "smart_recovery": ("SMART Recovery", "meeting"),
    "na": ("Narcotics Anonymous", "meeting"),
    "aa": ("Alcoholics Anonymous", "meeting"),
    "al_anon": ("Al-Anon / family groups", "meeting"),
    "ca": ("Cocaine Anonymous", "meeting"),
    "temporarily_closed": ("Meeting place temporarily closed (meets online)", "format"),
}
# Bits are 0..30: search_entry.attribute_bits is a 32-bit INTEGER on PostgreSQL.
assert len(ATTRIBUTES) <= 31, "attribute_bits would overflow a PostgreSQL integer"

# The fellowships a meeting may belong to (attribute codes above); importers record a feed's one.
FELLOWSHIPS: tuple[str, ...] = ("aa", "na", "al_anon", "ca", "smart_recovery")
ATTRIBUTE_BITS: dict[str, int] = {code: 1 << i for i, code in enumerate(ATTRIBUTES)}

# ISO 639-1 codes with a bit each; other languages are stored but not filterable by bitmask.
LANGUAGES: dict[str, str] = {
    "en": "English", "es": "Spanish", "fr": "French", "zh": "Chinese", "vi": "Vietnamese",
    "ko": "Korean", "tl": "Tagalog", "ru": "Russian", "ar": "Arabic", "fa": "Persian",
    "pl": "Polish", "pt": "Portuguese", "ht": "Haitian Creole", "hy": "Armenian", "ja": "Japanese",
    "de": "German", "it": "Italian", "hi": "Hindi", "asl": "American Sign Language",
}
LANGUAGE_BITS: dict[str, int] = {code: 1 << i for i, code in enumerate(LANGUAGES)}
LANGUAGE_BY_NAME: dict[str, str] = {name.lower(): code for code, name in LANGUAGES.items()}


def attribute_mask(codes) -> int:
    mask = 0
    for code in codes:
        mask |= ATTRIBUTE_BITS[code]
    return mask


def attribute_codes(mask: int) -> list[str]:
    return [code for code, bit in ATTRIBUTE_BITS.items() if mask & bit]


def language_mask(codes) -> int:
    mask = 0
    for code in codes:
        mask |= LANGUAGE_BITS.get(code, 0)
    return mask


_THREE_LETTER = {"eng": "en", "spa": "es", "fra": "fr", "fre": "fr", "zho": "zh", "chi": "zh",
                 "vie": "vi", "kor": "ko", "tgl": "tl", "rus": "ru", "ara": "ar", "fas": "fa",
                 "per": "fa", "pol": "pl", "por": "pt", "hat": "ht", "hye": "hy", "jpn": "ja",
                 "deu": "de", "ger": "de", "ita": "it", "hin": "hi", "ase": "asl"}


@lru_cache(maxsize=2048)  # a few spellings recur across a whole import
def language_code(value: str) -> str | None:
    """'Spanish', 'es', 'ES', 'spa' -> 'es'; unknown -> None."""
    v = (value or "").strip().lower()
    if v in LANGUAGES:
        return v
    if v in LANGUAGE_BY_NAME:
        return LANGUAGE_BY_NAME[v]
    return _THREE_LETTER.get(v)
