"""Tables of the SMS gateway: the people who text (number kept once, encrypted) and what they sent.

A person is known to every other part of Signpost by `pseudonym` (an HMAC of the E.164 number,
see directory/people.py): Rasa's sender id, a bot referral's `client_ref`, an outbox row's
`to` ('pseudonym:<p>'). Only `phone_encrypted` holds the number, and the retention job clears it.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from directory.models import Base, utcnow


class Person(Base):
    __tablename__ = "sms_person"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    # Fernet token of the E.164 number; None once purged (an opt-out is kept by pseudonym alone).
    phone_encrypted: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str | None] = mapped_column(String(64))  # from the area code, for quiet hours
    language: Mapped[str] = mapped_column(String(5), default="en")
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class InboundMessage(Base):
    """Every text received, stored before anything else is done with it (idempotent on MessageSid)."""
    __tablename__ = "sms_inbound"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str | None] = mapped_column(Text)  # None once purged
    num_media: Mapped[int] = mapped_column(Integer, default=0)
    # What the gateway made of it: chat, stop, start, help, crisis, provider, outcome, empty, media, too_long
    kind: Mapped[str] = mapped_column(String(20), default="chat")
    # received -> answered | pending (Rasa did not answer in time; the worker retries) | failed | ignored
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
