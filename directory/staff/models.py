"""Tables of the staff side: who signs in (admins, case managers, peer workers), who keeps which
organization's listings, proposed edits waiting for an admin, and problem reports from the public."""
from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import (Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.base import Base, new_id, utcnow
from directory.catalog.models import Service


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Encrypted with PHONE_ENCRYPTION_KEY (a Fernet token); read and set through directory.staff.accounts.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Bumped on password change or deactivation: older sessions stop working.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    @property
    def totp_enabled(self) -> bool:
        return bool(self.totp_secret)


class OrganizationKeeper(Base):
    """A peer worker keeps an organization's listings true (assigned by an admin)."""
    __tablename__ = "organization_keeper"
    __table_args__ = (UniqueConstraint("user_id", "organization_id", name="uq_organization_keeper_user_org"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    assigned_by: Mapped[str | None] = mapped_column(String(200))
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ListingEdit(Base):
    """A change proposed by someone who does not keep the listing, waiting for an admin."""
    __tablename__ = "listing_edit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    proposed_by: Mapped[str] = mapped_column(String(200))
    proposed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    changes: Mapped[str] = mapped_column(Text)  # JSON {field: new value}
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending, approved, rejected
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    service: Mapped[Service] = relationship()

    @property
    def change_dict(self) -> dict:
        return json.loads(self.changes)


class ProblemReport(Base):
    """"Something is wrong with this listing", from anyone, for the admins' queue."""
    __tablename__ = "problem_report"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(30), default="other")
    message: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(200))  # optional, for a follow-up question
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open, resolved, dismissed
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    service: Mapped[Service] = relationship()
