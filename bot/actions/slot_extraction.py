"""action_validate_slot_mappings: after every message, read place, preferences and language from
the text with the pure parsers (rasa runs it at the end of action_extract_slots)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from . import crisis, parsing

FIND_INTENTS = {f"find_{n}" for n in parsing.NEEDS}
# Intents whose text is a command, not a place or a preference.
COMMAND_INTENTS = {"crisis", "menu", "reset", "more", "choose", "greet", "goodbye", "thanks", "help"}
EXTRACTED = ["lang", "need", "location", "attributes", "when", "language_pref", "vacancy", "harm_reduction"]


def _intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def _text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


class ExtractSlots(ValidationAction):
    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        return EXTRACTED

    def extract_lang(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        current = tracker.get_slot("lang") or "en"
        lang = parsing.detect_language(_text(tracker), current)
        return {"lang": lang} if lang and lang != current else {}

    def extract_need(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        # "2" answering the form's need question (a menu); find_* intents fill need by mapping.
        if tracker.get_slot("requested_slot") == "need" and _intent(tracker) not in FIND_INTENTS:
            number = parsing.parse_number(_text(tracker))
            if number is not None and str(number) in parsing.MENU:
                return {"need": parsing.MENU[str(number)]}
        # The NLU reads a medication name as a preference ("takes methadone"; "methadone near 64111"
        # is `inform`): right while a search is under way, but with no need yet (the start of a
        # conversation, or after RESET) a medication and a place ask for treatment.
        text = _text(tracker)
        if (not tracker.get_slot("need") and _intent(tracker) == "inform" and parsing.only_medication_words(text)
                and parsing.parse_location(text)):
            return {"need": "treatment"}
        return {}

    def extract_location(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        intent, text = _intent(tracker), _text(tracker)
        if intent in ("crisis", "choose", "more", "menu", "reset"):
            return {}
        place = parsing.parse_location(text)
        asked = tracker.get_slot("requested_slot") == "location" or tracker.get_slot("awaiting") == "location"
        if not place and asked and intent not in COMMAND_INTENTS | {"affirm", "deny"}:
            place = parsing.bare_place(text)
        if place and place != tracker.get_slot("location"):
            return {"location": place}
        return {}

    def _pref(self, tracker: Tracker, slot: str, value: Any, empty: Any) -> Dict[Text, Any]:
        """find_* is a new request: its preferences replace the old; inform adds to them."""
        intent = _intent(tracker)
        if intent in FIND_INTENTS:
            return {slot: value if value else empty}
        if intent == "inform" and value:
            return {slot: value}
        return {}

    def extract_attributes(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        found = parsing.parse_attributes(_text(tracker), tracker.get_slot("need"))
        if _intent(tracker) == "inform" and found:
            found = list(dict.fromkeys(list(tracker.get_slot("attributes") or []) + found))
            if "women" in found and "men" in found:  # the latest word wins
                found.remove("men" if "women" in parsing.parse_attributes(_text(tracker)) else "women")
        return self._pref(tracker, "attributes", found, [])

    def extract_when(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return self._pref(tracker, "when", parsing.parse_when(_text(tracker)), None)

    def extract_language_pref(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return self._pref(tracker, "language_pref", parsing.parse_language_pref(_text(tracker)), None)

    def extract_vacancy(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return self._pref(tracker, "vacancy", parsing.parse_vacancy(_text(tracker)), False)

    def extract_harm_reduction(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        """Naloxone, test strips, syringe services, learning to respond: places plus what to do in an overdose."""
        asked = _intent(tracker) == "find_treatment" and crisis.harm_reduction_request(_text(tracker))
        if asked and not tracker.get_slot("harm_reduction"):
            return {"harm_reduction": True}
        if not asked and tracker.get_slot("harm_reduction") and _intent(tracker) in FIND_INTENTS:
            return {"harm_reduction": False}  # another request
        return {}

    # Values come from the parsers above; accepting them as they are keeps rasa_sdk quiet.
    def _keep(name: str):  # noqa: N805 - helper building methods at class creation
        def validate(self, value, dispatcher, tracker, domain):
            return {name: value}
        return validate

    for _name in EXTRACTED:
        locals()[f"validate_{_name}"] = _keep(_name)
    del _name, _keep
