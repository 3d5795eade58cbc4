"""action_crisis: 911 / 988 / naloxone and 'are you safe right now?', in the person's language."""
from __future__ import annotations

from typing import Text

from rasa_sdk import Action
from rasa_sdk.events import SlotSet

from . import crisis


class ActionCrisis(Action):
    def name(self) -> Text:
        return "action_crisis"

    async def run(self, dispatcher, tracker, domain):
        lang = tracker.get_slot("lang") if tracker.get_slot("lang") in ("en", "es") else "en"
        kind = crisis.detect(tracker.latest_message.get("text") or "") or crisis.DANGER
        dispatcher.utter_message(text=crisis.reply(kind, lang))
        return [SlotSet("crisis_kind", kind), SlotSet("awaiting", "crisis")]
