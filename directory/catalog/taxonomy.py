"""The taxonomy terms for our categories and attributes, created once in every database."""
from __future__ import annotations

import uuid
from hashlib import sha1

from sqlalchemy import select

from directory.catalog.models import Attribute, TaxonomyTerm
from directory.catalog.codes import ATTRIBUTES, CATEGORIES

CATEGORY_TAXONOMY = "signpost-category"
ATTRIBUTE_TAXONOMY = "signpost-attribute"
_NS = uuid.UUID("6f1c1f2e-4b8e-4e0a-9a7e-2f5d3c1b9a10")
_NS_BYTES = _NS.bytes


# RFC 4122 variant bits on the ninth byte's high hex digit: 0-f -> 8, 9, a, b.
_VARIANT_DIGIT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def stable_id(*parts: str) -> str:
    """The same id for the same parts, so re-imports and re-seeds update instead of duplicating.
    str(uuid.uuid5(_NS, "|".join(parts))), made from the hex digest with string slices (no
    uuid.UUID, no bytearray): a big meeting import makes over a dozen a meeting."""
    h = sha1(_NS_BYTES + "|".join(parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT_DIGIT[h[16]]}{h[17:20]}-{h[20:32]}"


def category_term_id(code: str) -> str:
    return f"signpost-category-{code}"


def attribute_term_id(code: str) -> str:
    return f"signpost-attribute-{code}"


def ensure_vocabulary(session) -> None:
    have = set(session.scalars(select(TaxonomyTerm.id).where(
        TaxonomyTerm.taxonomy.in_((CATEGORY_TAXONOMY, ATTRIBUTE_TAXONOMY)))))
    for code, label in CATEGORIES.items():
        if category_term_id(code) not in have:
            session.add(TaxonomyTerm(id=category_term_id(code), code=code, name=label, description=label,
                                     taxonomy=CATEGORY_TAXONOMY, language="en"))
    for code, (label, group) in ATTRIBUTES.items():
        if attribute_term_id(code) not in have:
            session.add(TaxonomyTerm(id=attribute_term_id(code), code=code, name=label, description=label,
                                     taxonomy=ATTRIBUTE_TAXONOMY, parent_id=None, language="en"))
    session.flush()


def attribute_link_row(link_id: str, code: str, link_entity: str = "service", attr_id: str | None = None) -> dict:
    """The attribute row that gives `link_id` our attribute `code`, as importers write it (a plain
    row: an import writes hundreds of thousands, and an ORM object each cost a third of its time)."""
    return {"id": attr_id or stable_id("attribute", link_entity, link_id, code), "link_id": link_id,
            "link_entity": link_entity, "link_type": "signpost", "taxonomy_term_id": attribute_term_id(code),
            "value": None}


def category_link_row(service_id: str, code: str) -> dict:
    """The attribute row that puts a service in the need category `code`."""
    return {"id": stable_id("category", service_id), "link_id": service_id, "link_entity": "service",
            "link_type": "category", "taxonomy_term_id": category_term_id(code), "value": None}


def attribute_link(link_id: str, code: str, link_entity: str = "service", attr_id: str | None = None) -> Attribute:
    return Attribute(**attribute_link_row(link_id, code, link_entity, attr_id))


def category_link(service_id: str, code: str) -> Attribute:
    return Attribute(**category_link_row(service_id, code))
