"""The same code on PostgreSQL: migrations, the demo seed, geo search (indexed box) and the API."""
import pytest

from directory import db
from tests.pg import postgres_server


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        db.upgrade(url)
        from directory.catalog.demo import seed_demo
        with db.Session.begin() as s:
            seed_demo(s)
        yield url
        db.engine().dispose()


@pytest.fixture
def pg_client(pg_url):
    from web import create_app
    app = create_app({"TESTING": True, "DATABASE_URL": pg_url, "SERVICE_TOKEN": "t",
                      "RASA_URL": "http://127.0.0.1:9", "ACTION_SERVER_URL": "http://127.0.0.1:9",
                      "HEALTH_TIMEOUT": 0.2})
    return app.test_client()


def test_search_on_postgres_matches_sqlite(pg_url, pg_client, db_url):
    """The directory's Session is process-wide, so bind it to each database in turn."""
    def items(url, dialect, query):
        db.configure(url)
        assert pg_client.get("/healthz").get_json()["checks"]["database"]["dialect"] == dialect
        return pg_client.get(f"/api/v1/search?{query}").get_json()["items"]
    for query in ("near=92701&category=sober_living", "near=33125&limit=50", "near=64111&attributes=mat_friendly",
                  "lat=25.77&lon=-80.21&radius_km=5&category=support_group&language=es"):
        on_pg = items(pg_url, "postgresql", query)
        on_sqlite = items(db_url, "sqlite", query)
        assert [i["service_id"] for i in on_pg] == [i["service_id"] for i in on_sqlite] != []
        assert [i["distance_km"] for i in on_pg] == [i["distance_km"] for i in on_sqlite]
    db.configure(pg_url)


def test_reads_and_health_on_postgres(pg_url, pg_client):
    db.configure(pg_url)
    assert pg_client.get("/api/v1/services?per_page=1").get_json()["total_items"] == 29
    health = pg_client.get("/healthz").get_json()
    assert health["checks"]["database"]["status"] == "ok"
    assert health["checks"]["database"]["dialect"] == "postgresql"
