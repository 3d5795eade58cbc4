"""Keeping listings true: peer workers' edits, the audit trail, the moderation and problem queues.

Every change to a listing writes one HSDS `metadata` row per field (who, when, field, old, new);
a change by someone who does not keep the listing becomes a `listing_edit` for an admin to
approve instead. After a change the listing's search entries are rebuilt in the same
transaction, so search and the API show it at once. Callers commit.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from directory.catalog import geocode
from directory.catalog import index  # module import: directory.models imports this module at its end
from directory.base import utcnow
from directory.catalog.cards import language_codes
from directory.catalog.codes import ATTRIBUTES, LANGUAGES, language_code
from directory.catalog.models import (Address, Attribute, Language, Location, Metadata, Phone, Schedule, Service,
                                      ServiceAtLocation)
from directory.catalog.schedules import DAY_CODES
from directory.catalog.taxonomy import attribute_link, attribute_term_id
from directory.staff.models import ListingEdit
from directory.staff.models import ProblemReport

STALE_AFTER_DAYS = 90
MAX_BEDS = 9999
MAX_REPORT_LENGTH = 2000


class ListingError(ValueError):
    """Bad input, with the message to show next to the field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


PROBLEM_KINDS = {
    "closed": "It has closed or moved",
    "phone": "The phone number is wrong",
    "hours": "The hours or meeting times are wrong",
    "beds": "The bed count is wrong",
    "other": "Something else",
}

# HSDS 3.0 service status; only 'active' services are found by search.
STATUSES = {"active": "Open", "temporarily closed": "Temporarily closed", "inactive": "Not running now",
            "defunct": "Closed for good"}

# field -> (label, kind, max length). Kinds: text, line, url, email, int, hours, status, and the
# fields kept in other tables: phone, address, languages, attributes.
EDITABLE_FIELDS: dict[str, tuple[str, str, int]] = {
    "name": ("Name", "line", 300),
    "status": ("Status", "status", 30),
    "phone": ("Phone", "phone", 60),
    "address": ("Address", "address", 500),
    "description": ("Description", "text", 4000),
    "application_process": ("What to bring / how to get in", "text", 2000),
    "eligibility_description": ("Who can come (eligibility)", "text", 2000),
    "fees_description": ("Fees", "text", 1000),
    "alert": ("Alert (temporary notice)", "text", 1000),
    "url": ("Website", "url", 500),
    "email": ("E-mail", "email", 200),
    "capacity_available": ("Beds free", "int", 0),
    "capacity_maximum": ("Beds in total", "int", 0),
    "hours": ("Hours or meeting times", "hours", 2000),
    "languages": ("Languages spoken", "languages", 500),
    "attributes": ("Features", "attributes", 0),
}
# Fields that live outside the service row (and how the form sends them).
RELATED_FIELDS = ("phone", "address", "languages", "attributes", "hours")


# --- hours as text --------------------------------------------------------------------------
# "MO-FR 09:00-17:00", "Mon-Fri 9am-5pm", "Mon, Wed 7pm-8pm", "Tuesday 7:30 pm to 8:30 pm",
# "weekdays 9-5", "daily 24h": days first, then one time range.
_TIME = r"\d{1,2}(?::\d{2})?\s*(?:[ap]\.?m?\.?)?|noon|midnight"
_HOURS_LINE = re.compile(
    rf"^(?P<days>[A-Za-z][A-Za-z .,&\-–]*?)[\s:]+(?P<times>24\s*h(?:ours|rs)?|open 24 hours|all day|"
    rf"(?P<start>{_TIME})\s*(?:-|–|—|to|until)\s*(?P<end>{_TIME}))$", re.IGNORECASE)
_CLOCK = re.compile(r"^(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>[ap])?\.?m?\.?$", re.IGNORECASE)
_DAY_WORDS = {"daily": range(7), "every": range(7), "everyday": range(7), "week": range(7),
              "weekdays": range(5), "weekday": range(5), "weekends": (5, 6), "weekend": (5, 6)}
_DAY_NAMES = {"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6}


@dataclass(frozen=True)
class HoursLine:
    byday: str
    opens_at: dt.time
    closes_at: dt.time


def _day_code(token: str, line_no: int) -> int:
    word = token.strip().strip(".").lower()
    day = _DAY_NAMES.get(word[:2]) if len(word) >= 2 and word.isalpha() else None
    full = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    if day is None or not (full[day].startswith(word) or word in ("tues", "thur", "thurs", "weds")):
        raise ListingError(f"Line {line_no}: '{token.strip()}' is not a day (Mon, Tue, ... or MO, TU, ...).", "hours")
    return day


def _clock(text: str, line_no: int, ampm: str | None = None) -> dt.time:
    """'9', '9am', '9:30 pm', '17:00', 'noon'; `ampm` is the other end's, for '9-5pm'."""
    word = text.strip().lower()
    if word == "noon":
        return dt.time(12)
    if word == "midnight":
        return dt.time(0)
    m = _CLOCK.match(word)
    h, minute = (int(m["h"]), int(m["m"] or 0)) if m else (-1, 0)
    suffix = (m["ampm"] if m else None) or ampm
    if suffix:
        if not 1 <= h <= 12:
            h = -1
        else:
            h = h % 12 + (12 if suffix.lower() == "p" else 0)
    if not (0 <= h <= 24 and 0 <= minute < 60) or (h == 24 and minute):
        raise ListingError(f"Line {line_no}: '{text.strip()}' is not a time of day (e.g. 9am, 5:30 pm, 17:00).",
                           "hours")
    return dt.time(0) if h == 24 else dt.time(h, minute)


def _suffix(text: str) -> str | None:
    m = _CLOCK.match(text.strip().lower())
    return m["ampm"] if m else None


def _days(text: str, line_no: int) -> set[int]:
    days: set[int] = set()
    text = re.sub(r"\s*(?:-|–|\bto\b|\bthrough\b|\bthru\b)\s*", "-", text.strip(), flags=re.IGNORECASE)
    for token in re.split(r"[\s,&]+|\band\b", text, flags=re.IGNORECASE):
        token = token.strip(" .")
        if not token:
            continue
        if token.lower() in _DAY_WORDS:
            days.update(_DAY_WORDS[token.lower()])
        elif "-" in token:
            first, last = (_day_code(t, line_no) for t in token.split("-", 1))
            days.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)])
        else:
            days.add(_day_code(token, line_no))
    return days


def parse_hours(text: str) -> list[HoursLine]:
    """One line each, days then times: 'MO-FR 09:00-17:00', 'Mon-Fri 9am-5pm', 'Mon, Wed 7pm-8pm',
    'SA,SU 10:00-14:00', 'daily 24h'. '22:00-02:00' runs past midnight."""
    out = []
    for line_no, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        m = _HOURS_LINE.match(line)
        if not m:
            raise ListingError(f"Line {line_no}: write days then times, e.g. 'Mon-Fri 9am-5pm', 'Tue, Thu 7pm-8pm' "
                               "or 'daily 24h'.", "hours")
        days = _days(m["days"], line_no)
        if not days:
            raise ListingError(f"Line {line_no}: name the days first, e.g. 'Mon-Fri'.", "hours")
        if m["start"] is None:
            opens, closes = dt.time(0), dt.time(0)
        else:
            end_suffix = _suffix(m["end"])
            closes = _clock(m["end"], line_no)
            start_suffix = None
            if end_suffix and not _suffix(m["start"]) and m["start"].strip().lower() not in ("noon", "midnight"):
                # '9-5pm' is 9 am to 5 pm, '7-8pm' is 7 pm to 8 pm: the start takes the end's half
                # of the day unless that would put it after the end.
                start_suffix = end_suffix
                try:
                    if _clock(m["start"], line_no, end_suffix) > closes and end_suffix.lower() == "p":
                        start_suffix = "a"
                except ListingError:
                    pass
            opens = _clock(m["start"], line_no, start_suffix)
            if (closes < opens and not end_suffix and not _suffix(m["start"]) and ":" not in m["times"]
                    and closes.hour < 12):
                closes = dt.time(closes.hour + 12, closes.minute)  # 'Mon-Fri 9-5' is 9 am to 5 pm
            if opens == closes:
                raise ListingError(f"Line {line_no}: the start and end are the same; for all day write '24h'.", "hours")
        out.append(HoursLine(",".join(DAY_CODES[d] for d in sorted(days)), opens, closes))
    return out


def days_text(byday: str | None) -> str:
    codes = [c for c in (byday or ",".join(DAY_CODES)).split(",") if c in DAY_CODES]
    idx = sorted(DAY_CODES.index(c) for c in codes)
    if idx == list(range(7)):
        return "daily"
    runs, start = [], None
    for i, d in enumerate(idx):
        if start is None:
            start = d
        if i + 1 == len(idx) or idx[i + 1] != d + 1:
            runs.append(DAY_CODES[start] if start == d else
                        f"{DAY_CODES[start]}-{DAY_CODES[d]}" if d - start >= 2 else f"{DAY_CODES[start]},{DAY_CODES[d]}")
            start = None
    return ",".join(runs)


def hours_text(schedules) -> str:
    """The schedules as the form's lines; rows with the same times are one line ('MO-FR 09:00-17:00',
    not five: 211 imports keep one row per day)."""
    days_by_times: dict[tuple, set[str]] = {}
    for s in schedules:
        key = (s.opens_at or dt.time(0), s.closes_at or s.opens_at or dt.time(0))
        days_by_times.setdefault(key, set()).update(
            c for c in (s.byday or ",".join(DAY_CODES)).split(",") if c in DAY_CODES)
    lines = []
    for (opens, closes), days in sorted(days_by_times.items(),
                                        key=lambda kv: (kv[0][0], min(DAY_CODES.index(d) for d in kv[1] or {"MO"}))):
        byday = ",".join(d for d in DAY_CODES if d in days)
        times = "24h" if opens == dt.time(0) and closes == dt.time(0) else f"{opens:%H:%M}-{closes:%H:%M}"
        lines.append(f"{days_text(byday)} {times}")
    return "\n".join(lines)


# --- reading --------------------------------------------------------------------------------
def load_service(session, service_id: str) -> Service | None:
    return session.scalars(select(Service).where(Service.id == service_id).options(
        selectinload(Service.organization), selectinload(Service.schedules), selectinload(Service.phones),
        selectinload(Service.languages),
        selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
        .selectinload(Location.addresses),
        selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
        .selectinload(Location.phones))).first()


def _first_location(service: Service) -> Location | None:
    places = [sal.location for sal in service.service_at_locations]
    return next((loc for loc in places if loc.location_type == "physical"), places[0] if places else None)


def _first_address(location: Location | None) -> Address | None:
    if location is None or not location.addresses:
        return None
    return next((a for a in location.addresses if a.address_type == "physical"), location.addresses[0])


def _first_phone(service: Service) -> Phone | None:
    """The phone people are shown (directory.catalog.cards.first_phone's choice)."""
    location = _first_location(service)
    phones = list(service.phones) + (list(location.phones) if location else [])
    voice = [p for p in phones if (p.type or "voice") in ("voice", "cell", "text")]
    return (voice or phones or [None])[0]


def _phone_text(phone: Phone | None) -> str:
    return "" if phone is None else phone.number + (f" x{phone.extension}" if phone.extension else "")


def _attribute_rows(session, service: Service) -> list[Attribute]:
    ids = [service.id] + [sal.location_id for sal in service.service_at_locations]
    return list(session.scalars(select(Attribute).where(
        Attribute.link_id.in_(ids), Attribute.taxonomy_term_id.like(attribute_term_id("%")))))


def attribute_codes_of(session, service: Service) -> list[str]:
    prefix = attribute_term_id("")
    codes = {a.taxonomy_term_id[len(prefix):] for a in _attribute_rows(session, service)}
    return [c for c in ATTRIBUTES if c in codes]


def field_values(service: Service) -> dict[str, str]:
    """The editable fields as the strings a form shows (and the audit trail keeps)."""
    from sqlalchemy.orm import object_session
    out = {}
    for name, (_label, kind, _max) in EDITABLE_FIELDS.items():
        if kind == "hours":
            out[name] = hours_text(service.schedules)
        elif kind == "phone":
            out[name] = _phone_text(_first_phone(service))
        elif kind == "address":
            address = _first_address(_first_location(service))
            out[name] = address.one_line() if address else ""
        elif kind == "languages":
            out[name] = ", ".join(LANGUAGES.get(c, c) for c in language_codes(service.languages))
        elif kind == "attributes":
            session = object_session(service)
            out[name] = ",".join(attribute_codes_of(session, service)) if session else ""
        else:
            value = getattr(service, name)
            out[name] = "" if value is None else str(value)
    return out


def is_stale(service: Service, today: dt.date) -> bool:
    return service.assured_date is None or (today - service.assured_date).days > STALE_AFTER_DAYS


BED_CATEGORIES = ("sober_living", "housing")  # places with beds, counted or not yet


def takes_beds(service: Service) -> bool:
    """Has a bed count, or is a kind of place that has beds (a 211 shelter imported without one)."""
    return (service.capacity_available is not None or service.capacity_maximum is not None
            or service.category in BED_CATEGORIES)


def listings_of(session, organization_ids, today: dt.date) -> list[Service]:
    """Services of these organizations: places with beds first (their count changes daily), then
    those not verified for 90 days, then by name."""
    if not organization_ids:
        return []
    rows = session.scalars(select(Service).where(Service.organization_id.in_(list(organization_ids)))
                           .options(selectinload(Service.organization))).all()
    return sorted(rows, key=lambda s: (not takes_beds(s), not is_stale(s, today), s.assured_date or dt.date.min,
                                       s.name))


def history(session, service_id: str, limit: int = 200) -> list[Metadata]:
    return list(session.scalars(select(Metadata).where(Metadata.resource_type == "service",
                                                       Metadata.resource_id == service_id)
                                .order_by(Metadata.last_action_date.desc(), Metadata.id).limit(limit)))


# --- validating -----------------------------------------------------------------------------
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
_OTHER_SCHEME = re.compile(r"^[a-z][a-z0-9+\-]*:(?!\d)", re.IGNORECASE)  # javascript:, mailto: (not host:8080)
_PHONE = re.compile(r"^(?P<number>\+?[\d\s().\-/]{7,30}?)\s*(?:(?:x|ext\.?|extension)\s*(?P<ext>\d{1,8}))?$",
                    re.IGNORECASE)
_ADDRESS = re.compile(r"^(?P<street>.+?),\s*(?P<city>[^,]+?),\s*(?P<state>[A-Za-z]{2})\.?\s+"
                      r"(?P<zip>\d{5}(?:-\d{4})?)$")


def web_address(value: str | None) -> str | None:
    """'www.example.org' -> 'https://www.example.org'; http(s) addresses as they are; others None."""
    value = (value or "").strip()
    if not value:
        return None
    if _SCHEME.match(value) or _OTHER_SCHEME.match(value):
        return value if value.lower().startswith(("http://", "https://")) else None
    if value.startswith("//"):
        return "https:" + value
    return "https://" + value


def _normal(kind: str, value: str) -> str:
    """The form's text as field_values would show it, to tell a changed field from an untouched one."""
    value = (value or "").replace("\r\n", "\n").strip()
    if kind == "attributes":
        return ",".join(c for c in ATTRIBUTES if c in set(value.replace(" ", "").split(",")))
    return value


def split_phone(value: str) -> tuple[str, str | None]:
    m = _PHONE.match(value)
    if not m or sum(ch.isdigit() for ch in m["number"]) < 7:
        raise ListingError("Phone: write a phone number, e.g. 305-555-0123 or (305) 555-0123 x12.", "phone")
    return m["number"].strip(), m["ext"]


def split_address(value: str) -> dict[str, str]:
    m = _ADDRESS.match(value)
    if not m:
        raise ListingError("Address: write street, city, state and ZIP, e.g. '401 W 1st St, Santa Ana, CA 92701'.",
                           "address")
    return {"address_1": m["street"].strip(), "city": m["city"].strip(), "state_province": m["state"].upper(),
            "postal_code": m["zip"]}


def language_list(value: str) -> list[str]:
    codes = []
    for word in re.split(r"[,;/\n]+|\band\b", value):
        word = word.strip()
        if not word:
            continue
        code = language_code(word)
        if code is None:
            raise ListingError(f"Languages: '{word}' is not a language we know; write names such as English, "
                               "Spanish, Haitian Creole.", "languages")
        if code not in codes:
            codes.append(code)
    return codes


def clean_changes(raw: dict, before: dict[str, str] | None = None) -> dict[str, str | int | None]:
    """Validate submitted fields into typed values (None clears). Raises ListingError naming the field.
    With `before` (field_values of the listing), a field sent back as it was is left out unchecked:
    imported data breaks rules nobody asked its editors to fix, and saving the hours must not fail on
    a website that was already there."""
    clean: dict = {}
    for name, value in raw.items():
        if name not in EDITABLE_FIELDS:
            continue
        label, kind, max_len = EDITABLE_FIELDS[name]
        value = _normal(kind, value)
        if before is not None and value == _normal(kind, before.get(name, "")):
            continue
        if kind == "int":
            if value == "":
                clean[name] = None
                continue
            if not re.fullmatch(r"\d{1,4}", value):
                raise ListingError(f"{label}: enter a whole number from 0 to {MAX_BEDS}.", name)
            clean[name] = int(value)
            continue
        if max_len and len(value) > max_len:
            raise ListingError(f"{label}: at most {max_len} characters.", name)
        if kind == "line" and not value:
            raise ListingError(f"{label} cannot be empty.", name)
        if kind == "url" and value:
            value = web_address(value) or ""
            if not re.fullmatch(r"https?://[^\s/]+\.[^\s]+", value):
                raise ListingError(f"{label}: write a web address such as www.example.org.", name)
        if kind == "email" and value and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ListingError(f"{label}: that is not an e-mail address.", name)
        if kind == "hours":
            parse_hours(value)  # raises with the line that is wrong
        if kind == "status" and value not in STATUSES:
            raise ListingError(f"{label}: choose one of {', '.join(STATUSES.values())}.", name)
        if kind == "phone" and value:
            split_phone(value)
        if kind == "address" and value:
            split_address(value)
        if kind == "languages":
            value = ", ".join(LANGUAGES.get(c, c) for c in language_list(value))
        if kind == "attributes":
            unknown = [c for c in (raw[name] or "").replace(" ", "").split(",") if c and c not in ATTRIBUTES]
            if unknown:
                raise ListingError(f"{label}: unknown feature {unknown[0]!r}.", name)
        clean[name] = value or None
    available, maximum = clean.get("capacity_available"), clean.get("capacity_maximum")
    if before is not None:  # one of the two changed: check it against the other as it is
        if "capacity_available" in clean and "capacity_maximum" not in clean and before.get("capacity_maximum"):
            maximum = int(before["capacity_maximum"])
        if "capacity_maximum" in clean and "capacity_available" not in clean and before.get("capacity_available"):
            available = int(before["capacity_available"])
    if available is not None and maximum is not None and available > maximum:
        raise ListingError("Beds free cannot be more than beds in total.", "capacity_available")
    return clean


# --- changing -------------------------------------------------------------------------------
def _audit(session, service_id: str, field: str, old, new, by: str, action: str = "update",
           at: dt.datetime | None = None) -> None:
    session.add(Metadata(resource_id=service_id, resource_type="service", last_action_date=at or utcnow(),
                         last_action_type=action, field_name=field,
                         previous_value="" if old is None else str(old),
                         replacement_value="" if new is None else str(new), updated_by=by[:200]))


def _replace_hours(session, service: Service, text: str | None) -> None:
    tz = next((sal.location.timezone for sal in service.service_at_locations if sal.location.timezone), None)
    session.execute(delete(Schedule).where(Schedule.service_id == service.id))
    session.execute(delete(Schedule).where(Schedule.service_at_location_id.in_(
        [sal.id for sal in service.service_at_locations])))
    session.expire(service, ["schedules"])
    for line in parse_hours(text or ""):
        session.add(Schedule(service_id=service.id, freq="WEEKLY", byday=line.byday, opens_at=line.opens_at,
                             closes_at=line.closes_at, timezone=tz))


def _set_phone(session, service: Service, text: str | None) -> None:
    """The shown number changes where it is kept; a listing that had none gets its own."""
    phone = _first_phone(service)
    if not text:
        if phone is not None:
            session.delete(phone)
        return
    number, extension = split_phone(text)
    if phone is None:
        service.phones.append(Phone(service_id=service.id, number=number, extension=extension, type="voice"))
    else:
        phone.number, phone.extension = number, extension


def _set_address(session, service: Service, text: str | None) -> list[str]:
    """The first place's street address. A place shared by several services moves for all of them
    (it is one building); a new ZIP puts the place at that ZIP's centre until it is geocoded.
    Returns the other services at that place, to reindex."""
    location = _first_location(service)
    address = _first_address(location)
    if not text:
        if address is not None:
            session.delete(address)
        return []
    parts = split_address(text)
    if location is None:
        location = Location(organization_id=service.organization_id, location_type="physical")
        session.add(location)
        session.flush()
        session.add(ServiceAtLocation(service_id=service.id, location_id=location.id))
    if address is None:
        address = Address(location_id=location.id, address_type="physical", country="US")
        location.addresses.append(address)
    new_zip = parts["postal_code"][:5] != (address.postal_code or "")[:5]
    address.address_1, address.address_2 = parts["address_1"], None
    address.city, address.state_province, address.postal_code = (parts["city"], parts["state_province"],
                                                                 parts["postal_code"])
    if new_zip or location.latitude is None:
        place = geocode.zip_place(parts["postal_code"][:5])
        if place is not None:
            location.latitude, location.longitude = place.lat, place.lon
            location.timezone = location.timezone or place.timezone
    session.flush()
    return list(session.scalars(select(ServiceAtLocation.service_id).where(
        ServiceAtLocation.location_id == location.id)))


def _set_languages(session, service: Service, text: str | None) -> None:
    for row in list(service.languages):
        service.languages.remove(row)
        session.delete(row)
    for code in language_list(text or ""):
        service.languages.append(Language(service_id=service.id, code=code, name=LANGUAGES.get(code, code)))


def _set_attributes(session, service: Service, text: str | None) -> None:
    wanted = {c for c in (text or "").split(",") if c in ATTRIBUTES}
    prefix = attribute_term_id("")
    have = set()
    for row in _attribute_rows(session, service):
        code = row.taxonomy_term_id[len(prefix):]
        if code in wanted:
            have.add(code)
        else:  # also the place's own ("wheelchair" on the building): what the listing shows is what was edited
            session.delete(row)
    for code in sorted(wanted - have):
        session.add(attribute_link(service.id, code))


def apply_changes(session, service: Service, clean: dict, by: str, now: dt.datetime | None = None) -> list[str]:
    """Write the changed fields with one audit row each; rebuild search. Returns the fields changed."""
    at = now or utcnow()
    before = field_values(service)
    changed, also_reindex = [], set()
    for name, value in clean.items():
        old = before[name]
        new = "" if value is None else str(value)
        if old == new:
            continue
        changed.append(name)
        kind = EDITABLE_FIELDS[name][1]
        if kind == "hours":
            _replace_hours(session, service, value)
        elif kind == "phone":
            _set_phone(session, service, value)
        elif kind == "address":
            also_reindex.update(_set_address(session, service, value))
        elif kind == "languages":
            _set_languages(session, service, value)
        elif kind == "attributes":
            _set_attributes(session, service, value)
        else:
            setattr(service, name, value)
        _audit(session, service.id, name, old, new, by, at=at)
        if name == "capacity_available":
            service.capacity_updated_at, service.capacity_updated_by = at, by
    if changed:
        service.last_modified = at
        session.flush()
        index.reindex_services(session, sorted({service.id} | also_reindex))
    return changed


def set_available_beds(session, service: Service, available: int, by: str) -> bool:
    """The one-tap bed count. Returns False when nothing changed."""
    if not 0 <= available <= MAX_BEDS:
        raise ListingError(f"Beds free must be between 0 and {MAX_BEDS}.", "capacity_available")
    if service.capacity_maximum is not None and available > service.capacity_maximum:
        raise ListingError(f"Beds free cannot be more than the {service.capacity_maximum} beds in total.",
                           "capacity_available")
    if service.capacity_available == available:
        # Confirming the same count still tells people it is current.
        service.capacity_updated_at, service.capacity_updated_by = utcnow(), by
        return False
    return bool(apply_changes(session, service, {"capacity_available": available}, by))


def confirm_accurate(session, service: Service, by: str, today: dt.date) -> None:
    """"Still accurate": the listing was checked today by `by` (HSDS assured_date/assurer_email)."""
    _audit(session, service.id, "assured_date", service.assured_date, today.isoformat(), by, action="verify")
    service.assured_date, service.assurer_email = today, by


# --- moderation -----------------------------------------------------------------------------
def propose_edit(session, service: Service, clean: dict, by: str) -> ListingEdit | None:
    before = field_values(service)
    changes = {k: v for k, v in clean.items() if before[k] != ("" if v is None else str(v))}
    if not changes:
        return None
    edit = ListingEdit(service_id=service.id, proposed_by=by, changes=json.dumps(changes), status="pending")
    session.add(edit)
    session.flush()
    return edit


def pending_edits(session) -> list[ListingEdit]:
    return list(session.scalars(select(ListingEdit).where(ListingEdit.status == "pending")
                                .options(selectinload(ListingEdit.service)).order_by(ListingEdit.proposed_at)))


def review_edit(session, edit_id: int, approve: bool, reviewer: str) -> ListingEdit:
    edit = session.get(ListingEdit, edit_id)
    if edit is None or edit.status != "pending":
        raise ListingError("That edit is no longer waiting for review.")
    if approve:
        service = load_service(session, edit.service_id)
        clean = clean_changes({k: "" if v is None else str(v) for k, v in edit.change_dict.items()})
        apply_changes(session, service, clean, f"{edit.proposed_by} (approved by {reviewer})")
    edit.status = "approved" if approve else "rejected"
    edit.reviewed_by, edit.reviewed_at = reviewer, utcnow()
    return edit


# --- problem reports ------------------------------------------------------------------------
def report_problem(session, service_id: str, kind: str, message: str, contact: str | None) -> ProblemReport:
    if session.get(Service, service_id) is None:
        raise ListingError("No such listing.")
    if kind not in PROBLEM_KINDS:
        raise ListingError("Choose what is wrong.", "kind")
    message = (message or "").strip()
    if len(message) < 5:
        raise ListingError("Tell us briefly what is wrong (at least a few words).", "message")
    if len(message) > MAX_REPORT_LENGTH:
        raise ListingError(f"Keep it under {MAX_REPORT_LENGTH} characters.", "message")
    report = ProblemReport(service_id=service_id, kind=kind, message=message,
                           contact=(contact or "").strip()[:200] or None, status="open")
    session.add(report)
    session.flush()
    return report


def open_reports(session) -> list[ProblemReport]:
    return list(session.scalars(select(ProblemReport).where(ProblemReport.status == "open")
                                .options(selectinload(ProblemReport.service)).order_by(ProblemReport.created_at)))


def close_report(session, report_id: int, status: str, by: str) -> ProblemReport:
    report = session.get(ProblemReport, report_id)
    if report is None or report.status != "open":
        raise ListingError("That report is already closed.")
    if status not in ("resolved", "dismissed"):
        raise ListingError("Close a report as resolved or dismissed.")
    report.status, report.resolved_by, report.resolved_at = status, by, utcnow()
    return report
