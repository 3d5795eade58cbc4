"""Naloxone, test strips, syringe services, learning to respond (issue 18): the NLU's last word is
find_treatment, the slot says harm reduction, and the answer is the nearest places at once plus one
line on what to do in an overdose, in the person's language. Emergencies stay crises."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import flow, messages
from bot.actions.slot_extraction import ExtractSlots
from bot.nlu.safety_net import rule_intent
from bot.tests.test_search_answers import HOUSE, MEETING, META, StandIn, _items

HARM = yaml.safe_load((Path(__file__).parent / "realdata_harm_reduction.yml").read_text())["items"]
PLACE = [i["text"] for i in HARM if i["expected"] == "place"]
CRISIS = [i["text"] for i in HARM if i["expected"] == "crisis"]
TREATMENT = {**MEETING, "category": "treatment", "name": "Bridge Clinic", "next_meeting": None,
             "attributes": ["mat_friendly", "free"], "languages": ["en", "es"]}


# --- the NLU's last word ---------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["crisis", "inform", "nlu_fallback", "out_of_scope", "find_treatment", "greet"])
@pytest.mark.parametrize("text", PLACE)
def test_held_out_requests_are_find_treatment_whatever_the_model_said(text, model):
    assert (rule_intent(text, model) or model) == "find_treatment"


@pytest.mark.parametrize("model", ["find_treatment", "inform", "affirm", "choose", "crisis"])
@pytest.mark.parametrize("text", CRISIS)
def test_held_out_emergencies_stay_crisis_whatever_the_model_said(text, model):
    assert rule_intent(text, model) in ("crisis", None if model == "crisis" else "crisis")


@pytest.mark.parametrize("text,model", [("sober house that allows narcan on site", "find_sober_living"),
                                        ("can i carry narcan in my sober living house", "find_sober_living"),
                                        ("naloxone training at the meeting tonight", "find_support_group"),
                                        ("2", "choose"), ("no", "deny")])
def test_another_need_or_a_command_stands(text, model):
    assert rule_intent(text, model) in (None, model)


@pytest.mark.parametrize("text", ["where can i get narcan, i dont care if i die", "narcan near 92701 im scared",
                                  "donde consigo narcan, me quiero morir"])
def test_the_models_crisis_call_stands_when_the_request_speaks_of_dying(text):
    assert rule_intent(text, "crisis") in (None, "crisis")


# --- the slot -------------------------------------------------------------------------------------
def _extract(text: str, intent: str, slots: dict | None = None) -> dict:
    tracker = Tracker("s1", slots or {}, {"text": text, "intent": {"name": intent}}, [], False, None, None, None)
    return ExtractSlots().extract_harm_reduction(CollectingDispatcher(), tracker, {})


def test_the_slot_is_set_by_a_harm_reduction_request_and_cleared_by_another_request():
    assert _extract("where can i get narcan near 92701", "find_treatment") == {"harm_reduction": True}
    assert _extract("where can i get narcan near 92701", "find_treatment", {"harm_reduction": True}) == {}
    assert _extract("detox near 92701", "find_treatment", {"harm_reduction": True}) == {"harm_reduction": False}
    assert _extract("aa meeting near 92701", "find_support_group", {"harm_reduction": True}) == {"harm_reduction": False}
    assert _extract("92701", "inform", {"harm_reduction": True}) == {}  # answering "where are you?"
    assert _extract("detox near 92701", "find_treatment") == {}


# --- the answer -----------------------------------------------------------------------------------
def _state(lang="en", **kw) -> flow.State:
    return flow.State(need="treatment", location="92701", lang=lang, harm_reduction=True, **kw)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_places_at_once_then_the_overdose_line_in_the_persons_language(lang):
    # Preferences would change the top 3 (some MAT-friendly, some free): still no question first.
    items = _items(6, TREATMENT)
    items[0]["attributes"] = []
    reply = flow.search(_state(lang), StandIn({"items": items, "_meta": {**META, "total": 6}}))
    results, line = reply.texts
    assert "1. Bridge Clinic 0" in results and reply.slots["awaiting"] == "results"
    assert line == messages.t("overdose_line", lang)
    assert "911" in line and ("naloxone" in line or "naloxona" in line) and ("rescue" in line or "rescate" in line)
    assert len(line) <= 160


@pytest.mark.parametrize("lang", ["en", "es"])
def test_no_places_still_gets_211_and_the_overdose_line(lang):
    reply = flow.search(_state(lang), StandIn({"items": [], "_meta": META}))
    no_results, line = reply.texts
    assert "211" in no_results and line == messages.t("overdose_line_nothing", lang)
    assert "911" in line and len(line) <= 160


def test_no_place_yet_asks_where_and_gives_the_overdose_line():
    reply = flow.search(flow.State(need="treatment", harm_reduction=True), StandIn({}))
    assert reply.texts == [messages.t("ask_location", "en"), messages.t("overdose_line_nothing", "en")]


def test_free_naloxone_is_no_filter_on_treatment():
    client = StandIn({"items": _items(3, TREATMENT), "_meta": META})
    flow.search(_state(attributes=["free", "women"]), client)
    assert client.calls[0]["attributes"] == ["women"]


def test_an_ordinary_treatment_search_has_no_overdose_line_and_may_ask_a_preference():
    items = _items(6, TREATMENT)
    items[0]["attributes"] = []
    reply = flow.search(flow.State(need="treatment", location="92701"), StandIn({"items": items, "_meta": META}))
    assert len(reply.texts) == 1 and messages.t("overdose_line", "en") not in reply.texts


def test_another_need_is_never_given_the_overdose_line():
    reply = flow.search(flow.State(need="sober_living", location="92701", harm_reduction=True, prefs_asked=["sober_living"]),
                        StandIn({"items": _items(3, HOUSE), "_meta": META}))
    assert len(reply.texts) == 1


def test_a_menu_number_starts_a_new_request_without_harm_reduction():
    s = flow.State(need="treatment", location="92701", harm_reduction=True, awaiting="menu")
    reply = flow.choose(s, StandIn({"items": _items(3, MEETING), "_meta": META}), 1)
    assert reply.slots["harm_reduction"] is False and len(reply.texts) == 1


def test_extraction_runs_in_the_action_loop():
    """The slot is one of the extracted ones (rasa calls extract_harm_reduction after every message)."""
    slots = asyncio.run(ExtractSlots().required_slots([], CollectingDispatcher(), Tracker(
        "s1", {}, {}, [], False, None, None, None), {}))
    assert "harm_reduction" in slots
