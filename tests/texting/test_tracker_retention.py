"""Retention covers Rasa's tracker store: the purge deletes conversation events (message texts)
older than RETENTION_DAYS from the `events` table Rasa's SQLTrackerStore keeps, in a SQLite file
beside the directory's or in its own schema of the PostgreSQL database; read back from the store."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import create_engine, text

from directory.base import utcnow
from directory.settings import Settings
from directory.texting import retention

# The table as Rasa 3.6's SQLTrackerStore creates it (rasa/core/tracker_store.py, SQLEvent).
EVENTS_DDL = ("CREATE TABLE {table} (id SERIAL PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL, "
              "timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)")


def add_events(conn, table: str, days_ago: float, sender: str, texts: list[str]) -> None:
    stamp = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)).timestamp()
    for message in texts:
        conn.execute(text(f"INSERT INTO {table} (sender_id, type_name, timestamp, data) VALUES (:s, 'user', :t, :d)"),
                     {"s": sender, "t": stamp, "d": json.dumps({"event": "user", "text": message, "timestamp": stamp})})


def stored_texts(engine, table: str) -> list[str]:
    with engine.connect() as conn:
        return sorted(json.loads(d)["text"] for d in conn.execute(text(f"SELECT data FROM {table}")).scalars())


def test_old_conversation_events_leave_the_sqlite_tracker_store(db_url, tmp_path):
    tracker = f"sqlite:///{tmp_path / 'rasa_tracker.db'}"
    engine = create_engine(tracker)
    with engine.begin() as conn:
        conn.execute(text(EVENTS_DDL.format(table="events").replace("SERIAL", "INTEGER")))
        add_events(conn, "events", 120, "pseudo-a", ["I relapsed last winter", "near 92701"])
        add_events(conn, "events", 1, "pseudo-a", ["any meeting tonight"])
        add_events(conn, "events", 2, "pseudo-b", ["hi"])
    counts = retention.purge_expired(Settings(RASA_TRACKER_URL=tracker, RETENTION_DAYS=90))
    assert counts["conversation_events"] == 2
    assert stored_texts(engine, "events") == ["any meeting tonight", "hi"]
    engine.dispose()


def test_no_tracker_store_yet_is_nothing_to_purge(db_url, tmp_path):
    missing = tmp_path / "never" / "rasa_tracker.db"
    assert retention.purge_expired(Settings(RASA_TRACKER_URL=f"sqlite:///{missing}"))["conversation_events"] == 0
    assert not missing.parent.exists()
    assert retention.purge_tracker_events(None, utcnow()) == 0


def test_the_default_tracker_store_is_beside_the_directory(tmp_path):
    directory_file = tmp_path / "signpost.db"
    settings = Settings.from_mapping({"DATABASE_URL": f"sqlite:///{directory_file}"})
    assert settings.RASA_TRACKER_URL == f"sqlite:///{tmp_path / 'rasa_tracker.db'}"


@pytest.mark.server
def test_old_conversation_events_leave_the_postgres_tracker_store(db_url):
    from tests.pg import postgres_server
    with postgres_server() as url:
        plain = "postgresql://" + url.split("://", 1)[1]  # as Rasa's settings hold it (psycopg2 form)
        settings = Settings.from_mapping({"DATABASE_URL": plain, "RETENTION_DAYS": "30"})
        assert settings.RASA_TRACKER_URL == plain
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE SCHEMA rasa"))
            conn.execute(text(EVENTS_DDL.format(table="rasa.events")))
            add_events(conn, "rasa.events", 45, "pseudo-a", ["old words"])
            add_events(conn, "rasa.events", 3, "pseudo-a", ["new words"])
        assert retention.purge_expired(settings)["conversation_events"] == 1
        assert stored_texts(engine, "rasa.events") == ["new words"]
        engine.dispose()
