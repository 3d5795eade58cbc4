"""The form's questions (action_ask_need, action_ask_location), in the person's language."""
from __future__ import annotations

from typing import Text

from rasa_sdk import Action

from .messages import t


def _lang(tracker) -> str:
    return tracker.get_slot("lang") if tracker.get_slot("lang") in ("en", "es") else "en"


class ActionAskNeed(Action):
    def name(self) -> Text:
        return "action_ask_need"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=t("menu", _lang(tracker)))
        return []


class ActionAskLocation(Action):
    def name(self) -> Text:
        return "action_ask_location"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=t("ask_location", _lang(tracker)))
        return []
