"""HSDS imports: the official 3.0 examples (JSON and CSV), Miami 211 (1.x), a generated 3.0 CSV
package, and broken or cut-off files, which must fail and leave the database as it was."""
from __future__ import annotations

import csv
import hashlib
import json
import random
import shutil
import uuid
from pathlib import Path

import pytest

from directory import db
from directory.catalog.importers import ImportFailed, import_hsds_path
from tests.catalog.import_helpers import counts, one_then_two_processes, row, rows, table_dump

EXAMPLE_SERVICE = "ac148810-d857-441c-9679-408f346de14b"


def run_import(path, **kw):
    with db.Session.begin() as s:
        return import_hsds_path(s, path, **kw)


@pytest.mark.parametrize("name", ["service_full.json", "organization_full.json", "service_at_location_full.json",
                                  "location.json", "taxonomy_term.json", "service_list.json", "csv", "."])
def test_official_examples_import(db_url, shared_data, name):
    before = counts()
    report = run_import(shared_data / "hsds-3.0" / "examples" / name)
    assert sum(report.written.values()) > 0
    after = counts()
    if name not in ("location.json", "taxonomy_term.json"):
        assert after["service"] == before["service"] + 1
        svc = row("SELECT name, status, minimum_age, assured_date FROM service WHERE id = :i", i=EXAMPLE_SERVICE)
        assert dict(svc) == {"name": "Community Counselling", "status": "active", "minimum_age": 12,
                             "assured_date": "2005-01-01"}
    if name in ("service_full.json", "csv"):
        sched = row("SELECT byday, opens_at, closes_at FROM schedule WHERE service_id = :i", i=EXAMPLE_SERVICE)
        assert (sched["byday"], sched["opens_at"][:5], sched["closes_at"][:5]) == ("TH,FR", "10:00", "18:00")
        assert row("SELECT number FROM phone WHERE service_id = :i", i=EXAMPLE_SERVICE)["number"] == '"+44 1234 234567"'
        # The example's latitude 100 is off the globe: dropped and reported, not imported.
        assert report.warnings["coordinates off the globe were dropped"] >= 1
    again = run_import(shared_data / "hsds-3.0" / "examples" / name)
    assert counts() == after and again.new["service"] == 0  # re-import updates, never duplicates


def test_miami_211_hsds_1x(db_url, shared_data):
    report = run_import(shared_data / "miami-211-hsds")
    c = counts()
    assert report.written["service"] == 4089 and c["service"] == 29 + 4089
    assert report.new["organization"] == 1074 + 82  # 82 stand-ins for organizations missing from the export
    assert report.written["location"] == 4089 and report.written["schedule"] == 11350
    assert report.written["phone"] == 4089 - 22  # 22 rows have no number
    assert report.warnings["organizations missing from the export got a stand-in (named after a location)"] == 82
    salvation = row("SELECT * FROM service WHERE id = 'miami-211-hsds:149'")
    assert salvation["name"] == "SALVATION ARMY" and "\\n" not in salvation["description"]
    assert "Salvation Army\u2019s Red Shield" in salvation["description"]  # mojibake repaired
    # ~300 websites come as "www.example.org": stored with a scheme
    assert row("SELECT count(*) AS n FROM service WHERE url LIKE 'https://www.%'")["n"] >= 273
    assert row("SELECT count(*) AS n FROM service WHERE url LIKE 'www.%'")["n"] == 0
    assert row("SELECT count(*) AS n FROM organization WHERE website LIKE 'www.%'")["n"] == 0
    addr = row("SELECT a.address_1, a.city, a.state_province, a.postal_code, l.timezone, l.latitude "
               "FROM address a JOIN location l ON l.id = a.location_id WHERE l.id = 'miami-211-hsds:149'")
    assert (addr["address_1"], addr["city"], addr["state_province"], addr["postal_code"]) == \
        ("1907 NW 38th Street", "Miami", "FL", "33142")
    assert addr["timezone"] == "America/New_York" and addr["latitude"] is not None  # ZIP centre: no coordinates
    assert row("SELECT number FROM phone WHERE service_id = 'miami-211-hsds:149'")["number"] == "305-637-6700"
    hours = rows("SELECT byday, opens_at, closes_at FROM schedule WHERE service_id = 'miami-211-hsds:149'")
    assert {(h["byday"], h["opens_at"][:5], h["closes_at"][:5]) for h in hours} == \
        {(d, "08:30", "16:30") for d in ("MO", "TU", "WE", "TH", "FR")}
    assert {r["code"] for r in rows("SELECT code FROM language WHERE service_id = 'miami-211-hsds:149'")} == \
        {"en", "es", "ht"}
    # Taxonomy -> category: AA intergroup (addiction support group), and none for a building department.
    aa = row("SELECT category FROM service WHERE id = 'miami-211-hsds:1472'")
    assert aa["category"] == "support_group"
    assert row("SELECT category FROM service WHERE id = 'miami-211-hsds:145'")["category"] is None
    assert row("SELECT id FROM taxonomy_term WHERE id = 'airs:PN-8100.0500-070'") is not None
    by_category = {r["category"]: r["n"] for r in rows(
        "SELECT category, count(*) AS n FROM service WHERE id LIKE 'miami-211-hsds:%' GROUP BY category")}
    assert by_category["treatment"] > 100 and by_category["housing"] > 100 and by_category["sober_living"] >= 5
    assert c["search_entry"] >= 29 + 4050


def _copy_examples(shared_data, tmp_path) -> Path:
    folder = tmp_path / "pkg"
    shutil.copytree(shared_data / "hsds-3.0" / "examples" / "csv", folder)
    for f in folder.iterdir():
        f.chmod(0o644)
    return folder


def _edit_csv(path: Path, edit) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        data = list(csv.reader(f))
    edit(data)
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(data)


def _set(column, value):
    def edit(data):
        data[1][data[0].index(column)] = value
    return edit


def _drop_column(column):
    def edit(data):
        i = data[0].index(column)
        for r in data:
            del r[i]
    return edit


@pytest.mark.parametrize("file,edit,message", [
    ("locations.csv", _set("latitude", "abc"), "locations.csv, row 2, field 'latitude': 'abc' is not a number"),
    ("services.csv", _drop_column("name"), "services.csv: has no column 'name'"),
    ("services.csv", _set("status", "open"), "services.csv, row 2, field 'status': 'open' is not one of"),
    ("schedules.csv", _set("opens_at", "25:99"), "schedules.csv, row 2, field 'opens_at': '25:99' is not a time"),
    ("service_at_location.csv", _set("location_id", "nowhere"),
     "service_at_location.csv, row 2, field 'location_id': 'nowhere' points at a location that is neither"),
])
@pytest.mark.parametrize("big", [False, True])
def test_broken_csv_fails_and_changes_nothing(runner, shared_data, tmp_path, monkeypatch, file, edit, message, big):
    """Also as a big import, whose rows are checked in a second process (importers/pipeline.py)."""
    from directory.catalog.importers import loader
    from directory.catalog.importers import pipeline
    split = []
    if big:
        monkeypatch.setattr(loader, "BIG_IMPORT_BYTES", 0)
        monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)  # split even on a one-CPU runner
        monkeypatch.setattr(pipeline, "run", lambda *a, _run=pipeline.run: split.append(1) or _run(*a))
    folder = _copy_examples(shared_data, tmp_path)
    _edit_csv(folder / file, edit)
    before = counts()
    out = runner.invoke(args=["directory", "import-hsds", str(folder)])
    assert out.exit_code == 1 and message in out.output, out.output
    assert "Nothing was imported" in out.output
    assert counts() == before
    assert split == ([1] if big else [])


def test_cut_off_files_fail_and_change_nothing(runner, shared_data, tmp_path):
    folder = _copy_examples(shared_data, tmp_path)
    raw = (folder / "services.csv").read_text()
    (folder / "services.csv").write_text(raw[: len(raw) - 300])  # the last line cut mid-way
    before = counts()
    out = runner.invoke(args=["directory", "import-hsds", str(folder)])
    assert out.exit_code == 1 and "services.csv, row 2" in out.output and "cut-off" in out.output
    raw = (shared_data / "hsds-3.0" / "examples" / "service_full.json").read_text()
    (tmp_path / "service_full.json").write_text(raw[:5000])
    out = runner.invoke(args=["directory", "import-hsds", str(tmp_path / "service_full.json")])
    assert out.exit_code == 1 and "is not valid JSON" in out.output
    miami = tmp_path / "miami"
    shutil.copytree(shared_data / "miami-211-hsds", miami)
    (miami / "regular_schedules.csv").chmod(0o644)
    raw = (miami / "regular_schedules.csv").read_text()
    (miami / "regular_schedules.csv").write_text(raw[: len(raw) // 2])
    out = runner.invoke(args=["directory", "import-hsds", str(miami)])
    assert out.exit_code == 1 and "regular_schedules.csv, row" in out.output
    assert counts() == before


# ---- a generated HSDS 3.0 CSV package (the bench uses the same columns, at a million listings)

CATEGORIES = ["support_group", "sober_living", "housing", "transportation", "treatment"]


def write_package(folder: Path, n: int, seed: int = 7, rename: dict | None = None) -> None:
    """n listings: n services, each at its own location with an address, a phone, a schedule,
    a category and an attribute; one organization per 5 services."""
    rnd = random.Random(seed)
    uid = lambda *p: str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, p))))  # noqa: E731
    folder.mkdir(parents=True, exist_ok=True)
    files = {name: open(folder / name, "w", newline="", encoding="utf-8") for name in (
        "organizations.csv", "services.csv", "locations.csv", "addresses.csv", "service_at_locations.csv",
        "phones.csv", "schedules.csv", "attributes.csv")}
    w = {name: csv.writer(f) for name, f in files.items()}
    w["organizations.csv"].writerow(["id", "name", "description", "website"])
    w["services.csv"].writerow(["id", "organization_id", "name", "description", "status"])
    w["locations.csv"].writerow(["id", "organization_id", "location_type", "name", "latitude", "longitude"])
    w["addresses.csv"].writerow(["id", "location_id", "address_1", "city", "state_province", "postal_code",
                                 "country", "address_type"])
    w["service_at_locations.csv"].writerow(["id", "service_id", "location_id"])
    w["phones.csv"].writerow(["id", "service_id", "number", "type"])
    w["schedules.csv"].writerow(["id", "service_id", "freq", "byday", "opens_at", "closes_at"])
    w["attributes.csv"].writerow(["id", "link_id", "link_entity", "taxonomy_term_id"])
    for i in range(n):
        org = uid("org", i // 5)
        if i % 5 == 0:
            w["organizations.csv"].writerow([org, f"Generated Org {i // 5}", "Generated for tests", "https://example.org"])
        svc, loc = uid("svc", i), uid("loc", i)
        name = (rename or {}).get(i, f"Generated Service {i}")
        w["services.csv"].writerow([svc, org, name, "A generated listing", "active"])
        w["locations.csv"].writerow([loc, org, "physical", f"Place {i}", f"{39.0 + rnd.random() * 0.3:.6f}",
                                     f"{-94.7 + rnd.random() * 0.3:.6f}"])
        w["addresses.csv"].writerow([uid("addr", i), loc, f"{i} Main St", "Kansas City", "MO", "64111", "US",
                                     "physical"])
        w["service_at_locations.csv"].writerow([uid("sal", i), svc, loc])
        w["phones.csv"].writerow([uid("phone", i), svc, f"816-555-{i % 10000:04d}", "voice"])
        w["schedules.csv"].writerow([uid("sched", i), svc, "WEEKLY", "MO,TU,WE,TH,FR", "09:00", "17:00"])
        w["attributes.csv"].writerow([uid("cat", i), svc, "service", f"signpost-category-{CATEGORIES[i % 5]}"])
        w["attributes.csv"].writerow([uid("attr", i), svc, "service", "signpost-attribute-free"])
    for f in files.values():
        f.close()


def test_generated_csv_package_imports_and_reimports_in_place(db_url, tmp_path, client):
    n = 5000
    write_package(tmp_path / "pkg", n)
    before = counts()
    report = run_import(tmp_path / "pkg")
    after = counts()
    assert report.new["service"] == n and after["service"] == before["service"] + n
    assert after["search_entry"] == before["search_entry"] + n
    assert after["attribute"] == before["attribute"] + 2 * n
    assert row("SELECT count(*) AS n FROM service WHERE category = 'treatment' AND name LIKE 'Generated%'")["n"] == n / 5
    assert row("SELECT timezone FROM location WHERE name = 'Place 7'")["timezone"] == "America/Chicago"
    items = client.get("/api/v1/search?lat=39.15&lon=-94.55&radius_km=50&category=housing&limit=5").get_json()["items"]
    assert items and all(i["category"] == "housing" for i in items)
    # Again, with one service renamed: the same rows, updated in place, none new.
    write_package(tmp_path / "pkg", n, rename={3: "Renamed Service"})
    again = run_import(tmp_path / "pkg")
    assert again.new["service"] == 0 and again.written["service"] == n and counts() == after
    assert row("SELECT count(*) AS n FROM service WHERE name = 'Renamed Service'")["n"] == 1
    assert row("SELECT count(*) AS n FROM service WHERE name = 'Generated Service 3'")["n"] == 0


def test_capacity_and_category_survive_an_hsds_reimport(db_url, shared_data):
    run_import(shared_data / "hsds-3.0" / "examples" / "csv")
    with db.engine().begin() as conn:
        from sqlalchemy import text
        conn.execute(text("UPDATE service SET capacity_available = 3, category = 'treatment' WHERE id = :i"),
                     {"i": EXAMPLE_SERVICE})
    run_import(shared_data / "hsds-3.0" / "examples" / "csv")
    svc = row("SELECT capacity_available, category FROM service WHERE id = :i", i=EXAMPLE_SERVICE)
    assert (svc["capacity_available"], svc["category"]) == (3, "treatment")


def test_not_hsds_is_a_clear_error(db_url, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ImportFailed, match="has no HSDS files"):
        run_import(tmp_path)
    (tmp_path / "weird.json").write_text(json.dumps({"hello": "world"}))
    with pytest.raises(ImportFailed, match="is not an HSDS document I know"):
        run_import(tmp_path / "weird.json")


def _disk_full(*args, **kwargs):
    raise RuntimeError("disk full")


def _tree_and_triggers():
    return (rows("SELECT * FROM search_rtree ORDER BY id"),
            rows("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'search_entry' ORDER BY name"))


@pytest.mark.parametrize("fail", [False, True])
def test_big_imports_refill_the_rtree_as_the_triggers_would(db_url, shared_data, monkeypatch, fail):
    """Above BULK_RTREE_MIN services the import drops the R*Tree triggers and refills the tree once:
    the tree must come out as the triggers make it, and a failed import must leave both as they were."""
    from directory.catalog import index
    with db.Session.begin() as s:  # the demo rows written again through the triggers, as they stand
        s.connection().exec_driver_sql("UPDATE search_entry SET active = active")
    demo_tree, demo_triggers = _tree_and_triggers()
    assert len(demo_tree) == 29 and [t["name"] for t in demo_triggers] == sorted(index.RTREE_TRIGGERS)
    monkeypatch.setattr(index, "BULK_RTREE_MIN", 1)
    if fail:
        monkeypatch.setattr(index, "rebuild_rtree", _disk_full)
        with pytest.raises(RuntimeError):
            run_import(shared_data / "miami-211-hsds")
        assert _tree_and_triggers() == (demo_tree, demo_triggers)
        return
    run_import(shared_data / "miami-211-hsds")
    bulk_tree, triggers = _tree_and_triggers()
    assert triggers == demo_triggers and len(bulk_tree) > 4000
    with db.Session.begin() as s:  # every row through the triggers again: the same tree
        s.connection().exec_driver_sql("DELETE FROM search_rtree")
        s.connection().exec_driver_sql("UPDATE search_entry SET active = active")
    assert _tree_and_triggers()[0] == bulk_tree


def _indexes():
    return rows("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")


@pytest.mark.parametrize("fail", [False, True])
def test_big_imports_build_the_table_indexes_again(db_url, tmp_path, monkeypatch, fail):
    """Beyond BULK_INDEX_ROWS rows of a table the import drops the secondary indexes and builds them
    again before the search entries are read: they must come back as they were, the listings must
    be found through them, and a failed import must leave them (and everything else) as it was."""
    from directory.catalog import index
    from directory.catalog.importers import loader
    monkeypatch.setattr(loader, "BULK_INDEX_ROWS", 20)
    dropped = []
    suspend = loader.Loader.suspend_indexes

    def spy(loader):
        suspend(loader)
        dropped.append(len(loader.suspended_indexes))
    monkeypatch.setattr(loader.Loader, "suspend_indexes", spy)
    before_indexes, before_counts = _indexes(), counts()
    assert len(before_indexes) > 15
    write_package(tmp_path / "pkg", 60)
    if fail:
        monkeypatch.setattr(index, "reindex_services", _disk_full)
        with pytest.raises(RuntimeError):
            run_import(tmp_path / "pkg")
        assert dropped and _indexes() == before_indexes and counts() == before_counts
        return
    report = run_import(tmp_path / "pkg")
    assert dropped == [len([i for i in before_indexes if i["tbl_name"] in loader.Loader.ORDER])]
    assert _indexes() == before_indexes
    assert report.search_entries == 60 and counts()["search_entry"] == before_counts["search_entry"] + 60
    # Read through the rebuilt indexes: a listing's phone, address and schedule are on its card.
    card = json.loads(row("SELECT e.card FROM search_entry e JOIN service s ON s.id = e.service_id "
                          "WHERE s.name = 'Generated Service 7'")["card"])
    assert card["phone"] == "816-555-0007" and card["address"].startswith("7 Main St") and card["slots"]


@pytest.mark.parametrize("fail", [False, True])
def test_a_first_big_load_builds_the_search_entry_indexes_after_its_entries(db_url, shared_data, monkeypatch, fail):
    """Into an empty search_entry, a big import writes its entries without the table's secondary
    indexes and builds them once afterwards: they must come back as they were and serve look-ups,
    and a failed import must leave them (and the empty table) as they were."""
    from directory.catalog import index
    with db.Session.begin() as s:  # a first load: no search entries yet
        s.connection().exec_driver_sql("DELETE FROM search_entry")
    before = _indexes()
    assert set(index.ENTRY_INDEXES) <= {i["name"] for i in before}
    monkeypatch.setattr(index, "BULK_RTREE_MIN", 1)
    dropped = []
    suspend = index.suspend_entry_indexes

    def spy(session):
        saved = suspend(session)
        dropped.append(len(saved))
        return saved
    monkeypatch.setattr(index, "suspend_entry_indexes", spy)
    if fail:
        monkeypatch.setattr(index, "rebuild_rtree", _disk_full)
        with pytest.raises(RuntimeError):
            run_import(shared_data / "miami-211-hsds")
        assert dropped == [2] and _indexes() == before and counts()["search_entry"] == 0
        return
    report = run_import(shared_data / "miami-211-hsds")
    assert dropped == [2] and _indexes() == before and report.search_entries > 4000
    service_id = row("SELECT service_id FROM search_entry ORDER BY id LIMIT 1")["service_id"]
    plan = rows(f"EXPLAIN QUERY PLAN SELECT id FROM search_entry WHERE service_id = '{service_id}'")
    assert "ix_search_entry_service_id" in " ".join(r["detail"] for r in plan)
    # A second import (entries exist now) reads them by service: the indexes stay.
    dropped.clear()
    run_import(shared_data / "miami-211-hsds")
    assert dropped == [0] and _indexes() == before


def _journal_mode() -> str:
    with db.engine().connect() as conn:
        return conn.exec_driver_sql("PRAGMA journal_mode").scalar()


def _journal_spy(monkeypatch) -> list[str]:
    """The journal mode each HSDS CSV import writes with (read just before its search entries)."""
    from directory.catalog.importers import loader
    from directory.catalog.importers import hsds_csv
    monkeypatch.setattr(loader, "BIG_IMPORT_BYTES", 1)  # every package counts as big
    seen = []
    finish = hsds_csv.finish

    def spy(loader, progress=False):
        seen.append(loader.session.connection().exec_driver_sql("PRAGMA journal_mode").scalar())
        return finish(loader, progress)
    monkeypatch.setattr(hsds_csv, "finish", spy)
    return seen


def _usual_settings() -> list:
    with db.engine().connect() as conn:  # the pooled connection the import used
        return [conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in ("journal_mode", "foreign_keys")]


@pytest.mark.parametrize("fail", [False, True])
def test_a_big_first_load_alone_writes_through_a_rollback_journal(empty_db_url, tmp_path, monkeypatch, fail):
    """A big import into an empty directory, with the file to itself, writes with a rollback
    journal; the connection goes back to the WAL and its usual settings afterwards, whether the
    import worked or not."""
    seen = _journal_spy(monkeypatch)
    db.configure(empty_db_url)
    write_package(tmp_path / "pkg", 40)
    db.engine().dispose()  # no other connection open
    if fail:
        _edit_csv(tmp_path / "pkg" / "service_at_locations.csv", _set("location_id", "nowhere"))
        with pytest.raises(ImportFailed, match="service_at_locations.csv, row 2"):
            run_import(tmp_path / "pkg")
        assert counts()["service"] == 0
    else:
        run_import(tmp_path / "pkg")
        assert seen == ["truncate"] and counts()["service"] == 40
    assert _usual_settings() == ["wal", 1]
    assert not (tmp_path / "empty.db-journal").exists() or (tmp_path / "empty.db-journal").stat().st_size == 0


def test_a_big_import_into_a_directory_in_use_stays_in_the_wal(db_url, tmp_path, monkeypatch):
    """Listings already there (something may be serving them): the usual WAL, no exclusive hold."""
    seen = _journal_spy(monkeypatch)
    write_package(tmp_path / "pkg", 40)
    db.engine().dispose()
    report = run_import(tmp_path / "pkg")
    assert seen == ["wal"] and report.new["service"] == 40 and _usual_settings() == ["wal", 1]


def test_a_big_first_load_beside_an_open_connection_stays_in_the_wal(empty_db_url, tmp_path, monkeypatch):
    """Another connection has the file open (a running web app): SQLite refuses the switch at
    once, and the import runs in the WAL without waiting."""
    import sqlite3
    import time
    seen = _journal_spy(monkeypatch)
    db.configure(empty_db_url)
    write_package(tmp_path / "pkg", 40)
    db.engine().dispose()
    other = sqlite3.connect(empty_db_url.removeprefix("sqlite:///"))
    try:
        assert other.execute("SELECT count(*) FROM service").fetchone()[0] == 0
        started = time.monotonic()
        report = run_import(tmp_path / "pkg")
        assert time.monotonic() - started < 8  # no busy wait (the usual timeout is 10 s)
        assert seen == ["wal"] and report.new["service"] == 40
        assert other.execute("SELECT count(*) FROM service").fetchone()[0] == 40
    finally:
        other.close()
    assert _usual_settings() == ["wal", 1]


def test_imports_pause_the_cycle_collector_and_always_give_it_back():
    import gc
    from directory.catalog.importers.runtime import cyclic_gc_paused
    assert gc.isenabled()
    with pytest.raises(ImportFailed):
        with cyclic_gc_paused():
            assert not gc.isenabled()
            raise ImportFailed("x.csv, row 2", "is wrong")
    assert gc.isenabled()
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_category_links_keep_their_stable_ids():
    """stable_id computes UUID 5 by hand (speed): the ids stay what uuid.uuid5 gave before."""
    from directory.catalog.taxonomy import _NS, stable_id
    for service_id in ("svc-1", str(uuid.uuid4()), "miami-211-hsds:149", "café:ü"):
        assert stable_id("category", service_id) == str(uuid.uuid5(_NS, "category|" + service_id))
    assert stable_id("attribute", "svc-1", "women") == str(uuid.uuid5(_NS, "attribute|svc-1|women"))


def test_a_link_to_a_missing_row_warns_once_per_row(db_url, tmp_path):
    """References are resolved once per row: rows pointing at the same missing service (the first
    looked up, the later ones already known to be missing) each lose the link with one warning."""
    write_package(tmp_path / "pkg", 3)
    with open(tmp_path / "pkg" / "phones.csv", "a", newline="") as f:
        for i in range(4):
            csv.writer(f).writerow([f"stray-phone-{i}", "no-such-service", f"816-555-90{i:02d}", "voice"])
    with open(tmp_path / "pkg" / "schedules.csv", "a", newline="") as f:  # a later file: known missing by then
        for i in range(2):
            csv.writer(f).writerow([f"stray-schedule-{i}", "no-such-service", "WEEKLY", "MO", "09:00", "17:00"])
    report = run_import(tmp_path / "pkg")
    assert report.written["phone"] == 3 + 4 and report.written["schedule"] == 3 + 2
    assert report.warnings["phone rows pointing at a missing service (service_id) lost that link"] == 4
    assert report.warnings["schedule rows pointing at a missing service (service_id) lost that link"] == 2
    assert row("SELECT service_id FROM phone WHERE id = 'stray-phone-3'")["service_id"] is None


def _with_languages(folder: Path) -> None:
    """A language for one service and one for a place (searchable, though not on the card)."""
    with open(folder / "languages.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "service_id", "location_id", "name", "code"])
        w.writerow(["lang-svc", str(uuid.uuid5(uuid.NAMESPACE_URL, "svc/1")), "", "Spanish", "es"])
        w.writerow(["lang-loc", "", str(uuid.uuid5(uuid.NAMESPACE_URL, "loc/2")), "Vietnamese", "vi"])


def test_a_big_import_checked_in_a_second_process_writes_what_one_process_does(tmp_path, monkeypatch):
    """importers/pipeline.py: the same rows, counts, warnings and search entries as in one process,
    for a first import (entries inserted) and an import again (entries updated in place)."""
    from directory.catalog import index
    from directory.catalog.importers import loader
    from directory.catalog.importers import pipeline
    write_package(tmp_path / "pkg", 2500)  # two batches a table, id lookups between them
    with open(tmp_path / "pkg" / "phones.csv", "a", newline="") as f:
        csv.writer(f).writerow(["stray-phone", "no-such-service", "816-555-9999", "voice"])
    _with_languages(tmp_path / "pkg")
    write_package(tmp_path / "again", 2500, rename={3: "Renamed Service"})
    _with_languages(tmp_path / "again")
    monkeypatch.setattr(loader, "BIG_IMPORT_BYTES", 0)
    monkeypatch.setattr(index, "BULK_RTREE_MIN", 1)  # the search entries' bulk path too
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)  # split even on a one-CPU runner
    results = {}
    for mode, used in one_then_two_processes(monkeypatch, tmp_path, count_reindex=True):
        report = run_import(tmp_path / "pkg")
        first = (report.summary(), report.service_ids, table_dump())
        report = run_import(tmp_path / "again")
        assert used == (["read", "index"] * 2 if mode == "two" else [])
        results[mode] = (first, report.summary(), table_dump())
    assert results["one"] == results["two"]
    (summary, _ids, first), _summary, again = results["two"]
    assert "2,500 service rows (2,500 new, 0 updated)" in summary and "lost that link" in summary
    assert len(first["search_entry"]) == len(again["search_entry"]) == 2500
    renamed = [e for e in again["search_entry"] if "renamed service" in e["search_text"]]
    assert len(renamed) == 1 and json.loads(renamed[0]["card"])["name"] == "Renamed Service"
    from directory.catalog.codes import language_mask
    by_service = {e["service_id"]: e for e in first["search_entry"]}
    uid = lambda *p: str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(map(str, p))))  # noqa: E731
    assert by_service[uid("svc", 1)]["language_bits"] == language_mask(["es"])
    assert by_service[uid("svc", 2)]["language_bits"] == language_mask(["vi"])  # the place's


@pytest.mark.parametrize("where", ["making entries", "writing entries"])
def test_a_failed_search_index_step_in_two_processes_changes_nothing(empty_db_url, tmp_path, monkeypatch, where):
    """The second process's error (making the cards and entries) comes back and rolls the import
    back; a failed write stops that process."""
    from directory.catalog import index
    from directory.catalog.importers import loader
    from directory.catalog.importers import pipeline
    write_package(tmp_path / "pkg", 1200)  # several batches of entries
    monkeypatch.setattr(loader, "BIG_IMPORT_BYTES", 0)
    monkeypatch.setattr(index, "BULK_RTREE_MIN", 1)
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)
    monkeypatch.delenv("SIGNPOST_IMPORT_ONE_PROCESS", raising=False)
    db.configure(empty_db_url)
    calls = []

    def entries_of(*batch, _entries_of=index.entries_of):
        if len(calls) == 1:  # runs in the second process: its `calls` is its own
            raise ValueError("bad card")
        calls.append(1)
        return _entries_of(*batch)

    def write_entries(*args, _write=index.write_entries):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        _write(*args)
    if where == "making entries":
        monkeypatch.setattr(index, "entries_of", entries_of)
        expected = (ValueError, "bad card")
    else:
        monkeypatch.setattr(index, "write_entries", write_entries)
        expected = (RuntimeError, "disk full")
    before = counts()
    with pytest.raises(expected[0], match=expected[1]):
        run_import(tmp_path / "pkg")
    assert counts() == before
    import multiprocessing
    assert not multiprocessing.active_children()


def test_the_writers_inbox_holds_a_bounded_number_of_bytes(monkeypatch):
    """pipeline._Inbox reads ahead while the writer is busy, but stops at LIMIT bytes until it catches up."""
    import multiprocessing
    import time
    from directory.catalog.importers import pipeline
    monkeypatch.setattr(pipeline._Inbox, "LIMIT", 1000)
    here, there = multiprocessing.Pipe()
    sent = []

    def send():
        for i in range(8):
            there.send_bytes(bytes([i]) * 600)
            sent.append(i)
        there.close()
    import threading
    sender = threading.Thread(target=send)
    inbox = pipeline._Inbox(here)
    sender.start()
    deadline = time.monotonic() + 5
    while inbox.size <= inbox.LIMIT and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # it would have read on by now if it were going to
    assert inbox.size == 1200 and len(inbox.messages) == 2  # over the limit by less than a message
    received = [inbox.recv_bytes() for _ in range(8)]
    assert received == [bytes([i]) * 600 for i in range(8)]
    with pytest.raises(EOFError):
        inbox.recv_bytes()
    inbox.stop()
    sender.join()
    assert inbox.peak <= 1200 and not inbox.thread.is_alive()


def test_a_failed_write_stops_the_checking_process_and_changes_nothing(empty_db_url, tmp_path, monkeypatch):
    from directory.catalog.importers import loader
    from directory.catalog.importers import pipeline
    write_package(tmp_path / "pkg", 200)
    monkeypatch.setattr(loader, "BIG_IMPORT_BYTES", 0)
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)  # split even on a one-CPU runner
    monkeypatch.delenv("SIGNPOST_IMPORT_ONE_PROCESS", raising=False)
    db.configure(empty_db_url)
    writes = []

    def write(loader, table, params, ids, _write=loader.Loader.write):
        writes.append(table)
        if table == "location":
            raise RuntimeError("disk full")
        _write(loader, table, params, ids)
    monkeypatch.setattr(loader.Loader, "write", write)
    import signal
    previous = signal.signal(signal.SIGTERM, lambda *_: None)  # e.g. a worker's: the child must still stop
    before = counts()
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            run_import(tmp_path / "pkg")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert writes[-1] == "location" and counts() == before
    import multiprocessing
    assert not multiprocessing.active_children()


def test_a_big_import_in_two_processes_builds_each_tables_indexes_when_done_with_it(db_url, tmp_path, monkeypatch):
    """The writing process builds a finished table's suspended indexes while the reading one reads on;
    the rest (services and attributes, which finish() writes again) at the end. All come back as they were."""
    from directory.catalog.importers import loader
    from directory.catalog.importers import pipeline
    monkeypatch.setattr(loader, "BULK_INDEX_ROWS", 20)
    monkeypatch.setattr(loader, "BIG_IMPORT_BYTES", 0)
    monkeypatch.delenv("SIGNPOST_IMPORT_ONE_PROCESS", raising=False)
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)  # split even on a one-CPU runner
    restored = []
    restore = loader.Loader.restore_indexes

    def spy(loader, progress=False, tables=None):
        restored.append((tables, len(loader.suspended_indexes)))
        restore(loader, progress, tables)
    monkeypatch.setattr(loader.Loader, "restore_indexes", spy)
    before_indexes, before_counts = _indexes(), counts()
    write_package(tmp_path / "pkg", 60)
    report = run_import(tmp_path / "pkg")
    assert _indexes() == before_indexes and report.search_entries == 60
    early = [tables[0] for tables, _n in restored if tables]
    assert {"location", "address", "phone", "schedule", "service_at_location"} <= set(early)
    assert "service" not in early and "attribute" not in early
    assert restored[-1][0] is None and restored[-1][1] > 0  # the rest, before the search entries are read
    assert counts()["search_entry"] == before_counts["search_entry"] + 60


# sha256 of the sorted ids of the schedule rows the Miami export's import writes, taken with the code
# before the schedule keys were counted by digest (its regular_schedules.csv gives no ids). A re-import into a
# directory an earlier version filled must find the same rows, not add new ones beside them.
MIAMI_SCHEDULE_IDS = "2ebbf3ea2d38756903ebf7dd67cd5c8222c5c2fb48083c6531a65a20048ec944"


def test_miami_schedule_ids_are_the_ones_earlier_imports_made(db_url, shared_data):
    run_import(shared_data / "miami-211-hsds")
    ids = sorted(r["id"] for r in rows("SELECT id FROM schedule WHERE service_id LIKE 'miami-211-hsds:%'"))
    assert len(ids) == 11350
    assert hashlib.sha256("\n".join(ids).encode()).hexdigest() == MIAMI_SCHEDULE_IDS


def test_a_repeated_schedule_row_without_an_id_is_kept_as_a_second_row(db_url, shared_data, tmp_path):
    """Two identical rows of regular_schedules.csv without ids: the second gets its own stable id
    (numbered by how many rows had its key before), not the first's."""
    folder = tmp_path / "miami-211-hsds"  # the source prefix of its ids comes from the folder name
    shutil.copytree(shared_data / "miami-211-hsds", folder)
    lines = (folder / "regular_schedules.csv").read_text().splitlines(keepends=True)
    (folder / "regular_schedules.csv").write_text("".join(lines + [lines[1], lines[1]]))
    report = run_import(folder)
    assert report.written["schedule"] == 11350 + 2
    ids = [r["id"] for r in rows("SELECT id FROM schedule WHERE service_id LIKE 'miami-211-hsds:%'")]
    assert len(ids) == len(set(ids)) == 11350 + 2
