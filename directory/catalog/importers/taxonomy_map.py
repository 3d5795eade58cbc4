"""Mapping 211 / AIRS taxonomy codes (the codes Open211 and most HSDS exports carry) to our vocabulary.

Our five need categories are narrow on purpose: a code maps only when the service really is
that kind of help for someone in recovery (an addiction support group, not a grief group;
detox and substance use treatment, not smoking cessation). Everything else keeps its taxonomy
term but gets no category (None). When a service carries codes of several categories the most
specific wins, in the order of CATEGORY_RULES.
"""
from __future__ import annotations

import functools

# (category, code prefixes that map, prefixes excluded from them)
CATEGORY_RULES: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    # Recovery homes / halfway houses (transitional residential substance use services).
    ("sober_living", ("RX-8500",), ()),
    # Detox, SUD treatment programs, medication assisted treatment, SUD assessment/intake.
    ("treatment", ("RX-1700", "RX-8450", "RX-0400.1500", "RX-0400.2500"), ("RX-8450.7900",)),
    # Addiction / substance use support groups (incl. families and friends: Al-Anon, Nar-Anon).
    ("support_group", ("PN-8100.0500",), ("PN-8100.0500-250", "PN-8100.0500-800", "PN-8100.0500-900")),
    # Shelter and housing help (not home buying or loans).
    ("housing", ("BH-0500", "BH-1800", "BH-3800", "BH-3900", "BH-7000", "BH-8400", "BH-8500", "BH-8600",
                 "TH-2600.1580"), ()),
    # Local rides and fare help (not air travel).
    ("transportation", ("BT-4500", "BT-8300"), ()),
]

# Attribute codes implied by taxonomy codes (targets and service types).
ATTRIBUTE_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("mat_friendly", ("RX-8450.5000", "RX-1700.1700-500")),
    ("lgbtq", ("PN-8100.4500-240", "YX-0300.0125")),
    ("veterans", ("PN-8100.4500-850",)),
    ("youth", ("PN-8100.4500-950",)),
    ("al_anon", ("PN-8100.0500-230", "PN-8100.0500-235")),
]


def _matches(code: str, prefixes: tuple[str, ...]) -> bool:
    return any(code == p or code.startswith(p + ".") or code.startswith(p + "-") for p in prefixes)


@functools.lru_cache(maxsize=65536)  # a 211 export has a few thousand codes, on millions of rows
def _code_categories(code: str) -> frozenset[str]:
    return frozenset(category for category, include, exclude in CATEGORY_RULES
                     if _matches(code, include) and not _matches(code, exclude))


@functools.lru_cache(maxsize=65536)
def _code_attributes(code: str) -> frozenset[str]:
    return frozenset(attr for attr, prefixes in ATTRIBUTE_RULES if _matches(code, prefixes))


def category_for_codes(codes) -> str | None:
    found = set()
    for c in codes:
        if c:
            found |= _code_categories(c.strip())
    for category, _include, _exclude in CATEGORY_RULES:
        if category in found:
            return category
    return None


def attributes_for_codes(codes) -> set[str]:
    out: set[str] = set()
    for c in codes:
        if c:
            out |= _code_attributes(c.strip())
    return out
