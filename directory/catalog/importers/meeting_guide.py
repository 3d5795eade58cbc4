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

Bad input. Malformed values (a time "25:99", a day 9, a latitude "abc", a duplicate slug, an
unknown time zone) stop the import with a message naming the meeting and field. A meeting with no
coordinates whose address cannot be geocoded is skipped and listed in the summary.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from sqlalchemy import select

from directory.catalog import geocode
from directory.catalog.importers.errors import ImportFailed, Report
from directory.catalog.importers.loader import Loader
from directory.catalog.importers.fields import clock_time, coordinates, text, timestamp, timezone_name
from directory.catalog.importers.finish import finish
from directory.catalog.importers.runtime import progress_bar
from directory.catalog.models import Attribute, Location, Organization, Service, ServiceAtLocation
from directory.base import utcnow
from directory.catalog.taxonomy import attribute_link, category_link, stable_id

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
CHUNK = 500


def source_key(path_or_url: str) -> str:
    """'../oc.json' -> 'oc'; 'https://aa.example.org/wp-admin/...' -> 'aa.example.org'."""
    if re.match(r"^https?://", path_or_url):
        from urllib.parse import urlparse
        return urlparse(path_or_url).hostname or "feed"
    return Path(path_or_url).stem


def load_feed(path_or_url: str, timeout: float = 30.0) -> list:
    """The feed's meetings: a JSON list from a file or a URL. Bad JSON is an ImportFailed."""
    label = path_or_url
    if re.match(r"^https?://", path_or_url):
        import requests
        try:
            resp = requests.get(path_or_url, timeout=timeout, headers={"Accept": "application/json"})
            resp.raise_for_status()
        except requests.RequestException as exc:
            raise ImportFailed(label, f"could not be fetched ({exc}). Check the URL, or download the file "
                                      "and import it from disk.") from None
        raw = resp.text
    else:
        path = Path(path_or_url)
        if not path.is_file():
            raise ImportFailed(label, "is not a file. Give the path of a Meeting Guide JSON feed or its URL.")
        raw = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ImportFailed(label, f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
                                  "is the file complete?") from None
    if isinstance(data, dict) and isinstance(data.get("meetings"), list):
        data = data["meetings"]
    if not isinstance(data, list):
        raise ImportFailed(label, "is not a Meeting Guide feed: expected a JSON list of meetings.")
    return data


def load_type_labels(path) -> dict[str, str]:
    """types.json of the spec ({code: {"en": label, ...}}) -> {code: English label}."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {code: (v.get("en") if isinstance(v, dict) else str(v)) for code, v in data.items()}


def _id(*parts) -> str:
    joined = ":".join(str(p) for p in parts)
    return joined if len(joined) <= 64 else f"{parts[0]}:{stable_id(*map(str, parts))}"


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
    return list(dict.fromkeys(str(t).strip() for t in value if str(t).strip()))


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
    """One feed's import: meetings to rows, and what is written once (groups, places, type terms)."""

    def __init__(self, report, loader, prefix, label, org_name, type_labels, geocoder):
        self.report, self.loader = report, loader
        self.prefix, self.label = prefix, label
        self.org_name = org_name
        self.type_labels = type_labels
        self.geocoder = geocoder
        self.terms_written: set[str] = set()
        self.orgs_written: set[str] = set()
        self.locations_written: set[str] = set()  # meetings share places: write each once
        self.feed_tz: str | None = None
        self.service_ids: list[str] = []
        self.slugs: dict[str, int] = {}

    def feed_org(self, m: dict) -> str:
        org_id = _id(self.prefix, "feed")
        if org_id not in self.orgs_written:
            name = self.org_name or text(m.get("entity"), 300) or f"Meeting Guide feed ({self.prefix})"
            self.loader.add("organization", {
                "id": org_id, "name": name, "source": "meeting-guide", "website": text(m.get("entity_url"), 500),
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

    def meeting(self, index: int, m) -> None:
        where = f"{self.label}, meeting {index}"
        if not isinstance(m, dict):
            raise ImportFailed(where, "is not a JSON object")
        slug = text(m.get("slug"))
        if slug is None:
            raise ImportFailed(where, "is missing (every meeting needs a unique slug)", "slug")
        where = f"{self.label}, meeting {index} (slug '{slug}')"
        if slug in self.slugs:
            raise ImportFailed(where, f"is used twice: meetings {self.slugs[slug]} and {index}", "slug", slug)
        self.slugs[slug] = index
        name = text(m.get("name"), 300)
        if name is None:
            raise ImportFailed(where, "is missing", "name")
        days = _days(m.get("day"), where)
        start = clock_time(m.get("time"), where, "time")
        end = clock_time(m.get("end_time"), where, "end_time")
        tz = timezone_name(m.get("timezone"), where, "timezone")
        types = _types(m.get("types"), where)
        approximate = str(m.get("approximate", "")).strip().lower() in ("yes", "true", "1")
        lat, lon = coordinates(m.get("latitude"), m.get("longitude"), where, self.report)
        conference_url = self._web_address(text(m.get("conference_url"), 500), slug)
        attendance = _attendance(m, approximate, conference_url)
        addr = _address(m)

        in_person = attendance in ("in_person", "hybrid") or (attendance == "inactive" and not approximate)
        if in_person and lat is None:
            place = self._geocode(addr)
            if place is None:
                self.report.skip(slug, "no coordinates, and the address could not be geocoded")
                return
            lat, lon = place.lat, place.lon
            addr["postal_code"] = addr["postal_code"] or place.postal_code
            self.report.warn("meetings geocoded from their address or ZIP", slug)
        if tz is None and lat is not None:
            tz = geocode.timezone_for(lat, lon, addr["postal_code"])
        tz = tz or self.feed_tz
        self.feed_tz = self.feed_tz or tz

        service_id = _id(self.prefix, slug)
        group = text(m.get("group"), 300)
        org_id = self.group_org(m, group) if group else self.feed_org(m)
        status = "active"
        if attendance == "inactive":
            status = "inactive"
        elif "TC" in types and attendance != "online":
            status = "temporarily closed"
        notes = "\n\n".join(p for p in (text(m.get("notes")), text(m.get("group_notes")) if not group else None) if p)
        self.loader.add("service", {
            "id": service_id, "organization_id": org_id, "name": name, "description": notes or None,
            "url": text(m.get("url"), 500), "status": status, "category": "support_group",
            "last_modified": self._updated(m.get("updated"), where, slug),
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
        if attendance in ("online", "hybrid") or (attendance == "inactive" and approximate):
            online_lat, online_lon = (lat, lon) if attendance == "online" else (None, None)
            loc_id = _id(self.prefix, "online", slug)
            self.loader.add("location", {
                "id": loc_id, "organization_id": None, "location_type": "virtual", "url": conference_url,
                "name": f"Online: {name}"[:300], "description": text(m.get("conference_url_notes")),
                "latitude": online_lat, "longitude": online_lon, "timezone": tz})
            sal_ids.append(self._sal(service_id, loc_id))

        if start is None and days:
            self.report.warn("meetings with a day but no time got no schedule", slug)
        if start is not None:
            closes = end or (dt.datetime.combine(dt.date.min, start) + dt.timedelta(hours=1)).time()
            attending = {"in_person": "in person", "online": "online", "hybrid": "hybrid"}.get(attendance)
            for d in days:
                self.loader.add("schedule", {
                    "id": stable_id("mg-schedule", service_id, str(d)), "service_id": service_id,
                    "service_at_location_id": sal_ids[0] if sal_ids else None, "freq": "WEEKLY",
                    "byday": DAYS[d], "opens_at": start, "closes_at": closes, "timezone": tz,
                    "attending_type": attending, "description": text(m.get("time_formatted"))})

        phone = text(m.get("conference_phone"), 50)
        if phone:
            self.loader.add("phone", {"id": stable_id("mg-phone", service_id), "service_id": service_id,
                                      "number": phone, "type": "voice",
                                      "description": "Dial in to the online meeting"})

        attrs = {TYPE_ATTRIBUTES[t] for t in types if t in TYPE_ATTRIBUTES}
        if attendance in ("online", "hybrid"):
            attrs.add("online")
        if in_person and attendance != "inactive":
            attrs.add("in_person")
        for code in sorted(attrs):
            self.loader.add("attribute", _row(attribute_link(service_id, code)))
        self.loader.add("attribute", _row(category_link(service_id, "support_group")))
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

    def _web_address(self, url: str | None, slug: str) -> str | None:
        """Feeds often leave out the scheme ("zoom.us/j/123"); anything else is dropped, not fatal."""
        if url is None or re.match(r"^https?://", url, re.I):
            return url
        if re.match(r"^[\w-]+(\.[\w-]+)+(/\S*)?$", url):
            return "https://" + url
        self.report.warn("conference_urls that are not web addresses were dropped", f"{slug}: {url}")
        return None

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
            "latitude": lat, "longitude": lon, "timezone": tz, "url": text(m.get("location_url"), 500)})
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


def _row(attr: Attribute) -> dict:
    return {c.name: getattr(attr, c.key) for c in Attribute.__table__.columns}


def _replace_children(loader: Loader, service_ids: list[str]) -> None:
    """Re-imported meetings get their schedules, phones, languages, attributes and places anew."""
    existing = loader.existing_ids("service", service_ids)
    if not existing:
        return
    for table, column in (("schedule", "service_id"), ("phone", "service_id"), ("language", "service_id"),
                          ("attribute", "link_id"), ("service_at_location", "service_id")):
        loader.delete_where_in(table, column, existing)


def _prune(session, loader: Loader, prefix: str, keep: set[str]) -> None:
    """Remove this feed's meetings (and then-empty places and groups) that left the feed."""
    from sqlalchemy import delete
    loader.flush()
    stale = [sid for sid in session.scalars(select(Service.id).where(Service.id.startswith(prefix + ":", autoescape=True)))
             if sid not in keep]
    if stale:
        loader.delete_where_in("attribute", "link_id", stale)
        loader.report.removed["service"] += loader.delete_where_in("service", "id", stale)
    orphans = session.scalars(
        select(Location.id).where(Location.id.startswith(prefix + ":", autoescape=True))
        .where(~select(ServiceAtLocation.id).where(ServiceAtLocation.location_id == Location.id).exists())).all()
    if orphans:
        loader.report.removed["location"] += loader.delete_where_in("location", "id", orphans)
    empty = session.scalars(
        select(Organization.id).where(Organization.id.startswith(prefix + ":", autoescape=True))
        .where(~select(Service.id).where(Service.organization_id == Organization.id).exists())).all()
    if empty:
        loader.report.removed["organization"] += session.execute(
            delete(Organization).where(Organization.id.in_(empty))).rowcount or 0


def import_meetings(session, meetings: list, source: str, *, label: str | None = None, org_name: str | None = None,
                    type_labels: dict[str, str] | None = None, geocoder=None, progress: bool = False) -> Report:
    """Import a feed's meetings under the source key `source` (e.g. 'oc'). Returns the report.

    Runs in the caller's transaction; raises ImportFailed on malformed input.
    """
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,23}$", source or ""):
        raise ImportFailed(f"source '{source}'", "must be 1-24 letters, digits, '.', '_' or '-' (e.g. 'oc')")
    prefix = f"mg-{source}"
    label = label or source
    report = Report(source=f"{label} (Meeting Guide, ids '{prefix}:<slug>')")
    loader = Loader(session, report)
    feed = _Feed(report, loader, prefix, label, org_name, type_labels or {},
                 geocoder or geocode.default_geocoder())
    with progress_bar(progress, total=len(meetings), desc=f"meetings {label}", unit="meetings") as bar:
        for start in range(0, len(meetings), CHUNK):
            chunk = meetings[start:start + CHUNK]
            ids = [_id(prefix, text(m.get("slug"))) for m in chunk if isinstance(m, dict) and text(m.get("slug"))]
            _replace_children(loader, ids)
            for offset, m in enumerate(chunk):
                feed.meeting(start + offset + 1, m)
            bar.update(len(chunk))
    _prune(session, loader, prefix, set(feed.service_ids))
    report.service_ids = feed.service_ids
    return finish(loader, progress)
