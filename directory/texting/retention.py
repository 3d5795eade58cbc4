"""Retention: texts and phone numbers older than RETENTION_DAYS are deleted; referrals keep their
status but lose the person; an opt-out survives as a pseudonym so STOP still holds. The referral
access trail is kept ACCESS_LOG_RETENTION_DAYS."""
from __future__ import annotations

import datetime as dt

from pathlib import Path

from sqlalchemy import create_engine, delete, inspect, text, update

from directory import db
from directory.people.models import OutboundMessage
from directory.referrals.models import Referral
from directory.base import utcnow
from directory.texting.models import InboundMessage
from directory.people.models import Person
from directory.settings import Settings, tracker_schema
from directory.referrals import access_log


def purge_expired(settings: Settings, now: dt.datetime | None = None, days: int | None = None) -> dict:
    """Delete messages and numbers older than the retention period, in the directory and in Rasa's
    tracker store. An opt-out is kept (pseudonym only)."""
    cutoff = (now or utcnow()) - dt.timedelta(days=settings.RETENTION_DAYS if days is None else days)
    with db.Session.begin() as s:
        inbound = s.execute(delete(InboundMessage).where(InboundMessage.received_at < cutoff)).rowcount
        outbound = s.execute(delete(OutboundMessage).where(OutboundMessage.created_at < cutoff)).rowcount
        referrals = s.execute(update(Referral).where(Referral.created_at < cutoff, (Referral.client_ref.is_not(None))
                                                     | (Referral.client_phone.is_not(None)))
                              .values(client_ref=None, client_phone=None, follow_up_at=None)).rowcount
        stale = Person.last_seen_at < cutoff
        forgotten = s.execute(update(Person).where(stale, Person.opted_out.is_(True), Person.phone_encrypted.is_not(None))
                              .values(phone_encrypted=None)).rowcount
        deleted = s.execute(delete(Person).where(stale, Person.opted_out.is_(False))).rowcount
        accesses = access_log.purge(s, (now or utcnow()) - dt.timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS))
    return {"inbound_messages": inbound, "outbound_messages": outbound, "referrals_anonymised": referrals,
            "numbers_deleted": deleted + forgotten, "referral_accesses_deleted": accesses,
            "conversation_events": purge_tracker_events(settings.RASA_TRACKER_URL, cutoff)}


def purge_tracker_events(tracker_url: str | None, cutoff: dt.datetime) -> int:
    """Delete Rasa's conversation events (what people wrote, what the bot answered, the slots)
    older than `cutoff` from its tracker store: the `events` table Rasa's SQLTrackerStore keeps, in
    its PostgreSQL schema or its SQLite file. A conversation still going on keeps its recent turns."""
    if not tracker_url:
        return 0
    url = db.normalize_url(tracker_url)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return 0  # Rasa never ran here: nothing to purge, and no file to create
    schema = tracker_schema(tracker_url)
    engine = create_engine(url, hide_parameters=True)
    try:
        if not inspect(engine).has_table("events", schema=schema):
            return 0
        table = f'"{schema}".events' if schema else "events"
        with engine.begin() as conn:
            # Rasa's timestamps are UNIX seconds; our datetimes are naive UTC.
            return conn.execute(text(f"DELETE FROM {table} WHERE timestamp < :cutoff"),
                                {"cutoff": cutoff.replace(tzinfo=dt.timezone.utc).timestamp()}).rowcount
    finally:
        engine.dispose()
