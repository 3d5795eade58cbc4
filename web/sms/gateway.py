"""Twilio's webhooks: inbound texts and delivery callbacks, both signature-checked.

Every answer is TwiML or an empty 204; bad input gets a polite text, never a 500, because Twilio
would retry a 500 and the person would hear nothing.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from directory import db
from directory.texting import jobs
from directory import settings as app_settings
from directory.texting.inbound import handle_inbound
from directory.texting import texts
from directory.people import phones
from directory.people.models import OutboundMessage
from directory.referrals.models import Referral

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__, url_prefix="/sms")

STATUS_ORDER = {"queued": 0, "accepted": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 3,
                "undelivered": 3, "failed": 3}


def _settings() -> app_settings.Settings:
    return current_app.extensions["sms_settings"]


def signature_is_valid(settings: app_settings.Settings) -> bool:
    """X-Twilio-Signature over the public URL Twilio called (PUBLIC_BASE_URL + path) and the form."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not settings.TWILIO_AUTH_TOKEN:
        return False
    url = settings.PUBLIC_BASE_URL.rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, request.form, signature)


def _check_caller(settings: app_settings.Settings) -> None:
    if not signature_is_valid(settings):
        log.warning("SMS webhook %s refused: missing or wrong X-Twilio-Signature", request.path)
        abort(403)
    if request.form.get("AccountSid") != settings.account_sid:
        log.warning("SMS webhook %s refused: not our Twilio account", request.path)
        abort(403)


def twiml(replies: list[str]) -> Response:
    response = MessagingResponse()
    for reply in replies:
        for piece in texts.split_for_sms(reply):
            response.message(piece)
    return Response(str(response), mimetype="application/xml")


@bp.post("/inbound")
def inbound():
    settings = _settings()
    _check_caller(settings)
    try:
        outcome = handle_inbound(settings, request.form)
    except Exception:  # the message is stored first; whatever broke, the person gets an answer
        log.exception("inbound SMS handling failed")
        return twiml([texts.text("fallback", "en")])
    if outcome.pending:
        try:
            jobs.schedule_answer(outcome.inbound_id)
        except Exception:  # the queue is down: the worker's sweep finds the pending message later
            log.exception("could not schedule the retry of inbound %s", outcome.inbound_id)
    return twiml(outcome.replies)


@bp.post("/status")
def status():
    """Delivery callbacks: the outbox row's status, and the referral's when its text failed or arrived."""
    settings = _settings()
    _check_caller(settings)
    sid, new_status = request.form.get("MessageSid", ""), (request.form.get("MessageStatus") or "").lower()
    error_code = request.form.get("ErrorCode") or None
    if not sid or new_status not in STATUS_ORDER:
        return Response(status=204)
    with db.Session.begin() as s:
        msg = s.scalars(select(OutboundMessage).where(OutboundMessage.provider_sid == sid)).first()
        if msg is None:
            return Response(status=204)
        # Callbacks can arrive out of order: never step back from a final status.
        if STATUS_ORDER[new_status] >= STATUS_ORDER.get(msg.status, 0):
            msg.status = "failed" if new_status == "undelivered" else new_status
        if error_code:
            msg.error_code = error_code[:20]
            if error_code == str(jobs.OPTED_OUT_ERROR):
                msg.status = "blocked"
                _, person = phones.resolve(s, msg.to)
                if person is not None:
                    phones.set_opt_out(person, True)
        referral = s.get(Referral, msg.referral_id) if msg.referral_id and msg.kind == "referral" else None
        if referral is not None and referral.status in ("sent", "delivered"):
            if msg.status == "delivered":
                referral.status = "delivered"
            elif msg.status in ("failed", "blocked"):
                referral.status = "failed"
        log.info("delivery status for outbound %s: %s", msg.id, msg.status)
    return Response(status=204)
