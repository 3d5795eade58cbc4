"""Rasa's REST channel as the SMS gateway and the worker use it: which server a conversation goes
to (several servers share the tracker and lock stores: any can answer, each conversation prefers
its own by pseudonym), moving on to the next server when one is down, and reading a conversation's
tracker to learn whether a message was already answered (so nothing is answered twice).
"""
from __future__ import annotations

import datetime as dt
import hashlib

import requests
from urllib3.exceptions import NewConnectionError

from directory.settings import Settings


# --- Rasa -------------------------------------------------------------------------------------
class RasaUnavailable(Exception):
    """Rasa did not answer in time, or answered with an error."""


class RasaSilent(RasaUnavailable):
    """Rasa answered 200 with no text: an action crashed (Rasa drops its events) or nothing fit.
    Handled like a timeout: a person who texted must never get silence."""


_http = requests.Session()


def rasa_urls(settings: Settings) -> list[str]:
    return [u.strip().rstrip("/") for u in settings.RASA_URL.split(",") if u.strip()]


def rasa_order(settings: Settings, sender: str) -> list[str]:
    """The Rasa servers in the order this conversation tries them: its own first (by pseudonym,
    which spreads conversations evenly), then the next ones round the ring. They share the tracker
    and lock stores, so any of them continues the conversation where another left it."""
    urls = rasa_urls(settings)
    first = int(hashlib.sha256(sender.encode()).hexdigest()[:8], 16) % len(urls) if len(urls) > 1 else 0
    return urls[first:] + urls[:first]


def rasa_url(settings: Settings, sender: str) -> str:
    """The Rasa server this conversation goes to while it answers."""
    return rasa_order(settings, sender)[0]


def _rasa_params(settings: Settings) -> dict:
    return {"token": settings.RASA_TOKEN} if settings.RASA_TOKEN else {}


def _never_reached(exc: requests.RequestException) -> bool:
    """The server refused the connection or did not accept it in time: it never saw the message."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectionError) and isinstance(reason, NewConnectionError)


def ask_rasa(settings: Settings, sender: str, message: str, timeout: float) -> list[str]:
    """The bot's replies to one message, through Rasa's REST channel.

    A server that is down (connection refused, or not accepted within RASA_CONNECT_TIMEOUT) passes
    the message to the next one. A server that dies while answering may have recorded the turn:
    the next one answers from the shared tracker if so, else handles the message. A server that is
    up but slow keeps the message (RasaUnavailable): sending it elsewhere could answer it twice,
    and the conversation's lock would make the other server wait for it anyway.
    """
    since = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    maybe_handled, failure = False, "no Rasa server"
    for url in rasa_order(settings, sender):
        if maybe_handled:
            replies = _answered_at(url, settings, sender, message, since)
            if replies:  # a recorded turn without a word is no answer: this server handles the message
                return replies
        try:
            r = _http.post(url + "/webhooks/rest/webhook", params=_rasa_params(settings),
                           json={"sender": sender, "message": message, "metadata": {"channel": "sms"}},
                           timeout=(settings.RASA_CONNECT_TIMEOUT, timeout))
        except requests.RequestException as exc:
            failure = type(exc).__name__
            if _never_reached(exc):
                continue
            if isinstance(exc, requests.ConnectionError):  # the server went away mid-answer
                maybe_handled = True
                continue
            raise RasaUnavailable(failure) from None
        if r.status_code != 200:
            raise RasaUnavailable(f"HTTP {r.status_code}")
        try:
            answers = r.json()
        except ValueError:
            raise RasaUnavailable("not JSON") from None
        replies = _reply_texts(answers if isinstance(answers, list) else [])
        if not replies:  # an action that crashed leaves Rasa with nothing to say: never silence
            raise RasaSilent("no answer")
        return replies
    raise RasaUnavailable(failure)


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
    Any server will do (they share the tracker store): the first that answers.
    """
    for url in rasa_order(settings, sender):
        try:
            return _answered_at(url, settings, sender, message, since, raise_unreachable=True)
        except requests.RequestException:
            continue
    return None


def _answered_at(url: str, settings: Settings, sender: str, message: str, since: dt.datetime,
                 raise_unreachable: bool = False) -> list[str] | None:
    try:
        r = _http.get(url + f"/conversations/{sender}/tracker", params=_rasa_params(settings),
                      timeout=(settings.RASA_CONNECT_TIMEOUT, settings.RASA_RETRY_TIMEOUT))
        events = r.json().get("events") or [] if r.status_code == 200 else None
    except requests.RequestException:
        if raise_unreachable:
            raise
        return None
    except ValueError:
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
