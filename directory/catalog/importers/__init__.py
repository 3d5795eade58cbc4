"""Importers: Meeting Guide feeds, BMLT (NA) servers, HSDS 3.0 (JSON, CSV datapackage), the older HSDS 1.x CSV layout
(Open211 / Miami 211) and SAMHSA FindTreatment. Each runs in the caller's transaction, upserts by
the source's ids and raises ImportFailed (naming file, row and field) on bad input.
"""
from __future__ import annotations

from pathlib import Path

from directory.catalog.importers.errors import ImportFailed, Report, Tolerance

__all__ = ["ImportFailed", "Report", "Tolerance", "import_hsds_path"]


def import_hsds_path(session, path, *, source: str | None = None, progress: bool = False) -> Report:
    """HSDS from a path, whatever its form: a 3.0 JSON file or folder of JSON files, a 3.0 CSV
    datapackage, or the HSDS 1.x CSV layout (told apart by its files: services_at_location.csv,
    physical_addresses.csv, regular_schedules.csv)."""
    from directory.catalog.importers import hsds_csv
    from directory.catalog.importers import hsds_json
    from directory.catalog.importers import open211_legacy
    path = Path(path)
    if path.is_file() and path.name == "datapackage.json":
        path = path.parent
    if path.is_file():
        return hsds_json.import_file(session, path, progress=progress)
    if not path.is_dir():
        raise ImportFailed(str(path), "is neither a file nor a folder. Give an HSDS JSON file, a folder of "
                                      "JSON files, or a CSV datapackage folder.")
    if open211_legacy.is_legacy_layout(path):
        return open211_legacy.import_folder(session, path, source=source, progress=progress)
    if hsds_csv.is_csv_package(path):
        return hsds_csv.import_folder(session, path, progress=progress)
    if any(path.glob("*.json")):
        return hsds_json.import_folder(session, path, progress=progress)
    raise ImportFailed(str(path), "has no HSDS files: expected services.csv (CSV datapackage) or *.json documents.")
