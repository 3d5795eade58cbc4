"""The gateway's client of Rasa's REST channel: one conversation per pseudonym, on the same Rasa when
several run; the tracker is read first so an answer Rasa already gave is not asked for twice."""
from __future__ import annotations

import datetime as dt
import hashlib

import requests

from directory.settings import Settings


# --- Rasa -------------------------------------------------------------------------------------
class RasaUnavailable(Exception):
    """Rasa did not answer in time, or answered with an error."""


class RasaSilent(RasaUnavailable):
    """Rasa answered 200 with no text: an action crashed (Rasa drops its events) or nothing fit.
    Handled like a timeout: a person who texted must never get silence."""


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
    replies = _reply_texts(answers if isinstance(answers, list) else [])
    if not replies:
        raise RasaSilent("no answer")
    return replies


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
