"""`export-hsds DIR`: the directory as HSDS 3.0 JSON, validated against the official schemas.

Files written to DIR (each a JSON list, streamed, replaced only when the whole export is valid):
  services.json         one full service document per service (service_full.json's shape: its
                        organization, phones, schedules, languages, attributes with their taxonomy
                        terms, and service_at_locations with their locations and addresses)
  organizations.json    one organization document per organization (without nested services)
  taxonomy_terms.json   every taxonomy term (our categories and attributes, Meeting Guide types, AIRS)

Ids. HSDS 3.0 ids are UUIDs. Ours are UUIDs where we mint them, but imports keep the source's ids
(`mg-oc:<slug>`, `miami-211-hsds:136`, `signpost-category-treatment`), so every id and *_id that
is not a UUID is written as uuid5(EXPORT_NAMESPACE, id): stable between exports, the same wherever
it is referenced, and the same in the read API (web/hsds_api.py maps its documents through
`to_hsds` too); a mapped record keeps our id in `identifiers` (scheme `signpost`, type `source_id`). Re-importing an export into another Signpost gives the same rows again
(categories and filters included, by term code); into the same database it would add copies
under the UUIDs. Web addresses without a scheme ("www.example.org") get "http://".

Validation. Every document is checked with jsonschema (draft 2020-12, with format checks: uuid,
email, and uri and date-time through rfc3986-validator and rfc3339-validator) against the table schemas in the HSDS schema folder (`HSDS_SCHEMA_DIR`, default
../shared/data/hsds-3.0/schema beside the project), through a `referencing` registry, so the
`$ref`s between table schemas resolve the way the compiled schemas inline them. These table
schemas are what compiled/service.json etc. are built from; loading them is much faster than the
2-3 MB compiled files and gives the same verdict.
"""
from __future__ import annotations

import functools
import json
import os
import re
import uuid
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from directory.catalog import hsds
from directory.db import PROJECT_ROOT
from directory.catalog.models import Location, Organization, Service, ServiceAtLocation, TaxonomyTerm

EXPORT_NAMESPACE = uuid.UUID("3b0f4a4e-7c1d-4c55-9b7e-5e1f0a9d2c61")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_URL_KEYS = {"url", "website", "term_uri", "uri", "schedule_link", "logo"}
BATCH = 500


class ExportInvalid(Exception):
    """A document failed the HSDS schema: the message names the document and the failing field."""


def default_schema_dir() -> Path:
    return Path(os.environ.get("HSDS_SCHEMA_DIR") or PROJECT_ROOT.parent / "shared" / "data" / "hsds-3.0" / "schema")


@functools.lru_cache(maxsize=100_000)
def hsds_id(value: str) -> str:
    return value if _UUID_RE.match(value) else str(uuid.uuid5(EXPORT_NAMESPACE, value))


_URI_SAFE = ":/?#[]@!$&'()*+,;=%~-._"  # RFC 3986's reserved and unreserved marks; the rest is escaped


@functools.lru_cache(maxsize=10_000)
def _url(value: str) -> str | None:
    """A web address with a scheme that passes `format: uri` (characters such as { } | percent-encoded),
    or None when there is no address to be had ("call us", "n/a")."""
    value = value.strip()
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value):
        if " " in value or "." not in value:
            return None
        value = "http://" + value
    from urllib.parse import quote
    value = quote(value, safe=_URI_SAFE)
    try:
        from rfc3986_validator import validate_rfc3986
    except ImportError:  # the validator is what format: uri checks with; without it, trust the escaping
        return value
    return value if validate_rfc3986(value, rule="URI") else None


def to_hsds(doc):
    """Ids as UUIDs and web addresses with a scheme, all the way down."""
    if isinstance(doc, list):
        return [to_hsds(v) for v in doc]
    if not isinstance(doc, dict):
        return doc
    out = {}
    for key, value in doc.items():
        if isinstance(value, str) and (key == "id" or key.endswith("_id")):
            out[key] = hsds_id(value)
            if key == "id" and out[key] != value:  # the source's own id stays findable
                out["identifiers"] = [{"identifier_scheme": "signpost", "identifier_type": "source_id",
                                       "identifier": value}]
        elif isinstance(value, str) and key in _URL_KEYS:
            fixed = _url(value)
            if fixed is not None:
                out[key] = fixed
        else:
            out[key] = to_hsds(value)
    return out


class SchemaSet:
    """Validators for the HSDS table schemas, with `$ref`s resolved through a referencing registry."""

    def __init__(self, schema_dir: Path):
        from jsonschema import Draft202012Validator, FormatChecker
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
        resources = []
        for path in sorted(Path(schema_dir).glob("*.json")):
            if path.name == "openapi.json":
                continue
            contents = json.loads(path.read_text(encoding="utf-8"))
            resources.append((path.name, Resource.from_contents(contents, default_specification=DRAFT202012)))
        if not resources:
            raise FileNotFoundError(schema_dir)
        self.registry = Registry().with_resources(resources)
        self._validators = {}
        self._make = lambda name: Draft202012Validator(self.registry.contents(name), registry=self.registry,
                                                       format_checker=FormatChecker())

    def errors(self, name: str, doc) -> list[str]:
        validator = self._validators.get(name) or self._validators.setdefault(name, self._make(name))
        return [f"{'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message}"
                for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]

    def check(self, name: str, doc, what: str) -> None:
        errors = self.errors(name, doc)
        if errors:
            raise ExportInvalid(f"{what} does not validate against {name}: " + "; ".join(errors[:5]))


def _service_batches(session):
    ids = session.scalars(select(Service.id).order_by(Service.id)).all()
    for i in range(0, len(ids), BATCH):
        chunk = ids[i:i + BATCH]
        services = session.scalars(
            select(Service).where(Service.id.in_(chunk)).order_by(Service.id).options(
                selectinload(Service.organization), selectinload(Service.phones), selectinload(Service.schedules),
                selectinload(Service.languages),
                selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
                .options(selectinload(Location.addresses), selectinload(Location.phones),
                         selectinload(Location.accessibility)))).all()
        link_ids = set(chunk) | {sal.location_id for s in services for sal in s.service_at_locations}
        yield services, hsds.attributes_by_link(session, link_ids)
        session.expunge_all()  # keep memory flat on big directories


class _ListWriter:
    def __init__(self, path: Path):
        self.path = path
        self.f = open(path, "w", encoding="utf-8")
        self.f.write("[")
        self.count = 0

    def write(self, doc) -> None:
        self.f.write(("\n" if self.count == 0 else ",\n") + json.dumps(doc, ensure_ascii=False))
        self.count += 1

    def close(self) -> None:
        self.f.write("\n]\n")
        self.f.close()


def export_hsds(session, directory, *, validate: bool = True, schema_dir: Path | None = None,
                progress: bool = False) -> str:
    """Write services.json, organizations.json and taxonomy_terms.json to `directory`. Returns a summary."""
    from directory.catalog.importers.runtime import progress_bar
    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    schemas, note = None, "not validated (--no-validate)"
    if validate:
        schema_dir = Path(schema_dir or default_schema_dir())
        try:
            schemas = SchemaSet(schema_dir)
            note = f"each document validated against the HSDS 3.0 schemas in {schema_dir}"
        except FileNotFoundError:
            note = f"NOT validated: no HSDS schemas at {schema_dir} (set HSDS_SCHEMA_DIR)"
    names = ("services.json", "organizations.json", "taxonomy_terms.json")
    writers = {name: _ListWriter(out_dir / f".{name}.partial") for name in names}
    try:
        total = session.scalar(select(func.count()).select_from(Service)) or 0
        with progress_bar(progress, total=total, desc="export services", unit="services") as bar:
            for services, attrs in _service_batches(session):
                for svc in services:
                    doc = to_hsds(hsds.service(svc, attrs, full=True))
                    if schemas:
                        schemas.check("service.json", doc, f"service {svc.id} ({svc.name})")
                    writers["services.json"].write(doc)
                bar.update(len(services))
        for org in session.scalars(select(Organization).order_by(Organization.id)):
            doc = to_hsds(hsds.organization(org))
            if schemas:
                schemas.check("organization.json", doc, f"organization {org.id} ({org.name})")
            writers["organizations.json"].write(doc)
        for term in session.scalars(select(TaxonomyTerm).order_by(TaxonomyTerm.id)):
            doc = to_hsds(hsds.taxonomy_term(term))
            if schemas:
                schemas.check("taxonomy_term.json", doc, f"taxonomy term {term.id} ({term.name})")
            writers["taxonomy_terms.json"].write(doc)
    except BaseException:
        for w in writers.values():
            w.close()
            w.path.unlink(missing_ok=True)
        raise
    for name, w in writers.items():
        w.close()
        w.path.replace(out_dir / name)
    return (f"Wrote {writers['services.json'].count:,} services, {writers['organizations.json'].count:,} organizations "
            f"and {writers['taxonomy_terms.json'].count:,} taxonomy terms to {out_dir} as HSDS 3.0 JSON; {note}.")
