"""The SMS conversation: what the gateway does with each text, framework-free.

`handle_inbound` is the whole front door: store first (idempotent on MessageSid), carrier keywords
(STOP/START/HELP in English and Spanish), the crisis net, opt-outs in the person's own words
(consent.py), opt-out, junk, provider replies
(ACCEPT/FULL <code>), follow-up outcomes (1/2/3), and only then Rasa's REST channel, with the
person's pseudonym as sender and a time budget well inside Twilio's 15 s. When Rasa misses the
budget, fails, or answers nothing (an action crashed), the person gets a short fallback and the
message stays `pending` for the worker (`answer_pending`), which sends the bot's answer by SMS
later: nothing is lost, and nobody gets silence (except after STOP).

Nothing here logs a number or a message text (they can reveal a substance use disorder): logs name the MessageSid and the kind.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from directory import db
from directory.people import phones
from directory.catalog.models import Service
from directory.people.models import OutboundMessage
from directory.referrals.models import Referral
from directory.base import utcnow
from directory.people.outbox import queue_sms
from directory.texting.consent import opt_out_language
from directory.texting.crisis import CRISIS_ANSWER, crisis_language, fold
from directory.texting.models import InboundMessage
from directory.people.models import Person
from directory.texting.texts import HELP_WORDS
from directory.texting.texts import MAX_TEXT
from directory.texting.texts import PROVIDER_TEXT
from directory.texting.rasa_client import RasaUnavailable
from directory.texting.texts import SPANISH_KEYWORDS
from directory.texting.texts import START_WORDS
from directory.texting.texts import STOP_WORDS
from directory.settings import Settings
from directory.texting.rasa_client import answered_in_tracker
from directory.texting.rasa_client import ask_rasa
from directory.texting.texts import clean
from directory.texting.texts import guess_language
from directory.texting.texts import keyword
from directory.texting.texts import split_for_sms
from directory.texting.texts import text

log = logging.getLogger(__name__)
PROVIDER_REPLY = re.compile(r"^(ACCEPT|ACEPTAR|FULL|LLENO)\W*(\d{4,6})$")
OPEN_STATUSES = ("sent", "delivered", "accepted", "full")
OUTCOMES = {"1": ("connected", "connected"), "2": ("not_connected", "not connected"),
            "3": ("not_connected", "needs something else")}
OUTCOME_WINDOW = dt.timedelta(days=7)


# --- the front door ---------------------------------------------------------------------------
@dataclass
class Outcome:
    """What to answer: TwiML messages, and whether the message is waiting for the worker."""
    replies: list[str]
    inbound_id: int | None = None
    pending: bool = False


def handle_inbound(settings: Settings, form, now: dt.datetime | None = None) -> Outcome:
    """Everything after the signature check. Never raises for bad input: the person gets a polite answer."""
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()[:64]
    e164 = phones.normalize(form.get("From"))
    if not sid or not e164:
        log.warning("inbound SMS without a MessageSid or a usable From; ignored")
        return Outcome([])
    body = clean(form.get("Body") or "")
    try:
        num_media = max(0, int(form.get("NumMedia") or 0))
    except ValueError:
        num_media = 0
    for attempt in (1, 2):
        try:
            with db.Session.begin() as s:
                if s.scalar(select(InboundMessage.id).where(InboundMessage.message_sid == sid)) is not None:
                    log.info("inbound %s is a retry of a message already handled; answered once", sid)
                    return Outcome([])
                person = phones.upsert(s, e164, now)
                msg = InboundMessage(message_sid=sid, pseudonym=person.pseudonym, body=body[:4000], num_media=num_media)
                s.add(msg)
                s.flush()
                outcome, to_rasa = _decide(s, settings, person, msg, body, e164)
                language = person.language
            break
        except IntegrityError:
            # The same MessageSid at the same moment (the loop's next pass finds it and answers
            # nothing), or a first text and a second one from a new number racing to create the person.
            if attempt == 2:
                raise
    log.info("inbound %s kind=%s", sid, msg.kind)
    if not to_rasa:
        return outcome
    try:
        replies = ask_rasa(settings, person.pseudonym, body, settings.RASA_TIMEOUT)
        status = "answered"
    except Exception as exc:  # late, down, an error, or an empty answer: never silence
        reason = exc if isinstance(exc, RasaUnavailable) else type(exc).__name__
        log.warning("Rasa did not answer inbound %s (%s); fallback sent, kept for the worker", sid, reason)
        replies, status = [text("fallback", language)], "pending"
    with db.Session.begin() as s:  # one statement, not a read and a flush: this runs for every text
        s.execute(update(InboundMessage).where(InboundMessage.id == msg.id).values(
            status=status, attempts=InboundMessage.attempts + 1,
            answered_at=utcnow() if status == "answered" else None))
    return Outcome(replies, msg.id, pending=status == "pending")


def _decide(s, settings: Settings, person: Person, msg: InboundMessage, body: str, e164: str) -> tuple[Outcome, bool]:
    """Set the message's kind and status; (what to answer, whether Rasa should answer instead)."""
    program = settings.PROGRAM_NAME
    word = keyword(body)
    if word in SPANISH_KEYWORDS:
        person.language = "es"
    elif word in HELP_WORDS | {"START"}:
        person.language = "en"
    lang = person.language

    def answer(kind: str, replies: list[str], status: str = "answered") -> tuple[Outcome, bool]:
        msg.kind, msg.status = kind, status
        msg.answered_at = utcnow() if status == "answered" else None
        return Outcome(replies, msg.id), False

    if word in STOP_WORDS:
        changed = phones.set_opt_out(person, True)
        return answer("stop", [text("stop", lang, program=program)] if changed else [])
    if word in START_WORDS and (word != "YES" or person.opted_out):
        phones.set_opt_out(person, False)
        return answer("start", [text("start", lang, program=program)])
    if word in HELP_WORDS:  # carriers require HELP to be answered, opted out or not
        return answer("help", [text("help", lang, program=program)])
    crisis = crisis_language(body)
    if crisis:  # a life comes before the opt-out: this answers the person's own message
        return answer("crisis", [CRISIS_ANSWER[crisis]])
    revoked = opt_out_language(body)
    if revoked:  # consent revoked in their own words ("stop texting me"): exactly like STOP
        person.language = revoked
        changed = phones.set_opt_out(person, True)
        return answer("stop", [text("stop", revoked, program=program)] if changed else [])
    if person.opted_out:
        return answer("chat", [], status="ignored")
    if not body:
        return answer("media" if msg.num_media else "empty", [text("media" if msg.num_media else "empty", lang)])
    if len(body) > MAX_TEXT:
        return answer("too_long", [text("too_long", guess_language(body) or lang)])
    provider = PROVIDER_REPLY.match(fold(body).upper())
    if provider:
        return answer("provider", [_provider_reply(s, settings, e164, provider.group(1), provider.group(2))])
    if body in OUTCOMES:
        referral = _awaiting_outcome(s, person.pseudonym)
        if referral is not None:
            status, note = OUTCOMES[body]
            referral.status, referral.outcome_note = status, note
            return answer("outcome", [text(f"outcome_{body}", referral.language or lang)])
    guessed = guess_language(body)
    if guessed:
        person.language = guessed
    msg.kind = "chat"
    return Outcome([], msg.id), True


def _provider_reply(s, settings: Settings, e164: str, verb: str, code: str) -> str:
    """ACCEPT/FULL from the provider's phone sets the referral's status; the person hears about it."""
    program = settings.PROGRAM_NAME
    referral = s.scalars(
        select(Referral).join(OutboundMessage, OutboundMessage.referral_id == Referral.id)
        .where(Referral.code == code, Referral.status.in_(OPEN_STATUSES), OutboundMessage.kind == "provider",
               OutboundMessage.to == e164).order_by(Referral.created_at.desc())).first()
    if referral is None:
        return PROVIDER_TEXT["unknown"].format(program=program, code=code)
    accepted = verb in ("ACCEPT", "ACEPTAR")
    referral.status = "accepted" if accepted else "full"
    if referral.client_ref:
        service = s.get(Service, referral.service_id)
        phone = next((p.number for p in service.phones), None) if service else None
        key = "provider_accept" if accepted and phone else "provider_full" if not accepted else None
        if key:
            queue_sms(s, to=phones.address_of(referral.client_ref), kind="provider_reply", referral_id=referral.id,
                      body=text(key, referral.language, program=program, name=service.name, phone=phone))
    return PROVIDER_TEXT["accept" if accepted else "full"].format(program=program, code=code)


def _awaiting_outcome(s, pseudonym: str) -> Referral | None:
    """The person's latest referral whose follow-up went out recently and has no outcome yet."""
    since = utcnow() - OUTCOME_WINDOW
    return s.scalars(
        select(Referral).join(OutboundMessage, OutboundMessage.referral_id == Referral.id)
        .where(Referral.client_ref == pseudonym, OutboundMessage.kind == "follow_up",
               OutboundMessage.created_at >= since, Referral.outcome_note.is_(None))
        .order_by(OutboundMessage.created_at.desc())).first()


# --- later: the worker's side -------------------------------------------------------------------
def answer_pending(settings: Settings, inbound_id: int) -> str:
    """Get the bot's answer to a message Rasa missed earlier and text it. Returns the new status."""
    with db.Session() as s:
        msg = s.get(InboundMessage, inbound_id)
        if msg is None or msg.status != "pending" or not msg.body:
            return msg.status if msg else "missing"
        pseudonym, body, received_at = msg.pseudonym, msg.body, msg.received_at
        person = phones.find(s, pseudonym)
        if person is None or person.opted_out:
            msg.status = "ignored"
            s.commit()
            return "ignored"
    # A turn that finished without a word (an action crashed) is asked again, not taken as the answer.
    replies = answered_in_tracker(settings, pseudonym, body, received_at)
    if not replies:
        replies = ask_rasa(settings, pseudonym, body, settings.RASA_RETRY_TIMEOUT)  # RasaUnavailable: retry later
    with db.Session.begin() as s:
        msg = s.get(InboundMessage, inbound_id)
        if msg.status != "pending":  # another worker got there first
            return msg.status
        for reply in replies:
            for piece in split_for_sms(reply):
                queue_sms(s, to=phones.address_of(pseudonym), body=piece, kind="reply")
        msg.status, msg.answered_at, msg.attempts = "answered", utcnow(), msg.attempts + 1
    log.info("pending inbound %s answered by SMS (%d texts)", inbound_id, len(replies))
    return "answered"


def mark_failed(inbound_id: int) -> None:
    """The last retry failed: the person was told "I'll text you back", so say we could not (STOP holds: queue_sms)."""
    with db.Session.begin() as s:
        msg = s.get(InboundMessage, inbound_id)
        if msg is not None and msg.status == "pending":
            msg.status = "failed"
            person = phones.find(s, msg.pseudonym)
            if person is not None and not person.opted_out:
                queue_sms(s, to=phones.address_of(msg.pseudonym), body=text("gave_up", person.language), kind="reply")
