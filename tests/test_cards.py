"""Listing cards (directory/cards.py): what search stores per listing stays what the tables say."""
import datetime as dt
import json

from sqlalchemy import select

from directory import cards, db
from directory.models import Organization, Phone, SearchEntry, Service
from directory.present import search_items
from directory.search import build_query, search

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
