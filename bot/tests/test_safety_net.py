"""The NLU safety net's rules (bot/nlu/safety_net.py): what overrides the model, and what never does."""
from __future__ import annotations

import pytest

from bot.nlu.safety_net import rule_intent


@pytest.mark.parametrize("text,model,expected", [
    ("my friend is not breathing", "find_housing", "crisis"),        # crisis beats everything
    ("me quiero morir", "greet", "crisis"),
    ("MENU", "find_support_group", "menu"),
    ("más", "deny", "more"),
    ("2", "inform", "choose"),
    ("92701", "choose", "inform"),
    ("halfway houses near 92703", "inform", "find_sober_living"),   # keyword need over a weak guess
    ("ride to detox", "find_treatment", "find_transportation"),
    ("on methadone", "inform", "inform"),                            # a preference, not a new need
    ("tonight", "goodbye", "inform"),
    ("not now", "deny", None),                                       # a no to "want me to text you?"
    ("no por ahora", "deny", None),
    ("not now", "inform", "inform"),                                 # the model's own reading stands
    ("no, near 33125", "deny", "inform"),                            # a place, even after "no"
    ("yes", "affirm", None),
    ("no", "deny", None),
    ("thanks for the meeting info", "thanks", None),                 # never overrides thanks
    ("i have no place to live", "crisis", None),                     # never undoes the model's crisis
])
def test_rule_intent(text, model, expected):
    assert rule_intent(text, model) == expected
