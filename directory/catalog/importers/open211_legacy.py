"""The older HSDS 1.x CSV layout (Open211 exports such as Miami 211) -> the directory.

Told apart from 3.0 by its files: services_at_location.csv, physical_addresses.csv,
regular_schedules.csv, services_taxonomy.csv + taxonomy.csv. Each 1.x row is turned into the
3.0 row it stands for and written through the same checks as a 3.0 import (hsds_tables.py).

Ids. 1.x ids are small integers that collide between exports (and between tables), so every id
is prefixed with the source name: `--source`, by default the folder's name, e.g. service 136 of
`miami-211-hsds/` becomes `miami-211-hsds:136`. Taxonomy terms are shared: `airs:<code>` when the
vocabulary is AIRS / 211 LA. Rows without ids (schedules, languages) get stable uuid5 ids from
their content, so a re-import updates them.

What 1.x data needs, found in the Miami 211 export:
- taxonomy codes map to our categories where one fits (taxonomy_map.py), else no category;
- hours are free text ("9:00am", "830am", "5:00pm (Counter closes at 4:30 pm)"): what can be read
  is read, the rest is kept as the schedule's description and reported, not an error;
- services that point at an organization missing from the export get a stand-in organization
  (named after the service's location), reported;
- literal "\\n" in descriptions become line breaks, and "GÇÖ"-style mojibake is repaired;
- "Creole" in Miami means Haitian Creole; "Handicap accessible" marks a location wheelchair
  accessible.
Errors (a latitude that is not a number, a reference to a missing location, a cut-off file) stop
the import and name the file, the row and the field, as for 3.0.
"""
from __future__ import annotations

import functools
import re
from hashlib import blake2b
from pathlib import Path

from directory.catalog.importers import loader
from directory.catalog.importers import pipeline
from directory.catalog.importers.errors import ImportFailed, Report
from directory.catalog.importers.finish import finish
from directory.catalog.importers.runtime import progress_bar
from directory.catalog.importers.fields import text
from directory.catalog.importers.hsds_csv import read_rows
from directory.catalog.importers.hsds_tables import HsdsWriter
from directory.catalog.codes import language_code
from directory.catalog.taxonomy import attribute_link_row, stable_id

LEGACY_MARKERS = ("services_at_location.csv", "physical_addresses.csv", "regular_schedules.csv",
                  "services_taxonomy.csv")
WEEKDAYS = {"monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH", "friday": "FR",
            "saturday": "SA", "sunday": "SU", "mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR",
            "sat": "SA", "sun": "SU"}
LANGUAGE_ALIASES = {"creole": "ht", "haitian creole": "ht", "haitian": "ht", "sign language": "asl",
                    "mandarin": "zh", "cantonese": "zh", "farsi": "fa"}
MOJIBAKE = {"GÇÖ": "\u2019", "GÇÿ": "\u2018", "GÇ£": "\u201c", "GÇ¥": "\u201d", "GÇô": "\u2013", "GÇö": "\u2014",
            "GÇª": "\u2026", "GÇó": "\u2022"}
_HOURS = re.compile(r"^(\d{1,2})(?::(\d{2}))?([ap])?\.?m?\.?$")


def is_legacy_layout(folder: Path) -> bool:
    return any((Path(folder) / name).is_file() for name in LEGACY_MARKERS)


def clean(value) -> str | None:
    value = text(value)
    if value is None:
        return None
    if "\\n" in value:
        value = value.replace("\\n", "\n")
    if "GÇ" in value:  # every MOJIBAKE key starts so
        for bad, good in MOJIBAKE.items():
            value = value.replace(bad, good)
    return value


@functools.lru_cache(maxsize=4096)  # the same few hours ("9:00am", "5:00pm") on most rows
def parse_hours(value: str, is_closing: bool, opens_minutes: int | None = None) -> int | None:
    """'9:00am' -> 540, '830am' -> 510, '5:00' closing after a morning opening -> 1020; None if unreadable."""
    v = _compact_hours(value)
    v = re.sub(r"\s*\(.*$", "", v)  # "12:00pm (dispensing)"
    v = re.sub(r"\s+[a-z]{3,}$", "", v).replace(" ", "")  # "5:00pm Mon"
    m = _HOURS.match(v)
    if not m:
        return None
    hours, minutes, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if minutes >= 60:
        return None
    if half:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if half == "p" else 0)
    elif hours > 23:
        return None
    elif is_closing and opens_minutes is not None and hours * 60 + minutes <= opens_minutes and hours < 12:
        hours += 12  # "8:00am - 5:00": the afternoon
    return hours * 60 + minutes


def _compact_hours(value: str) -> str:
    """'830am' -> '8:30am' so _HOURS reads it."""
    v = (value or "").strip().lower()
    m = re.match(r"^(\d{1,2})(\d{2})\s*([ap]m?)$", v)
    return f"{m.group(1)}:{m.group(2)}{m.group(3)}" if m else v


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _phone_parts(number: str) -> tuple[str, str | None]:
    m = re.match(r"^(.*?)\s*(?:x|ext\.?|extension)\s*(\d+)\s*$", number, re.I)
    return (m.group(1).strip(), m.group(2)) if m else (number, None)


def import_folder(session, folder, *, source: str | None = None, progress: bool = False) -> Report:
    folder = Path(folder)
    source = source or re.sub(r"[^A-Za-z0-9._-]+", "-", folder.resolve().name).strip("-") or "hsds1"
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,29}$", source):
        raise ImportFailed(f"source '{source}'", "must be 1-30 letters, digits, '.', '_' or '-' (e.g. 'miami-211')")
    if not (folder / "services.csv").is_file():
        raise ImportFailed(str(folder), "has no services.csv: is it an HSDS 1.x export?")
    report = Report(source=f"{folder} (HSDS 1.x CSV, ids '{source}:<id>')")
    total = sum(f.stat().st_size for f in folder.glob("*.csv"))
    big = total >= loader.BIG_IMPORT_BYTES
    writer = HsdsWriter(session, report, big=big)
    pipeline.read_and_write(writer, lambda writer: _read(writer, folder, source, progress), big)
    return finish(writer.loader, progress)


def _read(writer: HsdsWriter, folder: Path, source: str, progress: bool) -> None:
    """Every file of the export through the writer, parents first (in the reading process of a big import)."""
    report = writer.report
    prefix = f"{source}:"

    def p(value):
        if value:
            value = value.strip()
            if value:
                return prefix + value
        return None

    def rows(name, required=()):
        path = folder / name
        return read_rows(path, required=required) if path.is_file() else iter(())

    def file_rows(name, required=()):
        path = folder / name
        if not path.is_file():
            return
        with progress_bar(progress, desc=name, unit=" rows") as bar:
            for n, item in enumerate(read_rows(path, required=required), 1):
                if n % 1000 == 0:
                    bar.update(1000)
                yield item

    # Read first: ZIPs (to place and zone locations), eligibility (a column of services in 3.0).
    for _where, row in rows("physical_addresses.csv", ("location_id",)):
        if text(row.get("location_id")) and text(row.get("postal_code")):
            writer.location_postcodes.setdefault(p(row["location_id"]), text(row["postal_code"]))
    eligibility: dict[str, str] = {}
    for _where, row in rows("eligibility.csv"):
        if text(row.get("service_id")) and text(row.get("eligibility")):
            eligibility[p(row["service_id"])] = clean(row["eligibility"])
        elif text(row.get("eligibility")):
            report.warn("eligibility rows without a service_id were skipped")
    location_names = {p(row["id"]): clean(row.get("name")) for _w, row in rows("locations.csv", ("id",))}

    term_ids: dict[str, str] = {}
    for where, row in file_rows("taxonomy.csv", ("id", "name")):
        code = text(row["id"])
        vocabulary = text(row.get("vocabulary")) or ""
        term_id = f"airs:{code}" if "AIRS" in vocabulary.upper() or "211" in vocabulary else f"{source}:taxonomy:{code}"
        term_ids[code] = term_id
        parent = text(row.get("parent_id"))
        writer.add("taxonomy_term", {
            "id": term_id, "code": code, "name": clean(row["name"]), "description": clean(row["name"]),
            "parent_id": (f"airs:{parent}" if term_id.startswith("airs:") else f"{source}:taxonomy:{parent}")
            if parent else None, "taxonomy": vocabulary or "open211", "language": "en"}, where)
    writer.table_done("taxonomy_term")  # no more rows of it: its indexes are built while the next files are read

    organizations = set()
    for where, row in file_rows("organizations.csv", ("id", "name")):
        writer.add("organization", {
            "id": p(row["id"]), "name": clean(row["name"]), "alternate_name": clean(row.get("alternate_name")),
            "description": clean(row.get("description")) or "", "email": text(row.get("email")),
            "website": text(row.get("url")), "legal_status": text(row.get("legal_status")),
            "year_incorporated": row.get("year_incorporated"), "_source": "hsds-1.x"}, where)
        organizations.add(p(row["id"]))
    writer.resolve()

    for where, row in file_rows("locations.csv", ("id",)):
        org_id = p(row.get("organization_id"))
        if org_id and org_id not in organizations:  # Miami's locations carry their own id here
            report.warn("location organization_ids that name no organization of the export were dropped", where)
            org_id = None
        writer.add("location", {
            "id": p(row["id"]), "organization_id": org_id,
            "name": clean(row.get("name")), "alternate_name": clean(row.get("alternate_name")),
            "description": clean(row.get("description")), "transportation": clean(row.get("transportation")),
            "latitude": row.get("latitude"), "longitude": row.get("longitude"), "location_type": "physical"}, where)
    writer.table_done("location")

    for where, row in file_rows("services.csv", ("id", "organization_id", "name")):
        service_id, org_id = p(row["id"]), p(row["organization_id"])
        if org_id and org_id not in organizations:
            organizations.add(org_id)
            writer.add("organization", {
                "id": org_id, "name": location_names.get(service_id) or clean(row["name"]),
                "description": f"Stand-in: the export lists services under organization {row['organization_id']} "
                               "but has no such organization.", "_source": "hsds-1.x"}, where)
            report.warn("organizations missing from the export got a stand-in (named after a location)",
                        row["organization_id"])
        status = (text(row.get("status")) or "active").lower()
        writer.add("service", {
            "id": service_id, "organization_id": org_id, "name": clean(row["name"]),
            "alternate_name": clean(row.get("alternate_name")), "description": clean(row.get("description")),
            "url": text(row.get("url")), "email": text(row.get("email")),
            "status": status if status in ("active", "inactive", "defunct") else "active",
            "interpretation_services": clean(row.get("interpretation_services")),
            "application_process": clean(row.get("application_process")),
            "fees_description": clean(row.get("fees")), "eligibility_description": eligibility.get(service_id)}, where)
    writer.table_done("organization")  # (stand-ins included)
    del eligibility, location_names, organizations  # a million entries each statewide: free them for what follows

    for where, row in file_rows("services_at_location.csv", ("id", "service_id", "location_id")):
        writer.add("service_at_location", {"id": p(row["id"]), "service_id": p(row["service_id"]),
                                           "location_id": p(row["location_id"]),
                                           "description": clean(row.get("description"))}, where)
    writer.table_done("service_at_location")

    for where, row in file_rows("physical_addresses.csv", ("location_id",)):
        location_id = p(row["location_id"])
        writer.add("address", {
            "id": p(row.get("id")) or stable_id(source, "address", location_id), "location_id": location_id,
            "address_1": clean(row.get("address_1")), "address_2": clean(row.get("address_2")),
            "city": clean(row.get("city")), "region": clean(row.get("region")),
            "state_province": text(row.get("state_province")), "postal_code": text(row.get("postal_code")),
            "country": text(row.get("country")) or "US", "address_type": "physical"}, where)
    writer.table_done("address")

    for where, row in file_rows("phones.csv", ("number",)):
        raw = text(row.get("number"))
        if raw is None:
            report.warn("phone rows without a number were skipped", where)
            continue
        number, extension = _phone_parts(raw)
        writer.add("phone", {
            "id": p(row.get("id")) or stable_id(source, "phone", raw, row.get("service_id") or ""),
            "location_id": p(row.get("location_id")), "service_id": p(row.get("service_id")),
            "organization_id": p(row.get("organization_id")), "number": number,
            "extension": text(row.get("extension")) or extension, "type": text(row.get("type")) or "voice",
            "description": clean(row.get("description"))}, where)
    writer.table_done("phone")

    _schedules(writer, report, source, p, file_rows("regular_schedules.csv", ("weekday",)))

    for where, row in file_rows("languages.csv", ("language",)):
        name = clean(row.get("language"))
        if not name:
            continue
        service_id, location_id = p(row.get("service_id")), p(row.get("location_id"))
        code = language_code(name) or LANGUAGE_ALIASES.get(name.lower())
        writer.add("language", {"id": stable_id(source, "language", service_id or "", location_id or "", name),
                                "service_id": service_id, "location_id": None if service_id else location_id,
                                "name": name, "code": code}, where)
    writer.table_done("language")

    for where, row in file_rows("accessibility_for_disabilities.csv", ("location_id",)):
        description = clean(row.get("accessibility"))
        if not description and not clean(row.get("details")):
            continue
        location_id = p(row["location_id"])
        writer.add("accessibility", {"id": p(row.get("id")) or stable_id(source, "accessibility", location_id),
                                     "location_id": location_id, "description": description,
                                     "details": clean(row.get("details"))}, where)
        if re.search(r"handicap|wheelchair|accessible|ada\b", (description or "").lower()):
            writer.add("attribute", attribute_link_row(location_id, "wheelchair", link_entity="location"), where)
    writer.table_done("accessibility")

    for where, row in file_rows("services_taxonomy.csv", ("service_id", "taxonomy_id")):
        code = text(row["taxonomy_id"])
        service_id = p(row["service_id"])
        writer.add("attribute", {
            "id": p(row.get("id")) or stable_id(source, "service-taxonomy", service_id, code),
            "link_id": service_id, "link_entity": "service", "link_type": "taxonomy",
            "taxonomy_term_id": term_ids.get(code, f"airs:{code}"), "value": text(row.get("taxonomy_detail"))}, where)
    writer.finish()
    writer.location_postcodes.clear()


def _schedules(writer, report, source, p, rows) -> None:
    # How many rows so far had each key (for the stable id of a row without one). Keyed by an 8-byte
    # digest of the key, not the key: a statewide export has millions of rows (the keys took ~0.6 GB
    # of the reading process at a million services). A collision of two keys (about 2^-64 a pair)
    # would only number one of them from 2: their ids would still differ, each id hashing the whole key.
    seen: dict[bytes, int] = {}
    for where, row in rows:
        _schedule(writer, report, source, p, row, where, seen)
    writer.table_done("schedule")


def _schedule(writer, report, source, p, row, where, seen) -> None:
    day = WEEKDAYS.get((text(row.get("weekday")) or "").lower())
    service_id = p(row.get("service_id"))
    original = clean(row.get("original_text"))
    if day is None:
        raise ImportFailed(where, "is not a weekday (Monday ... Sunday)", "weekday", row.get("weekday"))
    opens = parse_hours(row.get("opens_at"), False)
    closes = parse_hours(row.get("closes_at"), True, opens)
    if opens is None or closes is None:
        report.warn("hours that could not be read were kept as text", f"{where}: "
                    f"'{row.get('opens_at')}'-'{row.get('closes_at')}'")
        opens = closes = None
    key = "|".join((service_id or "", p(row.get("location_id")) or "", day, str(opens), str(closes)))
    digest = blake2b(key.encode(), digest_size=8).digest()
    seen[digest] = n = seen.get(digest, 0) + 1
    writer.add("schedule", {
        "id": p(row.get("id")) or stable_id(source, "schedule", key, str(n)),
        "service_id": service_id, "location_id": p(row.get("location_id")),
        "service_at_location_id": p(row.get("service_at_location_id")), "freq": "WEEKLY", "byday": day,
        "opens_at": _hhmm(opens) if opens is not None else None,
        "closes_at": _hhmm(closes) if closes is not None else None,
        "description": original}, where)
