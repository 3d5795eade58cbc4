"""Re-record the action fixtures' expected events and texts from the live test API.

Usage: .venv-bot/bin/python bot/tests/record_fixtures.py  (starts the API like the tests do);
RECORD_ONLY=name1,name2 re-records those cases alone.
Review the diff before committing: the fixtures are the specification of the actions.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

SR = "sober_living"
CASES = {
    # name: (action, tracker spec)
    "extract_all_in_one_message": ("action_validate_slot_mappings", {
        "slots": {"need": SR},
        "latest_message": {"text": "need a sober house for women near 92701 that takes suboxone",
                           "intent": {"name": "find_sober_living", "confidence": 0.97}},
        "events": [{"event": "user", "text": "need a sober house for women near 92701 that takes suboxone",
                    "parse_data": {"intent": {"name": "find_sober_living"}}},
                   {"event": "slot", "name": "need", "value": SR}]}),
    "extract_spanish_and_tonight": ("action_validate_slot_mappings", {
        "latest_message": {"text": "hay reuniones de NA esta noche cerca de 33125",
                           "intent": {"name": "find_support_group", "confidence": 0.9}},
        "slots": {"need": "support_group"}}),
    "extract_location_change": ("action_validate_slot_mappings", {
        "slots": {"need": "housing", "location": "92701", "attributes": ["families_with_children"]},
        "latest_message": {"text": "actually near 33125", "intent": {"name": "inform", "confidence": 0.9}}}),
    "extract_bare_city_when_asked": ("action_validate_slot_mappings", {
        "slots": {"need": "treatment", "requested_slot": "location"},
        "latest_message": {"text": "santa ana", "intent": {"name": "inform", "confidence": 0.8}}}),
    "extract_menu_number_for_need": ("action_validate_slot_mappings", {
        "slots": {"requested_slot": "need", "location": "64111"},
        "latest_message": {"text": "5", "intent": {"name": "choose", "confidence": 1.0}}}),
    # a medication and a place with no need yet: a treatment request ("methadone near 64111")
    "extract_medication_and_place_first_is_treatment": ("action_validate_slot_mappings", {
        "latest_message": {"text": "methadone near 64111", "intent": {"name": "inform", "confidence": 1.0}}}),
    # the same words while a sober-living search is under way: a preference, the need stays
    "extract_medication_during_search_is_preference": ("action_validate_slot_mappings", {
        "slots": {"need": SR, "location": "92701"},
        "latest_message": {"text": "methadone near 64111", "intent": {"name": "inform", "confidence": 1.0}}}),
    "search_asks_preference_once": ("action_search", {
        "slots": {"need": SR, "location": "92701"},
        "latest_message": {"text": "sober living 92701", "intent": {"name": "find_sober_living"}}}),
    "search_with_preferences_shows_results": ("action_search", {
        "slots": {"need": SR, "location": "92701", "attributes": ["women", "mat_friendly"]},
        "latest_message": {"text": "need a sober house for women near 92701 that takes suboxone",
                           "intent": {"name": "find_sober_living"}}}),
    "search_spanish_meetings": ("action_search", {
        "slots": {"need": "support_group", "location": "33125", "lang": "es", "prefs_asked": ["support_group"]},
        "latest_message": {"text": "hay reuniones cerca de 33125", "intent": {"name": "find_support_group"}}}),
    "search_unknown_place": ("action_search", {
        "slots": {"need": "housing", "location": "Xqzville, MO"},
        "latest_message": {"text": "shelter in Xqzville, MO", "intent": {"name": "find_housing"}}}),
    # a misspelling too far off to correct without asking: the API's suggestions, YES takes the first
    "search_unknown_place_suggests": ("action_search", {
        "slots": {"need": "housing", "location": "Hunntingdon Baech, CA"},
        "latest_message": {"text": "shelter in Hunntingdon Baech, CA", "intent": {"name": "find_housing"}}}),
    # a bare city in a meeting request goes to the directory, which knows its area's cities
    "extract_bare_city_in_a_request": ("action_validate_slot_mappings", {
        "latest_message": {"text": "aa mtg overland park", "intent": {"name": "find_support_group", "confidence": 0.9}},
        "slots": {"need": "support_group"}}),
    "search_no_results_widens_then_offers_help": ("action_search", {
        "slots": {"need": "treatment", "location": "92701", "attributes": ["veterans"]},
        "latest_message": {"text": "detox for veterans near 92701", "intent": {"name": "find_treatment"}}}),
    "prefs_any_shows_all": ("action_yes_no", {
        "slots": {"need": SR, "location": "92701", "awaiting": "prefs", "prefs_asked": [SR],
                  "last_search": {"pending": ["gender", "mat"]}},
        "latest_message": {"text": "any", "intent": {"name": "deny"}}}),
    "more_after_first_page": ("action_more", {
        "slots": {"need": "support_group", "location": "92701", "awaiting": "results",
                  "shown": ["__FIRST__"], "last_search": {
                      "params": {"near": "92701", "category": "support_group", "radius_km": 25.0, "attributes": [],
                                 "language": None, "when": None, "has_vacancy": False},
                      "place": "Santa Ana, CA 92701", "total": 99}},
        "latest_message": {"text": "more", "intent": {"name": "more"}}}),
    "choose_number_shows_details": ("action_choose", {
        "slots": {"need": SR, "location": "92701", "awaiting": "results", "shown": ["__HARBOR__"],
                  "last_search": {"params": {}, "place": "Santa Ana, CA 92701", "total": 1}},
        "latest_message": {"text": "1", "intent": {"name": "choose"}}}),
    "menu_number_picks_need": ("action_choose", {
        "slots": {"location": "64111", "awaiting": "menu", "prefs_asked": ["treatment"]},
        "latest_message": {"text": "5", "intent": {"name": "choose"}}}),
    "yes_makes_referral": ("action_yes_no", {
        "slots": {"need": SR, "location": "92701", "awaiting": "referral", "selected": "__HARBOR__",
                  "last_search": {"selected_name": "Harbor House Women's Sober Living", "selected_phone": "(714) 555-0101"}},
        "latest_message": {"text": "yes", "intent": {"name": "affirm"}}}),
    "crisis_overdose_spanish": ("action_crisis", {
        "slots": {"lang": "es", "need": SR, "location": "92701"},
        "latest_message": {"text": "mi amigo no respira", "intent": {"name": "crisis"}}}),
    "crisis_answer_not_safe": ("action_yes_no", {
        "slots": {"awaiting": "crisis"},
        "latest_message": {"text": "no", "intent": {"name": "deny"}}}),
    "menu_sets_awaiting": ("action_menu", {"latest_message": {"text": "MENU", "intent": {"name": "menu"}}}),
    "reset_keeps_language": ("action_reset", {
        "slots": {"lang": "es", "need": "housing", "location": "33125"},
        "latest_message": {"text": "reset", "intent": {"name": "reset"}}}),
}


def main() -> None:
    import pytest  # noqa: F401  (conftest helpers)
    from bot.tests import conftest
    from bot.tests.action_harness import FIXTURES, run_action
    from bot.actions import search_actions
    from bot.actions.directory_api import DirectoryClient

    gen = conftest.directory_api.__wrapped__() if hasattr(conftest.directory_api, "__wrapped__") else None
    api = next(gen)
    search_actions._client = DirectoryClient(api["url"], api["token"])
    ids = {}
    body = search_actions._client.search(near="92701", category=SR, attributes=["women"], limit=1)
    ids["__HARBOR__"] = body["items"][0]["service_id"]
    body = search_actions._client.search(near="92701", category="support_group", limit=1)
    ids["__FIRST__"] = body["items"][0]["service_id"]
    FIXTURES.mkdir(parents=True, exist_ok=True)
    only = set(filter(None, os.environ.get("RECORD_ONLY", "").split(",")))  # re-record these cases alone
    for name, (action, spec) in CASES.items():
        if only and name not in only:
            continue
        spec = json.loads(_subst(json.dumps(spec), ids))
        events, texts = run_action(action, spec)
        (FIXTURES / f"{name}.json").write_text(json.dumps(
            {"action": action, "tracker": spec, "expected_events": events, "expected_texts": texts},
            indent=2, ensure_ascii=False) + "\n")
        print(f"{name}: {events}\n   {texts}")
    try:
        next(gen)
    except StopIteration:
        pass


def _subst(s: str, ids: dict) -> str:
    for k, v in ids.items():
        s = s.replace(k, v)
    return s


if __name__ == "__main__":
    main()
