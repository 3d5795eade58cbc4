"""HSDS 3.0 CSV datapackage (a folder of CSV files, with or without datapackage.json) -> the directory.

Files and the columns read (UTF-8, comma-separated, a header row, columns in any order, extra
columns and the other HSDS tables ignored; `*` = required, the row is an error without it):

  taxonomy_terms.csv        id*, code, name*, description, parent_id, taxonomy, language, term_uri
  organizations.csv         id*, name*, alternate_name, description, email, website, legal_status,
                            year_incorporated
  locations.csv             id*, location_type (physical|postal|virtual), url, organization_id, name,
                            alternate_name, description, transportation, latitude, longitude,
                            external_identifier, external_identifier_type
  services.csv              id*, organization_id*, name*, alternate_name, description, url, email,
                            status (active|inactive|defunct|temporarily closed; empty = active),
                            interpretation_services, application_process, fees_description,
                            eligibility_description, minimum_age, maximum_age, alert, assured_date
                            (YYYY-MM-DD), assurer_email, last_modified (ISO date-time)
  service_at_locations.csv  id*, service_id*, location_id*, description
    (or service_at_location.csv, the name the official example package uses)
  addresses.csv             id*, location_id*, attention, address_1, address_2, city, region,
                            state_province, postal_code, country (2 letters), address_type
  phones.csv                id*, number*, location_id, service_id, organization_id, extension, type,
                            description
  schedules.csv             id*, service_id, location_id, service_at_location_id, valid_from, valid_to,
                            freq (WEEKLY|MONTHLY), interval, byday (e.g. MO,TU), opens_at, closes_at
                            (HH:MM or HH:MM:SS, local time), description, attending_type, notes
  languages.csv             id*, service_id, location_id, name, code, note
  accessibility.csv         id*, location_id*, description, details, url
  attributes.csv            id*, link_id*, taxonomy_term_id*, link_type, link_entity, value

Every file is optional except that a row's required references must exist in the import or the
database (see hsds_tables.py). With a datapackage.json, its resources' `path`s name the files.
Our own terms can be linked without a taxonomy_terms.csv: taxonomy_term_id
`signpost-category-<category>` (support_group, sober_living, housing, transportation, treatment)
sets a service's category, `signpost-attribute-<code>` (women, mat_friendly, free, ... see
directory/catalog/codes.py) an attribute search filters on.

Files are streamed row by row and written in batches (core executemany), so memory stays flat
apart from the sets of imported ids. Errors name the file, the row (spreadsheet numbering: the
header is row 1) and the field.
"""
from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

from directory.catalog.importers import loader
from directory.catalog.importers import pipeline
from directory.catalog.importers.errors import ImportFailed, Report
from directory.catalog.importers.finish import finish
from directory.catalog.importers.runtime import progress_bar
from directory.catalog.importers.fields import text
from directory.catalog.importers.hsds_tables import HsdsWriter

# (table, default file names, table name in datapackage.json)
FILES = [
    ("taxonomy_term", ("taxonomy_terms.csv",)),
    ("organization", ("organizations.csv",)),
    ("location", ("locations.csv",)),
    ("service", ("services.csv",)),
    ("service_at_location", ("service_at_locations.csv", "service_at_location.csv")),
    ("address", ("addresses.csv",)),
    ("phone", ("phones.csv",)),
    ("schedule", ("schedules.csv",)),
    ("language", ("languages.csv",)),
    ("accessibility", ("accessibility.csv",)),
    ("attribute", ("attributes.csv",)),
]
REQUIRED_COLUMNS = {
    "taxonomy_term": ("id", "name"), "organization": ("id", "name"), "location": ("id",),
    "service": ("id", "organization_id", "name"), "service_at_location": ("id", "service_id", "location_id"),
    "address": ("id", "location_id"), "phone": ("id", "number"), "schedule": ("id",), "language": ("id",),
    "accessibility": ("id", "location_id"), "attribute": ("id", "link_id", "taxonomy_term_id"),
}

csv.field_size_limit(16 * 1024 * 1024)


def is_csv_package(folder: Path) -> bool:
    return any((folder / name).is_file() for _, names in FILES for name in names) or \
        (folder / "datapackage.json").is_file()


def _paths(folder: Path) -> dict[str, Path]:
    """table -> CSV path, from datapackage.json's resources when present, else the usual names."""
    out: dict[str, Path] = {}
    package = folder / "datapackage.json"
    if package.is_file():
        try:
            resources = json.loads(package.read_text(encoding="utf-8")).get("resources", [])
        except json.JSONDecodeError as exc:
            raise ImportFailed(str(package), f"is not valid JSON ({exc.msg} at line {exc.lineno})") from None
        for res in resources:
            if isinstance(res, dict) and res.get("name") and isinstance(res.get("path"), str):
                path = folder / res["path"]
                if path.is_file():
                    out[res["name"]] = path
    for table, names in FILES:
        if table not in out:
            for name in names:
                if (folder / name).is_file():
                    out[table] = folder / name
                    break
    return out


def read_rows(path: Path, table: str | None = None, bar=None, required=()):
    """(where, row dict) per data row. Short rows (a cut-off file) and bad quoting are errors."""
    name = path.name
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFailed(f"{name}, row 1", f"is not valid CSV ({exc})") from None
        header = [h.strip().lower() for h in header]
        for column in required:
            if column not in header:
                raise ImportFailed(name, f"has no column '{column}' (it has: {', '.join(header)}). "
                                         "Add the column, or check that this is the right file.")
        width = len(header)
        row_number = 1
        position = 0
        try:
            for values in reader:
                row_number += 1
                if len(values) != width:
                    if not values or values == [""]:
                        continue  # a blank line
                    raise ImportFailed(f"{name}, row {row_number}",
                                       f"has {len(values)} values but the header has {width} columns "
                                       "(a cut-off or misquoted line?)")
                yield f"{name}, row {row_number}", dict(zip(header, values))
                if bar is not None and row_number % 5000 == 0:
                    now = f.buffer.tell()  # bytes read so far (read-ahead included: close enough)
                    bar.update(now - position)
                    position = now
        except csv.Error as exc:
            raise ImportFailed(f"{name}, row {row_number + 1}", f"is not valid CSV ({exc})") from None
        if bar is not None:
            bar.update(os.path.getsize(path) - position)


def import_folder(session, folder, *, progress: bool = False) -> Report:
    folder = Path(folder)
    paths = _paths(folder)
    if "service" not in paths and "organization" not in paths:
        raise ImportFailed(str(folder), "has no services.csv or organizations.csv: is it an HSDS 3.0 datapackage?")
    report = Report(source=f"{folder} (HSDS 3.0 CSV)")
    total = sum(os.path.getsize(p) for p in paths.values())
    big = total >= loader.BIG_IMPORT_BYTES
    writer = HsdsWriter(session, report, big=big)

    def read(writer: HsdsWriter) -> None:
        with progress_bar(progress, total=total, desc="HSDS CSV", unit="B", unit_scale=True) as bar:
            if "address" in paths:  # ZIPs first: they place and time-zone locations as those are written
                for _where, row in read_rows(paths["address"], required=REQUIRED_COLUMNS["address"]):
                    location_id, postcode = text(row.get("location_id")), text(row.get("postal_code"))
                    if location_id and postcode:  # interned: a million locations share a few thousand ZIPs
                        writer.location_postcodes.setdefault(location_id, sys.intern(postcode))
            for table, _names in FILES:
                if table not in paths:
                    continue
                for where, row in read_rows(paths[table], table, bar, REQUIRED_COLUMNS[table]):
                    writer.add(table, row, where)
                writer.table_done(table)
            writer.finish()
        writer.location_postcodes.clear()

    pipeline.read_and_write(writer, read, big)  # a big package checked in a second process
    return finish(writer.loader, progress)
