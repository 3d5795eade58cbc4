"""Several Rasa servers sharing their stores: the gateway spreads conversations over them by
pseudonym, moves a conversation on when its server is down, never sends a message twice to a
slow one, and /healthz reports each server."""
from __future__ import annotations

import datetime as dt
import socket

import pytest

from directory.settings import Settings
from directory.texting import rasa_client
from tests.texting.conftest import FakeRasa, Texter, make_sms_app, replies


def dead_url() -> str:
    """A port nobody listens on: connection refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def two_rasas():
    servers = [FakeRasa(), FakeRasa()]
    yield servers
    for server in servers:
        server.close()


def test_conversations_spread_over_the_servers_and_stay_in_order(two_rasas):
    settings = Settings(RASA_URL=",".join(s.url for s in two_rasas))
    senders = [f"pseudo{n}" for n in range(40)]
    firsts = [rasa_client.rasa_url(settings, s) for s in senders]
    assert 10 <= firsts.count(two_rasas[0].url) <= 30
    for sender in senders[:6]:
        for n in range(3):
            assert rasa_client.ask_rasa(settings, sender, f"m{n}", 2) == [f"bot heard: m{n}"]
    for server in two_rasas:  # each conversation on one server, its messages in order
        by_sender = {}
        for call in server.calls:
            by_sender.setdefault(call["sender"], []).append(call["message"])
        assert all(messages == ["m0", "m1", "m2"] for messages in by_sender.values())


def test_a_server_that_is_down_passes_its_conversations_to_the_next(two_rasas):
    alive = two_rasas[0]
    down = dead_url()
    settings = Settings(RASA_URL=f"{down},{alive.url}", RASA_CONNECT_TIMEOUT=0.5)
    senders = [f"pseudo{n}" for n in range(20)]
    assert any(rasa_client.rasa_url(settings, s) == down for s in senders)
    for sender in senders:
        assert rasa_client.ask_rasa(settings, sender, "hi", 2) == ["bot heard: hi"]
    assert len(alive.calls) == 20


def test_every_server_down_is_rasa_unavailable():
    settings = Settings(RASA_URL=f"{dead_url()},{dead_url()}", RASA_CONNECT_TIMEOUT=0.5)
    with pytest.raises(rasa_client.RasaUnavailable):
        rasa_client.ask_rasa(settings, "pseudo1", "hi", 2)


def test_a_slow_server_keeps_its_message(two_rasas):
    """Up but slow: the message is not sent to the other server too (it would be answered twice)."""
    slow, other = two_rasas
    slow.delay = 1.0
    settings = Settings(RASA_URL=f"{slow.url},{other.url}")
    sender = next(s for s in (f"pseudo{n}" for n in range(50)) if rasa_client.rasa_url(settings, s) == slow.url)
    with pytest.raises(rasa_client.RasaUnavailable):
        rasa_client.ask_rasa(settings, sender, "hi", 0.3)
    assert other.calls == []


def test_a_server_that_died_mid_answer_is_not_asked_twice(two_rasas, monkeypatch):
    """The connection dropped after the message went out: the next server reads the shared tracker
    first and, finding the turn finished, answers from it instead of handling the message again."""
    import requests
    dying, other = two_rasas
    settings = Settings(RASA_URL=f"{dying.url},{other.url}")
    sender = next(s for s in (f"pseudo{n}" for n in range(50)) if rasa_client.rasa_url(settings, s) == dying.url)
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    other.tracker_events[sender] = [{"event": "user", "text": "hi", "timestamp": now},
                                    {"event": "bot", "text": "hello from the tracker", "timestamp": now},
                                    {"event": "action", "name": "action_listen", "timestamp": now}]
    real_post = rasa_client._http.post

    def post(url, **kwargs):
        if url.startswith(dying.url):
            raise requests.ConnectionError("Connection aborted: RemoteDisconnected")
        return real_post(url, **kwargs)
    monkeypatch.setattr(rasa_client._http, "post", post)
    assert rasa_client.ask_rasa(settings, sender, "hi", 2) == ["hello from the tracker"]
    assert other.calls == []
    assert rasa_client.ask_rasa(settings, sender, "something new", 2) == ["bot heard: something new"]


def test_the_gateway_answers_through_the_live_server_and_healthz_names_each(sms_app, rasa, immediate_queue):
    down = dead_url()
    app = make_sms_app(str(sms_app.config["DATABASE_URL"]), f"{down},{rasa.url}", RASA_CONNECT_TIMEOUT=0.5)
    texter = Texter(app.test_client(), app.extensions["sms_settings"].account_sid)
    for n in range(8):
        assert replies(texter.text("hi", from_=f"+1971555{n:04d}")) == ["bot heard: hi"]
    health = app.test_client().get("/healthz").get_json()["checks"]["rasa"]
    assert health["status"] == "degraded" and health["up"] == 1
    assert [s["status"] for s in health["servers"]] == ["down", "ok"] and health["servers"][1]["url"] == rasa.url


def test_a_turn_recorded_without_a_word_is_handled_again_not_answered_with_silence(two_rasas, monkeypatch):
    """The dying server recorded the turn but said nothing (its action crashed): the next server
    handles the message rather than returning an empty answer."""
    import requests
    dying, other = two_rasas
    settings = Settings(RASA_URL=f"{dying.url},{other.url}")
    sender = next(s for s in (f"pseudo{n}" for n in range(50)) if rasa_client.rasa_url(settings, s) == dying.url)
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    other.tracker_events[sender] = [{"event": "user", "text": "hi", "timestamp": now},
                                    {"event": "action", "name": "action_listen", "timestamp": now}]
    real_post = rasa_client._http.post

    def post(url, **kwargs):
        if url.startswith(dying.url):
            raise requests.ConnectionError("Connection aborted: RemoteDisconnected")
        return real_post(url, **kwargs)
    monkeypatch.setattr(rasa_client._http, "post", post)
    assert rasa_client.ask_rasa(settings, sender, "hi", 2) == ["bot heard: hi"]
