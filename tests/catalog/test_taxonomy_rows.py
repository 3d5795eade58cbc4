"""The plain attribute rows importers write are exactly the ORM links' columns."""
from __future__ import annotations

from directory.catalog.models import Attribute
from directory.catalog.taxonomy import attribute_link, attribute_link_row, category_link, category_link_row


def columns(attr: Attribute) -> dict:
    return {c.name: getattr(attr, c.key) for c in Attribute.__table__.columns}


def test_rows_and_orm_links_agree():
    assert attribute_link_row("mg-oc:x", "women") == columns(attribute_link("mg-oc:x", "women"))
    assert attribute_link_row("loc-1", "wheelchair", link_entity="location", attr_id="a1") == \
        columns(attribute_link("loc-1", "wheelchair", link_entity="location", attr_id="a1"))
    assert category_link_row("mg-oc:x", "support_group") == columns(category_link("mg-oc:x", "support_group"))
    assert attribute_link_row("mg-oc:x", "women")["id"] != attribute_link_row("mg-oc:y", "women")["id"]
