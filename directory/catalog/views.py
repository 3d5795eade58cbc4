"""Turning rows into the JSON shapes of the search API and the listing detail.

List items are small (what a result line needs); the detail carries everything a person needs
to get there. HSDS-shaped documents for the read API and the export live in directory/catalog/hsds.py.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from directory.catalog import cards
from directory.catalog import schedules as sched
from directory.catalog.cards import attribute_codes as _attr_codes, capacity, first_address, first_phone, iso, time_facts
from directory.catalog.models import Location, Service
from directory.catalog.search.nearby import SearchResult
from directory.catalog.slots import load_slots


def _phone(service: Service, location: Location | None) -> str | None:
    return first_phone(list(service.phones) + (list(location.phones) if location else []))


def _address(location: Location | None) -> str | None:
    return None if location is None else first_address(location.addresses)


def _languages(service: Service) -> list[str]:
    return cards.language_codes(service.languages)


def search_items(session, result: SearchResult, now: dt.datetime, base_url: str = "") -> list[dict]:
    """The search list's items, in the hits' order: each listing's card (directory/catalog/cards.py, one
    row per result) with the distance and what is true at `now`."""
    if not result.hits:
        return []
    by_entry = cards.load(session, result.hits)  # a Session or a Connection
    # A listing deleted since the search has no card: it is left out.
    return [cards.item(by_entry[h.entry_id], h, now, base_url) for h in result.hits if h.entry_id in by_entry]


def load_service(session, service_id: str) -> Service | None:
    """One service for its detail or its HSDS document, its collections loaded lazily: one plain
    statement each, where nested loader options cost more to key SQLAlchemy's statement cache than
    the queries take (the detail took 2x as long; bench/RESULTS.md, "SMS gateway", 2026-12-06). A
    service at several places has them loaded in one statement, their addresses, phones and
    accessibility in one each. (For pages of services, loader options stay the cheaper way.)"""
    svc = session.get(Service, service_id)
    if svc is not None and len(svc.service_at_locations) > 1:
        places = session.scalars(select(Location).where(Location.id.in_([s.location_id for s in svc.service_at_locations]))
                                 .options(selectinload(Location.addresses), selectinload(Location.phones),
                                          selectinload(Location.accessibility))).all()
        # The session holds objects weakly: each place is set on its link, or it would be loaded again.
        by_id = {place.id: place for place in places}
        for link in svc.service_at_locations:
            set_committed_value(link, "location", by_id.get(link.location_id))
    return svc


def service_detail(session, service_id: str, now: dt.datetime, base_url: str = "", svc: Service | None = None
                   ) -> dict | None:
    """The listing's detail. `svc`: the Service when the caller has it loaded already, with its
    organization, phones, languages, schedules and locations (addresses, accessibility)."""
    if svc is None:
        svc = load_service(session, service_id)
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
