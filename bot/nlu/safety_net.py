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


def rule_intent(text: str) -> Optional[str]:
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
            intent = rule_intent(message.get(TEXT) or "")
            if not intent:
                continue
            ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") != intent]
            message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}] + ranking,
                        add_to_output=True)
        return messages
