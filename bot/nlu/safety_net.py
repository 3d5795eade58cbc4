"""NLU component: the last word on crisis messages and SMS keywords, whatever the model said.

A crisis must never depend on the classifier alone (GUIDE §5), and MENU, RESET, MORE and list
numbers are commands people expect to work every time. Runs after the intent classifier and the
FallbackClassifier; sets the intent with confidence 1.0 only when a rule fires.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.actions import crisis, parsing


# The model's guess may be replaced by a keyword need or by `inform` only from these intents:
# never a yes/no, a list number, MORE, or the model's own crisis call.
NEED_OVERRIDABLE = {"inform", "nlu_fallback", "out_of_scope", "help"} | {f"find_{n}" for n in parsing.NEEDS}
INFORM_OVERRIDABLE = NEED_OVERRIDABLE | {"affirm", "deny", "greet", "goodbye", "thanks"}
YES_NO_FIRST = re.compile(r"(?:no|not|nah|nope|yes|yeah|yep|si|sí|ok|okay)\b", re.IGNORECASE)


def rule_intent(text: str, model_intent: Optional[str] = None) -> Optional[str]:
    """The intent a keyword rule assigns to this message, or None to keep the model's."""
    if crisis.detect(text):
        return "crisis"
    command = parsing.parse_command(text)
    if command:
        return command
    stripped = (text or "").strip()
    if re.fullmatch(r"#?\s*\d{1,2}\.?", stripped):
        return "choose"
    if re.fullmatch(r"\d{5}(?:-\d{4})?", stripped):
        return "inform"
    need = parsing.need_from_keywords(text)
    # "on methadone" answering a preference question is a preference, not a request for treatment.
    if need == "treatment" and parsing.only_medication_words(text) and not (model_intent or "").startswith("find_"):
        need = None
    if need and (model_intent in NEED_OVERRIDABLE
                 or (model_intent == "choose" and parsing.parse_number(text) is None
                     and not re.search(r"\b(?:number|numero|#|first|second|third|1st|2nd|3rd|primer\w*|segund\w*)\b", text.lower()))):
        return f"find_{need}"
    # A short message that only gives a place, a preference or a time ("tonight", "en miami").
    if (not need and (not parsing.need_keywords(text) or parsing.only_medication_words(text))
            and model_intent in INFORM_OVERRIDABLE and len(stripped.split()) <= 5):
        gives_place_or_preference = (parsing.parse_location(text) or parsing.parse_attributes(text)
                                     or parsing.parse_language_pref(text))
        gives_time = parsing.parse_when(text) and len(stripped.split()) <= 3 and "for now" not in stripped.lower()
        # "not now" / "no por ahora" answering a yes/no question is a no, not a time to search for.
        if gives_time and not gives_place_or_preference and model_intent in ("affirm", "deny") \
                and YES_NO_FIRST.match(stripped):
            return None
        if gives_place_or_preference or gives_time:
            return "inform"
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyNet(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SafetyNet":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            model_intent = (message.get(INTENT) or {}).get("name")
            intent = rule_intent(message.get(TEXT) or "", model_intent)
            if not intent or intent == model_intent:
                continue
            ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != intent]
            message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}] + ranking,
                        add_to_output=True)
        return messages
