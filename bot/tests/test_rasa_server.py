"""bot/rasa_server.py (how `make bot-run-rasa` starts Rasa): each replacement gives exactly what
Rasa's own method gives, on the trained model and on action server answers."""
from __future__ import annotations

import asyncio

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_server

REPLACEMENTS = {(owner, name): new for owner, name, new in rasa_server.replacements()}
ORIGINAL_VALIDATE = RemoteAction._validate_action_result
ORIGINAL_RUN = DaskGraphRunner.run
ORIGINAL_RESOLVE = Event.resolve_by_type

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
