"""Turning rows into the JSON shapes of the search API and the listing detail.

List items are small (what a result line needs); the detail carries everything a person needs
to get there. HSDS-shaped documents for the read API and the export live in directory/hsds.py.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from directory import schedules as sched
from directory.models import (Attribute, Location, Organization, Service, ServiceAtLocation,
                              TaxonomyTerm)
from directory.search import SearchResult, load_slots
from directory.vocab import attribute_codes, language_code


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc).isoformat()
    return value.isoformat()


def _phone(service: Service, location: Location | None) -> str | None:
    phones = list(service.phones) + (list(location.phones) if location else [])
    voice = [p for p in phones if (p.type or "voice") in ("voice", "cell", "text")]
    p = (voice or phones or [None])[0]
    return None if p is None else p.number + (f" x{p.extension}" if p.extension else "")


def _address(location: Location | None) -> str | None:
    if location is None or not location.addresses:
        return None
    physical = [a for a in location.addresses if a.address_type == "physical"] or location.addresses
    return physical[0].one_line()


def time_facts(slot_info, now: dt.datetime) -> dict:
    tz_name, slots = slot_info
    if not slots:
        return {"open_now": None, "hours_today": None, "next_meeting": None}
    local = now.astimezone(sched.zone(tz_name))
    nxt = sched.next_start(slots, now, tz_name)
    return {
        "open_now": sched.is_open(slots, now, tz_name),
        "hours_today": sched.hours_on(slots, local.date()),
        "next_meeting": None if nxt is None else {"start": nxt.isoformat(), "label": sched.label_start(nxt, now)},
    }


def capacity(service: Service) -> dict | None:
    if service.capacity_available is None and service.capacity_maximum is None:
        return None
    return {"available": service.capacity_available, "maximum": service.capacity_maximum,
            "unit": service.capacity_unit or "beds", "updated_at": iso(service.capacity_updated_at),
            "updated_by": service.capacity_updated_by}


def _attr_codes(session, ids) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for link_id, code in session.execute(
            select(Attribute.link_id, TaxonomyTerm.code).join(TaxonomyTerm)
            .where(TaxonomyTerm.taxonomy == "signpost-attribute", Attribute.link_id.in_(list(ids)))):
        out.setdefault(link_id, []).append(code)
    return out


def _languages(service: Service) -> list[str]:
    codes = [language_code(l.code or "") or language_code(l.name or "") or (l.code or l.name) for l in service.languages]
    return list(dict.fromkeys(c for c in codes if c))


def search_items(session, result: SearchResult, now: dt.datetime, base_url: str = "") -> list[dict]:
    hits = result.hits
    if not hits:
        return []
    sals = {s.id: s for s in session.scalars(
        select(ServiceAtLocation).where(ServiceAtLocation.id.in_([h.service_at_location_id for h in hits]))
        .options(selectinload(ServiceAtLocation.service).selectinload(Service.organization),
                 selectinload(ServiceAtLocation.service).selectinload(Service.phones),
                 selectinload(ServiceAtLocation.service).selectinload(Service.languages),
                 selectinload(ServiceAtLocation.location).selectinload(Location.addresses),
                 selectinload(ServiceAtLocation.location).selectinload(Location.phones)))}
    missing = [h.service_at_location_id for h in hits if h.service_at_location_id not in result.slots]
    slots = dict(result.slots)
    slots.update(load_slots(session, missing))
    attrs = _attr_codes(session, {h.service_id for h in hits} | {s.location_id for s in sals.values()})
    items = []
    for h in hits:
        sal = sals[h.service_at_location_id]
        svc, loc = sal.service, sal.location
        item = {
            "service_id": svc.id,
            "service_at_location_id": sal.id,
            "name": svc.name,
            "organization": svc.organization.name,
            "category": svc.category,
            "distance_km": round(h.distance_km, 3),
            "latitude": h.latitude,
            "longitude": h.longitude,
            "address": _address(loc),
            "phone": _phone(svc, loc),
            "capacity": capacity(svc),
            "attributes": sorted(set(attrs.get(svc.id, []) + attrs.get(loc.id, []))),
            "languages": _languages(svc),
            "last_verified": iso(svc.assured_date),
            "url": f"{base_url}/services/{svc.id}",
            "location_name": loc.name,
            "online_url": loc.url if loc.location_type == "virtual" else None,
        }
        item.update(time_facts(slots.get(sal.id, (None, [])), now))
        items.append(item)
    return items


def service_detail(session, service_id: str, now: dt.datetime, base_url: str = "") -> dict | None:
    svc = session.scalars(select(Service).where(Service.id == service_id).options(
        selectinload(Service.organization), selectinload(Service.phones), selectinload(Service.languages),
        selectinload(Service.schedules),
        selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
        .selectinload(Location.addresses),
        selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
        .selectinload(Location.accessibility))).first()
    if svc is None:
        return None
    slot_map = load_slots(session, [s.id for s in svc.service_at_locations])
    locations = []
    for sal in svc.service_at_locations:
        loc = sal.location
        tz_name, slots = slot_map.get(sal.id, (loc.timezone, []))
        locations.append({
            "service_at_location_id": sal.id,
            "location_id": loc.id,
            "name": loc.name,
            "location_type": loc.location_type,
            "address": _address(loc),
            "latitude": loc.latitude,
            "longitude": loc.longitude,
            "timezone": loc.timezone,
            "transportation": loc.transportation,
            "accessibility": [a.description for a in loc.accessibility if a.description],
            "online_url": loc.url,
            "schedules": [_schedule_json(s) for s in slots],
            **time_facts((tz_name, slots), now),
        })
    attrs = _attr_codes(session, [svc.id] + [s.location_id for s in svc.service_at_locations])
    first = locations[0] if locations else {}
    return {
        "service_id": svc.id,
        "name": svc.name,
        "alternate_name": svc.alternate_name,
        "organization": svc.organization.name,
        "organization_id": svc.organization_id,
        "category": svc.category,
        "status": svc.status,
        "description": svc.description,
        "url": svc.url,
        "email": svc.email,
        "phone": _phone(svc, None) or None,
        "phones": [{"number": p.number, "extension": p.extension, "type": p.type, "description": p.description}
                   for p in svc.phones],
        "address": first.get("address"),
        "latitude": first.get("latitude"),
        "longitude": first.get("longitude"),
        "eligibility": svc.eligibility_description,
        "application_process": svc.application_process,
        "fees": svc.fees_description,
        "interpretation_services": svc.interpretation_services,
        "alert": svc.alert,
        "capacity": capacity(svc),
        "attributes": sorted({c for v in attrs.values() for c in v}),
        "languages": _languages(svc),
        "last_verified": iso(svc.assured_date),
        "verified_by": svc.assurer_email,
        "last_modified": iso(svc.last_modified),
        "locations": locations,
        "open_now": first.get("open_now"),
        "hours_today": first.get("hours_today"),
        "next_meeting": first.get("next_meeting"),
        "page_url": f"{base_url}/services/{svc.id}",
    }


def _schedule_json(slot: sched.Slot) -> dict:
    return {"byday": ",".join(sched.DAY_CODES[d] for d in slot.days),
            "opens_at": slot.opens_at.strftime("%H:%M") if slot.opens_at else None,
            "closes_at": slot.closes_at.strftime("%H:%M") if slot.closes_at else None}
