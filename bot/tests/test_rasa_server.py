"""bot/rasa_server.py (how `make bot-run-rasa` starts Rasa): each replacement gives exactly what
Rasa's own method gives, on the trained model and on action server answers."""
from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import jsonschema
import pytest
import rasa.core.run as rasa_run
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot import rasa_server

REPLACEMENTS = {(owner, name): new for owner, name, new in rasa_server.replacements()}
ORIGINAL_VALIDATE = RemoteAction._validate_action_result
ORIGINAL_RUN = DaskGraphRunner.run
ORIGINAL_RESOLVE = Event.resolve_by_type
ORIGINAL_SESSION = EndpointConfig.session

ANSWERS = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "location", "value": "92701"}],
     "responses": [{"text": "hi", "buttons": [], "custom": {}}]},
    {"events": [{"event": "reset_slots"}, {"event": "slot", "name": "lang", "value": "es"}]},
    {},
    {"events": {"event": "slot"}},                        # not a list
    {"events": [{"name": "location", "value": "x"}]},      # no event type
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot", "value": "x"}]},          # a slot without its name
    {"responses": "hello"},
    # each event against its own type's branch only (the quick check): good and broken ones
    {"events": [{"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}, "input_channel": None},
                {"event": "action", "name": "action_listen", "policy": None, "confidence": 1.0},
                {"event": "bot", "text": "hello", "data": {}, "metadata": {}},
                {"event": "active_loop", "name": "search_form"}, {"event": "followup", "name": "action_search"},
                {"event": "session_started", "timestamp": 1.5, "metadata": None}]},
    {"events": [{"event": "user", "text": 5}]},              # wrong type inside the user branch
    {"events": [{"event": "action", "name": "x", "confidence": "high"}]},
    {"events": [{"event": "entities", "entities": [{"start": "0"}]}]},
    {"events": [{"event": "slot", "name": "a", "value": 1}, {"event": "slot", "name": 2, "value": 1}]},
    {"events": [{"event": 5}]},                             # event not a string
    {"events": [1]},                                        # an event not an object
    {"events": [{"event": "slot", "name": "a", "value": 1, "timestamp": "now"}]},
    {"events": None},
    "not an object",
    [],
]
MESSAGES = ["hi", "any NA meeting tonight near 92701", "1", "yes", "hola", "necesito una casa sobria",
            "en miami", "no", "MENU", "RESET", "more", "I want to kill myself", "quiero morir", "asdf qwer",
            "sober house for women near 92701 that takes suboxone", "thanks", "bye", "2"]


def _verdict(check, answer):
    try:
        return check(RemoteAction("action_search", None), answer)
    except jsonschema.ValidationError as e:
        return ("invalid", e.message, list(e.path), e.validator)


@pytest.mark.parametrize("answer", ANSWERS)
def test_answer_check_same_verdict_and_error_as_rasa(answer):
    cached = REPLACEMENTS[(RemoteAction, "_validate_action_result")]
    assert cached is not ORIGINAL_VALIDATE
    assert _verdict(cached, answer) == _verdict(ORIGINAL_VALIDATE, answer)


def test_quick_check_is_used_and_agrees_with_the_full_schema():
    schema = RemoteAction.action_response_format_spec()
    cls = jsonschema.validators.validator_for(schema)
    quick = rasa_server._events_checked_by_type(schema, cls)
    assert quick is not None  # Rasa 3.6's events are told apart by type: the quick path runs
    full = cls(schema)
    verdicts = [quick(answer) for answer in ANSWERS]
    assert verdicts == [full.is_valid(answer) for answer in ANSWERS]
    assert True in verdicts and False in verdicts


def test_quick_check_refuses_branches_it_cannot_tell_apart():
    schema = RemoteAction.action_response_format_spec()
    cls = jsonschema.validators.validator_for(schema)
    items = schema["properties"]["events"]["items"]
    items["oneOf"] = items["oneOf"] + [{"properties": {"event": {"const": "slot"}}}]  # "slot" twice
    assert rasa_server._events_checked_by_type(schema, cls) is None


def test_bad_answers_are_rejected_with_rasas_hint():
    cached = REPLACEMENTS[(RemoteAction, "_validate_action_result")]
    verdict = _verdict(cached, {"responses": "x"})
    assert verdict[0] == "invalid" and "Failed to validate Action server response" in verdict[1]


def test_answer_schema_is_not_rechecked_per_answer(monkeypatch):
    cached = REPLACEMENTS[(RemoteAction, "_validate_action_result")]
    calls = []
    cls = jsonschema.validators.validator_for(RemoteAction.action_response_format_spec())
    monkeypatch.setattr(cls, "check_schema", classmethod(lambda c, s, *a, **k: calls.append(s)))
    for answer in ANSWERS[:3]:
        assert cached(RemoteAction("action_search", None), answer) is True
    assert calls == []


def test_event_classes_are_rasas_for_every_type_name():
    import rasa.shared.utils.common as common
    from rasa.shared.core.events import Event
    resolve = REPLACEMENTS[(Event, "resolve_by_type")]
    assert resolve is not ORIGINAL_RESOLVE
    names = sorted({cls.type_name for cls in common.all_subclasses(Event)})
    assert len(names) > 20
    for _ in range(2):  # indexed on the first pass, read from the index on the second
        for name in names + ["topic"]:
            assert resolve(name) is ORIGINAL_RESOLVE(name), name
        assert resolve("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        resolve("no_such_event")


def test_an_event_class_defined_later_is_found():
    from rasa.shared.core.events import Event
    resolve = REPLACEMENTS[(Event, "resolve_by_type")]
    assert resolve("user") is ORIGINAL_RESOLVE("user")  # the index is built

    class SignpostTestEvent(SlotSet):
        type_name = "signpost_test_event"

    assert resolve("signpost_test_event") is SignpostTestEvent is ORIGINAL_RESOLVE("signpost_test_event")


def _parses(agent):
    async def go():
        return [await agent.parse_message(text) for text in MESSAGES]
    return asyncio.run(go())


def _predictions(agent, parses):
    """The next action after each message, alone and inside the search form."""
    out = []
    for parse in parses:
        user = UserUttered(parse["text"], parse["intent"], parse["entities"], parse)
        for in_form in (False, True):
            events = [ActionExecuted("action_listen")]
            if in_form:
                events += [ActionExecuted("search_form"), ActiveLoop("search_form"), SlotSet("requested_slot", "location"),
                           ActionExecuted("action_listen")]
            tracker = DialogueStateTracker.from_events("t", events + [user], slots=agent.domain.slots)
            prediction = agent.processor._predict_next_with_tracker(tracker)
            out.append((prediction.max_confidence_index, prediction.policy_name, prediction.probabilities))
    return out


def test_graph_runs_give_rasas_parses_and_predictions(agent, monkeypatch):
    monkeypatch.setattr(DaskGraphRunner, "run", ORIGINAL_RUN)
    parses = _parses(agent)
    predictions = _predictions(agent, parses)
    monkeypatch.setattr(DaskGraphRunner, "run", REPLACEMENTS[(DaskGraphRunner, "run")])
    assert _parses(agent) == parses
    assert _predictions(agent, parses) == predictions
    assert {p["intent"]["name"] for p in parses} >= {"greet", "find_support_group", "choose", "affirm", "crisis"}


def test_skops_is_imported_before_rasa_at_start_up():
    """skops.io's import-time scan of every loaded module costs 4 s more of each start once Rasa's
    modules are loaded: the server imports it first (see bot/rasa_server.py's docstring)."""
    import subprocess
    import sys
    from pathlib import Path
    probe = ("import sys, bot.rasa_server, rasa.core.run; names = list(sys.modules); "
             "print(names.index('skops.io') < names.index('rasa'))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip().splitlines()[-1] == "True"


# --- the action server's connection, kept alive ------------------------------------------------
KEPT_SESSION = REPLACEMENTS[(EndpointConfig, "session")]


class _ActionServer:
    """A real HTTP server on 127.0.0.1 that answers like the action server and notes, for every
    request, the client's port (one per TCP connection), its headers, query and JSON body."""

    def __init__(self, port: int = 0, status: int = 200):
        self.port, self.status, self.seen = port, status, []

    async def start(self):
        async def answer(request):
            self.seen.append({"peer": request.transport.get_extra_info("peername")[1],
                              "headers": dict(request.headers), "query": dict(request.query),
                              "body": await request.text()})
            return web.json_response({"events": [], "responses": [{"text": "ok"}]}, status=self.status)
        app = web.Application()
        app.router.add_post("/webhook", answer)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self):
        await self.runner.cleanup()


def _endpoint(server, **kwargs):
    return EndpointConfig(url=f"http://127.0.0.1:{server.port}/webhook", **kwargs)


def test_action_calls_share_one_kept_connection_with_rasas_headers_and_body(monkeypatch):
    tracker = {"sender_id": "abc", "slots": {"location": "92701"}, "events": [{"event": "user", "text": "hola ñ"}]}

    async def calls(session_method):
        monkeypatch.setattr(EndpointConfig, "session", session_method)
        server = await _ActionServer().start()
        endpoint = _endpoint(server, headers={"X-Test": "1"}, token="secret", basic_auth={"username": "u", "password": "p"})
        answers = [await endpoint.request(json={"next_action": "action_search", "tracker": tracker},
                                          method="post", timeout=5) for _ in range(3)]
        await rasa_server.close_kept_sessions(endpoint)
        await server.stop()
        return answers, server.seen

    rasas_answers, rasas_requests = asyncio.run(calls(ORIGINAL_SESSION))
    answers, requests_seen = asyncio.run(calls(KEPT_SESSION))
    assert answers == rasas_answers == [{"events": [], "responses": [{"text": "ok"}]}] * 3
    assert len({r["peer"] for r in rasas_requests}) == 3  # Rasa's own: a connection a call
    assert len({r["peer"] for r in requests_seen}) == 1  # kept: one for all three
    for ours, rasas in zip(requests_seen, rasas_requests):
        assert json.loads(ours["body"]) == json.loads(rasas["body"]) == {"next_action": "action_search", "tracker": tracker}
        assert ours["query"] == rasas["query"] == {"token": "secret"}
        for header in ("X-Test", "Authorization", "Content-Type"):
            assert ours["headers"][header] == rasas["headers"][header], header


def test_an_error_answer_raises_as_in_rasa(monkeypatch):
    async def error(session_method):
        monkeypatch.setattr(EndpointConfig, "session", session_method)
        server = await _ActionServer(status=500).start()
        endpoint = _endpoint(server)
        try:
            with pytest.raises(ClientResponseError) as raised:
                await endpoint.request(json={"next_action": "x"}, method="post", timeout=5)
            return raised.value.status, raised.value.message, raised.value.text
        finally:
            await rasa_server.close_kept_sessions(endpoint)
            await server.stop()

    assert asyncio.run(error(KEPT_SESSION)) == asyncio.run(error(ORIGINAL_SESSION))
    assert asyncio.run(error(KEPT_SESSION))[0] == 500


def test_a_restarted_action_server_is_reached_on_a_new_connection(monkeypatch):
    """The action server killed and started again on its port (as the supervisor does): the kept
    connection to the old one is not reused, the next call is answered."""
    monkeypatch.setattr(EndpointConfig, "session", KEPT_SESSION)

    async def go():
        first = await _ActionServer().start()
        endpoint = _endpoint(first)
        await endpoint.request(json={"n": 1}, method="post", timeout=5)
        await first.stop()
        second = await _ActionServer(port=first.port).start()
        try:
            answer = await endpoint.request(json={"n": 2}, method="post", timeout=5)
        finally:
            await rasa_server.close_kept_sessions(endpoint)
            await second.stop()
        return answer, [json.loads(r["body"]) for r in second.seen]

    answer, bodies = asyncio.run(go())
    assert answer == {"events": [], "responses": [{"text": "ok"}]}
    assert bodies == [{"n": 2}]


def test_an_idle_connection_is_dropped_by_rasa_before_the_action_server_drops_it():
    from sanic.config import DEFAULT_CONFIG
    assert 0 < rasa_server.ACTION_KEEPALIVE_S < DEFAULT_CONFIG["KEEP_ALIVE_TIMEOUT"]


def test_json_is_the_json_modules_document_and_falls_back_where_orjson_refuses():
    tracker = {"text": "¿dónde? \u2028 \"x\"", "confidence": 0.1 + 0.2, "n": 2 ** 40, "none": None, "list": [True, 1.5e-300]}
    assert json.loads(rasa_server._json_dumps(tracker)) == json.loads(json.dumps(tracker))
    assert rasa_server._json_dumps({1: "a"}) == json.dumps({1: "a"})  # int keys: orjson refuses them
    assert rasa_server._json_dumps({"big": 2 ** 70}) == json.dumps({"big": 2 ** 70})
    assert json.loads(rasa_server._json_dumps({"x": float("nan")})) == {"x": None}  # the documented difference


def test_the_sessions_are_closed_when_the_server_stops(monkeypatch):
    monkeypatch.setattr(EndpointConfig, "session", KEPT_SESSION)
    closed_by_rasa = []

    async def rasas_close_resources(app, loop):
        closed_by_rasa.append(app)

    monkeypatch.setattr(rasa_run, "close_resources", rasas_close_resources)
    close_resources = rasa_server._closing_kept_sessions_at_stop()

    async def go():
        server = await _ActionServer().start()
        endpoint = _endpoint(server)
        await endpoint.request(json={}, method="post", timeout=5)
        async with endpoint.session() as session:
            pass
        app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(action_endpoint=endpoint, model_server=None)))
        await close_resources(app, None)
        await server.stop()
        return session.closed, app

    closed, app = asyncio.run(go())
    assert closed and closed_by_rasa == [app]
