"""The app starts on PostgreSQL from each URL form a host hands out, given in the environment or in
create_app's configuration (psycopg 3 is the installed driver; SQLAlchemy's default is psycopg2)."""
from __future__ import annotations

import pytest

from directory import db
from tests.pg import postgres_server


@pytest.fixture(scope="module")
def pg_url():
    with postgres_server() as url:
        yield url
        db.engine().dispose()


@pytest.mark.parametrize("scheme", ["postgresql://", "postgres://", "postgresql+psycopg://"])
@pytest.mark.parametrize("given_in", ["config", "env"])
def test_the_app_starts_from_every_postgres_form(pg_url, scheme, given_in, monkeypatch):
    from web import create_app
    url = scheme + pg_url.split("://", 1)[1]
    if given_in == "env":
        monkeypatch.setenv("DATABASE_URL", url)
        config = {}
    else:
        config = {"DATABASE_URL": url}
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "RASA_URL": "http://127.0.0.1:9",
                      "ACTION_SERVER_URL": "http://127.0.0.1:9", "HEALTH_TIMEOUT": 0.2, **config})
    assert app.test_cli_runner().invoke(args=["directory", "migrate"]).exit_code == 0
    database = app.test_client().get("/healthz").get_json()["checks"]["database"]
    assert database["status"] == "ok" and database["dialect"] == "postgresql"
    assert db.engine().dialect.driver == "psycopg"
