"""SAMHSA FindTreatment facilities: the 30 real rows, their mapping, re-import and a cut-off file."""
from __future__ import annotations

import json

from directory import db
from directory.catalog.importers import findtreatment
from tests.catalog.import_helpers import counts, row, rows

MOHR = "samhsa:811a908f82269778a2fe2a8bc603afa08df868f3"


def test_facilities_import_with_counts_and_mapping(db_url, shared_data):
    path = shared_data / "findtreatment" / "facilities.json"
    before = counts()
    with db.Session.begin() as s:
        report = findtreatment.import_file(s, path)
    after = counts()
    assert after["service"] - before["service"] == 30 and report.new["service"] == 30
    assert report.new["organization"] == 15 and report.search_entries == 30
    svc = row("SELECT s.name, s.category, s.fees_description, o.name AS provider FROM service s "
              "JOIN organization o ON o.id = s.organization_id WHERE s.id = :i", i=MOHR)
    assert (svc["name"], svc["provider"], svc["category"]) == \
        ("Mohr Center", "Region Ten Community Services Board", "treatment")
    assert "Sliding fee scale" in svc["fees_description"]
    place = row("SELECT a.address_1, a.city, a.postal_code, l.latitude, l.timezone FROM location l "
                "JOIN address a ON a.location_id = l.id WHERE l.id = :i", i=MOHR)
    assert dict(place) == {"address_1": "1014 East Market Street", "city": "Charlottesville", "postal_code": "22902",
                           "latitude": 38.0282239, "timezone": "America/New_York"}
    phones = {(r["number"], r["description"]) for r in rows("SELECT number, description FROM phone "
                                                             "WHERE service_id = :i", i=MOHR)}
    assert phones == {("434-979-8871", "Main"), ("434-972-1800", "Intake")}
    codes = {r["code"] for r in rows("SELECT t.code FROM attribute a JOIN taxonomy_term t ON t.id = a.taxonomy_term_id "
                                     "WHERE a.link_id = :i", i=MOHR)}
    assert {"treatment", "mat_friendly", "insurance", "sliding_scale", "in_person"} <= codes
    by_category = {r["category"]: r["n"] for r in rows(
        "SELECT category, count(*) AS n FROM service WHERE id LIKE 'samhsa:%' GROUP BY category")}
    assert by_category == {"treatment": 19, None: 11}  # 14 SA + 5 MH that treat substance use
    with db.Session.begin() as s:
        again = findtreatment.import_file(s, path)
    assert again.new["service"] == 0 and counts() == after


def test_cli_and_cut_off_file(runner, shared_data, tmp_path):
    out = runner.invoke(args=["directory", "import-findtreatment", str(shared_data / "findtreatment" / "facilities.json")])
    assert out.exit_code == 0 and "30 service rows (30 new, 0 updated)" in out.output, out.output
    before = counts()
    raw = (shared_data / "findtreatment" / "facilities.json").read_text()
    (tmp_path / "cut.json").write_text(raw[: len(raw) // 3])
    out = runner.invoke(args=["directory", "import-findtreatment", str(tmp_path / "cut.json")])
    assert out.exit_code == 1 and "cut.json: is not valid JSON" in out.output
    data = json.loads(raw)
    data["rows"][4]["latitude"] = "north"
    (tmp_path / "bad.json").write_text(json.dumps(data))
    out = runner.invoke(args=["directory", "import-findtreatment", str(tmp_path / "bad.json")])
    assert out.exit_code == 1 and "facility 5" in out.output and "field 'latitude': 'north' is not a number" in out.output
    assert counts() == before
