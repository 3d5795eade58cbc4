"""The access trail of referral records (42 CFR Part 2 and HIPAA expect one): who listed, opened
or exported which referral, when and from where. Written by the referral pages, read and exported
by admins, kept ACCESS_LOG_RETENTION_DAYS (purged by the retention job). Callers commit."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select

from directory.base import utcnow
from directory.referrals.models import ReferralAccess

ACTIONS = {"list": "Listed", "view": "Opened", "export": "Exported (CSV)"}
MAX_ROWS = 1000


def record(session, user_id: str | None, user_email: str, action: str, referral_ids,
           remote_addr: str | None = None, at: dt.datetime | None = None) -> int:
    """One row per referral seen; returns how many."""
    if action not in ACTIONS:
        raise ValueError(f"unknown access action {action!r}")
    when = at or utcnow()
    rows = [{"at": when, "user_id": user_id, "user_email": user_email[:200], "action": action,
             "referral_id": rid, "remote_addr": (remote_addr or "")[:64] or None}
            for rid in dict.fromkeys(referral_ids)]
    if rows:
        session.execute(insert(ReferralAccess), rows)
    return len(rows)


def entries(session, since: dt.datetime | None = None, user_email: str | None = None,
            referral_id: str | None = None, limit: int | None = MAX_ROWS) -> list[ReferralAccess]:
    stmt = select(ReferralAccess).order_by(ReferralAccess.at.desc(), ReferralAccess.id.desc())
    if since is not None:
        stmt = stmt.where(ReferralAccess.at >= since)
    if user_email:
        stmt = stmt.where(ReferralAccess.user_email == user_email.strip().lower())
    if referral_id:
        stmt = stmt.where(ReferralAccess.referral_id == referral_id.strip())
    if limit:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def purge(session, before: dt.datetime) -> int:
    return session.execute(delete(ReferralAccess).where(ReferralAccess.at < before)).rowcount
