"""Follow-ups: "Did you get connected?" some hours after a referral, never in quiet hours (9 pm-8 am
local time), never after STOP."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from directory import db
from directory.people import phones
from directory.catalog.models import Location, Service, ServiceAtLocation
from directory.referrals.models import Referral
from directory.base import utcnow
from directory.people.outbox import queue_sms
from directory.people.models import Person
from directory.texting.inbound import OPEN_STATUSES
from directory.settings import Settings
from directory.texting.texts import text


def in_quiet_hours(now: dt.datetime, timezone: str) -> bool:
    """9 pm to 8 am local time: no follow-ups then."""
    local = now.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(timezone))
    return local.hour >= 21 or local.hour < 8


def _local_timezone(s, settings: Settings, person: Person, referral: Referral) -> str:
    """Where the person probably is: near the place they were sent to, else their area code's zone."""
    return _service_timezone(s, referral.service_id) or person.timezone or settings.DEFAULT_TIMEZONE


def _service_timezone(s, service_id: str) -> str | None:
    return s.scalar(select(Location.timezone).join(ServiceAtLocation, ServiceAtLocation.location_id == Location.id)
                    .where(ServiceAtLocation.service_id == service_id, Location.timezone.is_not(None)).limit(1))


def send_due_follow_ups(settings: Settings, now: dt.datetime | None = None) -> dict:
    """Queue the follow-ups that are due, outside quiet hours, to people who have not opted out."""
    now = now or utcnow()
    counts = {"sent": 0, "quiet_hours": 0, "cancelled": 0}
    with db.Session.begin() as s:
        due = s.scalars(select(Referral).where(Referral.follow_up_at.is_not(None), Referral.follow_up_at <= now,
                                               Referral.status.in_(OPEN_STATUSES))).all()
        for referral in due:
            person = phones.find(s, referral.client_ref) if referral.client_ref else None
            if person is None or person.opted_out or not person.phone_encrypted:
                referral.follow_up_at = None  # nobody to ask, or they said STOP
                counts["cancelled"] += 1
                continue
            if in_quiet_hours(now, _local_timezone(s, settings, person, referral)):
                counts["quiet_hours"] += 1
                continue
            service = s.get(Service, referral.service_id)
            queue_sms(s, to=phones.address_of(person.pseudonym), kind="follow_up", referral_id=referral.id,
                      body=text("follow_up", referral.language, program=settings.PROGRAM_NAME, name=service.name))
            referral.follow_up_at = None
            counts["sent"] += 1
    return counts
