"""Keeps `search_entry` (the geo search table) in step with services, locations and attributes.

Call `reindex_services(session, ids)` after changing anything a search filters on; imports call
it once for everything they touched. Set-based: a few queries per batch, not per row.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import bindparam, delete, insert, select, update

from directory.models import (Attribute, Language, Location, Organization, SearchEntry, Service,
                              ServiceAtLocation, TaxonomyTerm)
from directory.vocab import ATTRIBUTE_BITS, language_code, language_mask

BATCH = 500


def reindex_services(session, service_ids) -> int:
    """Rebuild the search entries of these services. Returns how many entries now exist for them."""
    ids = list(dict.fromkeys(service_ids))
    written = 0
    for i in range(0, len(ids), BATCH):
        written += _reindex_batch(session, ids[i:i + BATCH])
    return written


def reindex_all(session, progress=None) -> int:
    ids = session.scalars(select(Service.id).order_by(Service.id)).all()
    total = 0
    for i in range(0, len(ids), BATCH):
        total += _reindex_batch(session, ids[i:i + BATCH])
        if progress:
            progress(min(BATCH, len(ids) - i))
    return total


def _reindex_batch(session, ids: list[str]) -> int:
    rows = session.execute(
        select(ServiceAtLocation.id, ServiceAtLocation.service_id, ServiceAtLocation.location_id,
               Location.latitude, Location.longitude, Location.location_type, Location.name,
               Service.name, Service.alternate_name, Service.category, Service.status,
               Service.capacity_available, Organization.name)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .join(Service, Service.id == ServiceAtLocation.service_id)
        .join(Organization, Organization.id == Service.organization_id)
        .where(ServiceAtLocation.service_id.in_(ids))
    ).all()
    location_ids = {r[2] for r in rows}

    attr_bits: dict[str, int] = defaultdict(int)  # by service id or location id
    for link_id, code in session.execute(
            select(Attribute.link_id, TaxonomyTerm.code)
            .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
            # Naming link_entity lets ix_attribute_link (link_entity, link_id) find the rows; without
            # it SQLite reads every attribute of every term, once per batch.
            .where(TaxonomyTerm.taxonomy == "signpost-attribute", Attribute.link_entity.in_(("service", "location")),
                   Attribute.link_id.in_(list(ids) + list(location_ids)))):
        attr_bits[link_id] |= ATTRIBUTE_BITS.get(code, 0)

    lang_bits: dict[str, int] = defaultdict(int)
    for service_id, location_id, code, name in session.execute(
            select(Language.service_id, Language.location_id, Language.code, Language.name)
            .where((Language.service_id.in_(ids)) | (Language.location_id.in_(list(location_ids))))):
        bit = language_mask([language_code(code or "") or language_code(name or "") or ""])
        lang_bits[service_id or location_id] |= bit

    existing = dict(session.execute(
        select(SearchEntry.service_at_location_id, SearchEntry.id).where(SearchEntry.service_id.in_(ids))).all())
    keep, inserts, updates = set(), [], []
    for (sal_id, service_id, location_id, lat, lon, loc_type, loc_name, name, alt, category, status,
         beds, org_name) in rows:
        if lat is None or lon is None:
            continue  # virtual or ungeocoded: found by the read API, not by distance
        values = dict(
            service_at_location_id=sal_id, service_id=service_id, latitude=lat, longitude=lon,
            category=category, attribute_bits=attr_bits[service_id] | attr_bits[location_id],
            language_bits=lang_bits[service_id] | lang_bits[location_id], beds_available=beds,
            active=(status or "active") == "active",
            search_text=" ".join(p for p in (name, alt, org_name, loc_name) if p).lower(),
        )
        if sal_id in existing:
            keep.add(sal_id)
            updates.append(dict(values, entry_id=existing[sal_id]))
        else:
            inserts.append(values)
    # Core executemany, one statement per batch: the ORM's bulk insert fetches every new id and
    # an UPDATE per row took minutes on a million listings.
    conn, table = session.connection(), SearchEntry.__table__
    if inserts:
        conn.execute(insert(table), inserts)
    if updates:
        conn.execute(update(table).where(table.c.id == bindparam("entry_id")), updates)
    stale = [eid for sal, eid in existing.items() if sal not in keep]
    if stale:
        conn.execute(delete(table).where(table.c.id.in_(stale)))
    return len(keep) + len(inserts)
