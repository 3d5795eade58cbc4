"""Turning rows into the JSON shapes of the search API and the listing detail.

List items are small (what a result line needs); the detail carries everything a person needs
to get there. HSDS-shaped documents for the read API and the export live in directory/hsds.py.
"""
from __future__ import annotations

import datetime as dt
from collections import namedtuple

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from directory import schedules as sched
from directory.models import Address, Location, Service, ServiceAtLocation
from directory.search import SearchResult, as_date, as_datetime, fetch_rows, in_clause, load_slots, slots_of
from directory.vocab import attribute_codes, language_code


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc).isoformat()
    return value.isoformat()


def _phone(service: Service, location: Location | None) -> str | None:
    return _first_phone(list(service.phones) + (list(location.phones) if location else []))


def _first_phone(phones) -> str | None:
    """The first voice-capable number (else any), with its extension. Phones have number, extension, type."""
    voice = [p for p in phones if (p.type or "voice") in ("voice", "cell", "text")]
    p = (voice or phones or [None])[0]
    return None if p is None else p.number + (f" x{p.extension}" if p.extension else "")


def _address(location: Location | None) -> str | None:
    return None if location is None else _first_address(location.addresses)


def _first_address(addresses) -> str | None:
    """The first physical address (else the first), on one line. Addresses have Address's fields."""
    if not addresses:
        return None
    physical = [a for a in addresses if a.address_type == "physical"] or addresses
    return Address.one_line(physical[0])


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


def capacity(service) -> dict | None:
    """Bed capacity of a service (or of a row with the same capacity_* fields)."""
    if service.capacity_available is None and service.capacity_maximum is None:
        return None
    return {"available": service.capacity_available, "maximum": service.capacity_maximum,
            "unit": service.capacity_unit or "beds", "updated_at": iso(service.capacity_updated_at),
            "updated_by": service.capacity_updated_by}


def _attr_codes(session, ids) -> dict[str, list[str]]:
    """Attribute codes of services and locations by their id."""
    marks, params = in_clause("link", ids)
    if not marks:
        return {}
    out: dict[str, list[str]] = {}
    # link_entity is named so that ix_attribute_link (link_entity, link_id) finds the rows: without
    # it SQLite reads every attribute of every term (seconds on a million listings).
    for link_id, code in fetch_rows(
            session, "SELECT a.link_id, t.code FROM attribute a JOIN taxonomy_term t ON t.id = a.taxonomy_term_id "
                     f"WHERE a.link_entity IN ('service', 'location') AND a.link_id IN ({marks}) "
                     "AND t.taxonomy = 'signpost-attribute'", params):
        out.setdefault(link_id, []).append(code)
    return out


def _languages(service: Service) -> list[str]:
    return _language_codes(service.languages)


def _language_codes(languages) -> list[str]:
    codes = [language_code(l.code or "") or language_code(l.name or "") or (l.code or l.name) for l in languages]
    return list(dict.fromkeys(c for c in codes if c))


# Plain rows for the search list (fetch_rows tuples with names), read with a few queries.
_Listing = namedtuple("_Listing", "sal_id service_id name organization category capacity_available capacity_maximum "
                                  "capacity_unit capacity_updated_at capacity_updated_by assured_date location_id "
                                  "location_name location_type location_url timezone")
_AddressRow = namedtuple("_AddressRow", "location_id address_1 address_2 city state_province postal_code address_type")
_PhoneRow = namedtuple("_PhoneRow", "owner owner_id number extension type")
_LanguageRow = namedtuple("_LanguageRow", "service_id code name")


def _by(rows, key) -> dict:
    out: dict = {}
    for r in rows:
        out.setdefault(key(r), []).append(r)
    return out


def search_items(session, result: SearchResult, now: dt.datetime, base_url: str = "") -> list[dict]:
    """The search list's items, in the hits' order. Plain SQL: this runs on every search."""
    hits = result.hits
    if not hits:
        return []
    conn = session.connection()  # one connection for the queries below
    sal_marks, params = in_clause("sal", [h.service_at_location_id for h in hits])
    listings = {r.sal_id: r for r in map(_Listing._make, fetch_rows(
        conn, "SELECT sal.id, s.id, s.name, o.name, s.category, s.capacity_available, s.capacity_maximum, "
              "s.capacity_unit, s.capacity_updated_at, s.capacity_updated_by, s.assured_date, l.id, l.name, "
              "l.location_type, l.url, l.timezone FROM service_at_location sal JOIN service s ON s.id = sal.service_id "
              "JOIN organization o ON o.id = s.organization_id JOIN location l ON l.id = sal.location_id "
              f"WHERE sal.id IN ({sal_marks})", params))}
    service_ids = list(dict.fromkeys(r.service_id for r in listings.values()))
    location_ids = list(dict.fromkeys(r.location_id for r in listings.values()))
    svc_marks, svc_params = in_clause("svc", service_ids)
    loc_marks, loc_params = in_clause("loc", location_ids)
    addresses = _by(map(_AddressRow._make, fetch_rows(
        conn, "SELECT location_id, address_1, address_2, city, state_province, postal_code, address_type "
              f"FROM address WHERE location_id IN ({loc_marks})", loc_params)), lambda a: a.location_id)
    phones = _by(map(_PhoneRow._make, fetch_rows(  # the service's phones first, then the location's
        conn, "SELECT 's', service_id, number, extension, type FROM phone "
              f"WHERE service_id IN ({svc_marks}) UNION ALL "
              f"SELECT 'l', location_id, number, extension, type FROM phone WHERE location_id IN ({loc_marks})",
        {**svc_params, **loc_params})), lambda p: (p.owner, p.owner_id))
    languages = _by(map(_LanguageRow._make, fetch_rows(
        conn, f"SELECT service_id, code, name FROM language WHERE service_id IN ({svc_marks})", svc_params)),
        lambda l: l.service_id)
    slots = dict(result.slots)  # what a time filter already read
    slots.update(slots_of(conn, [(r.sal_id, r.service_id, r.timezone) for r in listings.values()
                                 if r.sal_id not in slots]))
    attrs = _attr_codes(conn, service_ids + location_ids)
    items = []
    for h in hits:
        r = listings[h.service_at_location_id]
        item = {
            "service_id": r.service_id,
            "service_at_location_id": r.sal_id,
            "name": r.name,
            "organization": r.organization,
            "category": r.category,
            "distance_km": round(h.distance_km, 3),
            "latitude": h.latitude,
            "longitude": h.longitude,
            "address": _first_address(addresses.get(r.location_id)),
            "phone": _first_phone(phones.get(("s", r.service_id), []) + phones.get(("l", r.location_id), [])),
            "capacity": capacity(r._replace(capacity_updated_at=as_datetime(r.capacity_updated_at))),
            "attributes": sorted(set(attrs.get(r.service_id, []) + attrs.get(r.location_id, []))),
            "languages": _language_codes(languages.get(r.service_id, [])),
            "last_verified": iso(as_date(r.assured_date)),
            "url": f"{base_url}/services/{r.service_id}",
            "location_name": r.location_name,
            "online_url": r.location_url if r.location_type == "virtual" else None,
        }
        item.update(time_facts(slots.get(r.sal_id, (None, [])), now))
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
