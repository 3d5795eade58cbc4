"""HSDS 3.0 documents from our rows: the read API (/api/v1/services, ...) and the export use these.

Shapes follow ../shared/data/hsds-3.0/schema (compiled/service.json etc.); tests validate them.
Our additions that HSDS 3.0 lacks travel as attributes (category, attribute codes), as HSDS 3.1's
service capacity (`capacities`), as the IANA zone beside the UTC offset (`timezone_name`) and as an
`organization_identifiers` entry naming the source: additional properties the schemas allow, so
exports stay valid HSDS 3.0 and a round trip keeps them.
"""
from __future__ import annotations

import datetime as dt

from directory.catalog.models import Address, Attribute, Language, Location, Organization, Phone, Schedule, Service, ServiceAtLocation, TaxonomyTerm


def _s(value):
    return None if value is None else value


def _date(value):
    return value.isoformat() if value else None


def _clean(d: dict) -> dict:
    """Drop None values: HSDS fields are optional but, when present, must have the right type."""
    return {k: v for k, v in d.items() if v is not None}


def taxonomy_term(t: TaxonomyTerm) -> dict:
    return _clean({"id": t.id, "code": t.code, "name": t.name, "description": t.description or t.name,
                   "parent_id": t.parent_id, "taxonomy": t.taxonomy, "taxonomy_id": t.taxonomy,
                   "language": t.language, "term_uri": t.term_uri})


TAXONOMY_DESCRIPTIONS = {"signpost-category": "Signpost's need categories (support_group, sober_living, housing, "
                                              "transportation, treatment).",
                         "signpost-attribute": "Signpost's filters (women only, MAT-friendly, wheelchair access...).",
                         "meeting-guide": "Meeting Guide meeting types."}


def taxonomy(name: str) -> dict:
    """A taxonomy: we keep only its name on each term, which serves as its id (a UUID in documents)."""
    return {"id": name, "name": name,
            "description": TAXONOMY_DESCRIPTIONS.get(name, f"The terms of the {name} taxonomy, as imported.")}


def attribute(a: Attribute) -> dict:
    return _clean({"id": a.id, "link_id": a.link_id, "link_type": a.link_type or "", "link_entity": a.link_entity,
                   "taxonomy_term_id": a.taxonomy_term_id, "value": a.value,
                   "taxonomy_term": taxonomy_term(a.taxonomy_term) if a.taxonomy_term else None})


def phone(p: Phone) -> dict:
    return _clean({"id": p.id, "location_id": p.location_id, "service_id": p.service_id,
                   "organization_id": p.organization_id, "number": p.number, "extension": _num(p.extension),
                   "type": p.type, "description": p.description, "languages": []})


def _num(value):
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def utc_offset_hours(zone: str | None, at: dt.datetime | None = None) -> float | None:
    """HSDS 3.0's schedule `timezone`: the zone's UTC offset in hours (now, or at `at`)."""
    if not zone:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    offset = (at or dt.datetime.now(dt.timezone.utc)).astimezone(tz).utcoffset()
    return offset.total_seconds() / 3600 if offset is not None else None


def schedule(s: Schedule, zone: str | None = None) -> dict:
    """`zone`: the IANA time zone of the place (the schedule's own when it has one). HSDS carries it
    as a UTC offset (`timezone`); `timezone_name` keeps the zone itself, so daylight saving survives."""
    zone = s.timezone or zone
    return _clean({
        "id": s.id, "service_id": s.service_id, "location_id": s.location_id,
        "service_at_location_id": s.service_at_location_id, "valid_from": _date(s.valid_from),
        "valid_to": _date(s.valid_to), "timezone": utc_offset_hours(zone), "timezone_name": zone,
        "freq": (s.freq or "").upper() or None,
        "interval": s.interval, "byday": s.byday,
        "opens_at": s.opens_at.strftime("%H:%M") if s.opens_at else None,
        "closes_at": s.closes_at.strftime("%H:%M") if s.closes_at else None,
        "description": s.description, "attending_type": s.attending_type, "notes": s.notes})


def language(l: Language) -> dict:
    return _clean({"id": l.id, "service_id": l.service_id, "location_id": l.location_id,
                   "name": l.name, "code": l.code, "note": l.note})


def address(a: Address) -> dict:
    return _clean({"id": a.id, "location_id": a.location_id, "attention": a.attention,
                   "address_1": a.address_1 or "", "address_2": a.address_2, "city": a.city or "",
                   "region": a.region, "state_province": a.state_province or "",
                   "postal_code": a.postal_code or "", "country": a.country or "US",
                   "address_type": a.address_type or "physical"})


def location(loc: Location, attributes=()) -> dict:
    return _clean({
        "id": loc.id, "location_type": loc.location_type or "physical", "url": loc.url,
        "organization_id": loc.organization_id, "name": loc.name, "alternate_name": loc.alternate_name,
        "description": loc.description, "transportation": loc.transportation,
        "latitude": loc.latitude, "longitude": loc.longitude,
        "external_identifier": loc.external_identifier, "external_identifier_type": loc.external_identifier_type,
        "timezone_name": loc.timezone,  # HSDS has none on locations; an online meeting's zone survives a round trip
        "addresses": [address(a) for a in loc.addresses],
        "phones": [phone(p) for p in loc.phones],
        "accessibility": [_clean({"id": a.id, "location_id": a.location_id, "description": a.description,
                                   "details": a.details, "url": a.url}) for a in loc.accessibility],
        "attributes": [attribute(a) for a in attributes],
    })


SOURCE_SCHEME = "signpost"  # organization_identifiers: where a record came from (demo, meeting-guide, hsds...)


def organization(org: Organization, services=None) -> dict:
    doc = _clean({"id": org.id, "name": org.name, "alternate_name": org.alternate_name,
                  "description": org.description or "", "email": org.email, "website": org.website,
                  "legal_status": org.legal_status, "year_incorporated": org.year_incorporated})
    if org.source:
        doc["organization_identifiers"] = [{"id": f"{org.id}#source", "organization_id": org.id,
                                            "identifier_scheme": SOURCE_SCHEME, "identifier_type": "source",
                                            "identifier": org.source}]
    if services is not None:
        doc["services"] = services
    return doc


def service(svc: Service, attributes_by_link: dict | None = None, full: bool = True) -> dict:
    attrs = (attributes_by_link or {}).get(svc.id, [])
    doc = _clean({
        "id": svc.id, "organization_id": svc.organization_id, "name": svc.name,
        "alternate_name": svc.alternate_name, "description": svc.description, "url": svc.url,
        "email": svc.email, "status": svc.status or "active",
        "interpretation_services": svc.interpretation_services,
        "application_process": svc.application_process, "fees_description": svc.fees_description,
        "eligibility_description": svc.eligibility_description, "minimum_age": svc.minimum_age,
        "maximum_age": svc.maximum_age, "assured_date": _date(svc.assured_date),
        "assurer_email": svc.assurer_email, "alert": svc.alert,
        "last_modified": (svc.last_modified.replace(tzinfo=dt.timezone.utc).isoformat()
                          if svc.last_modified else None),
    })
    if not full:
        return doc
    if svc.capacity_available is not None or svc.capacity_maximum is not None:
        doc["capacities"] = [capacity(svc)]
    doc.update({
        "phones": [phone(p) for p in svc.phones],
        "schedules": [schedule(s, _zone_of(svc)) for s in svc.schedules],
        "languages": [language(l) for l in svc.languages],
        "attributes": [attribute(a) for a in attrs],
        "organization": organization(svc.organization),
        "service_at_locations": [service_at_location(sal, attributes_by_link, with_service=False)
                                 for sal in svc.service_at_locations],
    })
    return doc


def _zone_of(svc: Service) -> str | None:
    return next((sal.location.timezone for sal in svc.service_at_locations
                 if sal.location is not None and sal.location.timezone), None)


def capacity(svc: Service) -> dict:
    """HSDS 3.1's service_capacity (3.0 has none; additional properties are allowed): the beds free now."""
    unit = svc.capacity_unit or "beds"
    return _clean({"id": f"{svc.id}#capacity", "service_id": svc.id,
                   "unit": {"id": f"signpost-unit-{unit}", "name": unit, "scheme": "signpost"},
                   "available": svc.capacity_available, "maximum": svc.capacity_maximum,
                   "updated": (svc.capacity_updated_at.replace(tzinfo=dt.timezone.utc).isoformat()
                               if svc.capacity_updated_at else None)})


def service_at_location(sal: ServiceAtLocation, attributes_by_link: dict | None = None,
                        with_service: bool = True) -> dict:
    loc_attrs = (attributes_by_link or {}).get(sal.location_id, [])
    doc = _clean({"id": sal.id, "service_id": sal.service_id, "location_id": sal.location_id,
                  "description": sal.description,
                  "location": location(sal.location, loc_attrs) if sal.location else None})
    if with_service:
        doc["service"] = service(sal.service, attributes_by_link, full=False)
    return doc


def attributes_by_link(session, link_ids, entities=("service", "location")) -> dict[str, list[Attribute]]:
    """The attributes of these services and locations, by their id. Naming link_entity lets
    ix_attribute_link (link_entity, link_id) find them: without it SQLite reads the whole table
    for each call (74 ms for a service's document at 100,000 listings)."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload
    out: dict[str, list[Attribute]] = {}
    ids = list(link_ids)
    for i in range(0, len(ids), 500):
        for a in session.scalars(select(Attribute).where(Attribute.link_entity.in_(entities),
                                                         Attribute.link_id.in_(ids[i:i + 500]))
                                 .options(selectinload(Attribute.taxonomy_term))):
            out.setdefault(a.link_id, []).append(a)
    return out
