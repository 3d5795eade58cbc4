"""Tables of the SMS gateway: what people sent (stored before anything else happens)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (DateTime, Integer, String, Text)
from sqlalchemy.orm import Mapped, mapped_column

from directory.base import Base, utcnow


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
