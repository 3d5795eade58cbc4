"""Meeting Guide feeds: the real Orange County and Kansas City feeds, a small fixture, bad input."""
from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from directory import db
from directory.catalog.importers import ImportFailed
from directory.catalog.importers import loader, meeting_guide as mg
from tests.catalog.import_helpers import counts, one_then_two_processes, row, rows, table_dump

FIXTURES = Path(__file__).parent / "fixtures" / "importers"


def import_feed(path, source=None, **kw):
    with db.Session.begin() as s:
        return mg.import_meetings(s, mg.load_feed(str(path)), source or mg.source_key(str(path)), **kw)


def test_orange_county_feed(db_url, shared_data):
    labels = mg.load_type_labels(shared_data / "meeting-guide" / "types.json")
    report = import_feed(shared_data / "meeting-guide" / "oc.json", type_labels=labels)
    assert report.written["service"] == 1967 and report.new["service"] == 1967 and not report.skipped
    assert not report.bad  # the real feed breaks no rule
    c = counts()
    assert c["service"] == 29 + 1967  # the demo's 29 plus every meeting
    svc = row("SELECT * FROM service WHERE id = 'mg-oc:40-minutes-to-freedom'")
    assert svc["name"] == "40 Minutes to Freedom" and svc["category"] == "support_group"
    assert svc["url"] == "https://oc-aa.org/meetings/40-minutes-to-freedom/"
    sched = rows("SELECT byday, opens_at, closes_at, timezone FROM schedule WHERE service_id = :s",
                 s="mg-oc:40-minutes-to-freedom")
    assert [(r["byday"], r["opens_at"][:5], r["closes_at"][:5], r["timezone"]) for r in sched] == \
        [("MO", "19:30", "20:15", "America/Los_Angeles")]
    place = row("SELECT l.name, l.timezone, l.latitude, a.address_1, a.city, a.state_province, a.postal_code "
                "FROM service_at_location sal JOIN location l ON l.id = sal.location_id "
                "JOIN address a ON a.location_id = l.id WHERE sal.service_id = :s", s="mg-oc:40-minutes-to-freedom")
    assert dict(place) == {"name": "Watermark OC Church", "timezone": "America/Los_Angeles", "latitude": 33.6850173,
                           "address_1": "3186 Pullman St", "city": "Costa Mesa", "state_province": "CA",
                           "postal_code": "92626"}
    codes = {r["code"] for r in rows("SELECT t.code FROM attribute a JOIN taxonomy_term t ON t.id = a.taxonomy_term_id "
                                     "WHERE a.link_id = :s AND t.taxonomy = 'signpost-attribute'",
                                     s="mg-oc:40-minutes-to-freedom")}
    assert codes == {"closed_meeting", "discussion", "men", "in_person", "aa"}  # the feed's fellowship
    raw = {r["value"] for r in rows("SELECT value FROM attribute WHERE link_id = :s AND link_type = 'meeting-guide'",
                                    s="mg-oc:40-minutes-to-freedom")}
    assert raw == {"C", "DR", "D", "EN", "M"}
    assert row("SELECT name FROM taxonomy_term WHERE id = 'meeting-guide:DR'")["name"] == "Daily Reflections"
    assert row("SELECT code FROM language WHERE service_id = :s", s="mg-oc:40-minutes-to-freedom")["code"] == "en"
    # An online-only meeting: a virtual location with its conference link.
    online = row("SELECT l.location_type, l.url FROM service_at_location sal JOIN location l ON l.id = sal.location_id "
                 "WHERE sal.service_id = (SELECT id FROM service WHERE id LIKE 'mg-oc:%' AND id IN "
                 "(SELECT link_id FROM attribute WHERE value = 'ONL') LIMIT 1)")
    assert online["location_type"] == "virtual" and online["url"].startswith("https://")


def test_orange_county_meetings_are_searchable(client, shared_data):
    import_feed(shared_data / "meeting-guide" / "oc.json")
    items = client.get("/api/v1/search?lat=33.6851&lon=-117.8721&category=support_group&radius_km=0.5&limit=50"
                       ).get_json()["items"]
    assert "mg-oc:40-minutes-to-freedom" in {i["service_id"] for i in items}


def test_kansas_city_feed_reimport_updates_and_removes(db_url, shared_data, tmp_path):
    feed = json.loads((shared_data / "meeting-guide" / "kc.json").read_text())
    path = tmp_path / "kc.json"
    path.write_text(json.dumps(feed))
    first = import_feed(path)
    assert first.written["service"] == 206 and first.new["service"] == 206
    after_first = counts()
    again = import_feed(path)
    assert again.new["service"] == 0 and counts() == after_first  # idempotent: same rows, no copies
    target = feed[0]
    slug = str(target["slug"])
    target["name"], target["time"] = "Renamed Group", "07:15"
    removed = feed.pop()
    path.write_text(json.dumps(feed))
    third = import_feed(path)
    assert third.removed["service"] == 1
    assert row("SELECT name FROM service WHERE id = :i", i=f"mg-kc:{slug}")["name"] == "Renamed Group"
    assert row("SELECT opens_at FROM schedule WHERE service_id = :i", i=f"mg-kc:{slug}")["opens_at"].startswith("07:15")
    assert row("SELECT id FROM service WHERE id = :i", i=f"mg-kc:{removed['slug']}") is None
    assert counts()["service"] == after_first["service"] - 1


def test_small_feed_days_ends_online_geocoding_and_skips(db_url):
    report = import_feed(FIXTURES / "meetings_small.json", source="fx")
    days = [r["byday"] for r in rows("SELECT byday FROM schedule WHERE service_id = 'mg-fx:sunrise' ORDER BY byday")]
    assert days == ["FR", "MO", "WE"]
    opens, closes = row("SELECT opens_at, closes_at FROM schedule WHERE service_id = 'mg-fx:sunrise'").values()
    assert (opens[:5], closes[:5]) == ("06:30", "07:30")  # end_time defaults to an hour later
    assert row("SELECT closes_at FROM schedule WHERE service_id = 'mg-fx:night-owls'")["closes_at"][:5] == "00:30"
    assert row("SELECT o.name FROM organization o JOIN service s ON s.organization_id = o.id "
               "WHERE s.id = 'mg-fx:sunrise'")["name"] == "Sunrise Fellowship"
    assert row("SELECT code FROM language WHERE service_id = 'mg-fx:sunrise'")["code"] == "es"
    # No coordinates: placed at its ZIP code (and in its time zone), reported as a warning.
    owl = row("SELECT l.latitude, l.timezone FROM service_at_location sal JOIN location l ON l.id = sal.location_id "
              "WHERE sal.service_id = 'mg-fx:night-owls'")
    assert owl["latitude"] is not None and owl["timezone"] == "America/Los_Angeles"
    assert report.warnings["meetings geocoded from their address or ZIP"] == 1
    # Nowhere to put it: skipped and listed, the rest imported.
    assert report.skipped == [("lost", "no coordinates, and the address could not be geocoded")]
    assert "Skipped 1 records" in report.summary() and "lost" in report.summary()
    assert row("SELECT id FROM service WHERE id = 'mg-fx:lost'") is None
    online = row("SELECT l.location_type, l.url FROM service_at_location sal JOIN location l ON l.id = sal.location_id "
                 "WHERE sal.service_id = 'mg-fx:online-only'")
    assert dict(online) == {"location_type": "virtual", "url": "https://zoom.us/j/123"}


MALFORMED = [
    ({"time": "25:99"}, "meeting 2 (slug 'night-owls', name 'Fixture Night Owls'), field 'time': '25:99' is not "
                        "a time of day"),
    ({"day": 9}, "meeting 2 (slug 'night-owls', name 'Fixture Night Owls'), field 'day': 9 is not a day"),
    ({"latitude": "abc", "longitude": "-117.8"}, "field 'latitude': 'abc' is not a number"),
    ({"slug": "sunrise"}, "field 'slug': 'sunrise' is used twice: meetings 1 and 2"),
    ({"timezone": "Mars/Olympus"}, "field 'timezone': 'Mars/Olympus' is not a time zone name"),
]


@pytest.mark.parametrize("change,message", MALFORMED)
def test_strict_refuses_a_malformed_meeting_and_changes_nothing(runner, tmp_path, change, message):
    feed = json.loads((FIXTURES / "meetings_small.json").read_text())
    feed[1].update(change)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(feed))
    before = counts()
    out = runner.invoke(args=["directory", "import-meetings", str(path), "--strict", "--max-bad", "1"])
    assert out.exit_code != 0
    assert message in out.output and "Nothing was imported" in out.output
    assert "records break" not in out.output  # refused at the record, not by the count
    assert counts() == before


@pytest.mark.parametrize("change,message", MALFORMED)
def test_one_bad_meeting_in_four_is_past_the_threshold_and_changes_nothing(runner, tmp_path, change, message):
    feed = json.loads((FIXTURES / "meetings_small.json").read_text())
    feed[1].update(change)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(feed))
    before = counts()
    out = runner.invoke(args=["directory", "import-meetings", str(path)])
    assert out.exit_code != 0
    assert "1 of 4 records break" in out.output and message in out.output and "Nothing was imported" in out.output
    assert counts() == before


def test_odd_but_harmless_values_are_reported_not_fatal(db_url, tmp_path):
    feed = json.loads((FIXTURES / "meetings_small.json").read_text())
    feed[2]["conference_url"] = "zoom.us/j/987"
    feed[0]["updated"] = "May 1st"
    feed[1]["conference_url"] = "ask at the door"
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(feed))
    report = import_feed(path, source="odd")
    assert row("SELECT l.url FROM service_at_location sal JOIN location l ON l.id = sal.location_id "
               "WHERE sal.service_id = 'mg-odd:online-only'")["url"] == "https://zoom.us/j/987"
    assert report.warnings["'updated' values that are not YYYY-MM-DD HH:MM:SS were ignored"] == 1
    assert report.warnings["conference_urls that are not web addresses were dropped"] == 1


def test_truncated_feed_fails_and_changes_nothing(runner, shared_data, tmp_path):
    raw = (shared_data / "meeting-guide" / "kc.json").read_text()
    path = tmp_path / "kc.json"
    path.write_text(raw[: len(raw) // 2])
    before = counts()
    out = runner.invoke(args=["directory", "import-meetings", str(path)])
    assert out.exit_code == 1 and "is not valid JSON" in out.output
    assert counts() == before
    with pytest.raises(ImportFailed, match="expected a JSON list"):
        path.write_text('{"meetings": 3}')
        mg.load_feed(str(path))


@pytest.fixture
def feed_server(shared_data):
    handler = partial(SimpleHTTPRequestHandler, directory=str(shared_data / "meeting-guide"))
    handler.log_message = lambda *a, **k: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_cli_imports_a_feed_url(runner, feed_server):
    out = runner.invoke(args=["directory", "import-meetings", f"{feed_server}/kc.json", "--source", "kc",
                              "--name", "Kansas City AA"])
    assert out.exit_code == 0, out.output
    assert "206 service rows (206 new, 0 updated)" in out.output
    assert row("SELECT count(*) AS n FROM service WHERE id LIKE 'mg-kc:%'")["n"] == 206
    assert row("SELECT name FROM organization WHERE id = 'mg-kc:feed'")["name"] == "Kansas City AA"
    missing = runner.invoke(args=["directory", "import-meetings", f"{feed_server}/nope.json"])
    assert missing.exit_code == 1 and "could not be fetched" in missing.output


def test_a_reimport_that_deletes_works_with_the_indexes_suspended(db_url, shared_data, tmp_path, monkeypatch):
    """Past BULK_INDEX_ROWS the Loader drops the secondary indexes; removing a feed's old rows finds
    them by those columns, so the indexes are built again first and nothing is lost."""
    pass
    monkeypatch.setattr(loader, "BULK_INDEX_ROWS", 5)
    indexes = rows("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
    feed = json.loads((shared_data / "meeting-guide" / "kc.json").read_text())
    path = tmp_path / "kc.json"
    path.write_text(json.dumps(feed))
    import_feed(path)
    after_first = counts()
    removed = feed.pop()
    path.write_text(json.dumps(feed))
    again = import_feed(path)
    assert again.removed["service"] == 1 and counts()["service"] == after_first["service"] - 1
    assert row("SELECT id FROM service WHERE id = :i", i=f"mg-kc:{removed['slug']}") is None
    assert rows("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name") == indexes


def test_a_long_feed_read_in_a_second_process_writes_what_one_process_does(empty_db_url, shared_data, tmp_path,
                                                                           monkeypatch):
    """meetings.import_feed: a feed past PIPELINE_MIN_RECORDS is read and checked in a forked
    process (pipeline.run) while this one writes. The same rows, entries and report as in one
    process: for a first import (foreign key checks off), and for an import again in which
    meetings are renamed, removed (pruned) and broken (kept as they were), whose old child rows
    are deleted by the writer in order with the batches."""
    from directory.catalog import index
    from directory.catalog.importers import meetings, pipeline
    oc = json.loads((shared_data / "meeting-guide" / "oc.json").read_text())
    first, again = tmp_path / "oc.json", tmp_path / "oc-again.json"
    first.write_text(json.dumps(oc))
    changed = [dict(m) for m in oc[:1500]]  # 467 meetings left the feed
    changed[3]["name"] = "Renamed Meeting"
    changed[7]["day"] = 9  # broken: skipped, its listing kept as it was
    changed[8]["types"] = ["W", "S"]  # women, Spanish: attributes and a language replaced
    again.write_text(json.dumps(changed))
    monkeypatch.setattr(meetings, "PIPELINE_MIN_RECORDS", 1000)
    monkeypatch.setattr(index, "BULK_RTREE_MIN", 1)
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)  # split even on a one-CPU runner
    results = {}
    for mode, used in one_then_two_processes(monkeypatch, tmp_path):
        summaries = []
        for path in (first, again):
            with db.Session.begin() as s, mg.open_feed(str(path)) as feed:
                report = mg.import_meetings(s, feed, "oc", label="oc.json")
            summaries.append((report.summary(), report.service_ids))
        assert used == (["read", "read"] if mode == "two" else [])
        results[mode] = (summaries, table_dump())
    assert results["one"] == results["two"]
    (first_summary, _ids), (again_summary, again_ids) = results["two"][0]
    assert "1,967 service rows (1,967 new, 0 updated)" in first_summary
    assert "467 service rows removed (gone from the source)" in again_summary
    assert "Records that broke a rule: 1 of 1,500 (1 skipped, 0 repaired)" in again_summary
    dump = results["two"][1]
    services = {r["id"]: r for r in dump["service"]}
    assert len(services) == 1500 and services[f"mg-oc:{oc[3]['slug']}"]["name"] == "Renamed Meeting"
    assert f"mg-oc:{oc[7]['slug']}" in services and f"mg-oc:{oc[7]['slug']}" not in again_ids
    women = [r for r in dump["attribute"] if r["link_id"] == f"mg-oc:{oc[8]['slug']}"
             and r["taxonomy_term_id"] == "signpost-attribute-women"]
    assert len(women) == 1
    assert [r["code"] for r in dump["language"] if r["service_id"] == f"mg-oc:{oc[8]['slug']}"] == ["es"]


def test_a_feed_broken_part_way_changes_nothing_when_read_in_a_second_process(db_url, shared_data, tmp_path,
                                                                               monkeypatch):
    """The feed streams, so a syntax error far into it is met while meetings are being written:
    the import still fails as a whole and changes nothing, also from the reading process."""
    from directory.catalog.importers import meetings, pipeline
    raw = (shared_data / "meeting-guide" / "oc.json").read_text()
    path = tmp_path / "oc.json"
    path.write_text(raw[: len(raw) * 9 // 10])  # cut in the last tenth
    monkeypatch.setattr(meetings, "PIPELINE_MIN_RECORDS", 1000)
    monkeypatch.setattr(pipeline.os, "cpu_count", lambda: 2)
    monkeypatch.delenv("SIGNPOST_IMPORT_ONE_PROCESS", raising=False)
    before = counts()
    with mg.open_feed(str(path)) as feed:
        assert feed.estimated_count > 1000 and len(feed.head) == 500
        with pytest.raises(ImportFailed, match="is not valid JSON"):
            with db.Session.begin() as s:
                mg.import_meetings(s, feed, "oc")
    assert counts() == before
    import multiprocessing
    assert not multiprocessing.active_children()
