"""bot/tracker_store.py against Rasa's own SQLTrackerStore on real databases (a SQLite file, and a
throwaway PostgreSQL where its server binaries are installed): the same trackers; a cache that can
never be stale (another Rasa server or a restarted one writes, the retention purge deletes); the
retention purge of the app (directory/texting/retention.py, run in the app's environment) on what
this store wrote."""
from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import EventVerbosity

from bot.tracker_store import CachedSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
DAY = 24 * 3600


@pytest.fixture(scope="module")
def domain():
    return Domain.load(str(ROOT / "bot" / "domain.yml"))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('tracker') / 'rasa_tracker.db'}"
        return
    from tests.pg import postgres_server  # stdlib only: usable from the bot's environment
    try:
        server = postgres_server()
        url = server.__enter__()
    except Exception as e:  # noqa: BLE001 - no PostgreSQL here
        pytest.skip(f"PostgreSQL: {e}")
    try:
        yield "postgresql://" + url.split("://", 1)[1]
    finally:
        server.__exit__(None, None, None)


_LOOP = asyncio.new_event_loop()  # this module's own: other tests may leave no current loop behind


def run(coro):
    return _LOOP.run_until_complete(coro)


_senders = iter(range(10**6))


@pytest.fixture
def sender():
    return f"pseudo-{time.time_ns()}-{next(_senders)}"


def stores(db_url, domain, n=2, **kwargs):
    return [CachedSQLTrackerStore(domain=domain, host=db_url, **kwargs) for _ in range(n)]


def turn(store, sender, text, slot_value=None, at=None):
    """What Rasa does for one message: retrieve (or create), a new session on the first message, the
    user's message, an action with a slot and an answer, listen; then save."""
    at = at or time.time()
    tracker = run(store.get_or_create_tracker(sender, append_action_listen=False))
    if not tracker.events:
        tracker.update(ActionExecuted("action_session_start", timestamp=at))
        tracker.update(SessionStarted(timestamp=at))
        tracker.update(ActionExecuted("action_listen", timestamp=at))
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 0.9},
                               parse_data={"text": text, "intent": {"name": "greet", "confidence": 0.9}}, timestamp=at))
    tracker.update(ActionExecuted("action_search", timestamp=at))
    tracker.update(SlotSet("location", slot_value or text, timestamp=at))
    tracker.update(BotUttered(f"answer to {text}", timestamp=at))
    tracker.update(ActionExecuted("action_listen", timestamp=at))
    run(store.save(tracker))
    return tracker


def state(tracker):
    return tracker.current_state(EventVerbosity.ALL)


def rows(db_url, sender, schema="public"):
    engine = sa.create_engine(db_url, connect_args={"options": f"-csearch_path={schema}"} if "postgresql" in db_url else {})
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()
    finally:
        engine.dispose()


def test_the_same_trackers_and_rows_as_rasas_store(db_url, domain, sender):
    (cached,) = stores(db_url, domain, 1)
    rasa = SQLTrackerStore(domain=domain, host=db_url)
    for text in ("hi", "naloxone near 92701", "1"):
        turn(cached, sender, text)
    ours, theirs = run(cached.retrieve(sender)), run(rasa.retrieve(sender))
    assert state(ours) == state(theirs)
    assert ours.current_slot_values() == theirs.current_slot_values() and ours.current_slot_values()["location"] == "1"
    assert rows(db_url, sender) == 3 + 3 * 5  # no event stored twice
    # A turn saved by Rasa's own store continues ours, and the other way round.
    turn(rasa, sender, "yes")
    turn(cached, sender, "more")
    assert state(run(cached.retrieve(sender))) == state(run(rasa.retrieve(sender)))
    assert rows(db_url, sender) == 3 + 5 * 5


def test_the_cache_answers_without_reading_the_rows(db_url, domain, sender, monkeypatch):
    """Behind Rasa's FailSafeTrackerStore, as the server runs it: no turn reads the rows but the one
    after a new session, and no save falls back to counting the stored events."""
    (store,) = stores(db_url, domain, 1)
    served = FailSafeTrackerStore(store)
    reads, counted = [], []
    read_session, rasa_save = store._read_session, SQLTrackerStore.save
    monkeypatch.setattr(store, "_read_session", lambda *a: reads.append(1) or read_session(*a))
    monkeypatch.setattr(SQLTrackerStore, "save", lambda self, t: counted.append(1) or rasa_save(self, t))
    turn(served, sender, "hi")
    assert reads == [1]  # nothing stored yet (and that is remembered)
    turn(served, sender, "naloxone")  # the first turn started a session: read back once
    turn(served, sender, "1")
    turn(served, sender, "yes")
    assert reads == [1, 1] and counted == []
    assert run(served.retrieve(sender)).current_slot_values()["location"] == "yes"
    assert rows(db_url, sender) == 3 + 4 * 5


def test_a_conversation_moved_to_another_server_and_back_is_never_stale(db_url, domain, sender):
    a, b = stores(db_url, domain)
    turn(a, sender, "hi")
    turn(a, sender, "search")  # a's cache now holds the conversation
    assert sender in a._cache
    turn(b, sender, "1", slot_value="written by b")  # another Rasa server answers the next message
    back = run(a.retrieve(sender))  # and the conversation comes back to a
    assert back.current_slot_values()["location"] == "written by b"
    assert [e.text for e in back.events if isinstance(e, UserUttered)] == ["hi", "search", "1"]
    turn(a, sender, "yes")
    assert state(run(b.retrieve(sender))) == state(run(a.retrieve(sender)))
    assert rows(db_url, sender) == 3 + 4 * 5


def test_a_restarted_server_continues_from_the_store(db_url, domain, sender):
    (a,) = stores(db_url, domain, 1)
    turn(a, sender, "hi")
    turn(a, sender, "search")
    (restarted,) = stores(db_url, domain, 1)  # a new process: empty cache
    tracker = turn(restarted, sender, "1")
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == ["hi", "search", "1"]
    # The old process (still up, as a server the gateway had given up on) sees the new turn too.
    assert run(a.retrieve(sender)).current_slot_values()["location"] == "1"


def test_an_event_written_without_the_cache_invalidates_it(db_url, domain, sender):
    a, b = stores(db_url, domain)
    turn(a, sender, "hi")
    turn(a, sender, "search")
    tracker = run(b.retrieve(sender))
    tracker.update(SlotSet("location", "set through the HTTP API"))
    run(b.save(tracker))
    assert run(a.retrieve(sender)).current_slot_values()["location"] == "set through the HTTP API"


def test_retention_purges_what_the_cache_holds(db_url, domain, sender, monkeypatch):
    """The app's purge (the worker's nightly job) deletes old events; a cache filled before it must
    not bring them back, and the conversation goes on from what is left."""
    schema = "public"
    if "postgresql" in db_url:  # as the service runs it: Rasa's tables in the schema `rasa`
        schema = "rasa"
        engine = sa.create_engine(db_url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE SCHEMA IF NOT EXISTS rasa"))
        engine.dispose()
        monkeypatch.setenv("POSTGRESQL_SCHEMA", schema)
    a, b = stores(db_url, domain)
    old = time.time() - 100 * DAY
    turn(a, sender, "an old message", at=old)
    turn(a, sender, "another old one", at=old + 1)
    turn(a, sender, "recent")  # a's cache holds all three turns
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    purge = ("import datetime as dt, sys; from directory.texting.retention import purge_tracker_events; "
             "print(purge_tracker_events(sys.argv[1], dt.datetime.utcnow() - dt.timedelta(days=90)))")
    app_python = ROOT / os.environ.get("VENV", ".venv") / "bin" / "python"
    out = subprocess.run([str(app_python), "-c", purge, db_url], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.strip()) == 3 + 2 * 5
    after = run(a.retrieve(sender))
    assert [e.text for e in after.events if isinstance(e, UserUttered)] == ["recent"]
    assert state(after) == state(run(SQLTrackerStore(domain=domain, host=db_url).retrieve(sender)))
    turn(a, sender, "and on")
    assert rows(db_url, sender, schema) == 2 * 5
    assert state(run(b.retrieve(sender))) == state(run(a.retrieve(sender)))


def test_the_cache_is_bounded(db_url, domain):
    (store,) = stores(db_url, domain, 1, cache_size=2, cache_seconds=600)
    senders = [f"bounded-{time.time_ns()}-{i}" for i in range(4)]
    for s in senders:
        turn(store, s, "hi")
        turn(store, s, "search")
    assert list(store._cache) == senders[-2:]
    (idle,) = stores(db_url, domain, 1, cache_seconds=0)
    turn(idle, senders[0], "1")
    turn(idle, senders[0], "yes")
    time.sleep(0.01)
    turn(idle, senders[1], "1")
    assert senders[0] not in idle._cache  # idle for longer than cache_seconds: forgotten
    assert run(idle.retrieve(senders[0])).current_slot_values()["location"] == "yes"


def test_a_new_conversation_and_an_unknown_one(db_url, domain, sender):
    (store,) = stores(db_url, domain, 1)
    assert run(store.retrieve(sender)) is None
    tracker = run(store.get_or_create_tracker(sender))  # Rasa's default: an initial action_listen, saved
    assert [e.type_name for e in tracker.events] == ["action"]
    assert rows(db_url, sender) == 1
    assert len(run(store.retrieve(sender)).events) == 1


def test_sqlite_runs_in_wal_mode(tmp_path, domain):
    url = f"sqlite:///{tmp_path / 'rasa_tracker.db'}"
    (store,) = stores(url, domain, 1)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
