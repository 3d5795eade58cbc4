"""The referral table: a person sent to a service, by a case manager (web) or by the bot; and the
trail of who opened or exported which referral."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (Boolean, DateTime, ForeignKey, Integer, String, Text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.base import Base, new_id, utcnow
from directory.catalog.models import Service


class Referral(Base):
    """A person sent to a service, by a case manager (web) or by the bot with their consent."""
    __tablename__ = "referral"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(8), index=True)  # short number the provider replies with
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    client_ref: Mapped[str | None] = mapped_column(String(100), index=True)  # pseudonym (bot) or None
    client_phone: Mapped[str | None] = mapped_column(String(300))  # encrypted by the gateway issue; E.164 for now
    source: Mapped[str] = mapped_column(String(60), default="web")  # web, bot, fhir:<client name>
    api_client_id: Mapped[str | None] = mapped_column(String(64), index=True)  # the FHIR client that sent it
    # The client's own id of its Task (identifier "system|value"): a retried request finds its referral.
    external_ref: Mapped[str | None] = mapped_column(String(300), index=True)
    created_by: Mapped[str | None] = mapped_column(String(200))  # case manager's e-mail, or 'bot'
    share_with_provider: Mapped[bool] = mapped_column(Boolean, default=False)
    share_with_case_managers: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(5), default="en")
    # sent, delivered, accepted, full, connected, not_connected, failed
    status: Mapped[str] = mapped_column(String(20), default="sent")
    outcome_note: Mapped[str | None] = mapped_column(Text)
    follow_up_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    service: Mapped[Service] = relationship()


class ReferralAccess(Base):
    """Who opened or exported which referral, and when (42 CFR Part 2 / HIPAA access trail).
    Written by the referral pages; read and exported by admins; purged after
    ACCESS_LOG_RETENTION_DAYS by the retention job. No foreign keys: the trail outlives a
    deleted account or referral."""
    __tablename__ = "referral_access"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[str | None] = mapped_column(String(64))
    user_email: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(10))  # list, view, export
    referral_id: Mapped[str] = mapped_column(String(64), index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
