"""Action tests: a Tracker from each JSON fixture, the action run with a CollectingDispatcher
against the real directory API (web/ on a fresh demo database), exact events asserted.

Texts are compared exactly except for what depends on the clock (opening hours, next meeting,
'updated 2d ago', referral codes), which is masked on both sides.
"""
from __future__ import annotations

import re

import pytest

from bot.tests.action_harness import load_fixtures, run_action

FIXTURES = load_fixtures()


def _mask(text: str) -> str:
    lines = []
    for line in (text or "").split("\n"):
        if re.match(r"\d+\. ", line):
            line = re.sub(r"( mi),.*$", r"\1, <fact>", line)
        line = re.sub(r"^(Today|Hoy|Next meeting|Proxima reunion|Opens|Abre)\b.*$", r"\1 <time>", line)
        line = re.sub(r"\((?:updated|actualizado)[^)]*\)", "(<updated>)", line)
        line = re.sub(r"\(ref [^)]*\)", "(ref <code>)", line)
        lines.append(line)
    return "\n".join(lines)


def _strip_timestamps(events):
    return [{k: v for k, v in e.items() if k != "timestamp"} for e in events]


@pytest.mark.parametrize("name,fixture", FIXTURES, ids=[n for n, _ in FIXTURES])
def test_action_fixture(name, fixture, api_client):
    events, texts = run_action(fixture["action"], fixture["tracker"])
    assert _strip_timestamps(events) == _strip_timestamps(fixture["expected_events"])
    assert [_mask(t) for t in texts] == [_mask(t) for t in fixture["expected_texts"]]
    for text in texts:
        assert len(text) <= 320, f"SMS too long ({len(text)}): {text}"


def test_directory_unreachable_is_answered_kindly(monkeypatch):
    from bot.actions import search_actions
    from bot.actions.directory_api import DirectoryClient
    monkeypatch.setattr(search_actions, "_client", DirectoryClient("http://127.0.0.1:9", "x", timeout=(0.5, 0.5)))
    events, texts = run_action("action_search", {
        "slots": {"need": "housing", "location": "92701", "lang": "es"},
        "latest_message": {"text": "albergue 92701", "intent": {"name": "find_housing"}}})
    assert events == []
    assert texts and "211" in texts[0] and "directorio" in texts[0]


def test_referral_reaches_the_outbox_without_a_phone_number(directory_api, api_client):
    """The referral API records it; the bot only ever sent the pseudonym."""
    harbor = api_client.search(near="92701", category="sober_living", attributes=["women"], limit=1)["items"][0]
    ref = api_client.create_referral(harbor["service_id"], "pseudo-test-0002", True, "es")
    assert ref["code"] and ref["status"]


def test_actions_import_nothing_heavy():
    """rasa_sdk imports every module of the package: none may pull in rasa or tensorflow."""
    import subprocess
    import sys
    code = ("import sys, bot.actions.search_actions, bot.actions.slot_extraction, bot.actions.crisis_actions, "
            "bot.actions.asks; heavy=[m for m in ('rasa','tensorflow','sklearn') if m in sys.modules]; "
            "assert not heavy, heavy")
    from pathlib import Path
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


# --- The flow on answers shaped like the real feeds' (a stub directory, no server) ----------------
class StubDirectory:
    """Answers every search with `body` and records the parameters."""

    def __init__(self, body=None, error=None):
        self.body, self.error, self.calls = body, error, []

    def search(self, **params):
        self.calls.append(params)
        if self.error:
            raise self.error
        return self.body


def _meeting(n, **extra):
    return {"service_id": f"mg-oc:m{n}", "name": f"Meeting {n}", "distance_km": 1.0 + n, "category": "support_group",
            "next_meeting": {"start": "2026-11-27T11:00:00-08:00", "label": "Tomorrow 11:00 am"}, **extra}


def test_a_fellowship_is_searched_as_the_apis_fellowship_not_an_attribute():
    from bot.actions import flow
    stub = StubDirectory({"items": [_meeting(1)], "_meta": {"total": 1, "has_more": False}})
    flow.search(flow.State(need="support_group", location="Santa Ana", attributes=["aa", "women"]), stub)
    assert stub.calls[0]["fellowship"] == ["AA"] and stub.calls[0]["attributes"] == ["women"]
    stub = StubDirectory({"items": [_meeting(1)], "_meta": {}})
    flow.search(flow.State(need="sober_living", location="92701", attributes=["women"]), stub, skip_prefs=True)
    assert "fellowship" not in stub.calls[0]


def test_nothing_tonight_is_said_with_the_next_ones():
    from bot.actions import flow
    body = {"items": [_meeting(1), _meeting(2)],
            "_meta": {"total": None, "has_more": True, "when_unmatched": True,
                      "origin": {"label": "Santa Ana, CA"}}}
    reply = flow.search(flow.State(need="support_group", location="santa ana", when="tonight"), StubDirectory(body))
    assert reply.texts[0].startswith("Nothing starts tonight near Santa Ana, CA; the next ones:\n1. Meeting 1")
    assert reply.texts[0].endswith("MORE for more.")  # total null, has_more true: no crash, a next page
    spanish = flow.search(flow.State(need="support_group", location="santa ana", when="tonight", lang="es"),
                          StubDirectory(body))
    assert spanish.texts[0].startswith("No empieza ninguna esta noche cerca de Santa Ana, CA; las proximas:")


def test_no_meetings_of_that_fellowship_says_so_and_lists_the_nearest():
    from bot.actions import flow
    body = {"items": [_meeting(1)], "_meta": {"total": 1, "has_more": False, "fellowship_unmatched": True,
                                              "origin": {"label": "Irvine, CA"}}}
    reply = flow.search(flow.State(need="support_group", location="irvine", attributes=["na"]), StubDirectory(body))
    assert reply.texts[0].startswith("No meetings listed as NA near Irvine, CA. Nearest meetings (fellowship not "
                                     "listed):\n1. Meeting 1")
    assert reply.slots["shown"] == ["mg-oc:m1"]


def test_a_weekly_group_shows_its_days_in_the_sms():
    from bot.actions import flow
    group = _meeting(1, meets="Mon-Sat 11:00 am", occurrences=[{"service_id": f"x{d}"} for d in range(6)])
    body = {"items": [group, _meeting(2)], "_meta": {"total": 2}}
    reply = flow.search(flow.State(need="support_group", location="92701"), StubDirectory(body), skip_prefs=True)
    assert "1. Meeting 1 - 1.2 mi, Mon-Sat 11:00 am, next tomorrow\n2. Meeting 2 - 1.9 mi, next tomorrow 11:00 am" \
        in reply.texts[0]
    es = flow.search(flow.State(need="support_group", location="92701", lang="es"), StubDirectory(body), skip_prefs=True)
    assert "lun-sab 11:00 am, prox. manana" in es.texts[0]


def test_an_unknown_place_with_suggestions_asks_and_yes_takes_the_first():
    from bot.actions import flow
    from bot.actions.directory_api import DirectoryError
    stub = StubDirectory(error=DirectoryError("unknown_place", "I couldn't find 'santa anaa beach'.", 422,
                                              ["Santa Ana, CA", "Seal Beach, CA"]))
    reply = flow.search(flow.State(need="support_group", location="santa anaa beach"), stub)
    assert reply.texts == ["I couldn't find 'santa anaa beach'. Did you mean Santa Ana, CA or Seal Beach, CA? "
                           "Reply YES, or send the city or a ZIP code."]
    assert reply.slots["awaiting"] == "location" and reply.slots["last_search"] == {"suggested": ["Santa Ana, CA", "Seal Beach, CA"]}
    found = StubDirectory({"items": [_meeting(1)], "_meta": {"total": 1, "origin": {"label": "Santa Ana, CA"}}})
    state = flow.State(need="support_group", awaiting="location", last_search=reply.slots["last_search"],
                       prefs_asked=["support_group"])
    yes = flow.yes_no(state, found, True, "pseudo")
    assert found.calls[0]["near"] == "Santa Ana, CA" and yes.slots["location"] == "Santa Ana, CA"
    assert yes.texts[0].startswith("Meetings near Santa Ana, CA:")
    no = flow.yes_no(state, found, False, "pseudo")
    assert no.texts[0].startswith("Where are you?")
