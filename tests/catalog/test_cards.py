"""Listing cards (directory/catalog/cards.py): what search stores per listing stays what the tables say."""
import datetime as dt
import json

from sqlalchemy import select

from directory import db
from directory.catalog import cards
from directory.catalog.models import Organization, Phone, SearchEntry, Service
from directory.catalog.views import search_items
from directory.catalog.search.query import build_query
from directory.catalog.search.nearby import search

NOW = dt.datetime(2026, 11, 26, 18, 0, tzinfo=dt.timezone.utc)


def _items(near="92701", **params):
    with db.Session() as s:
        return search_items(s, search(s, build_query({"near": near, "limit": "100", **params}), NOW), NOW)


def test_every_stored_card_is_what_the_tables_say(session):
    stored = dict(session.execute(select(SearchEntry.service_at_location_id, SearchEntry.card)).all())
    assert stored and all(stored.values())
    fresh = cards.build_cards(session.connection(), list(stored))
    assert {sal: json.loads(card) for sal, card in stored.items()} == json.loads(json.dumps(fresh))


def test_orm_edits_refresh_the_cards_at_commit(db_url):
    before = {i["service_id"]: i for i in _items()}
    target = next(i for i in before.values() if i["phone"])
    with db.Session.begin() as s:  # no explicit reindex: the commit does it
        service = s.get(Service, target["service_id"])
        for phone in s.scalars(select(Phone).where(Phone.service_id == service.id)):
            phone.number = "(714) 555-0199"
        s.get(Organization, service.organization_id).name = "Renamed Org (demo)"
    after = {i["service_id"]: i for i in _items()}
    assert after[target["service_id"]]["phone"] == "(714) 555-0199"
    assert after[target["service_id"]]["organization"] == "Renamed Org (demo)"
    untouched = [k for k in before if k != target["service_id"] and before[k]["organization"] != target["organization"]]
    assert untouched and all(after[k] == before[k] for k in untouched)


def test_rolled_back_edits_leave_nothing_to_reindex(db_url):
    with db.Session() as s:
        service = s.scalars(select(Service)).first()
        service.name = "Never saved"
        s.flush()
        s.rollback()
        assert not s.info.get("signpost_reindex")
    assert "Never saved" not in [i["name"] for i in _items(radius_km="100")]


def test_rows_without_a_card_answer_the_same(db_url):
    before = _items(category="support_group")
    with db.engine().begin() as conn:
        conn.execute(SearchEntry.__table__.update().values(card=None))
    assert _items(category="support_group") == before
    tonight = _items(category="support_group", when="tonight")
    assert tonight and all(i["category"] == "support_group" for i in tonight)


def test_reindex_command_gives_old_rows_their_cards(db_url, runner):
    with db.engine().begin() as conn:
        conn.execute(SearchEntry.__table__.update().values(card=None))
    out = runner.invoke(args=["directory", "reindex", "--no-progress"])
    assert out.exit_code == 0 and "Search index rebuilt: 29 entries for 29 services." in out.output, out.output
    with db.Session() as s:
        assert all(s.scalars(select(SearchEntry.card)))


def test_time_facts_are_to_the_minute_and_exact_for_odd_seconds():
    from directory.catalog.search.nearby import Hit
    hit = Hit(1, "sal", "svc", 33.7, -117.8, 1.0)
    base = {"v": cards.CARD_VERSION, "service_id": "svc", "timezone": "America/Los_Angeles"}
    meeting = dict(base, slots=["3|19:00:00|20:00:00||"])  # Thursdays 7-8 pm
    la = dt.timezone(dt.timedelta(hours=-8))
    before, during, after = (dt.datetime(2026, 11, 26, 18, 59, 59, tzinfo=la), dt.datetime(2026, 11, 26, 19, 0, 1, tzinfo=la),
                             dt.datetime(2026, 11, 26, 20, 0, 0, tzinfo=la))
    assert cards.item(meeting, hit, before)["open_now"] is False
    assert cards.item(meeting, hit, during)["open_now"] is True
    assert cards.item(meeting, hit, after)["open_now"] is False
    # Within the minute a meeting started in, it is still "next" (minute resolution, like schedules).
    assert cards.item(meeting, hit, during)["next_meeting"]["label"] == "Today 7:00 pm"
    first = cards.item(meeting, hit, before)
    first["next_meeting"]["label"] = "changed by a caller"
    assert cards.item(meeting, hit, before)["next_meeting"]["label"] == "Today 7:00 pm"  # the cache is not shared
    odd = dict(base, slots=["3|19:00:30|20:00:00||"])  # seconds in the schedule: worked out exactly
    assert cards.item(odd, hit, during)["open_now"] is False
    assert cards.item(odd, hit, dt.datetime(2026, 11, 26, 19, 0, 31, tzinfo=la))["open_now"] is True


def test_cards_pick_the_address_and_phone_as_first_address_and_first_phone_do():
    """cards_of reads plain rows (cards._address_lines, cards._first_phones): the same picks as the
    helpers the detail page uses, in every order of physical/postal and voice/fax."""
    import itertools
    from types import SimpleNamespace as NS

    kinds = [("physical", "1 Main St", None), ("postal", "PO Box 9", "Suite 2"), ("physical", "", None)]
    for picked in itertools.chain.from_iterable(itertools.permutations(kinds, k) for k in range(1, 4)):
        rows = [("loc", a1, a2, "Santa Ana", "CA", "92701" if i else "", kind) for i, (kind, a1, a2) in enumerate(picked)]
        objs = [NS(address_1=r[1], address_2=r[2], city=r[3], state_province=r[4], postal_code=r[5],
                   address_type=r[6]) for r in rows]
        assert cards._address_lines(rows) == {"loc": cards.first_address(objs)}
    phones = [("voice", "1", None), ("fax", "2", "7"), (None, "3", ""), ("text", "4", "12")]
    for svc in itertools.chain.from_iterable(itertools.combinations(phones, k) for k in range(3)):
        for loc in itertools.chain.from_iterable(itertools.combinations(phones, k) for k in range(3)):
            rows = [(owner, number, ext, kind) for owner, group in (("s1", svc), ("l1", loc))
                    for kind, number, ext in group]
            picks = cards._first_phones(rows)
            voice_s, any_s = picks.get("s1", (None, None))
            voice_l, any_l = picks.get("l1", (None, None))
            objs = [NS(number=n, extension=e, type=t) for _o, n, e, t in rows]
            assert (voice_s or voice_l or any_s or any_l) == cards.first_phone(objs)


def test_next_start_is_the_items_next_meeting_for_the_same_minute():
    """The listing chosen to stand for a weekly group (search.results) meets when its item says:
    both are worked out for the minute `now` falls in (whole-minute schedules), and for `now`
    itself otherwise."""
    import datetime as dt
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from directory.catalog import cards
    la = ZoneInfo("America/Los_Angeles")
    hit = SimpleNamespace(distance_km=1.0, latitude=33.7, longitude=-117.8)
    whole = {"v": cards.CARD_VERSION, "service_id": "s1", "timezone": "America/Los_Angeles",
             "slots": ["3|19:00:00|20:00:00||", "5|07:30:00|08:30:00||"]}
    odd = dict(whole, slots=["3|19:00:30|20:00:00||"])  # starts half a minute past the hour
    for now in (dt.datetime(2026, 11, 26, 18, 59, 59, tzinfo=la), dt.datetime(2026, 11, 26, 19, 0, 30, tzinfo=la),
                dt.datetime(2026, 11, 26, 19, 1, tzinfo=la), dt.datetime(2026, 11, 28, 7, 30, 5, tzinfo=la)):
        for card in (whole, odd):
            said = cards.item(card, hit, now)["next_meeting"]["start"]
            assert cards.next_start(card, now) == dt.datetime.fromisoformat(said), (card["slots"], now)
    # Within the minute a meeting starts, it is still the next one (as its item says "Today 7:00 pm").
    assert cards.next_start(whole, dt.datetime(2026, 11, 26, 19, 0, 30, tzinfo=la)) == \
        dt.datetime(2026, 11, 26, 19, 0, tzinfo=la)
    assert cards.next_start(odd, dt.datetime(2026, 11, 26, 19, 0, 45, tzinfo=la)) == \
        dt.datetime(2026, 12, 3, 19, 0, 30, tzinfo=la)
