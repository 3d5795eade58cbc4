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
    ("not now", "inform", "deny"),                                   # a no with a time word is still a no
    ("no, near 33125", "deny", "inform"),                            # a place, even after "no"
    ("yes", "affirm", None),
    ("no", "deny", None),
    ("thanks for the meeting info", "thanks", None),                 # never overrides thanks
    ("i have no place to live", "crisis", None),                     # never undoes the model's crisis
])
def test_rule_intent(text, model, expected):
    assert rule_intent(text, model) == expected


# The rule layer's own mistakes (bench/RESULTS.md, NLU): a time or cost word is not always a place,
# a preference or a time to search for, and a misspelt keyword must not undo the model's need.
@pytest.mark.parametrize("text,model,expected", [
    ("not now", "greet", "deny"),                          # was inform: "now" read as a time
    ("no por ahora", "help", "deny"),
    ("ahorita no", "inform", "deny"),
    ("not right now thanks", "thanks", "deny"),
    ("not tonight", "nlu_fallback", "deny"),
    ("i'm safe now", "affirm", None),                      # was inform
    ("i'm ok now", "affirm", None),
    ("im ok now", "thanks", None),
    ("is this free", "help", None),                        # a question about the service, not a preference
    ("es gratis esto", "help", None),
    ("is it free?", "out_of_scope", None),
    ("cuanto cuesta esto", "help", None),
    ("sober hosue near 92701", "find_sober_living", None),  # was inform: misspelt need word
    ("shleter near 33125", "find_housing", None),
    ("sober livng near the methadone clinic", "find_sober_living", None),  # was find_treatment
    ("sober place in miami", "find_sober_living", None),  # a need word the keyword list lacks
    ("need a meetng in santa ana", "find_support_group", None),
    ("structured living after rehab", "find_sober_living", None),  # was find_treatment: rehab is behind them
    ("lugar para vivir despues de rehabilitacion", "find_sober_living", None),
    ("nos van a sacar del apartamento", "find_housing", None),  # was find_transportation ("van")
    ("im sleeping at the bus station", "find_housing", None),   # was find_transportation
    ("donde hay vivienda para gente en recuperacion", "find_sober_living", None),  # was find_housing
    ("best pizza in kc", "out_of_scope", None),            # was inform: a place, but not what they asked
    ("y ahora que", "help", None),                         # was inform: "ahora"
    ("gracias, me ayudo mucho", "thanks", None),            # was inform: "City, ME"
    ("gracias, de verdad", "thanks", None),                 # was inform: "City, DE"
])
def test_rule_layer_mistakes_fixed(text, model, expected):
    assert rule_intent(text, model) == expected


# What must keep working after those fixes.
@pytest.mark.parametrize("text,model,expected", [
    ("tonight", "goodbye", "inform"),
    ("right now please", "affirm", "inform"),
    ("esta noche", "greet", "inform"),
    ("hoy", "deny", "inform"),
    ("free", "help", "inform"),                            # a preference on its own
    ("free ones only", "deny", "inform"),
    ("gratis", "thanks", "inform"),
    ("near 92701", "find_support_group", "inform"),        # a place-only answer, whatever need the model guessed
    ("in miami", "find_housing", "inform"),
    ("near coral gables fl", "out_of_scope", "inform"),
    ("women only", "find_sober_living", "inform"),
    ("92701 please", "find_treatment", "inform"),
    ("shleter near 33125", "inform", "find_housing"),      # a misspelt need word still names the need
    ("ride to detox", "find_treatment", "find_transportation"),
    ("yes", "affirm", None),
    ("Portland, ME", "greet", "inform"),                    # a real state code in capitals still counts
    ("kansas city, mo", "deny", "inform"),
    ("need a ride after rehab", "find_treatment", "find_transportation"),
    ("van to the clinic", "inform", "find_transportation"),
    ("need housing for me and my kids", "find_sober_living", "find_housing"),
    ("not breathing now", "deny", "crisis"),
    ("im not safe now", "deny", "crisis"),
])
def test_rule_layer_still_works(text, model, expected):
    assert rule_intent(text, model) == expected
