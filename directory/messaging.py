"""The SMS conversation: what the gateway does with each text, framework-free.

`handle_inbound` is the whole front door: store first (idempotent on MessageSid), carrier keywords
(STOP/START/HELP in English and Spanish), the crisis net, opt-out, junk, provider replies
(ACCEPT/FULL <code>), follow-up outcomes (1/2/3), and only then Rasa's REST channel, with the
person's pseudonym as sender and a time budget well inside Twilio's 15 s. When Rasa misses the
budget the person gets a short fallback and the message stays `pending` for the worker
(`answer_pending`), which sends the bot's answer by SMS later: nothing is lost.

Nothing here logs a number or a message text (GUIDE §5): logs name the MessageSid and the kind.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
from dataclasses import dataclass, fields
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from directory import db, people
from directory.models import Location, OutboundMessage, Referral, Service, ServiceAtLocation, utcnow
from directory.outbox import queue_sms
from directory.safety import CRISIS_ANSWER, crisis_language, fold
from directory.sms_models import InboundMessage, Person

log = logging.getLogger(__name__)

SMS_LIMIT = 1600  # Twilio's limit for one message body
MAX_TEXT = 1000  # longer texts are not sent to the NLU
DEV_TWILIO_AUTH_TOKEN = "dev-twilio-auth-token-NOT-SECRET"  # development only: the simulator signs with it
DEV_ACCOUNT_SID = "AC" + "0" * 32  # the simulator's account when TWILIO_ACCOUNT_SID is unset


@dataclass(frozen=True)
class Settings:
    """The gateway's configuration; each field is read from the environment variable of its name."""
    SIGNPOST_ENV: str = "development"
    PROGRAM_NAME: str = "Signpost"
    PUBLIC_BASE_URL: str = "http://127.0.0.1:5000"
    # One Rasa, or several comma-separated: each conversation always goes to the same one (its
    # tracker lives in that process's memory), chosen by its pseudonym.
    RASA_URL: str = "http://127.0.0.1:5005"
    RASA_TOKEN: str | None = None
    RASA_TIMEOUT: float = 8.0  # seconds for one answer while Twilio waits (it gives up at 15)
    RASA_RETRY_TIMEOUT: float = 30.0  # the worker is not in a hurry
    RASA_RETRY_DELAY: float = 15.0  # seconds after a fallback before the worker asks Rasa again
    TWILIO_ACCOUNT_SID: str | None = None  # unset: texts stay in the outbox
    TWILIO_AUTH_TOKEN: str | None = None
    TWILIO_FROM_NUMBER: str | None = None
    TWILIO_MESSAGING_SERVICE_SID: str | None = None
    TWILIO_API_BASE_URL: str | None = None  # tests: the Prism mock instead of https://api.twilio.com
    FOLLOW_UP_AFTER_HOURS: float = 48.0
    RETENTION_DAYS: int = 90
    DEFAULT_TIMEZONE: str = "America/Los_Angeles"  # quiet hours when the number says nothing

    @classmethod
    def from_mapping(cls, env) -> "Settings":
        values = {}
        for f in fields(cls):
            raw = env.get(f.name)
            if raw is None or raw == "":
                continue
            values[f.name] = float(raw) if f.type == "float" else int(raw) if f.type == "int" else raw
        values.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{env.get('PORT') or 5000}")
        values.setdefault("RASA_URL", f"http://127.0.0.1:{env.get('RASA_PORT') or 5005}")
        settings = cls(**values)
        if settings.TWILIO_AUTH_TOKEN is None and settings.SIGNPOST_ENV != "production":
            settings = cls(**{**values, "TWILIO_AUTH_TOKEN": DEV_TWILIO_AUTH_TOKEN})
        return settings

    @property
    def account_sid(self) -> str:
        """The only account whose webhooks are accepted."""
        return self.TWILIO_ACCOUNT_SID or DEV_ACCOUNT_SID

    @property
    def sends_via_twilio(self) -> bool:
        return bool(self.TWILIO_ACCOUNT_SID)


def settings_from_env() -> Settings:
    return Settings.from_mapping(os.environ)


_current: Settings | None = None


def configure(settings: Settings) -> None:
    """The settings the app (or the worker) runs with; see directory.jobs.configure."""
    global _current
    _current = settings


def current() -> Settings:
    return _current or settings_from_env()


# --- texts ----------------------------------------------------------------------------------
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "ALTO", "PARAR"}
START_WORDS = {"START", "UNSTOP", "YES", "COMENZAR"}
HELP_WORDS = {"HELP", "INFO", "AYUDA"}
SPANISH_KEYWORDS = {"ALTO", "PARAR", "AYUDA", "COMENZAR"}

TEXT = {
    "en": {
        "stop": "{program}: you are unsubscribed and will get no more messages. Reply START to resubscribe.",
        "start": "{program}: you are subscribed again. Text what you need, e.g. 'meeting near 97201'. Reply STOP to stop.",
        "help": ("{program} finds recovery support near you: meetings, sober living, housing, rides, "
                 "treatment. Text what you need and your ZIP. For help call 211; in crisis call or text "
                 "988, emergencies 911. Msg frequency varies. Msg & data rates may apply. Reply STOP to stop."),
        "fallback": ("Sorry, I'm slow right now. I'll text you back shortly. If you need help now, call 211. "
                     "In a crisis call or text 988, or 911 in an emergency."),
        "empty": "I got an empty message. Text what you need, e.g. 'meeting near 97201', or HELP.",
        "media": "I can only read text, not pictures or files. Text what you need, e.g. 'meeting near 97201'.",
        "too_long": "That message is too long for me. Tell me in a few words what you need, e.g. 'sober living in Portland'.",
        "outcome_1": "Glad you got connected. Text us any time you need something else.",
        "outcome_2": "Thanks for telling us. Text what you need and we'll look for another place, or call 211.",
        "outcome_3": "Tell me what you need: a meeting, sober living, housing, a ride or treatment, and your ZIP.",
        "follow_up": "{program}: Did you get connected with {name}? Reply 1 yes, 2 no, 3 I need something else.",
        "provider_accept": "{program}: {name} replied that they can take you. Call {phone} to plan your visit.",
        "provider_full": "{program}: {name} is full right now. Text us to find another place, or call 211.",
    },
    "es": {
        "stop": "{program}: se dio de baja y no recibirá más mensajes. Responda START para volver a suscribirse.",
        "start": "{program}: está suscrito otra vez. Escriba lo que necesita, p. ej. 'reunión cerca de 33130'. Responda ALTO para dejar de recibir.",
        "help": ("{program} encuentra apoyo para la recuperación cerca de usted: reuniones, vivienda sobria, "
                 "vivienda, transporte, tratamiento. Escriba lo que necesita y su código postal. Para ayuda "
                 "llame al 211; en crisis llame o escriba al 988, emergencias 911. La frecuencia de mensajes "
                 "varía. Pueden aplicarse tarifas de mensajes y datos. Responda ALTO para dejar de recibir."),
        "fallback": ("Perdón, estoy lento ahora. Le escribo pronto. Si necesita ayuda ya, llame al 211. "
                     "En crisis llame o escriba al 988, o al 911 en una emergencia."),
        "empty": "Recibí un mensaje vacío. Escriba lo que necesita, p. ej. 'reunión cerca de 33130', o AYUDA.",
        "media": "Solo puedo leer texto, no fotos ni archivos. Escriba lo que necesita, p. ej. 'reunión cerca de 33130'.",
        "too_long": "Ese mensaje es muy largo para mí. Dígame en pocas palabras qué necesita, p. ej. 'vivienda sobria en Miami'.",
        "outcome_1": "Qué bueno que pudo conectarse. Escríbanos cuando necesite algo más.",
        "outcome_2": "Gracias por avisarnos. Escriba lo que necesita y buscaremos otro lugar, o llame al 211.",
        "outcome_3": "Dígame qué necesita: una reunión, vivienda sobria, vivienda, transporte o tratamiento, y su código postal.",
        "follow_up": "{program}: ¿Pudo conectarse con {name}? Responda 1 sí, 2 no, 3 necesito otra cosa.",
        "provider_accept": "{program}: {name} respondió que puede recibirle. Llame al {phone} para planear su visita.",
        "provider_full": "{program}: {name} está lleno ahora. Escríbanos para buscar otro lugar, o llame al 211.",
    },
}
PROVIDER_TEXT = {
    "accept": "{program}: thank you, referral {code} is marked accepted.",
    "full": "{program}: thank you, referral {code} is marked full.",
    "unknown": "{program}: no open referral {code} was sent to this number. Check the code and reply ACCEPT {code} or FULL {code}.",
}
SPANISH_HINTS = {"hola", "necesito", "busco", "ayuda", "reunion", "reuniones", "vivienda", "cerca", "donde",
                 "tratamiento", "transporte", "gracias", "quiero", "por", "favor", "estoy", "tengo", "buenas",
                 "buenos", "dias", "casa", "sobria"}
ENGLISH_HINTS = {"hi", "hello", "need", "meeting", "meetings", "housing", "near", "where", "treatment", "ride",
                 "thanks", "want", "please", "looking", "help", "sober", "living", "the", "a", "i"}
PROVIDER_REPLY = re.compile(r"^(ACCEPT|ACEPTAR|FULL|LLENO)\W*(\d{4,6})$")
OPEN_STATUSES = ("sent", "delivered", "accepted", "full")
OUTCOMES = {"1": ("connected", "connected"), "2": ("not_connected", "not connected"),
            "3": ("not_connected", "needs something else")}
OUTCOME_WINDOW = dt.timedelta(days=7)


def text(key: str, language: str, **values) -> str:
    return TEXT.get(language, TEXT["en"])[key].format(**values)


def guess_language(message: str) -> str | None:
    words = set(re.findall(r"[a-z]+", fold(message)))
    es, en = len(words & SPANISH_HINTS), len(words & ENGLISH_HINTS)
    return "es" if es > en else "en" if en > es else None


def keyword(message: str) -> str:
    """The message as a carrier keyword would be read: one word, upper case, no punctuation."""
    return re.sub(r"[^A-Z]", "", fold(message).upper()) if len(message) <= 20 else ""


def clean(body: str) -> str:
    """Printable text only (control characters and stray NULs from junk become spaces), trimmed."""
    return " ".join("".join(c if c.isprintable() else " " for c in body).split())


def split_for_sms(message: str, limit: int = SMS_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, line, sentence or word if possible."""
    pieces, rest = [], message.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max((window.rfind(sep) + len(sep) for sep in ("\n\n", "\n", ". ", "? ", "! ") if window.rfind(sep) > limit // 2),
                  default=0) or (window.rfind(" ") if window.rfind(" ") > limit // 2 else limit)
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return pieces + ([rest] if rest else [])


# --- Rasa -------------------------------------------------------------------------------------
class RasaUnavailable(Exception):
    """Rasa did not answer in time, or answered with an error."""


_http = requests.Session()


def rasa_url(settings: Settings, sender: str) -> str:
    """The Rasa server that holds this conversation (sticky by pseudonym when there are several)."""
    urls = [u.strip().rstrip("/") for u in settings.RASA_URL.split(",") if u.strip()]
    if len(urls) == 1:
        return urls[0]
    return urls[int(hashlib.sha256(sender.encode()).hexdigest()[:8], 16) % len(urls)]


def _rasa_params(settings: Settings) -> dict:
    return {"token": settings.RASA_TOKEN} if settings.RASA_TOKEN else {}


def ask_rasa(settings: Settings, sender: str, message: str, timeout: float) -> list[str]:
    """The bot's replies to one message, through Rasa's REST channel."""
    try:
        r = _http.post(rasa_url(settings, sender) + "/webhooks/rest/webhook", params=_rasa_params(settings),
                       json={"sender": sender, "message": message, "metadata": {"channel": "sms"}}, timeout=timeout)
    except requests.RequestException as exc:
        raise RasaUnavailable(type(exc).__name__) from None
    if r.status_code != 200:
        raise RasaUnavailable(f"HTTP {r.status_code}")
    try:
        answers = r.json()
    except ValueError:
        raise RasaUnavailable("not JSON") from None
    return _reply_texts(answers if isinstance(answers, list) else [])


def _reply_texts(answers: list[dict]) -> list[str]:
    replies = []
    for a in answers:
        parts = [a.get("text") or ""]
        if a.get("buttons"):
            parts.append(" / ".join(b.get("title", "") for b in a["buttons"] if b.get("title")))
        if a.get("image"):
            parts.append(a["image"])
        reply = "\n".join(p for p in parts if p).strip()
        if reply:
            replies.append(reply)
    return replies


def answered_in_tracker(settings: Settings, sender: str, message: str, since: dt.datetime) -> list[str] | None:
    """The bot's replies if Rasa already handled this message (it finished after our budget), else None.

    Looks for the user's message in the conversation's tracker after `since` and a finished turn
    (an action_listen after it); sending the message again would make the bot answer it twice.
    """
    try:
        r = _http.get(rasa_url(settings, sender) + f"/conversations/{sender}/tracker",
                      params=_rasa_params(settings), timeout=settings.RASA_RETRY_TIMEOUT)
        events = r.json().get("events") or [] if r.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None
    if not events:
        return None
    since_ts = since.replace(tzinfo=dt.timezone.utc).timestamp() - 2
    start = next((i for i in range(len(events) - 1, -1, -1) if events[i].get("event") == "user"
                  and events[i].get("text") == message and (events[i].get("timestamp") or 0) >= since_ts), None)
    if start is None:
        return None
    answers, finished = [], False
    for e in events[start + 1:]:
        if e.get("event") == "user":
            break
        if e.get("event") == "bot":
            answers.append({"text": e.get("text"), "buttons": (e.get("data") or {}).get("buttons"),
                            "image": (e.get("data") or {}).get("image")})
        if e.get("event") == "action" and e.get("name") == "action_listen":
            finished = True
    return _reply_texts(answers) if finished else None


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
    e164 = people.normalize(form.get("From"))
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
                person = people.upsert(s, e164, now)
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
    except RasaUnavailable as exc:
        log.warning("Rasa did not answer inbound %s in time (%s); fallback sent, kept for the worker", sid, exc)
        replies, status = [text("fallback", language)], "pending"
    with db.Session.begin() as s:
        row = s.get(InboundMessage, msg.id)
        row.status, row.attempts = status, row.attempts + 1
        row.answered_at = utcnow() if status == "answered" else None
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
        changed = people.set_opt_out(person, True)
        return answer("stop", [text("stop", lang, program=program)] if changed else [])
    if word in START_WORDS and (word != "YES" or person.opted_out):
        people.set_opt_out(person, False)
        return answer("start", [text("start", lang, program=program)])
    if word in HELP_WORDS:  # carriers require HELP to be answered, opted out or not
        return answer("help", [text("help", lang, program=program)])
    crisis = crisis_language(body)
    if crisis:  # a life comes before the opt-out: this answers the person's own message
        return answer("crisis", [CRISIS_ANSWER[crisis]])
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
            queue_sms(s, to=people.address_of(referral.client_ref), kind="provider_reply", referral_id=referral.id,
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
        person = people.find(s, pseudonym)
        if person is None or person.opted_out:
            msg.status = "ignored"
            s.commit()
            return "ignored"
    replies = answered_in_tracker(settings, pseudonym, body, received_at)
    if replies is None:
        replies = ask_rasa(settings, pseudonym, body, settings.RASA_RETRY_TIMEOUT)  # RasaUnavailable: retry later
    with db.Session.begin() as s:
        msg = s.get(InboundMessage, inbound_id)
        if msg.status != "pending":  # another worker got there first
            return msg.status
        for reply in replies:
            for piece in split_for_sms(reply):
                queue_sms(s, to=people.address_of(pseudonym), body=piece, kind="reply")
        msg.status, msg.answered_at, msg.attempts = "answered", utcnow(), msg.attempts + 1
    log.info("pending inbound %s answered by SMS (%d texts)", inbound_id, len(replies))
    return "answered"


def mark_failed(inbound_id: int) -> None:
    with db.Session.begin() as s:
        msg = s.get(InboundMessage, inbound_id)
        if msg is not None and msg.status == "pending":
            msg.status = "failed"


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
            person = people.find(s, referral.client_ref) if referral.client_ref else None
            if person is None or person.opted_out or not person.phone_encrypted:
                referral.follow_up_at = None  # nobody to ask, or they said STOP
                counts["cancelled"] += 1
                continue
            if in_quiet_hours(now, _local_timezone(s, settings, person, referral)):
                counts["quiet_hours"] += 1
                continue
            service = s.get(Service, referral.service_id)
            queue_sms(s, to=people.address_of(person.pseudonym), kind="follow_up", referral_id=referral.id,
                      body=text("follow_up", referral.language, program=settings.PROGRAM_NAME, name=service.name))
            referral.follow_up_at = None
            counts["sent"] += 1
    return counts


def purge_expired(settings: Settings, now: dt.datetime | None = None, days: int | None = None) -> dict:
    """Delete messages and numbers older than the retention period. An opt-out is kept (pseudonym only)."""
    cutoff = (now or utcnow()) - dt.timedelta(days=settings.RETENTION_DAYS if days is None else days)
    with db.Session.begin() as s:
        inbound = s.execute(delete(InboundMessage).where(InboundMessage.received_at < cutoff)).rowcount
        outbound = s.execute(delete(OutboundMessage).where(OutboundMessage.created_at < cutoff)).rowcount
        referrals = s.execute(update(Referral).where(Referral.created_at < cutoff, (Referral.client_ref.is_not(None))
                                                     | (Referral.client_phone.is_not(None)))
                              .values(client_ref=None, client_phone=None, follow_up_at=None)).rowcount
        stale = Person.last_seen_at < cutoff
        forgotten = s.execute(update(Person).where(stale, Person.opted_out.is_(True), Person.phone_encrypted.is_not(None))
                              .values(phone_encrypted=None)).rowcount
        deleted = s.execute(delete(Person).where(stale, Person.opted_out.is_(False))).rowcount
    return {"inbound_messages": inbound, "outbound_messages": outbound, "referrals_anonymised": referrals,
            "numbers_deleted": deleted + forgotten}
