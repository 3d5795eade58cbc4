"""The SMS simulator (development only; not registered in production): a phone in the browser.

The page signs each text here (with the same auth token Twilio would use), then posts the signed
webhook itself to /sms/inbound, so the gateway is exercised exactly as Twilio would. It also shows
the outbox (referral texts, follow-ups, answers the worker sent later) and the bot's reading of each
message from Rasa's /model/parse, labelled with the pseudonym Rasa sees, never the number.
"""
from __future__ import annotations

import uuid

import requests
from flask import Blueprint, current_app, jsonify, render_template, request
from sqlalchemy import select, update
from twilio.request_validator import RequestValidator

from directory import db
from directory import settings as app_settings
from directory.texting import follow_ups
from directory.texting import inbound
from directory.texting import rasa_client
from directory.texting import texts
from directory.people import phones
from directory.people.models import OutboundMessage
from directory.referrals.models import Referral
from directory.base import utcnow

bp = Blueprint("sms_simulator", __name__, url_prefix="/dev/sms", template_folder="templates",
               static_folder="static", static_url_path="/static")
SIMULATOR_TO = "+15005550006"  # Twilio's magic test number, when TWILIO_FROM_NUMBER is unset
NEED_CODES = ("support_group", "sober_living", "housing", "transportation", "treatment")
PLACE_ENTITIES = ("place", "location", "zip", "zipcode", "postal_code", "city", "address", "GPE")


def _settings() -> app_settings.Settings:
    return current_app.extensions["sms_settings"]


def _error(message: str, status: int = 400):
    return jsonify({"error": {"code": "bad_request", "message": message}}), status


@bp.get("")
def page():
    return render_template("sms/simulator.html", default_from="+15415550123")


@bp.post("/sign")
def sign():
    """The form fields and X-Twilio-Signature Twilio would send for this text."""
    data = request.get_json(silent=True) or {}
    if not phones.normalize(data.get("from")):
        return _error("Type a phone number to text from, e.g. +15415550123.")
    settings = _settings()
    params = {"AccountSid": settings.account_sid, "MessageSid": "SM" + uuid.uuid4().hex,
              "From": data["from"], "To": settings.TWILIO_FROM_NUMBER or SIMULATOR_TO,
              "Body": str(data.get("body") or ""), "NumMedia": "1" if data.get("media") else "0",
              "SmsStatus": "received", "ApiVersion": "2010-04-01"}
    if data.get("message_sid"):  # the page's "send again" button replays a MessageSid, as a Twilio retry
        params["MessageSid"] = str(data["message_sid"])
    url = settings.PUBLIC_BASE_URL.rstrip("/") + "/sms/inbound"
    return jsonify({"params": params, "signature": RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)})


def _rasa_get(settings: app_settings.Settings, sender: str, path: str, **kwargs):
    params = {"token": settings.RASA_TOKEN} if settings.RASA_TOKEN else {}
    try:
        r = requests.request(kwargs.pop("method", "GET"), rasa_client.rasa_url(settings, sender) + path, params=params,
                             timeout=3, **kwargs)
        return r.json() if r.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None


def bot_reading(settings: app_settings.Settings, message: str, sender: str) -> dict:
    """Need, place and language as the bot read them: the NLU's parse of the text, and the slots the
    conversation holds after it (the place and language are read by the action server, not the NLU)."""
    parse = _rasa_get(settings, sender, "/model/parse", method="POST", json={"text": message})
    if not parse:
        return {"available": False}
    tracker = _rasa_get(settings, sender, f"/conversations/{sender}/tracker", method="GET") or {}
    slots = tracker.get("slots") or {}
    intent = (parse.get("intent") or {}).get("name") or ""
    entities = {e.get("entity"): e.get("value") for e in parse.get("entities") or []}
    need = entities.get("need") or (intent[5:] if intent.startswith("find_") and intent[5:] in NEED_CODES else None)
    return {"available": True, "intent": intent,
            "confidence": round((parse.get("intent") or {}).get("confidence") or 0, 2),
            "need": need or slots.get("need"),
            "place": next((entities[k] for k in PLACE_ENTITIES if entities.get(k)), None) or slots.get("location"),
            "language": entities.get("language") or slots.get("lang") or texts.guess_language(message),
            "entities": [{"entity": k, "value": v} for k, v in entities.items()]}


@bp.post("/reading")
def reading():
    data = request.get_json(silent=True) or {}
    e164 = phones.normalize(data.get("from"))
    if not e164:
        return _error("Type a phone number to text from.")
    sender = phones.pseudonym(e164)
    out = bot_reading(_settings(), str(data.get("body") or "")[:texts.MAX_TEXT], sender)
    out["sender"] = sender
    return jsonify(out)


@bp.get("/outbox")
def outbox():
    """The latest outbound texts; `mine` marks those addressed to the simulated phone."""
    e164 = phones.normalize(request.args.get("from"))
    mine_to = phones.address_of(phones.pseudonym(e164)) if e164 else None
    with db.Session() as s:
        rows = s.scalars(select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(60)).all()
    items = [{"id": m.id, "to": ("this phone" if m.to == mine_to or m.to == e164 else
                                 ("a person " + m.to[-6:]) if m.to.startswith(phones.PSEUDONYM_PREFIX) else m.to),
              "mine": m.to == mine_to or m.to == e164, "kind": m.kind, "status": m.status, "body": m.body,
              "created_at": m.created_at.isoformat(timespec="seconds") + "Z"} for m in reversed(rows)]
    return jsonify({"items": items, "sender": phones.pseudonym(e164) if e164 else None})


@bp.post("/follow-ups")
def follow_ups_now():
    """Make this phone's open referrals due now and run the follow-up job (quiet hours still apply)."""
    data = request.get_json(silent=True) or {}
    e164 = phones.normalize(data.get("from"))
    if not e164:
        return _error("Type a phone number to text from.")
    with db.Session.begin() as s:
        s.execute(update(Referral).where(Referral.client_ref == phones.pseudonym(e164),
                                         Referral.status.in_(inbound.OPEN_STATUSES),
                                         Referral.follow_up_at.is_not(None)).values(follow_up_at=utcnow()))
    return jsonify(follow_ups.send_due_follow_ups(_settings()))
