"""The SMS outbox: every outbound text is recorded here first.

Without Twilio credentials the outbox is where texts end (status 'outbox', read them with
`flask --app web sms outbox`). With Twilio configured, a sender (the SMS gateway's job queue,
directory/texting/jobs.py) takes queued rows and updates their status. `queue_sms` is the single entry
point, and the place where STOP is enforced: a text to a person who opted out is recorded as
'blocked' and never sent.

`to` is a provider's E.164 number, or 'pseudonym:<p>' for a person: their number is kept only in
the people table, encrypted (directory/phones.py).
"""
from __future__ import annotations

from sqlalchemy import select

from directory.people import phones
from directory.people.models import OutboundMessage

# Set by the SMS gateway when Twilio is configured: a callable(session, message_id) that schedules
# sending after the transaction commits. None means texts stay in the outbox.
sender_hook = None


def queue_sms(session, *, to: str, body: str, kind: str, referral_id: str | None = None) -> OutboundMessage:
    _phone, person = phones.resolve(session, to)
    if person is not None and person.opted_out:
        status = "blocked"
    else:
        status = "queued" if sender_hook else "outbox"
    msg = OutboundMessage(to=to, body=body, kind=kind, referral_id=referral_id, status=status)
    session.add(msg)
    session.flush()
    if sender_hook and status == "queued":
        sender_hook(session, msg.id)
    return msg


def list_outbox(session, limit: int = 200) -> list[OutboundMessage]:
    rows = session.scalars(select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(limit)).all()
    return list(reversed(rows))
