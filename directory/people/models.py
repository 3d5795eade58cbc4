"""Tables of the people who text: each person (number kept once, encrypted) and every text sent to anyone.

A person is known to every other part of Signpost by `pseudonym` (an HMAC of the E.164 number,
see directory/people/phones.py): Rasa's sender id, a bot referral's `client_ref`, an outbox row's
`to` ('pseudonym:<p>'). Only `phone_encrypted` holds the number, and the retention job clears it.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (Boolean, DateTime, ForeignKey, Integer, String, Text)
from sqlalchemy.orm import Mapped, mapped_column

from directory.base import Base, utcnow


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


class OutboundMessage(Base):
    """The SMS outbox: every text Signpost sends, whether or not Twilio is configured."""
    __tablename__ = "outbound_message"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    to: Mapped[str] = mapped_column(String(100))  # E.164, or 'pseudonym:<id>' until the gateway knows the number
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued, sent, delivered, failed, blocked, outbox
    kind: Mapped[str] = mapped_column(String(30), default="referral")  # referral, provider, follow_up, reply
    referral_id: Mapped[str | None] = mapped_column(ForeignKey("referral.id", ondelete="SET NULL"), index=True)
    provider_sid: Mapped[str | None] = mapped_column(String(64), index=True)  # Twilio MessageSid
    error_code: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
