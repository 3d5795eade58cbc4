"""HSDS 3.0 JSON -> the directory: the API's document shapes, as files.

Accepted: one document or a list of them per file, or a paged list (`{"contents": [...]}`), of
services (service_full.json), organizations with their services and locations
(organization_full.json), service_at_locations, locations and taxonomy terms; or a folder of such
files (our own export, organizations.json + services.json, is one). Nested objects are flattened
into table rows (organization > service > service_at_location > location > address, ...) and
written like the CSV tables (hsds_tables.py), so the same checks and id rules apply. Errors name
the file and the JSON path of the object, e.g. `service_full.json, service_at_locations[0].location`.
"""
from __future__ import annotations

from pathlib import Path

from directory.catalog.importers import loader
from directory.catalog.importers import pipeline
from directory.catalog.importers.errors import ImportFailed, Report
from directory.catalog.importers.finish import finish
from directory.catalog.importers.runtime import progress_bar
from directory.catalog.importers.fields import text
from directory.catalog.importers.hsds_tables import HsdsWriter
from directory.catalog.importers.json_stream import JsonList

NESTED_FIELDS = {"phones", "schedules", "languages", "attributes", "service_at_locations", "location", "service",
                 "organization", "services", "locations", "addresses", "accessibility", "contacts", "funding",
                 "cost_options", "program", "programs", "required_documents", "service_areas", "metadata",
                 "organization_identifiers", "taxonomy_term", "taxonomy_detail", "capacities"}


def kind_of(doc: dict) -> str | None:
    if "service_at_locations" in doc or "status" in doc or ("organization_id" in doc and "location_type" not in doc
                                                             and "service_id" not in doc and "name" in doc):
        return "service"
    if "location" in doc and ("service" in doc or "service_id" in doc):
        return "service_at_location"
    if "location_type" in doc or "addresses" in doc or "accessibility" in doc:
        return "location"
    if "services" in doc or "locations" in doc or "website" in doc or "organization_identifiers" in doc:
        return "organization"
    if "code" in doc or "taxonomy" in doc or "term_uri" in doc:
        return "taxonomy_term"
    if "name" in doc and "description" in doc:
        return "organization"
    return None


class _Flattener:
    def __init__(self, writer: HsdsWriter, label: str):
        self.w, self.label = writer, label

    def where(self, path: str) -> str:
        return f"{self.label}, {path}" if path else self.label

    def _obj(self, value, path):
        if not isinstance(value, dict):
            raise ImportFailed(self.where(path), "is not a JSON object")
        return value

    def _list(self, doc, key, path):
        value = doc.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise ImportFailed(self.where(path), "is not a list", key)
        if not value:
            return []
        stem = f"{path}.{key}" if path else key
        out = []
        for i, v in enumerate(value):
            where = f"{stem}[{i}]"
            out.append((self._obj(v, where), where))
        return out

    def _row(self, doc) -> dict:
        return {k: v for k, v in doc.items() if k not in NESTED_FIELDS}

    def document(self, doc, path=""):
        doc = self._obj(doc, path)
        kind = kind_of(doc)
        if kind is None:
            raise ImportFailed(self.where(path), "is not an HSDS document I know (service, organization, location, "
                                                 "service_at_location or taxonomy_term)")
        getattr(self, kind)(doc, path)

    def organization(self, doc, path):
        org_id = text(doc.get("id"))
        row = self._row(doc)
        for ident, _p in self._list(doc, "organization_identifiers", path):
            if ident.get("identifier_scheme") == "signpost" and ident.get("identifier_type") == "source":
                row["_source"] = text(ident.get("identifier"), 50)  # our export's: where it came from
        self.w.add("organization", row, self.where(path))
        for phone, p in self._list(doc, "phones", path):
            self.phone(phone, p, organization_id=org_id)
        for loc, p in self._list(doc, "locations", path):
            self.location(loc, p, organization_id=org_id)
        for svc, p in self._list(doc, "services", path):
            self.service(svc, p, organization_id=org_id)
        for attr, p in self._list(doc, "attributes", path):
            self.attribute(attr, p, org_id, "organization")

    def service(self, doc, path, organization_id=None):
        service_id = text(doc.get("id"))
        org = doc.get("organization")
        if isinstance(org, dict):
            self.organization({k: v for k, v in org.items() if k not in ("services",)}, f"{path}.organization"
                              if path else "organization")
            organization_id = organization_id or text(org.get("id"))
        row = self._row(doc)
        row["organization_id"] = text(row.get("organization_id")) or organization_id
        capacities = [c for c, _p in self._list(doc, "capacities", path)]
        if capacities:
            row["_capacity"] = capacities[0]  # HSDS 3.1 service_capacity (our export writes one)
        self.w.add("service", row, self.where(path))
        for phone, p in self._list(doc, "phones", path):
            self.phone(phone, p, service_id=service_id)
        for sched, p in self._list(doc, "schedules", path):
            self.w.add("schedule", {**self._row(sched), "service_id": text(sched.get("service_id")) or service_id},
                       self.where(p))
        for lang, p in self._list(doc, "languages", path):
            self.w.add("language", {**self._row(lang), "service_id": text(lang.get("service_id")) or service_id},
                       self.where(p))
        for sal, p in self._list(doc, "service_at_locations", path):
            self.service_at_location(sal, p, service_id=service_id)
        for attr, p in self._list(doc, "attributes", path):
            self.attribute(attr, p, service_id, "service")

    def service_at_location(self, doc, path, service_id=None):
        svc = doc.get("service")
        if isinstance(svc, dict):
            self.service({k: v for k, v in svc.items() if k != "service_at_locations"},
                         f"{path}.service" if path else "service")
            service_id = service_id or text(svc.get("id"))
        location_id = text(doc.get("location_id"))
        loc = doc.get("location")
        if isinstance(loc, dict):
            self.location(loc, f"{path}.location" if path else "location")
            location_id = location_id or text(loc.get("id"))
        sal_id = text(doc.get("id"))
        self.w.add("service_at_location", {**self._row(doc), "service_id": text(doc.get("service_id")) or service_id,
                                           "location_id": location_id}, self.where(path))
        for phone, p in self._list(doc, "phones", path):
            self.phone(phone, p, service_id=service_id)
        for sched, p in self._list(doc, "schedules", path):
            self.w.add("schedule", {**self._row(sched), "service_at_location_id": sal_id,
                                    "service_id": text(sched.get("service_id")) or service_id}, self.where(p))

    def location(self, doc, path, organization_id=None):
        location_id = text(doc.get("id"))
        addresses = self._list(doc, "addresses", path)
        for addr, _p in addresses:
            if text(addr.get("postal_code")) and location_id:
                self.w.location_postcodes.setdefault(location_id, text(addr.get("postal_code")))
        row = self._row(doc)
        row["organization_id"] = text(row.get("organization_id")) or organization_id
        self.w.add("location", row, self.where(path))
        for addr, p in addresses:
            self.w.add("address", {**self._row(addr), "location_id": text(addr.get("location_id")) or location_id},
                       self.where(p))
        for phone, p in self._list(doc, "phones", path):
            self.phone(phone, p, location_id=location_id)
        for acc, p in self._list(doc, "accessibility", path):
            self.w.add("accessibility", {**self._row(acc), "location_id": text(acc.get("location_id")) or location_id},
                       self.where(p))
        for lang, p in self._list(doc, "languages", path):
            self.w.add("language", {**self._row(lang), "location_id": text(lang.get("location_id")) or location_id},
                       self.where(p))
        for sched, p in self._list(doc, "schedules", path):
            self.w.add("schedule", {**self._row(sched), "location_id": text(sched.get("location_id")) or location_id},
                       self.where(p))
        for attr, p in self._list(doc, "attributes", path):
            self.attribute(attr, p, location_id, "location")

    def phone(self, doc, path, **owner):
        row = self._row(doc)
        for key, value in owner.items():
            row[key] = text(row.get(key)) or value
        self.w.add("phone", row, self.where(path))

    def attribute(self, doc, path, link_id, link_entity):
        term = doc.get("taxonomy_term")
        term_id = text(doc.get("taxonomy_term_id"))
        if isinstance(term, dict):
            self.taxonomy_term(term, f"{path}.taxonomy_term")
            term_id = term_id or text(term.get("id"))
        row = self._row(doc)
        row.update(link_id=text(row.get("link_id")) or link_id, taxonomy_term_id=term_id,
                   link_entity=text(row.get("link_entity")) or link_entity)
        self.w.add("attribute", row, self.where(path))

    def taxonomy_term(self, doc, path):
        row = self._row(doc)
        detail = doc.get("taxonomy_detail")
        if not text(row.get("taxonomy")) and isinstance(detail, dict):
            row["taxonomy"] = text(detail.get("name"))
        self.w.add("taxonomy_term", row, self.where(path))


def _documents(path: Path):
    """(document, its JSON path) of one file, read one document at a time (json_stream): a list,
    a paged list (`{"contents": [...]}`) or a single document."""
    stream = JsonList(path, "contents")
    for i, doc in enumerate(stream):
        yield doc, f"[{i}]"
    if stream.shape == "object":
        yield stream.document, ""
    elif stream.shape == "other":
        raise ImportFailed(path.name, "is not an HSDS document or a list of them")


def _file_order(path: Path) -> tuple:
    name = path.name.lower()
    rank = 0 if "taxonom" in name else 1 if "organization" in name else 2 if "location" in name and "service" not in name \
        else 3
    return rank, name


def import_files(session, files: list[Path], label: str, *, progress: bool = False) -> Report:
    """Documents are read one at a time, so memory does not grow with the files; big files are read
    and checked in a second process while this one writes (importers/pipeline.py)."""
    report = Report(source=f"{label} (HSDS 3.0 JSON)")
    total = sum(p.stat().st_size for p in files)
    big = total >= loader.BIG_IMPORT_BYTES
    # Files may refer to each other: ids not yet seen are resolved at the end.
    writer = HsdsWriter(session, report, pending_limit=None, big=big)

    def read(writer: HsdsWriter) -> None:
        with progress_bar(progress, total=len(files), desc="HSDS JSON", unit="files") as bar:
            for path in sorted(files, key=_file_order):
                flattener = _Flattener(writer, path.name)
                documents = _documents(path)
                for n, (doc, doc_path) in enumerate(documents):
                    if n == 0 and len(files) > 1 and isinstance(doc, dict) and kind_of(doc) is None:
                        report.warn("files in the folder that are not HSDS documents were skipped", path.name)
                        for _rest in documents:  # (still read through: a broken file is an error)
                            pass
                        break  # e.g. the examples' base.json (API metadata) beside the documents
                    flattener.document(doc, doc_path)
                bar.update(1)
        writer.finish()
        writer.location_postcodes.clear()

    pipeline.read_and_write(writer, read, big)  # a big file read and checked in a second process
    return finish(writer.loader, progress)


def import_file(session, path, *, progress: bool = False) -> Report:
    path = Path(path)
    return import_files(session, [path], str(path), progress=progress)


def import_folder(session, folder, *, progress: bool = False) -> Report:
    folder = Path(folder)
    files = [p for p in folder.glob("*.json") if p.name != "datapackage.json"]
    return import_files(session, files, str(folder), progress=progress)
