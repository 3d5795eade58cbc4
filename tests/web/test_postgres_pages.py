"""The pages on PostgreSQL: accounts and listing tables migrate, and the SQL of the report,
referrals and listings works there too (the suite otherwise runs on SQLite)."""
from __future__ import annotations

import pytest

from directory import db
from directory.staff import accounts
from tests.pg import postgres_server
from tests.web.conftest import KEPT_SERVICE, login


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        db.upgrade(url)
        from directory.catalog.demo import seed_demo
        with db.Session.begin() as s:
            seed_demo(s)
            accounts.ensure_demo_users(s)
        yield url
        db.engine().dispose()


def test_pages_on_postgres(pg_url):
    from web import create_app
    db.configure(pg_url)
    app = create_app({"TESTING": True, "DATABASE_URL": pg_url, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "RASA_URL": "http://127.0.0.1:9", "ACTION_SERVER_URL": "http://127.0.0.1:9"})
    case, peer = app.test_client(), app.test_client()
    assert login(case, "case.demo@signpost.example").status_code == 302
    assert login(peer, "peer.demo@signpost.example").status_code == 302
    assert "Harbor House Women" in case.get("/search?near=92701&category=sober_living").get_data(as_text=True)
    assert peer.post(f"/my-listings/{KEPT_SERVICE}/beds", data={"delta": "-1"}).status_code == 302
    items = app.test_client().get("/api/v1/search?near=92701&category=sober_living").get_json()["items"]
    assert next(i for i in items if i["service_id"] == KEPT_SERVICE)["capacity"]["available"] == 1
    assert case.post(f"/services/{KEPT_SERVICE}/text", data={"phone": "(714) 202-5555"}).status_code == 302
    assert "Harbor House" in case.get("/referrals.csv?q=harbor").get_data(as_text=True)
    assert "Sober living" in case.get("/reports/needs").get_data(as_text=True)
    assert "peer.demo@signpost.example" in peer.get(f"/services/{KEPT_SERVICE}/history").get_data(as_text=True)
    assert peer.get("/my-listings").status_code == 200
