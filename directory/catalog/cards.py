"""Listing cards: the search list's read model, one JSON document per search entry.

A result line needs a listing's name, organization, address, phone, beds, attributes, languages,
verified date and schedule: about 20 index lookups across 9 tables. Reading them on every search
was most of a request's time, so `directory.catalog.index` writes them once, as `search_entry.card`,
whenever a listing changes (imports call it; ORM edits are caught by `directory.catalog.index.watch`).
A search then reads one row per result. What depends on the moment or the request (distance,
open now, next meeting, the page URL) is added by `item`.

A card with another CARD_VERSION, or none (rows written before cards existed), is built on the
spot from the tables, so an old database answers the same, only slower, until it is reindexed
(`flask --app web directory reindex`).
"""
from __future__ import annotations

import datetime as dt
from collections import namedtuple
from functools import lru_cache

import orjson

from directory.catalog import schedules as sched
from directory.catalog.models import Address

from directory.sql import as_date, as_datetime, as_time, fetch_rows, in_clause
from directory.catalog.slots import schedule_rows, slot_of_row, slots_from_rows
from directory.catalog.codes import language_code

CARD_VERSION = 1


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc).isoformat()
    return value.isoformat()


def first_phone(phones) -> str | None:
    """The first voice-capable number (else any), with its extension. Phones have number, extension, type."""
    voice = [p for p in phones if (p.type or "voice") in ("voice", "cell", "text")]
    p = (voice or phones or [None])[0]
    return None if p is None else p.number + (f" x{p.extension}" if p.extension else "")


def first_address(addresses) -> str | None:
    """The first physical address (else the first), on one line. Addresses have Address's fields."""
    if not addresses:
        return None
    physical = [a for a in addresses if a.address_type == "physical"] or addresses
    return Address.one_line(physical[0])


def capacity(service) -> dict | None:
    """Bed capacity of a service (or of a row with the same capacity_* fields)."""
    if service.capacity_available is None and service.capacity_maximum is None:
        return None
    return {"available": service.capacity_available, "maximum": service.capacity_maximum,
            "unit": service.capacity_unit or "beds", "updated_at": iso(service.capacity_updated_at),
            "updated_by": service.capacity_updated_by}


def language_codes(languages) -> list[str]:
    codes = [language_code(l.code or "") or language_code(l.name or "") or (l.code or l.name) for l in languages]
    return list(dict.fromkeys(c for c in codes if c))


def attribute_codes(bind, ids) -> dict[str, list[str]]:
    """Attribute codes of services and locations by their id."""
    return codes_by_link(attribute_rows(bind, ids))


def attribute_rows(bind, ids) -> list[tuple[str, str]]:
    """(link id, attribute code) rows of these services and locations."""
    marks, params = in_clause("link", ids)
    if not marks:
        return []
    # link_entity is named so that ix_attribute_link (link_entity, link_id) finds the rows: without
    # it SQLite reads every attribute of every term (seconds on a million listings).
    return fetch_rows(
        bind, "SELECT a.link_id, t.code FROM attribute a JOIN taxonomy_term t ON t.id = a.taxonomy_term_id "
              f"WHERE a.link_entity IN ('service', 'location') AND a.link_id IN ({marks}) "
              "AND t.taxonomy = 'signpost-attribute'", params)


def codes_by_link(rows) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for link_id, code in rows:
        out.setdefault(link_id, []).append(code)
    return out


# Plain rows (fetch_rows tuples with names), read with a few queries per batch of listings.
# What a card needs of a listing, and from where (the indexer reads these with a few columns more).
LISTING_COLUMNS = ("sal.id, s.id, s.name, o.name, s.category, s.capacity_available, s.capacity_maximum, "
                   "s.capacity_unit, s.capacity_updated_at, s.capacity_updated_by, s.assured_date, l.id, l.name, "
                   "l.location_type, l.url, l.timezone")
LISTING_FROM = ("FROM service_at_location sal JOIN service s ON s.id = sal.service_id "
                "JOIN organization o ON o.id = s.organization_id JOIN location l ON l.id = sal.location_id")
Listing = namedtuple("Listing", "sal_id service_id name organization category capacity_available capacity_maximum "
                                  "capacity_unit capacity_updated_at capacity_updated_by assured_date location_id "
                                  "location_name location_type location_url timezone")
_LanguageRow = namedtuple("_LanguageRow", "service_id code name")


def _by(rows, key_index: int) -> dict:
    """Rows grouped by one of their fields (an index, not a function: this runs millions of times on an import)."""
    out: dict = {}
    for r in rows:
        key = r[key_index]
        group = out.get(key)
        if group is None:
            out[key] = [r]
        else:
            group.append(r)
    return out


def _address_lines(rows) -> dict[str, str]:
    """first_address of each location, from (location_id, address_1, address_2, city, state_province,
    postal_code, address_type) rows in their stored order: plain tuples, one line made per location."""
    first: dict[str, tuple] = {}
    physical: dict[str, tuple] = {}
    for row in rows:
        location_id = row[0]
        if location_id not in first:
            first[location_id] = row
        if row[6] == "physical" and location_id not in physical:
            physical[location_id] = row
    return {location_id: _one_line(physical.get(location_id) or row) for location_id, row in first.items()}


def _one_line(row) -> str:
    """Address.one_line of an _address_lines row."""
    _loc, address_1, address_2, city, state, postcode, _type = row
    street = f"{address_1}, {address_2}" if address_1 and address_2 else address_1 or address_2
    tail = f"{state} {postcode}" if state and postcode else state or postcode
    return ", ".join([p for p in (street, city, tail) if p])


def _first_phones(rows) -> dict[str, tuple[str | None, str | None]]:
    """owner -> (first voice-capable number, first number), each with its extension, from
    (owner, number, extension, type) rows in their stored order (see first_phone)."""
    out: dict[str, list] = {}
    for owner, number, extension, kind in rows:
        text = number + (f" x{extension}" if extension else "")
        found = out.get(owner)
        if found is None:
            found = out[owner] = [None, text]
        if found[0] is None and (kind or "voice") in ("voice", "cell", "text"):
            found[0] = text
    return {owner: (voice, first) for owner, (voice, first) in out.items()}


@lru_cache(maxsize=4096)  # a handful of language sets recur across a directory
def _language_codes_of(pairs: tuple[tuple[str | None, str | None], ...]) -> tuple[str, ...]:
    """language_codes of (code, name) pairs."""
    return tuple(language_codes([_LanguageRow(None, code, name) for code, name in pairs]))


@lru_cache(maxsize=4096)
def _iso_date(value) -> str | None:
    return iso(as_date(value))


def build_cards(bind, sal_ids, read: dict | None = None) -> dict[str, dict]:
    """The cards of these service-at-locations, read from the tables (a few queries for all).
    `read`, when given, receives what was read that the indexer needs too (so it need not read
    it again): "attributes" (codes by service or location id), "languages" (rows by service id)."""
    sal_marks, params = in_clause("sal", sal_ids)
    if not sal_marks:
        return {}
    return cards_of(bind, map(Listing._make, fetch_rows(
        bind, f"SELECT {LISTING_COLUMNS} {LISTING_FROM} WHERE sal.id IN ({sal_marks})", params)), read)


def cards_of(bind, listing_rows, read: dict | None = None) -> dict[str, dict]:
    """build_cards for `Listing` rows the caller has already read (LISTING_COLUMNS, LISTING_FROM)."""
    listings = list({r.sal_id: r for r in listing_rows}.values())
    return cards_from_rows(listings, rows_for_cards(bind, listings), read)


# What cards_from_rows needs beyond the Listing rows: fetch_rows results, plain tuples (a big import
# reads them in one process and builds the cards in another, importers/pipeline.py).
CardRows = namedtuple("CardRows", "addresses phones languages schedules attributes")


def rows_for_cards(bind, listings) -> CardRows:
    """Everything the cards of these Listing rows are made of besides themselves (a few indexed queries)."""
    if not listings:
        return CardRows([], [], [], [], [])
    service_ids = list(dict.fromkeys(r.service_id for r in listings))
    location_ids = list(dict.fromkeys(r.location_id for r in listings))
    svc_marks, svc_params = in_clause("svc", service_ids)
    loc_marks, loc_params = in_clause("loc", location_ids)
    return CardRows(
        addresses=fetch_rows(
            bind, "SELECT location_id, address_1, address_2, city, state_province, postal_code, address_type "
                  f"FROM address WHERE location_id IN ({loc_marks})", loc_params),
        phones=fetch_rows(  # the service's phones first, then the location's
            bind, "SELECT 's' || service_id, number, extension, type FROM phone "
                  f"WHERE service_id IN ({svc_marks}) UNION ALL "
                  f"SELECT 'l' || location_id, number, extension, type FROM phone WHERE location_id IN ({loc_marks})",
            {**svc_params, **loc_params}),
        languages=fetch_rows(
            bind, f"SELECT service_id, code, name FROM language WHERE service_id IN ({svc_marks})", svc_params),
        schedules=schedule_rows(bind, [(r.sal_id, r.service_id) for r in listings]),
        attributes=attribute_rows(bind, service_ids + location_ids))


def cards_from_rows(listings, rows: CardRows, read: dict | None = None) -> dict[str, dict]:
    """The cards of these Listing rows (one each), from their rows_for_cards; no database.
    `read`: see build_cards."""
    address_of = _address_lines(rows.addresses)
    phone_of = _first_phones(rows.phones)
    languages = _by(map(_LanguageRow._make, rows.languages), 0)
    slots = slots_from_rows(rows.schedules, [(r.sal_id, r.service_id, r.timezone) for r in listings],
                            _slot_text_of_row)
    attrs = codes_by_link(rows.attributes)
    if read is not None:
        read.update(attributes=attrs, languages=languages)
    no_phone = (None, None)
    cards = {}
    for r in listings:
        # first_phone over the service's phones then the location's: the first voice-capable one, else the first
        svc_voice, svc_any = phone_of.get("s" + r.service_id, no_phone)
        loc_voice, loc_any = phone_of.get("l" + r.location_id, no_phone)
        attributes = attrs.get(r.service_id)
        if r.location_id in attrs:
            attributes = (attributes or []) + attrs[r.location_id]
        service_languages = languages.get(r.service_id)
        cards[r.sal_id] = {
            "v": CARD_VERSION,
            "service_id": r.service_id,
            "service_at_location_id": r.sal_id,
            "name": r.name,
            "organization": r.organization,
            "category": r.category,
            "address": address_of.get(r.location_id),
            "phone": svc_voice or loc_voice or svc_any or loc_any,
            "capacity": None if r.capacity_available is None and r.capacity_maximum is None else
            capacity(r._replace(capacity_updated_at=as_datetime(r.capacity_updated_at))),
            "attributes": sorted(set(attributes)) if attributes else [],
            "languages": list(_language_codes_of(tuple((l.code, l.name) for l in service_languages)))
            if service_languages else [],
            "last_verified": _iso_date(r.assured_date),
            "location_name": r.location_name,
            "online_url": r.location_url if r.location_type == "virtual" else None,
            "timezone": r.timezone,
            "slots": list(slots.get(r.sal_id, (None, []))[1]),
        }
    return cards


def dumps(card: dict) -> str:
    return orjson.dumps(card, option=orjson.OPT_SORT_KEYS).decode()


def _slot_text(slot: sched.Slot) -> str:
    """'0,1,2,3,4|08:00:00|17:00:00||': weekdays, opens, closes, valid from, valid to."""
    return "|".join((",".join(map(str, slot.days)), iso(slot.opens_at) or "", iso(slot.closes_at) or "",
                     iso(slot.valid_from) or "", iso(slot.valid_to) or ""))


@lru_cache(maxsize=4096)  # a few hundred schedule shapes recur across a whole directory
def _slot_text_of_row(byday, opens_at, closes_at, valid_from, valid_to) -> str:
    """_slot_text of a schedule row as fetch_rows gives it (search.slots_of's make_slot)."""
    return _slot_text(slot_of_row(byday, opens_at, closes_at, valid_from, valid_to))


@lru_cache(maxsize=4096)
def slots_from_texts(texts: tuple[str, ...]) -> tuple[sched.Slot, ...]:
    """The Slots of a card's "slots" texts (kept: a few hundred shapes recur across a directory)."""
    out = []
    for text in texts:
        days, opens, closes, valid_from, valid_to = text.split("|")
        out.append(sched.Slot(tuple(int(d) for d in days.split(",") if d), as_time(opens or None),
                              as_time(closes or None), as_date(valid_from or None), as_date(valid_to or None)))
    return tuple(out)


def slot_info(card: dict) -> tuple[str | None, tuple[sched.Slot, ...]]:
    """(time zone, slots) of a card, as search's time filter and time_facts read them."""
    return card["timezone"], slots_from_texts(tuple(card["slots"]))


@lru_cache(maxsize=8192)
def _facts_in_minute(tz_name: str | None, slot_texts: tuple[str, ...], minute: dt.datetime) -> dict:
    return time_facts((tz_name, slots_from_texts(slot_texts)), minute)


@lru_cache(maxsize=4096)
def _whole_minutes(slot_texts: tuple[str, ...]) -> bool:
    """Do the slots open and close on whole minutes (HH:MM:00), as nearly all schedules do?"""
    return all(part.endswith(":00") for text in slot_texts for part in text.split("|")[1:3] if part)


@lru_cache(maxsize=8192)
def _next_start_in_minute(tz_name: str | None, slot_texts: tuple[str, ...], minute: dt.datetime):
    return sched.next_start(slots_from_texts(slot_texts), minute, tz_name)


def next_start(card: dict, now: dt.datetime) -> dt.datetime | None:
    """When a card's listing next meets, as its item's next_meeting says: for the minute `now`
    falls in when the schedule has whole-minute times (see item), else for `now` itself."""
    texts = tuple(card["slots"])
    if _whole_minutes(texts):
        return _next_start_in_minute(card["timezone"], texts, now.replace(second=0, microsecond=0))
    return sched.next_start(slots_from_texts(texts), now, card["timezone"])


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


# What a card holds that the list item does not show as such.
_INTERNAL = ("v", "timezone", "slots")


def item(card: dict, hit, now: dt.datetime, base_url: str = "") -> dict:
    """The search list's item for one hit: the card, plus distance, the moment's facts and the URL.

    Open now, hours today and the next meeting are worked out for the minute `now` falls in when
    the schedule has whole-minute times (nearly all do), and kept for the rest of that minute: a
    few hundred schedule shapes recur across a directory, so most items are a cache hit."""
    out = {k: v for k, v in card.items() if k not in _INTERNAL}
    out.update(distance_km=round(hit.distance_km, 3), latitude=hit.latitude, longitude=hit.longitude,
               url=f"{base_url}/services/{card['service_id']}")
    texts = tuple(card["slots"])
    if _whole_minutes(texts):
        facts = _facts_in_minute(card["timezone"], texts, now.replace(second=0, microsecond=0))
        out.update(facts, next_meeting=facts["next_meeting"] and dict(facts["next_meeting"]))  # a copy
    else:
        out.update(time_facts((card["timezone"], slots_from_texts(texts)), now))
    return out


def load(bind, hits) -> dict[int, dict]:
    """The cards of these hits by entry id: the ones the hits carry, else the stored ones (one
    query, which also fills in hits found without their listing ids), and those missing or
    outdated built from the tables. A hit whose entry is gone has none."""
    out, unread = {}, {}
    for h in hits:
        if h.card:
            out[h.entry_id] = orjson.loads(h.card)
        else:
            unread[h.entry_id] = h
    if unread:
        marks, params = in_clause("e", list(unread))
        for entry_id, sal_id, service_id, card in fetch_rows(
                bind, "SELECT id, service_at_location_id, service_id, card FROM search_entry "
                      f"WHERE id IN ({marks})", params):
            h = unread[entry_id]
            h.service_at_location_id, h.service_id = sal_id, service_id
            if card:
                out[entry_id] = orjson.loads(card)  # 10 a request: 4x faster than json's
    stale = [h for h in hits if h.service_at_location_id and out.get(h.entry_id, {}).get("v") != CARD_VERSION]
    if stale:
        built = build_cards(bind, [h.service_at_location_id for h in stale])
        out.update((h.entry_id, built[h.service_at_location_id]) for h in stale if h.service_at_location_id in built)
    return out
