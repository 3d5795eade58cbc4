"""export-hsds: HSDS 3.0 JSON that validates against the official schemas, after real imports."""
from __future__ import annotations

import json
import re

import pytest

from directory import db
from directory.catalog.export import SchemaSet, default_schema_dir, hsds_id, to_hsds
from directory.catalog.importers import import_hsds_path
from directory.catalog.importers import findtreatment
from directory.catalog.importers import meeting_guide as mg
from tests.catalog.import_helpers import counts, rows

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def schemas(shared_data):
    return SchemaSet(shared_data / "hsds-3.0" / "schema")


def _ids(doc):
    if isinstance(doc, dict):
        for key, value in doc.items():
            if isinstance(value, str) and (key == "id" or key.endswith("_id")):
                yield value
            else:
                yield from _ids(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _ids(value)


def test_export_of_demo_and_a_meeting_feed_validates(runner, shared_data, tmp_path, schemas, monkeypatch):
    monkeypatch.setenv("HSDS_SCHEMA_DIR", str(shared_data / "hsds-3.0" / "schema"))
    with db.Session.begin() as s:
        mg.import_meetings(s, mg.load_feed(str(shared_data / "meeting-guide" / "kc.json")), "kc")
    c = counts()
    out = runner.invoke(args=["directory", "export-hsds", str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    assert f"Wrote {c['service']:,} services" in out.output and "validated against the HSDS 3.0 schemas" in out.output
    services = json.loads((tmp_path / "out" / "services.json").read_text())
    organizations = json.loads((tmp_path / "out" / "organizations.json").read_text())
    terms = json.loads((tmp_path / "out" / "taxonomy_terms.json").read_text())
    assert (len(services), len(organizations), len(terms)) == (c["service"], c["organization"], c["taxonomy_term"])
    # Every document validates on its own here too (not only inside the command).
    for name, docs in (("service.json", services), ("organization.json", organizations),
                       ("taxonomy_term.json", terms)):
        for doc in docs:
            assert schemas.errors(name, doc) == [], doc.get("name")
    assert all(UUID.match(i) for i in _ids(services + organizations + terms))
    meeting = next(s for s in services if s["id"] == hsds_id("mg-kc:254"))
    assert meeting["name"] == "Ward Parkway Group" and meeting["schedules"][0]["byday"] == "SU"
    assert meeting["organization_id"] == meeting["organization"]["id"]
    codes = {a["taxonomy_term"]["code"] for a in meeting["attributes"]}
    assert {"support_group", "open_meeting"} <= codes
    location = meeting["service_at_locations"][0]["location"]
    assert location["addresses"][0]["city"] == "Kansas City" and location["latitude"] == pytest.approx(39.0169507)


def test_export_round_trips_into_an_empty_directory(runner, shared_data, tmp_path, empty_db_url):
    with db.Session.begin() as s:
        findtreatment.import_file(s, shared_data / "findtreatment" / "facilities.json")
    before = counts()
    from directory.catalog.export import export_hsds
    with db.Session() as s:
        export_hsds(s, tmp_path / "out", schema_dir=shared_data / "hsds-3.0" / "schema")
    target = f"sqlite:///{tmp_path / 'other.db'}"
    db.upgrade(target)
    with db.Session.begin() as s:
        report = import_hsds_path(s, tmp_path / "out")
    after = counts()
    for table in ("service", "location", "service_at_location", "address", "phone", "language"):
        assert after[table] == before[table], table
    assert {r["category"]: r["n"] for r in rows("SELECT category, count(*) AS n FROM service GROUP BY 1")} == \
        {None: 11, "treatment": 19}
    assert report.search_entries == 30


def test_invalid_documents_are_caught(schemas):
    doc = to_hsds({"id": "x", "name": "No status", "status": "open", "phones": [{"id": "p", "number": 5}]})
    errors = schemas.errors("service.json", doc)
    assert any("status" in e for e in errors) and any("phones/0/number" in e for e in errors)
    assert schemas.errors("organization.json", {"id": "not-a-uuid", "name": "n", "description": ""})
    assert to_hsds({"website": "www.example.org", "url": "not a url"}) == {"website": "http://www.example.org"}


def test_missing_schemas_are_said_plainly(session, tmp_path, monkeypatch):
    from directory.catalog.export import export_hsds
    monkeypatch.setenv("HSDS_SCHEMA_DIR", str(tmp_path / "nowhere"))
    assert default_schema_dir() == tmp_path / "nowhere"
    summary = export_hsds(session, tmp_path / "out")
    assert "NOT validated" in summary and (tmp_path / "out" / "services.json").is_file()


def test_round_trip_keeps_capacity_online_time_zones_and_sources(shared_data, tmp_path, db_url):
    """Export the demo directory with a Meeting Guide feed (online meetings at virtual locations),
    import it into an empty directory: bed counts, time zones and each organization's source survive."""
    from directory.catalog.export import export_hsds
    from directory.catalog.models import Location, Organization, Schedule, Service
    with db.Session.begin() as s:
        mg.import_meetings(s, mg.load_feed(str(shared_data / "meeting-guide" / "kc.json")), "kc")
    with db.Session() as s:
        beds = {hsds_id(v.id): (v.capacity_available, v.capacity_maximum, v.capacity_unit)
                for v in s.query(Service).filter(Service.capacity_available.is_not(None))}
        virtual = {hsds_id(loc.id): loc.timezone for loc in s.query(Location).filter(Location.location_type == "virtual")}
        zones = {hsds_id(sch.id): sch.timezone for sch in s.query(Schedule).filter(Schedule.timezone.is_not(None))}
        sources = {hsds_id(o.id): o.source for o in s.query(Organization)}
        export_hsds(s, tmp_path / "out", schema_dir=shared_data / "hsds-3.0" / "schema")
    assert beds and virtual and all(virtual.values()) and set(sources.values()) >= {"demo", "meeting-guide"}
    db.upgrade(f"sqlite:///{tmp_path / 'other.db'}")
    with db.Session.begin() as s:
        import_hsds_path(s, tmp_path / "out")
    with db.Session() as s:
        assert {v.id: (v.capacity_available, v.capacity_maximum, v.capacity_unit)
                for v in s.query(Service).filter(Service.capacity_available.is_not(None))} == beds
        assert {loc.id: loc.timezone for loc in s.query(Location).filter(Location.location_type == "virtual")} == virtual
        assert {sch.id: sch.timezone for sch in s.query(Schedule).filter(Schedule.timezone.is_not(None))} == zones
        assert {o.id: o.source for o in s.query(Organization)} == sources


@pytest.mark.parametrize("given,written", [
    ("http://www.biscayneparkfl.gov/index.asp?Type=B_BASIC&SEC={D4C91E1B-FFB7}",  # Miami 211 has such
     "http://www.biscayneparkfl.gov/index.asp?Type=B_BASIC&SEC=%7BD4C91E1B-FFB7%7D"),
    ("www.example.org", "http://www.example.org"), ("https://a.example/c d", "https://a.example/c%20d"),
    ("n/a", None), ("http://[broken", None), ("mailto:x@example.org", "mailto:x@example.org"),
])
def test_web_addresses_pass_format_uri(given, written):
    from directory.catalog.export import _url
    assert _url(given) == written
