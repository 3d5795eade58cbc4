"""SAMHSA FindTreatment facilities (findtreatment.gov's locator rows, facilities.json) -> treatment listings.

Each row is a facility: one organization per provider name (`name1`), one service and one
location per facility. Ids: `samhsa:<first 40 hex digits of frid>` (frid is a 64-digit hash,
longer than our ids; 40 digits are still unique). Substance use facilities (`typeFacility` SA)
and mental health facilities that treat substance use are `treatment`; other mental health
facilities are listed without a category. The `services` codes become attributes people filter
on: MAT-friendly (accepts clients on opioid medication, methadone, buprenorphine, naltrexone),
takes insurance / Medicaid, sliding scale, women / men only, LGBTQ+, veterans, and languages.
"""
from __future__ import annotations

import re
from pathlib import Path

from directory.catalog.importers import loader
from directory.catalog.importers import pipeline
from directory.catalog.importers.errors import ImportFailed, Report
from directory.catalog.importers.finish import finish
from directory.catalog.importers.runtime import progress_bar
from directory.catalog.importers.fields import text
from directory.catalog.importers.hsds_tables import HsdsWriter
from directory.catalog.importers.json_stream import JsonList
from directory.catalog.codes import language_code
from directory.catalog.taxonomy import attribute_link_row, stable_id

LABELS = {"TC": "Type of care", "SET": "Settings", "OT": "Opioid treatment", "PHR": "Medications",
          "SG": "Special programs", "AGE": "Ages", "GN": "Genders", "PAY": "Payment accepted",
          "PYAS": "Payment assistance", "FT": "Facility type", "EMS": "Emergency services"}
DESCRIPTION_CODES = ("TC", "FT", "SET", "OT", "PHR", "SG", "EMS")
_FRID = re.compile(r"^[A-Za-z0-9_-]+$")
_SUBSTANCE = re.compile(r"substance|co-occurring|addiction", re.I)
_MAT = re.compile(r"accepts clients on opioid medication|methadone|buprenorphine|naltrexone")
_LIST_SPLIT = re.compile(r";\s*")


def _phone_parts(number: str) -> tuple[str, str | None]:
    m = re.match(r"^(.*?)\s*(?:x|ext\.?)\s*(\d+)\s*$", number, re.I)
    return (m.group(1).strip(), m.group(2)) if m else (number, None)


def attributes_of(services: dict[str, str]) -> set[str]:
    """Attribute codes from the facility's service codes ({'OT': 'Accepts clients on ...', ...})."""
    attrs = set()
    mat_text = " ".join(services.get(k, "") for k in ("OT", "PHR", "OM", "SET")).lower()
    if _MAT.search(mat_text):
        attrs.add("mat_friendly")
    pay = services.get("PAY", "").lower()
    if "medicaid" in pay or "insurance" in pay:
        attrs.add("insurance")
    if "sliding fee" in services.get("PYAS", "").lower():
        attrs.add("sliding_scale")
    genders = {g.strip().lower() for g in services.get("GN", "").split(";") if g.strip()}
    if genders == {"female"}:
        attrs.add("women")
    elif genders == {"male"}:
        attrs.add("men")
    groups = services.get("SG", "").lower()
    if "lgbt" in groups:
        attrs.add("lgbtq")
    if "veterans" in groups:
        attrs.add("veterans")
    ages = {a.strip().lower() for a in services.get("AGE", "").split(";") if a.strip()}
    if ages and ages <= {"children/adolescents", "young adults"}:
        attrs.add("youth")
    if "walk-in" in " ".join(services.values()).lower():
        attrs.add("walk_in")
    return attrs


def import_file(session, path, *, progress: bool = False) -> Report:
    """Facilities are read one at a time (json_stream), so memory does not grow with the file; a
    big file is read and checked in a second process while this one writes (importers/pipeline.py)."""
    path = Path(path)
    size = path.stat().st_size
    report = Report(source=f"{path} (SAMHSA FindTreatment, ids 'samhsa:<frid>')")
    big = size >= loader.BIG_IMPORT_BYTES
    writer = HsdsWriter(session, report, big=big)

    def read(writer: HsdsWriter) -> None:
        rows = JsonList(path, "rows")
        with progress_bar(progress, total=size, desc="facilities", unit="B", unit_scale=True) as bar:
            providers: dict[str, tuple] = {}
            for index, row in enumerate(rows, 1):
                _facility(writer, path.name, index, row, providers)
                if index % 2000 == 0:
                    bar.update(rows.position - bar.n)
            bar.update(rows.position - bar.n)
        if rows.shape not in ("list", "object-list"):
            raise ImportFailed(path.name, "is not a FindTreatment export: expected {\"rows\": [...]} or a list of "
                                          "facilities")
        writer.finish()
        writer.location_postcodes.clear()

    pipeline.read_and_write(writer, read, big)  # a big file read and checked in a second process
    return finish(writer.loader, progress)


def _facility(writer: HsdsWriter, label: str, index: int, row, providers: dict) -> None:
    """One facility's rows. `providers`: provider key -> (organization id, (name, website)) last written."""
    where = f"{label}, facility {index}"
    if not isinstance(row, dict):
        raise ImportFailed(where, "is not a JSON object")
    frid = text(row.get("frid"))
    if not frid or not _FRID.match(frid):
        raise ImportFailed(where, "is missing or not an id", "frid", row.get("frid"))
    where = f"{label}, facility {index} (frid {frid[:12]}...)"
    provider = text(row.get("name1"), 300)
    if not provider:
        raise ImportFailed(where, "is missing (the provider's name)", "name1")
    services_raw = row.get("services") or []
    if not isinstance(services_raw, list):
        raise ImportFailed(where, "is not a list", "services", services_raw)
    services = {}
    for s in services_raw:
        if isinstance(s, dict):
            code, value = text(s.get("f2")), text(s.get("f3"))
            if code and value:
                services[code] = value
    kind = text(row.get("typeFacility")) or ""
    substance = kind == "SA" or _SUBSTANCE.search(" ".join(services.values()))
    category = "treatment" if substance else None

    key = provider.lower()
    website = text(row.get("website"))
    org_id, last = providers.get(key) or (None, None)
    if org_id is None or last != (provider, website):  # a provider's other facilities: the same row again
        org_id = org_id or "samhsa:org:" + stable_id("samhsa-provider", key)
        providers[key] = (org_id, (provider, website))
        writer.add("organization", {"id": org_id, "name": provider, "website": website,
                                    "description": "Listed by SAMHSA's FindTreatment.gov.", "_source": "samhsa"},
                   where)
    service_id = location_id = "samhsa:" + frid[:40]
    name = text(row.get("name2"), 300) or provider
    description = "\n".join(f"{LABELS[c]}: {services[c]}" for c in DESCRIPTION_CODES if c in services)
    eligibility = "; ".join(f"{LABELS[c]}: {services[c]}" for c in ("AGE", "GN") if c in services)
    fees = "; ".join(f"{LABELS[c]}: {services[c]}" for c in ("PAY", "PYAS") if c in services)
    zip_code = text(row.get("zip"), 20)
    if zip_code:
        writer.location_postcodes[location_id] = zip_code
    writer.add("location", {"id": location_id, "organization_id": org_id, "name": name,
                            "latitude": row.get("latitude"), "longitude": row.get("longitude"),
                            "location_type": "physical"}, where)
    writer.add("service", {"id": service_id, "organization_id": org_id, "name": name, "url": text(row.get("website")),
                           "description": description or None, "eligibility_description": eligibility or None,
                           "fees_description": fees or None, "status": "active", "_category": category}, where)
    # Rows made wholly here, from ids just written and our own terms, need none of the writer's
    # checks: straight to the Loader (half of a facility's rows).
    add = writer.loader.add
    add("service_at_location", {"id": stable_id("samhsa-sal", service_id), "service_id": service_id,
                                "location_id": location_id, "description": None})
    writer.add("address", {"id": stable_id("samhsa-address", location_id), "location_id": location_id,
                           "address_1": text(row.get("street1")), "address_2": text(row.get("street2")),
                           "city": text(row.get("city")), "state_province": text(row.get("state")),
                           "postal_code": zip_code, "country": "US"}, where)
    for key, description in (("phone", "Main"), ("intake1", "Intake"), ("hotline1", "Hotline")):
        raw = text(row.get(key), 60)
        if raw:
            number, extension = _phone_parts(raw)
            writer.add("phone", {"id": stable_id("samhsa-phone", service_id, key), "service_id": service_id,
                                 "number": number, "extension": extension, "type": "voice",
                                 "description": description}, where)
    add("attribute", attribute_link_row(service_id, "in_person"))
    for code in sorted(attributes_of(services)):
        add("attribute", attribute_link_row(service_id, code))
    for name_ in _LIST_SPLIT.split(services.get("OL", "")):
        code = language_code(name_)
        if code:
            writer.add("language", {"id": stable_id("samhsa-language", service_id, code), "service_id": service_id,
                                    "code": code, "name": name_}, where)
