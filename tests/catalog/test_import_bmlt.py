"""BMLT (NA) servers: the real Berlin GetSearchResults and GetFormats answers, bad records, the CLI."""
from __future__ import annotations

import copy
import json
from collections import Counter

import pytest

from directory import db
from directory.catalog.importers import ImportFailed, Tolerance
from directory.catalog.importers import bmlt
from tests.catalog.import_helpers import counts, row, rows

PREFIX = "bmlt-narcotics-anonymous.de:"
DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")


@pytest.fixture
def berlin(shared_data):
    meetings, _ = bmlt.load_meetings(str(shared_data / "bmlt" / "meetings.json"))
    return meetings


@pytest.fixture
def formats(shared_data):
    return bmlt.load_formats(str(shared_data / "bmlt" / "formats.json"))


def import_server(meetings, formats=None, source="narcotics-anonymous.de", **kw):
    with db.Session.begin() as s:
        return bmlt.import_bmlt(s, meetings, source, formats=formats, **kw)


def attribute_codes(service_id) -> set[str]:
    return {r["code"] for r in rows("SELECT t.code FROM attribute a JOIN taxonomy_term t ON t.id = a.taxonomy_term_id "
                                    "WHERE a.link_id = :i AND t.taxonomy = 'signpost-attribute'", i=service_id)}


def test_the_berlin_server_imports_with_its_weekdays_zone_and_venues(db_url, berlin, formats):
    report = import_server(berlin, formats)
    assert report.written["service"] == 108 and report.new["service"] == 108 and not report.bad
    assert "Meetings without a time_zone: Europe/Berlin" in report.summary()
    services = rows("SELECT id FROM service WHERE id LIKE :p", p=PREFIX + "%")
    assert len(services) == 108
    # weekday_tinyint 1 = Sunday ... 7 = Saturday, each meeting on its own day
    days = {r["service_id"]: r for r in rows("SELECT service_id, byday, opens_at, closes_at, timezone, attending_type "
                                             "FROM schedule WHERE service_id LIKE :p", p=PREFIX + "%")}
    for m in berlin:
        sched = days[PREFIX + m["id_bigint"]]
        assert sched["byday"] == DAYS[int(m["weekday_tinyint"]) - 1]
        assert sched["opens_at"].startswith(m["start_time"][:5]) and sched["timezone"] == "Europe/Berlin"
    assert Counter(r["byday"] for r in days.values()) == {"SU": 18, "MO": 15, "TU": 13, "WE": 18, "TH": 17,
                                                         "FR": 17, "SA": 10}
    first = days[PREFIX + "10818"]  # 10:00 for 00:35
    assert (first["opens_at"][:5], first["closes_at"][:5], first["attending_type"]) == ("10:00", "10:35", "online")

    venues = Counter(r["location_type"] for r in rows(
        "SELECT l.location_type FROM service_at_location sal JOIN location l ON l.id = sal.location_id "
        "WHERE sal.service_id LIKE :p", p=PREFIX + "%"))
    assert venues == {"physical": 85, "virtual": 23}
    virtual = [m for m in berlin if m["venue_type"] == "2"]
    in_person = [m for m in berlin if m["venue_type"] == "1"]
    entries = {r["service_id"]: r for r in rows("SELECT service_id, latitude, longitude, active FROM search_entry "
                                                "WHERE service_id LIKE :p", p=PREFIX + "%")}
    assert set(entries) == {PREFIX + m["id_bigint"] for m in in_person}  # virtual ones: no distance
    placeholder = row("SELECT l.latitude, l.url FROM service_at_location sal JOIN location l ON l.id = sal.location_id "
                      "WHERE sal.service_id = :i", i=PREFIX + "10818")
    assert placeholder["latitude"] is None and placeholder["url"] == "https://us02web.zoom.us/j/9079883918"
    for m in in_person:
        assert entries[PREFIX + m["id_bigint"]]["latitude"] == pytest.approx(float(m["latitude"]))
    assert all("online" in attribute_codes(PREFIX + m["id_bigint"]) for m in virtual)
    assert all("na" in attribute_codes(PREFIX + m["id_bigint"]) for m in berlin)

    # Formats: F (world id W) is women, every raw format kept on the bmlt taxonomy, LANG formats as languages.
    women = [m for m in berlin if "F" in m["formats"].split(",")]
    assert women and all("women" in attribute_codes(PREFIX + m["id_bigint"]) for m in women)
    raw = {r["value"] for r in rows("SELECT value FROM attribute WHERE link_id = :i AND link_type = 'bmlt'",
                                    i=PREFIX + women[0]["id_bigint"])}
    assert raw == set(women[0]["formats"].split(","))
    assert row("SELECT name FROM taxonomy_term WHERE taxonomy = 'bmlt' AND code = 'F'")["name"] == "Frauenmeeting"
    english = next(m for m in berlin if m["formats"] == "en")
    assert {r["code"] for r in rows("SELECT code FROM language WHERE service_id = :i",
                                    i=PREFIX + english["id_bigint"])} == {"en"}  # not the server's lang_enum 'de'


def test_a_reimport_updates_in_place_and_removes_what_left(db_url, berlin, formats):
    import_server(berlin, formats)
    after = counts()
    again = import_server(berlin, formats)
    assert again.new["service"] == 0 and counts() == after
    feed = copy.deepcopy(berlin)
    feed[0]["meeting_name"] = "Renamed"
    feed[1]["published"] = "0"
    gone = feed.pop()
    report = import_server(feed, formats)
    assert report.removed["service"] == 2
    assert row("SELECT name FROM service WHERE id = :i", i=PREFIX + feed[0]["id_bigint"])["name"] == "Renamed"
    for m in (gone, feed[1]):
        assert row("SELECT id FROM service WHERE id = :i", i=PREFIX + m["id_bigint"]) is None
    assert counts()["service"] == after["service"] - 2


def test_bad_records_are_skipped_or_repaired_and_a_record_turned_bad_keeps_its_listing(db_url, berlin, formats):
    import_server(berlin, formats)
    feed = copy.deepcopy(berlin)
    feed[2]["weekday_tinyint"] = "8"
    feed[3]["start_time"] = "25:00:00"
    feed[4]["time_zone"] = "Europe/Atlantis"
    feed[5]["venue_type"] = "9"
    del feed[6]["meeting_name"]
    feed.append(dict(feed[7], meeting_name="Another meeting", weekday_tinyint="3"))  # the same id, another meeting
    feed.append("not a meeting")
    with pytest.raises(ImportFailed, match=r"7 of 110 records break"):  # 6.4%
        import_server(feed, formats)
    report = import_server(feed, formats, tolerance=Tolerance(max_bad=0.1))
    actions = {b.where.split(", ", 1)[1]: b.action for b in report.bad}
    assert report.bad_records == 7
    name = lambda m: f"meeting {berlin.index(m) + 1} (id '{m['id_bigint']}', name '{m['meeting_name']}')"
    assert actions[name(berlin[2])] == "skipped" and actions[name(berlin[3])] == "skipped"
    assert actions[name(berlin[4])] == "repaired: the server's default zone is used"
    assert actions[name(berlin[5])].startswith("repaired: ")
    for m in berlin[2:4] + berlin[6:7]:  # skipped: the listing stays as it was
        sched = row("SELECT byday FROM schedule WHERE service_id = :i", i=PREFIX + m["id_bigint"])
        assert sched["byday"] == DAYS[int(m["weekday_tinyint"]) - 1]
    twin = rows("SELECT id, name FROM service WHERE id LIKE :p", p=f"{PREFIX}{berlin[7]['id_bigint']}-%")
    assert [r["name"] for r in twin] == ["Another meeting"]
    assert row("SELECT timezone FROM schedule WHERE service_id = :i",
               i=PREFIX + berlin[4]["id_bigint"])["timezone"] == "Europe/Berlin"
    with pytest.raises(ImportFailed, match="'8' is not a weekday"):
        import_server(feed, formats, tolerance=Tolerance(strict=True))


def test_the_zone_comes_from_the_option_or_the_country_else_the_import_asks(db_url, berlin):
    assert bmlt.default_zone(berlin, None) == "Europe/Berlin"  # 68 Deutschland, 1 Deutschlang
    assert bmlt.default_zone(berlin, "Europe/Vienna") == "Europe/Vienna"
    nowhere = [dict(m, location_nation="") for m in berlin]
    assert bmlt.default_zone(nowhere, None) is None
    before = counts()
    with pytest.raises(ImportFailed, match="--default-timezone"):
        import_server(nowhere)
    assert counts() == before
    import_server(nowhere, default_timezone="Europe/Berlin")
    assert {r["timezone"] for r in rows("SELECT DISTINCT timezone FROM schedule WHERE service_id LIKE :p",
                                        p=PREFIX + "%")} == {"Europe/Berlin"}
    with pytest.raises(ImportFailed, match="not a time zone"):
        bmlt.default_zone(berlin, "Berlin")


def test_without_formats_the_stock_keys_map_and_raw_codes_are_kept(db_url, berlin):
    import_server(berlin)  # no GetFormats: world ids of the stock English keys
    speaker = next(m for m in berlin if m["formats"] == "O,BT,EF,Lit")
    assert "open_meeting" in attribute_codes(PREFIX + speaker["id_bigint"])
    assert row("SELECT name FROM taxonomy_term WHERE taxonomy = 'bmlt' AND code = 'BT'")["name"] == "BT"


def test_cli_import_bmlt(runner, shared_data, tmp_path):
    data = shared_data / "bmlt"
    out = runner.invoke(args=["directory", "import-bmlt", str(data / "meetings.json"),
                              "--formats", str(data / "formats.json")])
    assert out.exit_code == 0, out.output
    assert "108 service rows (108 new, 0 updated)" in out.output and "Europe/Berlin" in out.output
    assert "Narcotics Anonymous (attribute 'na')" in out.output
    out = runner.invoke(args=["directory", "import-bmlt", str(data / "meetings.json"), "--source", "berlin",
                              "--default-timezone", "Europe/Berlin", "--name", "NA Berlin"])
    assert out.exit_code == 0, out.output
    assert row("SELECT count(*) AS n FROM service WHERE id LIKE 'bmlt-berlin:%'")["n"] == 108
    assert row("SELECT name FROM organization WHERE id = 'bmlt-berlin:server'")["name"] == "NA Berlin"

    feed = json.loads((data / "meetings.json").read_text())
    feed[0]["start_time"] = "later"
    path = tmp_path / "one-bad.json"
    path.write_text(json.dumps(feed))
    before = counts()
    strict = runner.invoke(args=["directory", "import-bmlt", str(path), "--strict"])
    assert strict.exit_code == 1 and "'later' is not a time of day" in strict.output and counts() == before
    zero = runner.invoke(args=["directory", "import-bmlt", str(path), "--max-bad", "0"])
    assert zero.exit_code == 1 and "1 of 108 records break" in zero.output and counts() == before
    ok = runner.invoke(args=["directory", "import-bmlt", str(path)])
    assert ok.exit_code == 0 and "Records that broke a rule: 1 of 108 (1 skipped, 0 repaired)" in ok.output
    assert "meeting 1 (id '10818', name 'Schritte schreib Meeting'), field 'start_time'" in ok.output

    path.write_text(json.dumps(feed)[:500])
    truncated = runner.invoke(args=["directory", "import-bmlt", str(path)])
    assert truncated.exit_code == 1 and "is not valid JSON" in truncated.output
    path.write_text('{"formats": []}')
    assert "expected a JSON list of meetings" in runner.invoke(args=["directory", "import-bmlt", str(path)]).output
    assert counts()["service"] == before["service"]
