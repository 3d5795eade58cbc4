"""HSDS JSON, the 211 (HSDS 1.x) layout and FindTreatment as big imports: read and checked in a
second process (importers/pipeline.py), the same tables as in one process, and a broken file
changes nothing."""
from __future__ import annotations

import json
import shutil

import pytest

from directory import db
from directory.catalog.importers import ImportFailed, findtreatment, import_hsds_path
from tests.catalog.import_helpers import counts, one_then_two_processes
from tests.catalog.import_helpers import table_dump as _table_dump

N = 2300  # more than a batch (2,000 rows): id lookups between batches


def _facilities(shared_data, folder, n=N, rename=None):
    """n FindTreatment facilities made from the 30 real ones (new frids, the same shapes)."""
    real = json.loads((shared_data / "findtreatment" / "facilities.json").read_text())["rows"]
    rows = []
    for i in range(n):
        row = dict(real[i % len(real)], frid=f"{i:040x}{'ab' * 12}", _irow=i + 1)  # ids: the first 40 digits
        if rename and i in rename:
            row["name2"] = rename[i]
        rows.append(row)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "facilities.json"
    path.write_text(json.dumps({"page": 1, "totalPages": 1, "recordCount": n, "rows": rows}, indent=1))
    return path


def _hsds_json(folder, n=N, rename=None):
    """n HSDS 3.0 service documents (service_full's shape), in a paged list."""
    docs = []
    for i in range(n):
        sid, lid, oid = f"svc-{i}", f"loc-{i}", f"org-{i // 4}"
        docs.append({
            "id": sid, "name": (rename or {}).get(i, f"Service {i}"), "description": "Help.", "status": "active",
            "organization": {"id": oid, "name": f"Org {i // 4}", "description": "An organization."},
            "phones": [{"id": f"ph-{i}", "number": f"816-555-{i % 10000:04d}", "languages": []}],
            "schedules": [{"id": f"sc-{i}", "freq": "WEEKLY", "byday": "MO,TU", "opens_at": "09:00:00",
                           "closes_at": "17:00:00"}],
            "languages": [{"id": f"la-{i}", "code": "es", "name": "Spanish"}],
            "attributes": [{"id": f"at-{i}", "link_type": "signpost", "taxonomy_term_id": "t-housing",
                            "taxonomy_term": {"id": "t-housing", "code": "housing", "name": "Housing",
                                              "description": "Housing", "taxonomy": "signpost-category"}}],
            "service_at_locations": [{"id": f"sal-{i}", "location": {
                "id": lid, "location_type": "physical", "name": f"Place {i}",
                "latitude": 39.0 + i / 10000, "longitude": -94.5 - i / 10000,
                "addresses": [{"id": f"ad-{i}", "address_1": f"{i} Main St", "city": "Kansas City",
                               "state_province": "MO", "postal_code": "64106", "country": "US"}]}}],
        })
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "services.json"
    path.write_text(json.dumps({"total_items": n, "contents": docs}))
    return path


def _211(shared_data, folder, rename=None):
    shutil.copytree(shared_data / "miami-211-hsds", folder)
    if rename:
        path = folder / "services.csv"
        raw = path.read_text()
        path.write_text(raw.replace("GIRL SCOUTS COUNCIL OF TROPICAL FLORIDA, INC.", rename, 1))
    return folder


def _inputs(fmt, shared_data, tmp_path):
    if fmt == "findtreatment":
        return _facilities(shared_data, tmp_path / "a"), _facilities(shared_data, tmp_path / "b", rename={3: "Renamed"})
    if fmt == "hsds-json":
        return _hsds_json(tmp_path / "a"), _hsds_json(tmp_path / "b", rename={3: "Renamed"})
    return _211(shared_data, tmp_path / "miami"), _211(shared_data, tmp_path / "b" / "miami", rename="Renamed")


def _import(fmt, path):
    with db.Session.begin() as s:
        if fmt == "findtreatment":
            return findtreatment.import_file(s, path)
        return import_hsds_path(s, path)


def _big(monkeypatch):
    from directory.catalog import index
    from directory.catalog.importers import loader, pipeline
    monkeypatch.setattr(loader, "BIG_IMPORT_BYTES", 0)
    monkeypatch.setattr(loader, "BULK_INDEX_ROWS", 500)  # indexes suspended and built again too
    monkeypatch.setattr(index, "BULK_RTREE_MIN", 1)  # the search entries' bulk path too
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)  # split even on a one-CPU runner


@pytest.mark.parametrize("fmt", ["findtreatment", "hsds-json", "211"])
def test_two_processes_write_what_one_process_does(fmt, shared_data, tmp_path, monkeypatch):
    """A first import and an import again (updated in place), in one process and in two: the same
    rows, summaries and search entries."""
    first, again = _inputs(fmt, shared_data, tmp_path)
    _big(monkeypatch)
    results = {}
    for mode, used in one_then_two_processes(monkeypatch, tmp_path):
        report = _import(fmt, first)
        before = _table_dump()
        one = (report.summary().replace(str(tmp_path / "b"), str(tmp_path)), before)
        report = _import(fmt, again)
        assert used == (["read", "read"] if mode == "two" else [])
        after = _table_dump()
        results[mode] = (one, report.summary(), after)
        assert len(after["service"]) == len(before["service"])  # updated in place
        assert len(after["search_entry"]) == len(before["search_entry"]) > 0
        assert any("renamed" in e["search_text"] for e in after["search_entry"])
        db.engine().dispose()
    assert results["one"] == results["two"]


@pytest.mark.parametrize("fmt", ["findtreatment", "hsds-json"])
def test_a_broken_file_read_in_a_second_process_changes_nothing(fmt, shared_data, tmp_path, monkeypatch, db_url):
    monkeypatch.delenv("SIGNPOST_IMPORT_ONE_PROCESS", raising=False)
    _big(monkeypatch)
    path, _again = _inputs(fmt, shared_data, tmp_path)
    before = counts()
    raw = path.read_text()
    path.write_text(raw[: len(raw) * 2 // 3])  # cut off: the first part is written before the error
    with pytest.raises(ImportFailed, match="is not valid JSON .* at line \\d+, column \\d+\\); is the file complete"):
        _import(fmt, path)
    assert counts() == before
    data = json.loads(raw)
    items = data["rows"] if fmt == "findtreatment" else data["contents"]
    if fmt == "findtreatment":
        items[-5]["latitude"] = "north"
    else:
        items[-5]["service_at_locations"][0]["location"]["latitude"] = "north"
    path.write_text(json.dumps(data))
    with pytest.raises(ImportFailed, match="'north' is not a number"):
        _import(fmt, path)
    assert counts() == before
