"""Meeting Guide JSON feeds (code4recovery/spec) -> support-group listings.

Ids. A feed's slugs are unique only within the feed, so every id is prefixed with the feed's
source key: the meeting with slug `40-minutes-to-freedom` from source `oc` becomes the service
`mg-oc:40-minutes-to-freedom` (ids longer than 64 characters use a stable hash of the slug
instead). Child rows (schedules, attributes, ...) get stable uuid5 ids from the same parts, so
re-importing a feed updates every row in place. Meetings that disappeared from the feed are
removed (a meeting that no longer exists must not be sent to anyone).

Mapping. Each meeting is a service (category `support_group`) with one schedule per day (0 =
Sunday ... 6 = Saturday; `end_time` defaults to one hour after `time`). Its organisation is the
meeting's `group`, else the feed itself. In-person and hybrid meetings sit at a physical location
(shared by meetings with the same `location_id` or address); online meetings (and the online half
of hybrid ones) at a virtual location whose url is `conference_url`. An online-only meeting keeps
the feed's approximate point, if any, so that searches near that area find it (flagged online).
`types` become our attributes where one fits (TYPE_ATTRIBUTES) and languages (TYPE_LANGUAGES),
and every raw type is also kept as an attribute on the `meeting-guide` taxonomy.

Fellowship. Meeting Guide is AA's format (the spec is code4recovery's, made for AA intergroups),
so a feed's meetings are AA's unless the feed says otherwise: `fellowship` (the CLI's
`--fellowship`), else Al-Anon types on most meetings, else the feed's words (file name or URL,
source, entity, the meetings' web pages: "aasanjose", "oc-aa.org", "Narcotics Anonymous"), else
AA. Each meeting gets it as an attribute (see fellowship.py).

Temporarily closed places (type `TC`, or `attendance_option` "inactive"): with a conference link
or dial-in the meeting is an online one, flagged `online` and `temporarily_closed`, at the place's
point so that searches near it find it; without one it is kept but not offered (status
"temporarily closed", or "inactive").

Bad input. A record that breaks a rule is skipped or repaired, noted on the report with its
index, slug, name and field (meetings.py, errors.Tolerance): not an object, no slug, no name, a
bad day or time -> skipped; a slug used before by a different meeting -> its own stable id (the
slug plus a hash of its name, address, day and time; the same meeting listed twice is skipped);
an unknown time zone -> the place's or the feed's; coordinates that are not numbers -> dropped,
placed by the address (skipped when it cannot be placed); a bad end time -> an hour after the
start. A skipped meeting keeps the listing it has. More bad records than the tolerance allows
(default 5%), or any with `strict`, fail the import. A meeting with no coordinates whose address
cannot be geocoded is skipped and listed in the summary.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from directory.catalog import geocode
from directory.catalog.importers import fellowship as fellowships
from directory.catalog.importers.errors import ImportFailed, Report, Tolerance
from directory.catalog.importers.fields import clock_time, coordinates, text, timestamp, timezone_name, website
from directory.catalog.importers.meetings import (FeedRecords, RecordIds, check_not_empty, check_source,
                                                  feed_words, import_feed, make_id as _id, record_name, source_key)
from directory.base import utcnow
from directory.catalog.taxonomy import attribute_link_row, category_link_row, stable_id

DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
TAXONOMY = "meeting-guide"

TYPE_ATTRIBUTES = {
    "W": "women", "M": "men", "LGBTQ": "lgbtq", "G": "lgbtq", "L": "lgbtq", "BI": "lgbtq", "T": "lgbtq",
    "NB": "lgbtq", "O": "open_meeting", "C": "closed_meeting", "SP": "speaker", "ST": "step_study",
    "12x12": "step_study", "B": "big_book", "BE": "beginners", "D": "discussion", "ONL": "online",
    "X": "wheelchair", "XB": "wheelchair", "Y": "youth", "AL-AN": "al_anon", "CF": "families_with_children",
}
TYPE_LANGUAGES = {
    "EN": "en", "S": "es", "FR": "fr", "POL": "pl", "POR": "pt", "RUS": "ru", "KOR": "ko", "JA": "ja",
    "DE": "de", "ITA": "it", "HI": "hi", "AR": "ar", "FA": "fa", "TL": "tl", "ASL": "asl", "AF": "af",
    "AM": "am", "BG": "bg", "DA": "da", "EL": "el", "FI": "fi", "HE": "he", "HR": "hr", "HU": "hu",
    "IS": "is", "KA": "ka", "LT": "lt", "ML": "ml", "MT": "mt", "NE": "ne", "NL": "nl", "NO": "no",
    "PUN": "pa", "SK": "sk", "SL": "sl", "SV": "sv", "TH": "th", "TUR": "tr", "UK": "uk",
}
# Labels of the common codes, used when no types.json is given (`type_labels`).
TYPE_LABELS = {
    "11": "11th Step Meditation", "12x12": "12 Steps & 12 Traditions", "A": "Secular", "ABSI": "As Bill Sees It",
    "AL-AN": "Concurrent with Al-Anon", "ASL": "American Sign Language", "B": "Big Book",
    "BA": "Babysitting Available", "BE": "Newcomer", "BI": "Bisexual", "C": "Closed", "CAN": "Candlelight",
    "CF": "Child-Friendly", "D": "Discussion", "DR": "Daily Reflections", "EN": "English", "G": "Gay",
    "GR": "Grapevine", "H": "Birthday", "L": "Lesbian", "LGBTQ": "LGBTQ", "LIT": "Literature",
    "LS": "Living Sober", "M": "Men", "MED": "Meditation", "NB": "Non-Binary", "O": "Open",
    "ONL": "Online", "OUT": "Outdoor", "S": "Spanish", "SP": "Speaker", "ST": "Step Study",
    "T": "Transgender", "TC": "Location Temporarily Closed", "TR": "Tradition Study", "W": "Women",
    "X": "Wheelchair Access", "XB": "Wheelchair-Accessible Bathroom", "XT": "Cross Talk Permitted",
    "Y": "Young People",
}
_COUNTRIES = {"usa": "US", "us": "US", "united states": "US", "united states of america": "US",
              "canada": "CA", "can": "CA", "mexico": "MX"}
_STATE_ZIP = re.compile(r"^([A-Za-z]{2})(?:\s+(\d{5})(?:-\d{4})?)?$")
_KNOWN_TYPES = {code.upper(): code for code in TYPE_LABELS} | {code.lower(): code for code in TYPE_LABELS}
__all__ = ["import_meetings", "load_feed", "open_feed", "load_type_labels", "source_key"]


def open_feed(path_or_url: str, timeout: float = 30.0) -> FeedRecords:
    """The feed's meetings as they are read (a JSON list, or an object with a `meetings` list),
    from a file or a URL. Unreadable input is an ImportFailed, also when met part way."""
    return FeedRecords(path_or_url, "a Meeting Guide feed", timeout, list_key="meetings")


def load_feed(path_or_url: str, timeout: float = 30.0) -> list:
    """The feed's meetings, read whole (a JSON list). Unreadable input is an ImportFailed."""
    with open_feed(path_or_url, timeout) as meetings:
        return list(meetings)


def load_type_labels(path) -> dict[str, str]:
    """types.json of the spec ({code: {"en": label, ...}}) -> {code: English label}."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {code: (v.get("en") if isinstance(v, dict) else str(v)) for code, v in data.items()}


def _slugify(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:40] or "group"


def _days(value, where) -> list[int]:
    if value is None or value == "":
        return []
    values = value if isinstance(value, list) else [value]
    out = []
    for v in values:
        try:
            d = int(v) if not isinstance(v, bool) and str(v).strip().isdigit() else None
        except (TypeError, ValueError):
            d = None
        if d is None or not 0 <= d <= 6:
            raise ImportFailed(where, "is not a day (0 = Sunday ... 6 = Saturday)", "day", v)
        if d not in out:
            out.append(d)
    return out


def _types(value, where) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        raise ImportFailed(where, "is not a list of meeting types", "types", value)
    # Codes are case-sensitive in the spec ("12x12"), but feeds write "onl" for ONL.
    return list(dict.fromkeys(_KNOWN_TYPES.get(t, t) for t in (str(t).strip() for t in value) if t))


def _postal_code(value) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:05d}"
    return text(value, 20)


def _address(m: dict) -> dict:
    """Street, city, state, ZIP, country from the separate fields, else from formatted_address."""
    street, city, state = text(m.get("address")), text(m.get("city")), text(m.get("state"))
    postal, country = _postal_code(m.get("postal_code")), text(m.get("country"))
    formatted = text(m.get("formatted_address"))
    if formatted and not (street and city):
        parts = [p.strip() for p in formatted.split(",") if p.strip()]
        if parts and parts[-1].lower() in _COUNTRIES:
            country = country or parts.pop()
        if parts:
            sz = _STATE_ZIP.match(parts[-1])
            if sz:
                parts.pop()
                state = state or sz.group(1).upper()
                postal = postal or sz.group(2)
        if parts:
            city = city or parts.pop()
        street = street or (", ".join(parts) or None)
    country_code = _COUNTRIES.get((country or "").lower()) or ((country or "").upper() if len(country or "") == 2
                                                                else "US")
    return {"address_1": street, "city": city, "state_province": state, "postal_code": postal,
            "country": country_code, "formatted": formatted}


def _attendance(m: dict, approximate: bool, conference_url: str | None) -> str:
    option = text(m.get("attendance_option"))
    if option in ("in_person", "online", "hybrid", "inactive"):
        return option
    online = bool(conference_url or text(m.get("conference_phone")))
    if online:
        return "online" if approximate else "hybrid"
    return "in_person"


class _Feed:
    """One feed's import: each record checked (`check`), then written (`write`), and what is
    written once (groups, places, type terms)."""

    def __init__(self, report, loader, prefix, label, org_name, type_labels, geocoder, tolerance, fellowship):
        self.report, self.loader = report, loader
        self.prefix, self.label = prefix, label
        self.org_name = org_name
        self.type_labels = type_labels
        self.geocoder = geocoder
        self.tolerance = tolerance
        self.fellowship = fellowship
        self.terms_written: set[str] = set()
        self.orgs_written: set[str] = set()
        self.locations_written: set[str] = set()  # meetings share places: write each once
        self.feed_tz: str | None = None
        self.service_ids: list[str] = []
        self.keep: set[str] = set()  # the meetings read: written, or skipped with their listing kept
        self.ids = RecordIds(prefix, tolerance, report)

    def broken(self, exc: ImportFailed, action: str = "skipped") -> None:
        self.tolerance.broken(self.report, exc, action)

    def check(self, index: int, m) -> dict | None:
        """A record's meeting, checked and placed (None: skipped). Nothing is written yet."""
        if not isinstance(m, dict):
            self.broken(ImportFailed(f"{self.label}, meeting {index}", "is not a JSON object"))
            return None
        slug, name = text(m.get("slug")), text(m.get("name"), 300)
        where = f"{self.label}, {record_name(index, 'slug', slug, name)}"
        if slug is None:
            self.broken(ImportFailed(where, "is missing (every meeting needs a unique slug)", "slug"))
            return None
        service_id = self.ids.assign(index, slug, tuple(m.get(k) for k in (
            "name", "formatted_address", "address", "location", "day", "time")), where, "slug")
        if service_id is None:
            return None
        self.keep.add(service_id)  # from here on, a skipped meeting keeps the listing it has
        if name is None:
            self.broken(ImportFailed(where, "is missing", "name"))
            return None
        try:
            days = _days(m.get("day"), where)
            start = clock_time(m.get("time"), where, "time")
        except ImportFailed as exc:
            self.broken(exc)
            return None
        try:
            end = clock_time(m.get("end_time"), where, "end_time")
        except ImportFailed as exc:
            self.broken(exc, "repaired: ends an hour after it starts")
            end = None
        try:
            tz = timezone_name(m.get("timezone"), where, "timezone")
        except ImportFailed as exc:
            self.broken(exc, "repaired: the place's (or the feed's) time zone is used")
            tz = None
        try:
            types = _types(m.get("types"), where)
        except ImportFailed as exc:
            self.broken(exc, "repaired: its types are left out")
            types = []
        approximate = str(m.get("approximate", "")).strip().lower() in ("yes", "true", "1")
        try:
            lat, lon = coordinates(m.get("latitude"), m.get("longitude"), where, self.report)
            bad_point = None
        except ImportFailed as exc:
            lat = lon = None
            bad_point = exc
        conference_url = self._web_address(m.get("conference_url"), slug)
        phone = text(m.get("conference_phone"), 50)
        attendance = _attendance(m, approximate, conference_url)
        # A temporarily closed place: with a link the meeting goes on online; without, not offered.
        place_closed = attendance == "inactive" or "TC" in types
        if place_closed and (conference_url or phone):
            attendance = "online"
        addr = _address(m)

        in_person = attendance in ("in_person", "hybrid") or (attendance == "inactive" and not approximate)
        if lat is None and (in_person or (place_closed and not approximate)):
            place = self._geocode(addr)
            if place is None and in_person:
                if bad_point:
                    self.broken(bad_point, "skipped (its address could not be placed either)")
                else:
                    self.report.skip(slug, "no coordinates, and the address could not be geocoded")
                return None
            if place is not None:
                lat, lon = place.lat, place.lon
                addr["postal_code"] = addr["postal_code"] or place.postal_code
                self.report.warn("meetings geocoded from their address or ZIP", slug)
        if bad_point:
            self.broken(bad_point, "repaired: dropped" + (", placed by its address" if lat is not None else ""))
        if tz is None and lat is not None:
            tz = geocode.timezone_for(lat, lon, addr["postal_code"])
        tz = tz or self.feed_tz
        self.feed_tz = self.feed_tz or tz
        return {"m": m, "where": where, "slug": slug, "name": name, "service_id": service_id, "days": days,
                "start": start, "end": end, "tz": tz, "types": types, "approximate": approximate, "lat": lat,
                "lon": lon, "conference_url": conference_url, "phone": phone, "attendance": attendance,
                "place_closed": place_closed, "in_person": in_person, "addr": addr}

    def feed_org(self, m: dict) -> str:
        org_id = _id(self.prefix, "feed")
        if org_id not in self.orgs_written:
            name = self.org_name or text(m.get("entity"), 300) or f"Meeting Guide feed ({self.prefix})"
            self.loader.add("organization", {
                "id": org_id, "name": name, "source": "meeting-guide", "website": website(m.get("entity_url")),
                "description": text(m.get("entity_location")) or f"Meetings listed in the {name} feed."})
            self.orgs_written.add(org_id)
        return org_id

    def group_org(self, m: dict, group: str) -> str:
        key = text(m.get("group_id")) or _slugify(group)
        org_id = _id(self.prefix, "group", key)
        if org_id not in self.orgs_written:
            self.loader.add("organization", {"id": org_id, "name": group[:300], "source": "meeting-guide",
                                             "description": text(m.get("group_notes")) or ""})
            self.orgs_written.add(org_id)
        return org_id

    def term(self, code: str) -> str:
        term_id = f"{TAXONOMY}:{code}"[:64]
        if term_id not in self.terms_written:
            label = self.type_labels.get(code) or TYPE_LABELS.get(code) or code
            self.loader.add("taxonomy_term", {"id": term_id, "code": code[:100], "name": label[:300],
                                              "description": f"Meeting Guide type {code}: {label}",
                                              "taxonomy": TAXONOMY, "language": "en"})
            self.terms_written.add(term_id)
        return term_id

    def write(self, meeting: dict) -> None:
        """A checked meeting's rows: its service, places, schedules, phone, attributes, languages."""
        m, slug, name, service_id = meeting["m"], meeting["slug"], meeting["name"], meeting["service_id"]
        attendance, in_person, tz, types = meeting["attendance"], meeting["in_person"], meeting["tz"], meeting["types"]
        lat, lon, addr = meeting["lat"], meeting["lon"], meeting["addr"]
        closed_online = meeting["place_closed"] and attendance == "online"
        group = text(m.get("group"), 300)
        org_id = self.group_org(m, group) if group else self.feed_org(m)
        status = "active"
        if attendance == "inactive":
            status = "inactive"
        elif meeting["place_closed"] and attendance != "online":
            status = "temporarily closed"
        notes = "\n\n".join(p for p in (text(m.get("notes")), text(m.get("group_notes")) if not group else None) if p)
        self.loader.add("service", {
            "id": service_id, "organization_id": org_id, "name": name, "description": notes or None,
            "url": website(m.get("url")), "status": status, "category": "support_group",
            "last_modified": self._updated(m.get("updated"), meeting["where"], slug),
        })
        self.service_ids.append(service_id)

        sal_ids = []
        if in_person:
            key = text(m.get("location_id")) or stable_id(addr["formatted"] or "", addr["address_1"] or "",
                                                           addr["city"] or "", f"{lat:.5f},{lon:.5f}")
            loc_id = _id(self.prefix, "location", key)
            if loc_id not in self.locations_written:
                self._physical_location(m, loc_id, lat, lon, tz, addr)
            sal_ids.append(self._sal(service_id, loc_id))
        if attendance in ("online", "hybrid") or (attendance == "inactive" and meeting["approximate"]):
            online_lat, online_lon = (lat, lon) if attendance == "online" else (None, None)
            loc_id = _id(self.prefix, "online", self.ids.own_key(service_id, slug))
            description = text(m.get("conference_url_notes"))
            if closed_online:
                place = ", ".join(p for p in (text(m.get("location")), addr["formatted"] or addr["address_1"]) if p)
                description = "\n".join(filter(None, (
                    f"Meets online while its place{f' ({place})' if place else ''} is temporarily closed.",
                    description)))
            self.loader.add("location", {
                "id": loc_id, "organization_id": None, "location_type": "virtual", "url": meeting["conference_url"],
                "name": f"Online: {name}"[:300], "description": description,
                "latitude": online_lat, "longitude": online_lon, "timezone": tz})
            sal_ids.append(self._sal(service_id, loc_id))

        start, days = meeting["start"], meeting["days"]
        if start is None and days:
            self.report.warn("meetings with a day but no time got no schedule", slug)
        if start is not None:
            closes = meeting["end"] or (dt.datetime.combine(dt.date.min, start) + dt.timedelta(hours=1)).time()
            attending = {"in_person": "in person", "online": "online", "hybrid": "hybrid"}.get(attendance)
            for d in days:
                self.loader.add("schedule", {
                    "id": stable_id("mg-schedule", service_id, str(d)), "service_id": service_id,
                    "service_at_location_id": sal_ids[0] if sal_ids else None, "freq": "WEEKLY",
                    "byday": DAYS[d], "opens_at": start, "closes_at": closes, "timezone": tz,
                    "attending_type": attending, "description": text(m.get("time_formatted"))})

        if meeting["phone"]:
            self.loader.add("phone", {"id": stable_id("mg-phone", service_id), "service_id": service_id,
                                      "number": meeting["phone"], "type": "voice",
                                      "description": "Dial in to the online meeting"})

        attrs = {TYPE_ATTRIBUTES[t] for t in types if t in TYPE_ATTRIBUTES}
        if attendance in ("online", "hybrid"):
            attrs.add("online")
        if in_person and attendance != "inactive":
            attrs.add("in_person")
        if closed_online:
            attrs.add("temporarily_closed")
        for code in sorted(attrs):
            self.loader.add("attribute", attribute_link_row(service_id, code))
        self.loader.add("attribute", category_link_row(service_id, "support_group"))
        self.write_fellowship(service_id)
        for t in types:
            self.loader.add("attribute", {
                "id": stable_id("mg-type", service_id, t), "link_id": service_id, "link_entity": "service",
                "link_type": TAXONOMY, "taxonomy_term_id": self.term(t), "value": t})
        for t in types:
            if t in TYPE_LANGUAGES:
                code = TYPE_LANGUAGES[t]
                self.loader.add("language", {"id": stable_id("mg-language", service_id, code),
                                             "service_id": service_id, "code": code,
                                             "name": self.type_labels.get(t) or TYPE_LABELS.get(t)})

    def write_fellowship(self, service_id: str) -> None:
        if self.fellowship.term_id not in self.terms_written:
            self.loader.add("taxonomy_term", fellowships.term_row(self.fellowship))
            self.terms_written.add(self.fellowship.term_id)
        for row in fellowships.attribute_rows(service_id, self.fellowship):
            self.loader.add("attribute", row)

    def _web_address(self, value, slug: str) -> str | None:
        """Feeds often leave out the scheme ("zoom.us/j/123"); anything else is dropped, not fatal."""
        url = website(value)
        if url is None and text(value):
            self.report.warn("conference_urls that are not web addresses were dropped", f"{slug}: {text(value)}")
        return url

    def _updated(self, value, where: str, slug: str):
        """`updated` only dates the listing: an odd format is reported, not fatal."""
        try:
            return timestamp(value, where, "updated") or utcnow()
        except ImportFailed:
            self.report.warn("'updated' values that are not YYYY-MM-DD HH:MM:SS were ignored", f"{slug}: {value}")
            return utcnow()

    def _physical_location(self, m, loc_id, lat, lon, tz, addr) -> None:
        self.locations_written.add(loc_id)
        self.loader.add("location", {
            "id": loc_id, "organization_id": None, "location_type": "physical",
            "name": text(m.get("location"), 300), "description": text(m.get("location_notes")),
            "latitude": lat, "longitude": lon, "timezone": tz, "url": website(m.get("location_url"))})
        self.loader.add("address", {
            "id": stable_id("mg-address", loc_id), "location_id": loc_id,
            "address_1": (addr["address_1"] or "")[:300], "city": (addr["city"] or "")[:100],
            "region": text(m.get("region"), 100), "state_province": (addr["state_province"] or "")[:100],
            "postal_code": addr["postal_code"] or "", "country": addr["country"], "address_type": "physical"})

    def _sal(self, service_id: str, location_id: str) -> str:
        sal_id = stable_id("mg-sal", service_id, location_id)
        self.loader.add("service_at_location", {"id": sal_id, "service_id": service_id, "location_id": location_id})
        return sal_id

    def _geocode(self, addr: dict):
        if addr["postal_code"]:
            place = geocode.zip_place(addr["postal_code"][:5])
            if place:
                return place
        candidates = [addr["formatted"]]
        if addr["city"] and addr["state_province"]:
            candidates.append(f"{addr['city']}, {addr['state_province']}")
        for candidate in filter(None, candidates):
            try:
                return self.geocoder.resolve(candidate)
            except geocode.PlaceNotFound:
                continue
        return None


def feed_fellowship(meetings: list, label: str, source: str, org_name: str | None = None,
                    given: str | None = None) -> fellowships.Fellowship:
    """The feed's fellowship: the one given, else Al-Anon types on most meetings, else the feed's
    words, else AA (Meeting Guide is AA's format: a feed that says nothing else is an AA one)."""
    if given:
        return fellowships.named(given)
    head = meetings[:500] if isinstance(meetings, list) else meetings.head
    sample = [m for m in head if isinstance(m, dict)]
    by_types = fellowships.from_types([_types_or_none(m.get("types")) for m in sample])
    words = [feed_words(label), source, org_name]
    for m in sample[:50]:
        words += [m.get("entity"), m.get("entity_url"), m.get("url")]
    return by_types or fellowships.from_words(*words) or fellowships.Fellowship("aa", fellowships.KNOWN["aa"][0])


def _types_or_none(value) -> list[str]:
    try:
        return _types(value, "")
    except ImportFailed:
        return []


def import_meetings(session, meetings: list | FeedRecords, source: str, *, label: str | None = None, org_name: str | None = None,
                    type_labels: dict[str, str] | None = None, geocoder=None, progress: bool = False,
                    fellowship: str | None = None, tolerance: Tolerance | None = None) -> Report:
    """Import a feed's meetings (a list, or `open_feed`'s records as they are read) under the
    source key `source` (e.g. 'oc'). Returns the report.

    Runs in the caller's transaction; raises ImportFailed when more records break a rule than
    `tolerance` allows (default: 5%, IMPORT_MAX_BAD_SHARE), or at the first with a strict one.
    `fellowship`: the feed's (e.g. 'AA'; default: inferred, see feed_fellowship).
    """
    check_source(source)
    prefix = f"mg-{source}"
    label = label or source
    check_not_empty(meetings, label)
    tolerance = tolerance or Tolerance.of()
    report = Report(source=f"{label} (Meeting Guide, ids '{prefix}:<slug>')")
    feed_is = feed_fellowship(meetings, label, source, org_name, fellowship)
    geocoder = geocoder or geocode.default_geocoder()
    return import_feed(session, meetings, prefix, report, label, tolerance, feed_is, progress=progress,
                       make_reader=lambda loader: _Feed(report, loader, prefix, label, org_name, type_labels or {},
                                                        geocoder, tolerance, feed_is))
