"""Rasa's SQL tracker store with a per-process cache of the conversations, checked against the shared
store before every use: what the Rasa servers of `make run` use (type `bot.tracker_store.CachedSQLTrackerStore`
in the endpoints file directory/service.py writes). Same tables, rows and retrieve semantics as
Rasa 3.6's `SQLTrackerStore`, so any Rasa server (with or without this class) reads what another wrote.

What Rasa's SQLTrackerStore does per message, and what this does instead:

- retrieve: reads every event since the session's start, `json.loads` each one and replays them all.
  Here one aggregate query (number, smallest and largest id, latest timestamp of the conversation's
  events) is compared with what this process saw when it last read or wrote the conversation; when
  it matches, the tracker is rebuilt from the cached events (no SQL rows, no JSON). Any change by
  another process (another Rasa server continued the conversation, the retention purge deleted
  events, a restart) changes that tuple, and the conversation is read from the store again: a stale
  cache cannot be used.
- save: counts the events already stored (a query with a sub-query), then inserts the new ones through
  the ORM. Here a tracker handed out by retrieve begins with the cached event objects themselves, so
  the stored ones are known without a query; the new ones are inserted with one executemany and the
  tuple above read back in the same transaction (it must have grown by exactly those rows, or the
  conversation is read from the store next time). A tracker this class did not hand out is saved as
  Rasa does.
- every session: on PostgreSQL Rasa asks information_schema whether POSTGRESQL_SCHEMA exists; here
  once, at start-up.
- SQLite: Rasa opens a new connection per operation and commits with the rollback journal and
  synchronous=FULL (an fsync per message, the Rasa server's event loop blocked meanwhile). Here one
  pooled connection in WAL mode with synchronous=NORMAL, as the directory's own file
  (directory/db.py): a commit survives the process being killed; only a power cut can take the last
  moments' commits.

Rasa runs the tracker store on its event loop thread and locks a conversation (lock store) for a
whole message, so one conversation is never handled twice at once by the servers sharing a lock
store. The cache holds at most `cache_size` conversations and forgets one idle for `cache_seconds`.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import logging
import time
from collections import OrderedDict
from typing import Any, Dict, Generator, Optional, Text, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

State = Tuple[Any, ...]  # (count, min id, max id, max timestamp) of a conversation's rows


def sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


class _Entry:
    __slots__ = ("state", "events", "used")

    def __init__(self, state: State, events: Tuple[Event, ...]):
        self.state, self.events, self.used = state, events, time.monotonic()


class CachedSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore plus a per-process cache validated against the store on every retrieve."""

    def __init__(self, domain=None, cache_size: int = 500, cache_seconds: float = 600, **kwargs: Any) -> None:
        super().__init__(domain=domain, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            url = self.engine.url
            self.engine.dispose()
            # One connection is all the event loop needs; the pool keeps it (and its page cache) open.
            self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=1, max_overflow=4,
                                           connect_args={"check_same_thread": False, "timeout": 10})
            sa.event.listen(self.engine, "connect", sqlite_pragmas)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        with super().session_scope():  # Rasa's check that the PostgreSQL schema exists: once
            pass
        self.table = t = self.SQLEvent.__table__
        sender = sa.bindparam("sender")
        # Built once: SQLAlchemy would otherwise rebuild and re-key each statement on every message.
        self._state_query = sa.select([sa.func.count(), sa.func.min(t.c.id), sa.func.max(t.c.id),
                                       sa.func.max(t.c.timestamp)]).where(t.c.sender_id == sender)
        # Rasa's SQLTrackerStore._event_query in Core: the rows since the latest SessionStarted (by
        # timestamp), or all of them when there is none, in id order.
        start = (sa.select([sa.func.max(t.c.timestamp)])
                 .where(t.c.sender_id == sender, t.c.type_name == SessionStarted.type_name).scalar_subquery())
        self._session_query = (sa.select([t.c.data]).where(t.c.sender_id == sender, sa.or_(t.c.timestamp >= start,
                                                                                           start.is_(None)))
                               .order_by(t.c.id))
        self._insert = t.insert()
        self.cache_size, self.cache_seconds = int(cache_size), float(cache_seconds)
        self._cache: "OrderedDict[Text, _Entry]" = OrderedDict()

    @contextlib.contextmanager
    def session_scope(self) -> Generator[sa.orm.Session, None, None]:
        session = self.sessionmaker()
        try:
            yield session
        finally:
            session.close()

    # --- the cache ------------------------------------------------------------------------------
    def _state(self, conn, sender_id: Text) -> State:
        return tuple(conn.execute(self._state_query, {"sender": sender_id}).one())

    def _cached(self, sender_id: Text, state: State) -> Optional[Tuple[Event, ...]]:
        entry = self._cache.get(sender_id)
        if entry is None:
            return None
        if entry.state != state or time.monotonic() - entry.used > self.cache_seconds:
            del self._cache[sender_id]
            return None
        entry.used = time.monotonic()
        self._cache.move_to_end(sender_id)
        return entry.events

    def _remember(self, sender_id: Text, state: State, events: Tuple[Event, ...]) -> None:
        self._cache[sender_id] = _Entry(state, events)
        self._cache.move_to_end(sender_id)
        now = time.monotonic()
        while self._cache:
            oldest = next(iter(self._cache.values()))
            if len(self._cache) <= self.cache_size and now - oldest.used <= self.cache_seconds:
                break
            self._cache.popitem(last=False)

    def forget(self, sender_id: Optional[Text] = None) -> None:
        """Drop one conversation (or all) from this process's cache."""
        if sender_id is None:
            self._cache.clear()
        else:
            self._cache.pop(sender_id, None)

    # --- retrieve --------------------------------------------------------------------------------
    def _tracker(self, sender_id: Text, events: Tuple[Event, ...]) -> DialogueStateTracker:
        # As Rasa's retrieve (DialogueStateTracker.from_dict): the events replayed on a new tracker.
        # Events are shared between trackers, as Rasa's own tracker.copy() does: save() knows a tracker
        # it handed out by them.
        return DialogueStateTracker.from_events(sender_id, list(events), self.domain.slots)

    def _read_session(self, conn, sender_id: Text, state: State) -> Tuple[State, Tuple[Event, ...]]:
        """The latest session's events and the state they were read at."""
        for _ in range(5):
            if not state[0]:
                return state, ()
            dicts = [json.loads(data) for (data,) in conn.execute(self._session_query, {"sender": sender_id})]
            after = self._state(conn, sender_id)
            if after == state:  # nothing written or purged while reading
                return state, tuple(Event.from_parameters(d) for d in dicts)
            state = after
        raise RuntimeError("the tracker store kept changing while a conversation was read")

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        if not self.domain:  # as Rasa: no domain, no tracker
            return await super().retrieve(sender_id)
        with self.engine.connect() as conn:
            state = self._state(conn, sender_id)
            events = self._cached(sender_id, state)
            if events is None:
                state, events = self._read_session(conn, sender_id, state)
                self._remember(sender_id, state, events)  # no event yet: remembered too, for save()
        return self._tracker(sender_id, events) if events else None

    # --- save ------------------------------------------------------------------------------------
    def _row(self, sender_id: Text, event: Event) -> Tuple[Dict[Text, Any], Text]:
        data = event.as_dict()
        dumped = json.dumps(data)
        return {"sender_id": sender_id, "type_name": event.type_name, "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "action_name": data.get("name"), "data": dumped}, dumped

    def _stored(self, tracker: DialogueStateTracker) -> Optional[int]:
        """How many of the tracker's first events are the stored ones this process read (or wrote)
        last, checked by identity: a tracker handed out by retrieve() (or a copy of one) begins with
        the cached event objects themselves. None: unknown, the tracker comes from elsewhere."""
        entry = self._cache.get(tracker.sender_id)
        if entry is None or len(tracker.events) < len(entry.events):
            return None
        if all(a is b for a, b in zip(tracker.events, entry.events)):
            return len(entry.events)
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        entry = self._cache.get(sender_id)
        stored = self._stored(tracker)
        if stored is None:  # not from this store's cache (e.g. the HTTP API replaced the events): as Rasa
            self.forget(sender_id)
            await super().save(tracker)
            return
        await self.stream_events(tracker)
        new = list(itertools.islice(tracker.events, stored, None))
        if not new:
            return
        rows = [self._row(sender_id, event) for event in new]
        with self.engine.begin() as conn:
            conn.execute(self._insert, [row for row, _ in rows])
            state = self._state(conn, sender_id)
        before, old = entry.state, entry.events
        if (any(isinstance(event, SessionStarted) for event in new)
                or self._cache.get(sender_id) is not entry or state[0] != before[0] + len(new)
                or (before[0] and state[1] != before[1])):
            # A new session (Rasa's retrieve starts from it, by timestamp), the cache refilled meanwhile,
            # or rows written or purged by another process: read the store next time.
            self.forget(sender_id)
            return
        # The new events as a retrieve would give them: through their stored JSON.
        self._remember(sender_id, state, old + tuple(Event.from_parameters(json.loads(dumped)) for _, dumped in rows))
