"""The worker: huey tasks that send SMS through Twilio, answer messages Rasa missed, send follow-ups
and purge old data. The worker process runs them with `huey_consumer directory.worker.huey` (the
supervisor's `worker`, directory/service.py); directory.bootstrap wires the queue in every process that enqueues.

The queue lives in a SQLite file under instance/ by default and on Redis when `REDIS_URL` is set.
Texts are enqueued only after the transaction that recorded them commits, so the worker never
looks for a row that is not there yet.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import time
from functools import lru_cache

import requests
from huey import RedisHuey, SqliteHuey, crontab
from sqlalchemy import event, select
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from directory import db
from directory import settings as app_settings
from directory.texting import follow_ups
from directory.texting import inbound
from directory.texting import rasa_client
from directory.texting import retention
from directory.people import outbox
from directory.people import phones
from directory.people.models import OutboundMessage
from directory.referrals.models import Referral
from directory.base import utcnow
from directory.texting.models import InboundMessage

log = logging.getLogger(__name__)
# twilio's client logs request URLs and headers at INFO; nothing of a person's, but keep it quiet.
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)

SEND_ATTEMPTS = 5
PENDING_ATTEMPTS = 6
OPTED_OUT_ERROR = 21610  # Twilio: the recipient replied STOP to this sender


def backoff(attempt: int) -> int:
    """Seconds before retry `attempt + 1`: 10 s, 30 s, 90 s, 270 s ... capped at 15 minutes."""
    return min(10 * 3 ** attempt, 900)


def make_huey(env=os.environ):
    if env.get("REDIS_URL"):
        return RedisHuey("signpost", url=env["REDIS_URL"])
    path = env.get("HUEY_SQLITE_PATH") or str(db.PROJECT_ROOT / "instance" / "huey.db")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return SqliteHuey("signpost", filename=path)


# The queue this process uses, set by `wire` (called from directory.bootstrap, the composition
# root): the tasks below are plain functions until then, so importing this module starts nothing.
huey = None
settings = app_settings.current


def configure(new_settings: app_settings.Settings) -> None:
    """Use these settings; with a Twilio account, queued texts go to the worker instead of staying in the outbox."""
    app_settings.configure(new_settings)
    outbox.sender_hook = send_after_commit if new_settings.sends_via_twilio else None


def send_after_commit(session, message_id: int) -> None:
    pending = session.info.setdefault("sms_to_send", [])
    if not pending:
        event.listen(session, "after_commit", _enqueue_pending, once=True)
        event.listen(session, "after_soft_rollback", _forget_pending, once=True)
    pending.append(message_id)


def _enqueue_pending(session) -> None:
    for message_id in session.info.pop("sms_to_send", []):
        send_sms(message_id)


def _forget_pending(session, _previous_transaction) -> None:
    session.info.pop("sms_to_send", None)


# --- Twilio -----------------------------------------------------------------------------------
class RedirectingHttpClient(TwilioHttpClient):
    """Twilio's HTTP client pointed at another host (the Prism mock in tests), the way Twilio's
    "custom HTTP clients" guide suggests: the library builds https://api.twilio.com URLs itself."""

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        for host in ("https://api.twilio.com", "https://messaging.twilio.com"):
            if url.startswith(host):
                url = self.base_url + url[len(host):]
        return super().request(method, url, *args, **kwargs)


@lru_cache(maxsize=4)
def twilio_client(account_sid: str, auth_token: str, api_base_url: str | None) -> Client:
    http = RedirectingHttpClient(api_base_url, timeout=10) if api_base_url else TwilioHttpClient(timeout=10)
    return Client(account_sid, auth_token, http_client=http)


def deliver(message_id: int, attempt: int = 0) -> str:
    """Send one queued text through Twilio. Returns its status; schedules a retry on transient errors."""
    cfg = settings()
    with db.Session.begin() as s:
        msg = s.get(OutboundMessage, message_id)
        if msg is None or msg.status != "queued":
            return msg.status if msg else "missing"
        phone, person = phones.resolve(s, msg.to)
        if person is not None and person.opted_out:
            msg.status = "blocked"
            return msg.status
        if not phone:
            msg.status, msg.error_code = "failed", "no_number"  # purged, or a pseudonym never seen
            return msg.status
        if not cfg.sends_via_twilio:
            msg.status = "outbox"
            return msg.status
        body = msg.body
    sender = ({"messaging_service_sid": cfg.TWILIO_MESSAGING_SERVICE_SID} if cfg.TWILIO_MESSAGING_SERVICE_SID
              else {"from_": cfg.TWILIO_FROM_NUMBER})
    client = twilio_client(cfg.TWILIO_ACCOUNT_SID, cfg.TWILIO_AUTH_TOKEN or "", cfg.TWILIO_API_BASE_URL)
    error, transient = None, False
    try:
        sent = client.messages.create(to=phone, body=body, status_callback=cfg.PUBLIC_BASE_URL.rstrip("/") + "/sms/status",
                                      **sender)
    except TwilioRestException as exc:
        error = str(exc.code or exc.status)
        transient = exc.status == 429 or exc.status >= 500
    except (TwilioException, requests.RequestException) as exc:
        error, transient = type(exc).__name__, True
    with db.Session.begin() as s:
        msg = s.get(OutboundMessage, message_id)
        if error is None:
            msg.provider_sid, msg.status, msg.error_code = sent.sid, "sent", None
        elif error == str(OPTED_OUT_ERROR):
            msg.status, msg.error_code = "blocked", error
            _, person = phones.resolve(s, msg.to)
            if person is not None:
                phones.set_opt_out(person, True)
        elif transient and attempt + 1 < SEND_ATTEMPTS:
            msg.error_code = error
            send_sms.schedule((message_id, attempt + 1), delay=backoff(attempt))
        else:
            msg.status, msg.error_code = "failed", error
            _referral_failed(s, msg)
        status = msg.status
    log.info("outbound %s kind=%s status=%s%s", message_id, msg.kind, status, f" error={error}" if error else "")
    return status


def _referral_failed(s, msg: OutboundMessage) -> None:
    if msg.kind == "referral" and msg.referral_id:
        referral = s.get(Referral, msg.referral_id)
        if referral is not None and referral.status in ("sent", "delivered"):
            referral.status = "failed"


def send_sms(message_id: int, attempt: int = 0) -> str:
    return deliver(message_id, attempt)


def answer_pending(inbound_id: int, attempt: int = 0) -> str:
    """Text the bot's answer to a message Rasa missed while the person was waiting."""
    try:
        return inbound.answer_pending(settings(), inbound_id)
    except rasa_client.RasaUnavailable:
        if attempt + 1 < PENDING_ATTEMPTS:
            answer_pending.schedule((inbound_id, attempt + 1), delay=backoff(attempt))
            return "pending"
        inbound.mark_failed(inbound_id)
        return "failed"


HEARTBEAT_KEY = "signpost-worker-heartbeat"
HEARTBEAT_STALE = 150  # seconds: the sweep beats every minute


def _beat() -> None:
    huey.put(HEARTBEAT_KEY, time.time())


def queue_health() -> dict:
    """For /healthz: the queue answers, and a worker has beaten recently."""
    try:
        beat = huey.get(HEARTBEAT_KEY, peek=True)
        waiting = huey.pending_count()
    except Exception as exc:  # report, never raise
        return {"status": "down", "error": type(exc).__name__}
    age = None if beat is None else round(time.time() - beat)
    status = "ok" if age is not None and age <= HEARTBEAT_STALE else "down"
    return {"status": status, "queue": type(huey).__name__, "waiting": waiting, "last_heartbeat_s": age}


def sweep() -> None:
    """Every minute: follow-ups that are due, and pending messages nobody is retrying (a restart)."""
    _beat()
    counts = follow_ups.send_due_follow_ups(settings())
    if counts["sent"] or counts["cancelled"]:
        log.info("follow-ups: %s", counts)
    stale = utcnow() - dt.timedelta(minutes=60)  # longer than all of answer_pending's own retries
    with db.Session() as s:
        forgotten = s.scalars(select(InboundMessage.id).where(InboundMessage.status == "pending",
                                                              InboundMessage.received_at < stale)).all()
    for inbound_id in forgotten:
        answer_pending(inbound_id, PENDING_ATTEMPTS - 1)


def purge() -> None:
    """Every night: messages and numbers older than RETENTION_DAYS."""
    log.info("retention purge: %s", retention.purge_expired(settings()))


def schedule_answer(inbound_id: int) -> None:
    """After a fallback: try Rasa again soon."""
    answer_pending.schedule((inbound_id, 0), delay=settings().RASA_RETRY_DELAY)



def wire(queue) -> None:
    """Register the tasks on `queue` and make it this process's queue. After this, `send_sms(...)`
    enqueues (and `send_sms.call_local(...)` runs in place), as huey's decorators would do."""
    global huey, send_sms, answer_pending, sweep, purge
    if huey is queue:
        return
    huey = queue
    send_sms = queue.task()(_unwrapped(send_sms))
    answer_pending = queue.task()(_unwrapped(answer_pending))
    sweep = queue.periodic_task(crontab(minute="*"))(_unwrapped(sweep))
    purge = queue.periodic_task(crontab(minute="17", hour="3"))(_unwrapped(purge))
    queue.on_startup()(_beat)


def _unwrapped(task):
    """The plain function behind a task wrapper (wire may run again with another queue, in tests)."""
    return getattr(task, "func", task)
