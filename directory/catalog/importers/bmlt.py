"""BMLT root servers (Narcotics Anonymous' Basic Meeting List Toolbox) -> support-group listings.

Input: the client interface's JSON (`client_interface/json/?switcher=GetSearchResults`, a list of
meetings, or `{"meetings": [...], "formats": [...]}` with `get_used_formats`) and optionally
`switcher=GetFormats` (each format's key, name, NAWS world id and kind). Every value is a string.

Ids. `bmlt-<source>:<id_bigint>`, the source being the server's host (from `root_server_uri`),
else the URL's host or the file's name; re-importing updates in place, meetings gone from the
answer are removed (meetings.prune), and so are unpublished ones.

Mapping. Each meeting is a service (category `support_group`, fellowship NA unless told) with one
weekly schedule: `weekday_tinyint` 1 = Sunday ... 7 = Saturday, `start_time` HH:MM:SS, ending
`duration_time` later (an hour when empty). An empty `time_zone` means the server's default zone:
`default_timezone`, else the zone of the country most meetings name in `location_nation`
(Deutschland -> Europe/Berlin); with neither, US meetings take their ZIP's zone and the import
asks for --default-timezone. `venue_type` 1 in person, 2 virtual, 3 hybrid (empty: from the VM / HY
formats). Virtual meetings sit at a virtual location (`virtual_meeting_link`, the dial-in
`phone_meeting_number` as a phone) without a point: servers put placeholder coordinates on them
(BMLT's default map centre in California, a city centroid), so they are never placed by distance.
Formats become our attributes through their NAWS world id (GetFormats; the stock English keys
without it), LANG formats become languages, and every raw format is kept on the `bmlt` taxonomy.
A temporarily closed place (world id TC) with a link is an online meeting flagged
`temporarily_closed`; without one it is kept but not offered.

Bad input as for Meeting Guide feeds (meetings.py, errors.Tolerance): not an object, no id, no
name, a bad weekday or start time -> skipped; an id used twice -> the same meeting skipped, a
different one repaired with an id of its own; a bad time zone, duration, venue type or coordinates
-> repaired, named in the summary; past the tolerance, or any with `strict`, nothing changes.
"""
from __future__ import annotations

import datetime as dt
import html
import re
from collections import Counter
from urllib.parse import urlparse

from directory.catalog import geocode
from directory.catalog.codes import language_code
from directory.catalog.importers import fellowship as fellowships
from directory.catalog.importers.errors import ImportFailed, Report, Tolerance
from directory.catalog.importers.fields import clock_time, coordinates, integer, text, timezone_name, website
from directory.catalog.importers.meetings import (RecordIds, check_not_empty, check_source, import_feed,
                                                  load_json, make_id as _id, record_name, source_key)
from directory.catalog.taxonomy import attribute_link_row, category_link_row, stable_id

__all__ = ["import_bmlt", "load_formats", "load_meetings", "source_of"]

DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")  # weekday_tinyint 1..7
TAXONOMY = "bmlt"
VENUES = {"1": "in_person", "2": "online", "3": "hybrid"}
ATTENDING = {"in_person": "in person", "online": "online", "hybrid": "hybrid"}

# NAWS world ids (GetFormats' `world_id`) -> our attribute codes.
WORLD_ATTRIBUTES = {
    "OPEN": "open_meeting", "CLOSED": "closed_meeting", "W": "women", "M": "men", "GL": "lgbtq",
    "LGBTQ": "lgbtq", "BEG": "beginners", "NEWCOMER": "beginners", "CW": "families_with_children",
    "SPK": "speaker", "S-D": "speaker", "DISC": "discussion", "STEP": "step_study", "WCHR": "wheelchair",
    "Y": "youth", "VM": "online",
}
# The stock English format keys -> world ids, for an answer without GetFormats.
STOCK_KEYS = {
    "O": "OPEN", "C": "CLOSED", "W": "W", "M": "M", "GL": "GL", "B": "BEG", "CW": "CW", "So": "SPK",
    "SD": "S-D", "D": "DISC", "St": "STEP", "WC": "WCHR", "YP": "Y", "VM": "VM", "HY": "HYBR", "TC": "TC",
}
# Countries (as location_nation writes them) with one time zone, and their zone.
COUNTRY_CODES = {
    "de": "DE", "deu": "DE", "deutschland": "DE", "germany": "DE", "at": "AT", "österreich": "AT",
    "austria": "AT", "ch": "CH", "schweiz": "CH", "suisse": "CH", "svizzera": "CH", "switzerland": "CH",
    "gb": "GB", "uk": "GB", "united kingdom": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "ie": "IE", "ireland": "IE", "éire": "IE", "fr": "FR", "france": "FR", "be": "BE", "belgium": "BE",
    "belgique": "BE", "belgië": "BE", "nl": "NL", "nederland": "NL", "netherlands": "NL", "it": "IT",
    "italia": "IT", "italy": "IT", "es": "ES", "españa": "ES", "spain": "ES", "pl": "PL", "polska": "PL",
    "poland": "PL", "dk": "DK", "danmark": "DK", "denmark": "DK", "se": "SE", "sverige": "SE", "sweden": "SE",
    "no": "NO", "norge": "NO", "norway": "NO", "fi": "FI", "suomi": "FI", "finland": "FI", "cz": "CZ",
    "česko": "CZ", "czechia": "CZ", "czech republic": "CZ", "hu": "HU", "magyarország": "HU", "hungary": "HU",
    "nz": "NZ", "new zealand": "NZ", "il": "IL", "israel": "IL", "za": "ZA", "south africa": "ZA", "in": "IN",
    "india": "IN", "jp": "JP", "japan": "JP", "us": "US", "usa": "US", "united states": "US",
    "united states of america": "US", "ca": "CA", "canada": "CA", "mx": "MX", "mexico": "MX", "méxico": "MX",
    "au": "AU", "australia": "AU", "br": "BR", "brazil": "BR", "brasil": "BR",
}
COUNTRY_ZONES = {
    "DE": "Europe/Berlin", "AT": "Europe/Vienna", "CH": "Europe/Zurich", "GB": "Europe/London",
    "IE": "Europe/Dublin", "FR": "Europe/Paris", "BE": "Europe/Brussels", "NL": "Europe/Amsterdam",
    "IT": "Europe/Rome", "ES": "Europe/Madrid", "PL": "Europe/Warsaw", "DK": "Europe/Copenhagen",
    "SE": "Europe/Stockholm", "NO": "Europe/Oslo", "FI": "Europe/Helsinki", "CZ": "Europe/Prague",
    "HU": "Europe/Budapest", "NZ": "Pacific/Auckland", "IL": "Asia/Jerusalem", "ZA": "Africa/Johannesburg",
    "IN": "Asia/Kolkata", "JP": "Asia/Tokyo",
}
_PROMPT = "#@-@#"  # BMLT's "prompt#@-@#value" encoding of custom fields
_TAG_RE = re.compile(r"<br\s*/?>|</p>", re.I)


def load_meetings(path_or_url: str, timeout: float = 30.0) -> tuple[list, list | None]:
    """GetSearchResults from a file or URL: (meetings, the formats sent with them or None)."""
    data = load_json(path_or_url, "a BMLT GetSearchResults JSON answer", timeout)
    formats = None
    if isinstance(data, dict) and isinstance(data.get("meetings"), list):
        formats = data.get("formats") if isinstance(data.get("formats"), list) else None
        data = data["meetings"]
    if not isinstance(data, list):
        raise ImportFailed(path_or_url, "is not a BMLT GetSearchResults answer: expected a JSON list of meetings.")
    return data, formats


def load_formats(path_or_url: str, timeout: float = 30.0) -> list:
    data = load_json(path_or_url, "a BMLT GetFormats JSON answer", timeout)
    if isinstance(data, dict) and isinstance(data.get("formats"), list):
        data = data["formats"]
    if not isinstance(data, list):
        raise ImportFailed(path_or_url, "is not a BMLT GetFormats answer: expected a JSON list of formats.")
    return data


def source_of(meetings: list, path_or_url: str) -> str:
    """The server's host (the same server gives the same ids from a file or a URL), else the input's."""
    for m in meetings[:20]:
        host = urlparse(text(m.get("root_server_uri")) or "").hostname if isinstance(m, dict) else None
        if host:
            return host[:24]
    return source_key(path_or_url)


def _plain(value) -> str | None:
    """Free text without BMLT's prompt prefix and HTML."""
    out = text(value)
    if out is None:
        return None
    out = out.split(_PROMPT, 1)[1] if _PROMPT in out else out
    out = html.unescape(re.sub(r"<[^>]+>", "", _TAG_RE.sub("\n", out)))
    return text(out)


def _country(value) -> str | None:
    name = (text(value) or "").lower()
    return COUNTRY_CODES.get(name) or (name.upper() if len(name) == 2 else None)


def default_zone(meetings: list, given: str | None) -> str | None:
    """`given`, else the zone of the country most meetings name (if it has one zone)."""
    if given:
        return timezone_name(given, "--default-timezone", "time zone")
    votes = Counter(_country(m.get("location_nation")) for m in meetings if isinstance(m, dict))
    votes.pop(None, None)
    return COUNTRY_ZONES.get(votes.most_common(1)[0][0]) if votes else None


class _Formats:
    """A server's formats by key: NAWS world id, name, kind."""

    def __init__(self, formats: list | None):
        self.by_key: dict[str, dict] = {}
        for f in formats or []:
            key = text(f.get("key_string")) if isinstance(f, dict) else None
            if key:
                self.by_key.setdefault(key, f)
        self.given = bool(self.by_key)

    def world_id(self, key: str) -> str | None:
        if self.given:
            return (text(self.by_key.get(key, {}).get("world_id")) or "").upper() or None
        return STOCK_KEYS.get(key)

    def language(self, key: str) -> str | None:
        """A LANG format's language code ('en', 'ru', 'hbs'); without GetFormats, a known code only."""
        if not self.given:
            return language_code(key) if key.islower() and len(key) in (2, 3) else None
        f = self.by_key.get(key)
        if f is None or "LANG" not in (text(f.get("format_type_enum")), self.world_id(key)):
            return None
        return language_code(key) or (key if len(key) <= 3 else None)

    def name(self, key: str) -> str:
        f = self.by_key.get(key) or {}
        return text(f.get("name_string"), 300) or key

    def description(self, key: str) -> str | None:
        return text((self.by_key.get(key) or {}).get("description_string"))


class _Server:
    """One server's import: each record checked (`check`), then written (`write`)."""

    def __init__(self, report, loader, prefix, label, formats, zone, org_name, fellowship, tolerance, geocoder,
                 country):
        self.report, self.loader, self.prefix, self.label = report, loader, prefix, label
        self.formats, self.zone, self.org_name = formats, zone, org_name
        self.fellowship, self.tolerance, self.geocoder, self.country = fellowship, tolerance, geocoder, country
        self.ids = RecordIds(prefix, tolerance, report)
        self.keep: set[str] = set()
        self.service_ids: list[str] = []
        self.written: set[str] = set()  # organizations, places and terms are written once

    def broken(self, exc: ImportFailed, action: str = "skipped") -> None:
        self.tolerance.broken(self.report, exc, action)

    def check(self, index: int, m) -> dict | None:
        if not isinstance(m, dict):
            self.broken(ImportFailed(f"{self.label}, meeting {index}", "is not a JSON object"))
            return None
        name = text(m.get("meeting_name"), 300)
        where = f"{self.label}, {record_name(index, 'id', text(m.get('id_bigint')), name)}"
        try:
            key = integer(m.get("id_bigint"), where, "id_bigint")
        except ImportFailed as exc:
            self.broken(exc)
            return None
        if key is None:
            self.broken(ImportFailed(where, "is missing (every meeting needs its id)", "id_bigint"))
            return None
        key = str(key)
        service_id = self.ids.assign(index, key, tuple(m.get(k) for k in (
            "meeting_name", "weekday_tinyint", "start_time", "location_street", "location_municipality",
            "virtual_meeting_link")), where, "id_bigint")
        if service_id is None:
            return None
        if text(m.get("published")) == "0":
            self.report.warn("unpublished meetings were left out (and removed if listed before)", key)
            return None
        self.keep.add(service_id)  # from here on, a skipped meeting keeps the listing it has
        if name is None:
            self.broken(ImportFailed(where, "is missing", "meeting_name"))
            return None
        try:
            day = integer(m.get("weekday_tinyint"), where, "weekday_tinyint")
            if day is None or not 1 <= day <= 7:
                raise ImportFailed(where, "is not a weekday (1 = Sunday ... 7 = Saturday)", "weekday_tinyint",
                                   m.get("weekday_tinyint"))
            start = clock_time(m.get("start_time"), where, "start_time")
            if start is None:
                raise ImportFailed(where, "is missing", "start_time")
        except ImportFailed as exc:
            self.broken(exc)
            return None
        try:
            duration = clock_time(m.get("duration_time"), where, "duration_time")
        except ImportFailed as exc:
            self.broken(exc, "repaired: an hour long")
            duration = None
        tz = None
        try:
            tz = timezone_name(m.get("time_zone"), where, "time_zone")
        except ImportFailed as exc:
            self.broken(exc, "repaired: the server's default zone is used")
        keys = list(dict.fromkeys(k.strip() for k in str(m.get("formats") or "").split(",") if k.strip()))
        worlds = {w for w in map(self.formats.world_id, keys) if w}
        raw_venue = text(m.get("venue_type"))
        venue = VENUES.get(raw_venue or "")
        if venue is None:
            venue = "hybrid" if "HYBR" in worlds else "online" if "VM" in worlds else "in_person"
            if raw_venue:
                self.broken(ImportFailed(where, "is not a venue type (1 in person, 2 virtual, 3 hybrid)",
                                         "venue_type", raw_venue), f"repaired: {venue.replace('_', ' ')}, from its formats")
        link = website(m.get("virtual_meeting_link"))
        phone = text(m.get("phone_meeting_number"), 50)
        place_closed = "TC" in worlds
        if place_closed and (link or phone):
            venue = "online"
        addr = self._address(m)
        lat = lon = None
        if venue != "online":  # a virtual meeting's coordinates are a placeholder: never used
            try:
                lat, lon = coordinates(m.get("latitude"), m.get("longitude"), where, self.report)
                bad_point = None
            except ImportFailed as exc:
                bad_point = exc
            if lat is None:
                place = self._geocode(addr)
                if place is None:
                    if bad_point:
                        self.broken(bad_point, "skipped (its address could not be placed either)")
                    else:
                        self.report.skip(key, "no coordinates, and the address could not be geocoded")
                    return None
                lat, lon = place.lat, place.lon
                self.report.warn("meetings geocoded from their address", key)
            if bad_point:
                self.broken(bad_point, "repaired: dropped, placed by its address")
        tz = tz or self.zone
        if tz is None and addr["country"] == "US" and lat is not None:
            tz = geocode.timezone_for(lat, lon, addr["postal_code"])
        if tz is None:
            raise ImportFailed(self.label, "gives no time_zone for its meetings and names no country with a single "
                                           "zone: pass the server's zone with --default-timezone (e.g. Europe/Berlin).")
        return {"m": m, "key": key, "service_id": service_id, "name": name, "day": day, "start": start,
                "duration": duration, "tz": tz, "keys": keys, "worlds": worlds, "venue": venue, "link": link,
                "phone": phone, "place_closed": place_closed, "lat": lat, "lon": lon, "addr": addr}

    def write(self, meeting: dict) -> None:
        m, key, service_id, name = meeting["m"], meeting["key"], meeting["service_id"], meeting["name"]
        venue, tz, worlds = meeting["venue"], meeting["tz"], meeting["worlds"]
        closed_online = meeting["place_closed"] and venue == "online"
        status = "temporarily closed" if meeting["place_closed"] and venue != "online" else "active"
        description = "\n\n".join(p for p in (_plain(m.get("comments")), _plain(m.get("format_comments"))) if p)
        self.loader.add("service", {
            "id": service_id, "organization_id": self._org(m), "name": name, "description": description or None,
            "status": status, "category": "support_group"})
        self.service_ids.append(service_id)

        sal_ids = []
        if venue != "online":
            addr = meeting["addr"]
            loc_id = _id(self.prefix, "location", stable_id(
                addr["address_1"] or "", addr["postal_code"] or "", addr["city"] or "",
                f"{meeting['lat']:.5f},{meeting['lon']:.5f}"))
            if loc_id not in self.written:
                self._physical_location(m, loc_id, meeting["lat"], meeting["lon"], tz, addr)
            sal_ids.append(self._sal(service_id, loc_id))
        if venue in ("online", "hybrid"):
            loc_id = _id(self.prefix, "online", self.ids.own_key(service_id, key))
            notes = [_plain(m.get("virtual_meeting_additional_info"))]
            if closed_online:
                notes.insert(0, "Meets online while its place is temporarily closed.")
            self.loader.add("location", {
                "id": loc_id, "organization_id": None, "location_type": "virtual", "url": meeting["link"],
                "name": f"Online: {name}"[:300], "description": "\n".join(filter(None, notes)) or None,
                "latitude": None, "longitude": None, "timezone": tz})
            sal_ids.append(self._sal(service_id, loc_id))

        start, duration = meeting["start"], meeting["duration"]
        length = dt.timedelta(hours=duration.hour, minutes=duration.minute) if duration else dt.timedelta(hours=1)
        closes = (dt.datetime.combine(dt.date.min, start) + (length or dt.timedelta(hours=1))).time()
        self.loader.add("schedule", {
            "id": stable_id("bmlt-schedule", service_id), "service_id": service_id,
            "service_at_location_id": sal_ids[0], "freq": "WEEKLY", "byday": DAYS[meeting["day"] - 1],
            "opens_at": start, "closes_at": closes, "timezone": tz, "attending_type": ATTENDING[venue]})
        if meeting["phone"]:
            self.loader.add("phone", {"id": stable_id("bmlt-phone", service_id), "service_id": service_id,
                                      "number": meeting["phone"], "type": "voice",
                                      "description": "Dial in to the online meeting"})

        attrs = {WORLD_ATTRIBUTES[w] for w in worlds if w in WORLD_ATTRIBUTES}
        attrs.discard("online")
        if venue in ("online", "hybrid"):
            attrs.add("online")
        if venue in ("in_person", "hybrid") and status == "active":
            attrs.add("in_person")
        if closed_online:
            attrs.add("temporarily_closed")
        for code in sorted(attrs):
            self.loader.add("attribute", attribute_link_row(service_id, code))
        self.loader.add("attribute", category_link_row(service_id, "support_group"))
        self._term(self.fellowship.term_id, lambda: fellowships.term_row(self.fellowship))
        for row in fellowships.attribute_rows(service_id, self.fellowship):
            self.loader.add("attribute", row)
        languages = [c for c in map(self.formats.language, meeting["keys"]) if c]
        for k in meeting["keys"]:
            term_id = _id(self.prefix, "format", k)
            self._term(term_id, lambda: {"id": term_id, "code": k[:100], "name": self.formats.name(k),
                                         "description": self.formats.description(k) or f"BMLT format {k}",
                                         "taxonomy": TAXONOMY, "language": text(m.get("lang_enum"), 10) or "en"})
            self.loader.add("attribute", {
                "id": stable_id("bmlt-format", service_id, k), "link_id": service_id, "link_entity": "service",
                "link_type": TAXONOMY, "taxonomy_term_id": term_id, "value": k})
        # The server's language, unless the formats say which: lang_enum is the server's, not the meeting's.
        for code in dict.fromkeys(languages or [language_code(text(m.get("lang_enum")) or "")]):
            if code:
                self.loader.add("language", {"id": stable_id("bmlt-language", service_id, code),
                                             "service_id": service_id, "code": code, "name": None})

    def _term(self, term_id: str, make) -> None:
        if term_id not in self.written:
            self.loader.add("taxonomy_term", make())
            self.written.add(term_id)

    def _org(self, m: dict) -> str:
        org_id = _id(self.prefix, "server")
        if org_id not in self.written:
            root = website(m.get("root_server_uri"))
            host = urlparse(root).hostname if root else None
            name = self.org_name or f"{self.fellowship.name} ({host or self.prefix[len('bmlt-'):]})"
            self.loader.add("organization", {
                "id": org_id, "name": name[:300], "source": "bmlt",
                "website": f"https://{host}" if host else None,
                "description": f"Meetings listed by the BMLT server {root or self.label}."})
            self.written.add(org_id)
        return org_id

    def _address(self, m: dict) -> dict:
        return {"address_1": text(m.get("location_street"), 300), "city": text(m.get("location_municipality"), 100),
                "state_province": text(m.get("location_province"), 100),
                "region": text(m.get("location_sub_province") or m.get("location_city_subsection")
                               or m.get("location_neighborhood"), 100),
                "postal_code": text(m.get("location_postal_code_1"), 20),
                "country": _country(m.get("location_nation")) or self.country or "US"}

    def _physical_location(self, m, loc_id, lat, lon, tz, addr) -> None:
        self.written.add(loc_id)
        notes = [_plain(m.get("location_info")), _plain(m.get("public_transport"))]
        self.loader.add("location", {
            "id": loc_id, "organization_id": None, "location_type": "physical",
            "name": _plain(m.get("location_text")), "description": "\n".join(filter(None, notes)) or None,
            "latitude": lat, "longitude": lon, "timezone": tz, "url": None})
        self.loader.add("address", {
            "id": stable_id("bmlt-address", loc_id), "location_id": loc_id, "address_1": addr["address_1"] or "",
            "city": addr["city"] or "", "region": addr["region"], "state_province": addr["state_province"] or "",
            "postal_code": addr["postal_code"] or "", "country": addr["country"], "address_type": "physical"})

    def _sal(self, service_id: str, location_id: str) -> str:
        sal_id = stable_id("bmlt-sal", service_id, location_id)
        self.loader.add("service_at_location", {"id": sal_id, "service_id": service_id, "location_id": location_id})
        return sal_id

    def _geocode(self, addr: dict):
        """US addresses only: the geocoder knows US ZIPs and cities (and Nominatim, limited to the US)."""
        if addr["country"] != "US":
            return None
        if addr["postal_code"] and geocode.zip_place(addr["postal_code"][:5]):
            return geocode.zip_place(addr["postal_code"][:5])
        parts = [addr["address_1"], addr["city"], " ".join(filter(None, (addr["state_province"], addr["postal_code"])))]
        try:
            return self.geocoder.resolve(", ".join(p for p in parts if p))
        except geocode.PlaceNotFound:
            return None


def import_bmlt(session, meetings: list, source: str, *, formats: list | None = None, label: str | None = None,
                default_timezone: str | None = None, org_name: str | None = None, fellowship: str = "NA",
                tolerance: Tolerance | None = None, geocoder=None, progress: bool = False) -> Report:
    """Import a BMLT server's meetings under `source` (ids `bmlt-<source>:<id_bigint>`). Runs in
    the caller's transaction; raises ImportFailed as import_meetings does (see errors.Tolerance)."""
    check_source(source)
    prefix = f"bmlt-{source}"
    label = label or source
    check_not_empty(meetings, label)
    tolerance = tolerance or Tolerance.of()
    zone = default_zone(meetings, default_timezone)
    votes = Counter(_country(m.get("location_nation")) for m in meetings if isinstance(m, dict))
    votes.pop(None, None)
    report = Report(source=f"{label} (BMLT, ids '{prefix}:<id_bigint>')")
    feed_is = fellowships.named(fellowship)
    geocoder = geocoder or geocode.default_geocoder()

    def note_zone() -> None:
        if zone:
            report.notes.append(f"Meetings without a time_zone: {zone}" + (
                "" if default_timezone else " (from the meetings' country; --default-timezone to change)"))
    return import_feed(session, meetings, prefix, report, label, tolerance, feed_is, progress=progress,
                       before_prune=note_zone,
                       make_reader=lambda loader: _Server(report, loader, prefix, label, _Formats(formats), zone,
                                                          org_name, feed_is, tolerance, geocoder,
                                                          votes.most_common(1)[0][0] if votes else None))
