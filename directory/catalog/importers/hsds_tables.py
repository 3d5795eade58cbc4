"""HSDS 3.0 table rows (from CSV files or flattened JSON documents) -> our rows, checked.

Ids. HSDS 3.0 ids are UUIDs, unique across publishers, so they are kept as they are: importing
the same data again updates the same rows. Terms of our own vocabularies (taxonomy
`signpost-category` / `signpost-attribute`, as our export writes them) map back onto our terms by
code, so an exported directory re-imports with its categories and filters.

References. A row may point at rows of the same import or rows already in the database. A
required reference that points nowhere (a service's organization_id, a service_at_location's
service_id or location_id, an address's location_id, an attribute's taxonomy_term_id) is an error
naming the file, row and field; an optional one (a location's organization_id, a phone's
service_id, ...) is dropped with a warning. Unknown ids are looked up in the database in batches
(one IN query per table per batch), never row by row.

Categories and filters. A service's category comes from an attribute linking it to one of our
category terms, else from 211/AIRS codes on its taxonomy terms (directory/catalog/importers/taxonomy_map.py);
AIRS codes also add attribute codes (MAT-friendly, LGBTQ+, ...). Bed counts (capacity) and a
category set by hand are never overwritten by an HSDS re-import.

Locations without coordinates are placed at their address's ZIP code centre (offline) and
reported; locations get the time zone of their ZIP code (else of the nearest ZIP centre).
"""
from __future__ import annotations

import functools
import re
from collections import defaultdict

from directory.catalog import geocode
from directory.catalog.importers.errors import ImportFailed, Report
from directory.catalog.importers.loader import Loader
from directory.catalog.importers.fields import clock_time, coordinates, date, integer, number, text, timestamp, website
from directory.catalog.importers.taxonomy_map import attributes_for_codes, category_for_codes
from directory.base import utcnow
from directory.catalog.codes import ATTRIBUTES, CATEGORIES, language_code
from directory.catalog.taxonomy import (ATTRIBUTE_TAXONOMY, CATEGORY_TAXONOMY, attribute_link_row, attribute_term_id,
                                        category_term_id, stable_id)

_MISSING = object()
SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
LOCATION_TYPES = ("physical", "postal", "virtual")
_BYDAY = re.compile(r"^\s*[+-]?\d{0,2}(MO|TU|WE|TH|FR|SA|SU)\s*(,\s*[+-]?\d{0,2}(MO|TU|WE|TH|FR|SA|SU)\s*)*$")

# table -> [(field, referenced table, required)]
REFERENCES = {
    "service": [("organization_id", "organization", True)],
    "location": [("organization_id", "organization", False)],
    "service_at_location": [("service_id", "service", True), ("location_id", "location", True)],
    "address": [("location_id", "location", True)],
    "phone": [("location_id", "location", False), ("service_id", "service", False),
              ("organization_id", "organization", False), ("service_at_location_id", "service_at_location", False)],
    "schedule": [("service_id", "service", False), ("location_id", "location", False),
                 ("service_at_location_id", "service_at_location", False)],
    "language": [("service_id", "service", False), ("location_id", "location", False)],
    "accessibility": [("location_id", "location", True)],
    "attribute": [("taxonomy_term_id", "taxonomy_term", True)],
}
# What every table needs to be usable at all.
REQUIRED_FIELDS = {
    "organization": ("id", "name"), "service": ("id", "organization_id", "name"), "location": ("id",),
    "service_at_location": ("id", "service_id", "location_id"), "address": ("id", "location_id"),
    "phone": ("id", "number"), "schedule": ("id",), "language": ("id",), "accessibility": ("id", "location_id"),
    "taxonomy_term": ("id", "name"), "attribute": ("id", "link_id", "taxonomy_term_id"),
}
PRESERVE_ON_UPDATE = {"service": {"category", "capacity_available", "capacity_maximum", "capacity_unit",
                                  "capacity_updated_at", "capacity_updated_by"}}


class HsdsWriter:
    """Takes HSDS 3.0 rows table by table (parents before children) and writes ours through a Loader."""

    def __init__(self, session, report: Report, pending_limit: int | None = 1000, big: bool = False):
        self.session = session
        self.report = report
        self.loader = Loader(session, report, preserve=PRESERVE_ON_UPDATE, checks_references=True, big=big)
        self.pending_limit = pending_limit
        self.known: dict[str, set[str]] = defaultdict(set)  # ids written by this import
        self.in_db: dict[str, set[str]] = defaultdict(set)
        # Our own terms are in every database (the Loader's ensure_vocabulary, before any row):
        # links to them need no lookup (HSDS JSON's pending rows would otherwise wait for the end).
        self.in_db["taxonomy_term"].update(category_term_id(code) for code in CATEGORIES)
        self.in_db["taxonomy_term"].update(attribute_term_id(code) for code in ATTRIBUTES)
        self.absent: dict[str, set[str]] = defaultdict(set)
        self.to_check: dict[str, set[str]] = defaultdict(set)
        self.pending: list[tuple[str, dict, str]] = []
        self.term_alias: dict[str, str] = {}  # imported id of one of our terms -> our id
        self.term_codes: dict[str, str] = {}  # imported AIRS-like term id -> code
        self.location_postcodes: dict[str, str] = {}  # location id -> ZIP, to place and zone locations
        self.service_codes: dict[str, list[str]] = defaultdict(list)
        self.service_category: dict[str, str] = {}
        self.touched: dict[str, None] = {}  # service ids, ordered
        self._tz_cache: dict[tuple, str | None] = {}
        self._zip_zones: dict[str, str | None] = {}  # postcode -> its ZIP's time zone
        self.now = utcnow()
        self._good_byday: set[str] = set()
        self.handlers = {table: getattr(self, "_" + table) for table in REQUIRED_FIELDS}
        # table -> its references with the id sets they are checked against (the sets live as long as the writer)
        self._ref_plans: dict[str, list[tuple]] = {}

    # ---- entry points

    def add(self, table: str, row: dict, where: str) -> None:
        for name in REQUIRED_FIELDS[table]:
            value = row.get(name)
            if not value or (value.__class__ is str and not value.strip()):
                if value != 0:
                    raise ImportFailed(where, "is missing (required)", name)
        row_id = row["id"]
        if (len(row_id) if row_id.__class__ is str else len(str(row_id))) > 64:
            raise ImportFailed(where, "is longer than 64 characters", "id", row_id)
        # References resolved once, here: the handler gets them (None: it resolves them itself,
        # to warn or fail about one known to be missing).
        refs: dict = {}
        missing = slow = False
        plan = self._ref_plans.get(table)
        if plan is None:
            plan = self._ref_plans[table] = [
                (name, target, target == "taxonomy_term", self.known[target], self.in_db[target], self.absent[target])
                for name, target, _required in REFERENCES.get(table, ())]
        for name, target, is_term, known, in_db, absent in plan:
            value = row.get(name)
            value = (value.strip() or None) if value.__class__ is str else text(value)
            if value is None:
                refs[name] = None
                continue
            if is_term:
                value = self.term_alias.get(value, value)
            if value in known or value in in_db:
                refs[name] = value
            elif value in absent:
                slow = True
            else:
                self.to_check[target].add(value)
                missing = True
        if missing:
            self.pending.append((table, row, where))
            if self.pending_limit is not None and len(self.pending) >= self.pending_limit:
                self.resolve()
            return
        self.handlers[table](row, where, None if slow else refs)

    def resolve(self) -> None:
        """Look up the ids the pending rows point at (one IN query per table), then write them."""
        for target, ids in self.to_check.items():
            found = self.loader.existing_ids(target, ids)
            self.in_db[target] |= found
            self.absent[target] |= set(ids) - found
        self.to_check.clear()
        pending, self.pending = self.pending, []
        for table, row, where in pending:
            self._write(table, row, where)

    def table_done(self, table: str) -> None:
        """All rows of `table` have been added: write the pending ones, and let the Loader know
        when no more will come (finish() still writes services' categories and attributes)."""
        self.resolve()
        if table not in ("service", "attribute"):
            self.loader.table_done(table)

    def finish(self) -> None:
        """Write what is pending, then categories and implied attributes."""
        self.resolve()
        self.loader.flush()
        updates = []
        for service_id, codes in self.service_codes.items():
            category = self.service_category.get(service_id) or category_for_codes(codes)
            if category and service_id not in self.service_category:
                self.service_category[service_id] = category
                self.loader.add("attribute", _category_attr(service_id, category))
            for code in attributes_for_codes(codes):
                self.loader.add("attribute", attribute_link_row(service_id, code))
        for service_id, category in self.service_category.items():
            updates.append({"sid": service_id, "category": category})
        self.loader.flush()
        mark = self.loader.placeholder
        sql = f"UPDATE service SET category = {mark} WHERE id = {mark}"
        for i in range(0, len(updates), 5000):  # the driver's executemany: a million rows, no per-row overhead
            self.loader.execute_many(sql, [(u["category"], u["sid"]) for u in updates[i:i + 5000]])
        self.report.service_ids = list(self.touched)

    # ---- checks

    def _ref(self, table: str, row: dict, where: str) -> dict:
        out = {}
        for name, target, required in REFERENCES.get(table, ()):
            value = text(row.get(name))
            if value is None:
                out[name] = None
                continue
            if target == "taxonomy_term":
                value = self.term_alias.get(value, value)
            if value in self.known[target] or value in self.in_db[target]:
                out[name] = value
            elif required:
                raise ImportFailed(where, f"points at a {target.replace('_', ' ')} that is neither in this import "
                                          "nor in the database", name, value)
            else:
                self.report.warn(f"{table} rows pointing at a missing {target.replace('_', ' ')} ({name}) "
                                 "lost that link", f"{where}: {value}")
                out[name] = None
        return out

    def _write(self, table: str, row: dict, where: str) -> None:
        self.handlers[table](row, where, None)

    # ---- tables

    def _taxonomy_term(self, row, where, _refs=None):
        term_id, code = text(row["id"]), text(row.get("code"), 100)
        taxonomy = text(row.get("taxonomy"), 100)
        if taxonomy == CATEGORY_TAXONOMY and code in CATEGORIES:
            self.term_alias[term_id] = category_term_id(code)
            return
        if taxonomy == ATTRIBUTE_TAXONOMY and code in ATTRIBUTES:
            self.term_alias[term_id] = attribute_term_id(code)
            return
        if code:
            self.term_codes[term_id] = code
        self.loader.add("taxonomy_term", {
            "id": term_id, "code": code, "name": text(row.get("name"), 300),
            "description": text(row.get("description")) or text(row.get("name")),
            "parent_id": text(row.get("parent_id"), 64), "taxonomy": taxonomy,
            "language": text(row.get("language"), 10), "term_uri": text(row.get("term_uri"), 500)})
        self.known["taxonomy_term"].add(term_id)

    def _organization(self, row, where, _refs=None):
        org_id = text(row["id"])
        self.loader.add("organization", {
            "id": org_id, "name": text(row["name"], 300), "alternate_name": text(row.get("alternate_name"), 300),
            "description": text(row.get("description")) or "", "email": text(row.get("email"), 200),
            "website": website(row.get("website") or row.get("url"), 500, keep_other=True),
            "legal_status": text(row.get("legal_status"), 100),
            "year_incorporated": integer(row.get("year_incorporated"), where, "year_incorporated"),
            "source": text(row.get("_source"), 50) or "hsds"})
        self.known["organization"].add(org_id)

    def _service(self, row, where, refs=None):
        if refs is None:
            refs = self._ref("service", row, where)
        service_id = text(row["id"])
        status = (text(row.get("status")) or "active").lower()
        if status not in SERVICE_STATUSES:
            raise ImportFailed(where, f"is not one of {', '.join(SERVICE_STATUSES)}", "status", row.get("status"))
        age_min = number(row.get("minimum_age"), where, "minimum_age")
        age_max = number(row.get("maximum_age"), where, "maximum_age")
        category = text(row.get("_category"))
        self.loader.add("service", {
            "id": service_id, "organization_id": refs["organization_id"], "name": text(row["name"], 300),
            "alternate_name": text(row.get("alternate_name"), 300), "description": text(row.get("description")),
            "url": website(row.get("url"), 500, keep_other=True), "email": text(row.get("email"), 200), "status": status,
            "interpretation_services": text(row.get("interpretation_services")),
            "application_process": text(row.get("application_process")),
            "fees_description": text(row.get("fees_description")) or text(row.get("fees")),
            "eligibility_description": text(row.get("eligibility_description")),
            "minimum_age": None if age_min is None else int(age_min),
            "maximum_age": None if age_max is None else int(age_max),
            "alert": text(row.get("alert")), "assured_date": date(row.get("assured_date"), where, "assured_date"),
            "assurer_email": text(row.get("assurer_email"), 200),
            "last_modified": timestamp(row.get("last_modified"), where, "last_modified") or self.now,
            "category": category,
            **_capacity_columns(row.get("_capacity"), where),
        })
        self.known["service"].add(service_id)
        if category:
            self.service_category[service_id] = category
            self.loader.add("attribute", _category_attr(service_id, category))
        self.touched[service_id] = None

    def _location(self, row, where, refs=None):
        if refs is None:
            refs = self._ref("location", row, where)
        location_id = text(row["id"])
        location_type = (text(row.get("location_type")) or "physical").lower()
        if location_type not in LOCATION_TYPES:
            raise ImportFailed(where, f"is not one of {', '.join(LOCATION_TYPES)}", "location_type",
                               row.get("location_type"))
        lat, lon = coordinates(row.get("latitude"), row.get("longitude"), where, self.report)
        postcode = self.location_postcodes.get(location_id)
        if lat is None and location_type == "physical":
            place = geocode.zip_place(postcode[:5]) if postcode else None
            if place:
                lat, lon = place.lat, place.lon
                self.report.warn("locations without coordinates were placed at their ZIP code's centre", where)
            else:
                self.report.warn("locations without coordinates or a known ZIP code are not searchable by distance",
                                 where)
        self.loader.add("location", {
            "id": location_id, "organization_id": refs["organization_id"], "location_type": location_type,
            "url": website(row.get("url"), 500, keep_other=True), "name": text(row.get("name"), 300),
            "alternate_name": text(row.get("alternate_name"), 300), "description": text(row.get("description")),
            "transportation": text(row.get("transportation")), "latitude": lat, "longitude": lon,
            "timezone": text(row.get("_timezone")) or _zone(row.get("timezone_name")) or self._timezone(lat, lon, postcode),
            "external_identifier": text(row.get("external_identifier"), 100),
            "external_identifier_type": text(row.get("external_identifier_type"), 100)})
        self.known["location"].add(location_id)

    def _timezone(self, lat, lon, postcode) -> str | None:
        if postcode:
            zone = self._zip_zones.get(postcode, _MISSING)
            if zone is _MISSING:  # a million locations share a few thousand ZIPs
                place = geocode.zip_place(postcode[:5])
                zone = self._zip_zones[postcode] = place.timezone if place else None
            if zone:
                return zone
        if lat is None:
            return None
        key = (round(lat, 1), round(lon, 1))
        if key not in self._tz_cache:
            self._tz_cache[key] = geocode.timezone_for(lat, lon)
        return self._tz_cache[key]

    def _service_at_location(self, row, where, refs=None):
        if refs is None:
            refs = self._ref("service_at_location", row, where)
        sal_id = text(row["id"])
        self.loader.add("service_at_location", {"id": sal_id, "service_id": refs["service_id"],
                                                "location_id": refs["location_id"],
                                                "description": text(row.get("description"))})
        self.known["service_at_location"].add(sal_id)
        self.touched[refs["service_id"]] = None

    def _address(self, row, where, refs=None):
        if refs is None:
            refs = self._ref("address", row, where)
        address_type = (text(row.get("address_type")) or "physical").lower()
        if address_type not in LOCATION_TYPES:
            raise ImportFailed(where, f"is not one of {', '.join(LOCATION_TYPES)}", "address_type",
                               row.get("address_type"))
        country = (text(row.get("country")) or "US").upper()
        self.loader.add("address", {
            "id": text(row["id"]), "location_id": refs["location_id"], "attention": text(row.get("attention"), 200),
            "address_1": text(row.get("address_1"), 300) or "", "address_2": text(row.get("address_2"), 300),
            "city": text(row.get("city"), 100) or "", "region": text(row.get("region"), 100),
            "state_province": text(row.get("state_province"), 100) or "",
            "postal_code": text(row.get("postal_code"), 20) or "", "country": country[:2],
            "address_type": address_type})

    def _phone(self, row, where, refs=None):
        if refs is None:
            refs = self._ref("phone", row, where)
        ext = row.get("extension")
        if isinstance(ext, float) and ext.is_integer():
            ext = int(ext)
        self.loader.add("phone", {
            "id": text(row["id"]), **{k: refs[k] for k in ("location_id", "service_id", "organization_id")},
            "number": text(row["number"], 50), "extension": text(ext, 20), "type": text(row.get("type"), 20),
            "description": text(row.get("description"))})
        if refs["service_id"]:
            self.touched[refs["service_id"]] = None

    def _schedule(self, row, where, refs=None):
        if refs is None:
            refs = self._ref("schedule", row, where)
        byday = text(row.get("byday"))
        if byday and byday not in self._good_byday:
            if not _BYDAY.match(byday.upper()):
                raise ImportFailed(where, "is not a list of days like 'MO,TU,WE'", "byday", byday)
            self._good_byday.add(byday)
        freq = text(row.get("freq"))
        if freq and freq.upper() not in ("WEEKLY", "MONTHLY"):
            raise ImportFailed(where, "is not WEEKLY or MONTHLY", "freq", freq)
        interval = integer(row.get("interval"), where, "interval")
        self.loader.add("schedule", {
            "id": text(row["id"]), **refs,
            "valid_from": date(row.get("valid_from"), where, "valid_from"),
            "valid_to": date(row.get("valid_to"), where, "valid_to"),
            "timezone": text(row.get("_timezone"), 64) or _zone(row.get("timezone_name")),
            "freq": freq.upper() if freq else None, "interval": interval,
            "byday": byday.upper().replace(" ", "") if byday else None,
            "opens_at": clock_time(row.get("opens_at"), where, "opens_at"),
            "closes_at": clock_time(row.get("closes_at"), where, "closes_at"),
            "description": text(row.get("description")), "attending_type": text(row.get("attending_type"), 50),
            "notes": text(row.get("notes"))})
        if refs["service_id"]:
            self.touched[refs["service_id"]] = None

    def _language(self, row, where, refs=None):
        if refs is None:
            refs = self._ref("language", row, where)
        name, code = text(row.get("name")), text(row.get("code"))
        if code and len(code) > 10:
            raise ImportFailed(where, "is not a language code (e.g. 'es', 'spa')", "code", code)
        if name and len(name) > 100:
            note = text(row.get("note"))
            row = {**row, "note": "\n".join(p for p in (name, note) if p)}
            name = name[:100]
        self.loader.add("language", {"id": text(row["id"]), **refs, "name": name,
                                     "code": language_code(code or "") or code, "note": text(row.get("note"))})
        if refs["service_id"]:
            self.touched[refs["service_id"]] = None

    def _accessibility(self, row, where, refs=None):
        if refs is None:
            refs = self._ref("accessibility", row, where)
        self.loader.add("accessibility", {"id": text(row["id"]), **refs, "description": text(row.get("description")),
                                          "details": text(row.get("details")), "url": text(row.get("url"), 500)})

    def _attribute(self, row, where, refs=None):
        if refs is None:
            refs = self._ref("attribute", row, where)
        term_id, link_id = refs["taxonomy_term_id"], text(row["link_id"], 64)
        link_entity = text(row.get("link_entity"), 50) or "service"
        is_service = link_id in self.known["service"] or link_entity == "service"
        if term_id.startswith("signpost-category-") and is_service:
            code = term_id[len("signpost-category-"):]
            self.service_category[link_id] = code
            self.loader.add("attribute", _category_attr(link_id, code))
            self.touched[link_id] = None
            return
        if term_id in self.term_codes and is_service:
            self.service_codes[link_id].append(self.term_codes[term_id])
        self.loader.add("attribute", {
            "id": text(row["id"]), "link_id": link_id, "link_entity": link_entity,
            "link_type": text(row.get("link_type"), 50), "taxonomy_term_id": term_id,
            "value": text(row.get("value"), 300)})
        if is_service:
            self.touched[link_id] = None


def _zone(value) -> str | None:
    """An IANA time zone name (our export's `timezone_name`), or None when it is not one."""
    name = text(value, 64)
    return _known_zone(name) if name else None


@functools.lru_cache(maxsize=1024)  # a few hundred zones, on every location and schedule of an export
def _known_zone(name: str) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


CAPACITY_COLUMNS = ("capacity_available", "capacity_maximum", "capacity_unit", "capacity_updated_at")


def _capacity_columns(cap, where: str) -> dict:
    """HSDS 3.1 service_capacity -> our capacity columns (kept on re-import: PRESERVE_ON_UPDATE)."""
    if not isinstance(cap, dict):
        return dict.fromkeys(CAPACITY_COLUMNS)
    available = integer(cap.get("available"), where, "capacities.available")
    maximum = integer(cap.get("maximum"), where, "capacities.maximum")
    unit = cap.get("unit")
    unit = text(unit.get("name") if isinstance(unit, dict) else unit, 30)
    return {"capacity_available": available, "capacity_maximum": maximum, "capacity_unit": unit or "beds",
            "capacity_updated_at": timestamp(cap.get("updated"), where, "capacities.updated")}


def _category_attr(service_id: str, code: str) -> dict:
    """vocabulary.category_link as a plain row (no ORM object per row: this runs a million times)."""
    return {"id": stable_id("category", service_id), "link_id": service_id, "link_entity": "service",
            "link_type": "category", "taxonomy_term_id": category_term_id(code), "value": None}


def _attr_row(attr) -> dict:
    if isinstance(attr, dict):
        return attr
    from directory.catalog.models import Attribute
    return {c.name: getattr(attr, c.key) for c in Attribute.__table__.columns}
