"""Referrals: a person sent to a service, and the SMS that tells them how to get there.

The texts carry the resource's name, address, phone and hours or next meeting, never a
diagnosis. Sending goes through `outbox.queue_sms`; the SMS gateway decides whether
that reaches Twilio or stays in the outbox, and STOP blocks it there.

The person is addressed by pseudonym: the bot's `client_ref` is one already; a case manager's
`client_phone` is normalised, stored once encrypted (directory/phones.py) and the referral keeps
only its pseudonym and the last four digits for staff to recognise.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets

from directory import settings as app_settings
from directory.people import phones
from directory.catalog import views
from directory.referrals.models import Referral
from directory.catalog.models import Service
from directory.base import utcnow
from directory.people.outbox import queue_sms

SMS_TEXT = {
    "en": {"call": "Call", "next": "Next meeting", "hours": "Today", "map": "Map",
           "intro": "Signpost: here is the place we talked about."},
    "es": {"call": "Llame", "next": "Próxima reunión", "hours": "Hoy", "map": "Mapa",
           "intro": "Signpost: aquí está el lugar del que hablamos."},
}


PROVIDER_SMS = ("New referral from {program} for {name} (ref {code}): a person asked to be connected "
                "and has your address and phone. Reply ACCEPT {code} or FULL {code}.")


def follow_up_delay() -> dt.timedelta:
    return dt.timedelta(hours=app_settings.current().FOLLOW_UP_AFTER_HOURS)


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


# schedules.label_start speaks English ('Today 7:00 pm', 'Thu 6:00 pm'); the Spanish text says it so.
SPANISH_DAYS = {"Today": "Hoy", "Tomorrow": "Mañana", "Mon": "lun", "Tue": "mar", "Wed": "mié", "Thu": "jue",
                "Fri": "vie", "Sat": "sáb", "Sun": "dom"}


class ReferralError(ValueError):
    def __init__(self, message: str, code: str = "bad_request"):
        super().__init__(message)
        self.code = code


def new_code(session) -> str:
    """A 4-digit code providers reply with (ACCEPT 4821); unique among open referrals."""
    for _ in range(50):
        code = f"{secrets.randbelow(9000) + 1000}"
        if not session.query(Referral.id).filter(Referral.code == code,
                                                  Referral.status.in_(("sent", "delivered", "accepted"))).first():
            return code
    return f"{secrets.randbelow(900000) + 100000}"


def referral_sms(detail: dict, language: str = "en", now: dt.datetime | None = None) -> str:
    t = SMS_TEXT.get(language, SMS_TEXT["en"])
    lines = [t["intro"], detail["name"] + (f" ({detail['organization']})" if detail["organization"] != detail["name"] else "")]
    if detail.get("address"):
        lines.append(detail["address"])
    if detail.get("phone"):
        lines.append(f"{t['call']}: {detail['phone']}")
    if detail.get("category") == "support_group" and detail.get("next_meeting"):
        label = detail["next_meeting"]["label"]
        if language == "es":
            label = re.sub(r"\b[A-Z][a-z]+\b", lambda m: SPANISH_DAYS.get(m.group(0), m.group(0)), label)
        lines.append(f"{t['next']}: {label}")
    elif detail.get("hours_today"):
        hours = detail["hours_today"]
        if language == "es":
            hours = hours.replace("Open 24 hours", "Abierto 24 horas")
        lines.append(f"{t['hours']}: {hours}")
    if detail.get("latitude") is not None:
        lines.append(f"{t['map']}: https://www.openstreetmap.org/?mlat={detail['latitude']:.5f}&mlon={detail['longitude']:.5f}")
    return "\n".join(lines)


def create_referral(session, *, service_id: str, source: str, client_ref: str | None = None,
                    client_phone: str | None = None, created_by: str | None = None,
                    share_with_provider: bool = False, language: str = "en",
                    now: dt.datetime | None = None) -> Referral:
    """Record a referral and queue the SMS to the person. The caller commits."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if not client_ref and not client_phone:
        raise ReferralError("A referral needs the person: client_ref (from the bot) or a phone number.")
    if session.get(Service, service_id) is None:
        raise ReferralError(f"No service with id '{service_id}'.", code="not_found")
    language = language if language in SMS_TEXT else "en"
    masked_phone = None
    if client_phone:
        e164 = phones.normalize(client_phone)
        if e164 is None:
            raise ReferralError(f"'{client_phone}' is not a phone number we can text; give it with its area code.")
        person = phones.upsert(session, e164)
        client_ref, masked_phone = person.pseudonym, phones.mask(e164)
    else:
        person = phones.find(session, client_ref)
    if person is not None and source == "bot":
        person.language = language  # follow-ups and later texts in the language of the conversation
    detail = views.service_detail(session, service_id, now)
    referral = Referral(code=new_code(session), service_id=service_id, client_ref=client_ref,
                        client_phone=masked_phone, source=source, created_by=created_by,
                        share_with_provider=share_with_provider, language=language, status="sent",
                        follow_up_at=_naive_utc(now) + follow_up_delay(), created_at=utcnow())
    session.add(referral)
    session.flush()
    queue_sms(session, to=phones.address_of(client_ref), body=referral_sms(detail, language, now),
              kind="referral", referral_id=referral.id)
    provider_phone = phones.normalize(detail.get("phone"))
    if share_with_provider and provider_phone:
        queue_sms(session, to=provider_phone, kind="provider", referral_id=referral.id,
                  body=PROVIDER_SMS.format(program=app_settings.current().PROGRAM_NAME,
                                           name=detail["name"], code=referral.code))
    return referral
