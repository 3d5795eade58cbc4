"""The keyword safety net alone (bot/actions/crisis.py), without the model."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.actions import crisis

CASES = yaml.safe_load((Path(__file__).parent / "crisis_cases.yml").read_text())


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_crisis_caught(lang):
    missed = [t for t in CASES["crisis"][lang] + CASES["crisis_second_batch"][lang] if not crisis.detect(t)]
    assert not missed


def test_no_false_alarms_on_ordinary_requests():
    alarms = [t for t in CASES["not_crisis"] if crisis.detect(t)]
    assert not alarms


@pytest.mark.parametrize("text,kind", [
    ("he's not breathing", crisis.OVERDOSE), ("i want to kill myself", crisis.SUICIDE),
    ("my boyfriend is going to kill me", crisis.DANGER), ("no respira", crisis.OVERDOSE),
    ("me quiero morir", crisis.SUICIDE), ("me van a matar", crisis.DANGER)])
def test_kind(text, kind):
    assert crisis.detect(text) == kind


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("kind", crisis.KINDS)
def test_replies_say_what_to_do_and_fit_an_sms(kind, lang):
    text = crisis.reply(kind, lang)
    assert len(text) <= 320
    assert "911" in text and "988" in text and ("Narcan" in text or "naloxon" in text.lower())
    assert text.endswith("?")


def test_module_is_dependency_free():
    """The words live in the shared lexicon (both environments import it): it imports the standard library only."""
    import sys
    source = Path(sys.modules[crisis.detect.__module__].__file__).read_text()
    imports = [l for l in source.splitlines() if l.startswith(("import ", "from "))]
    assert all(l.split()[1] in ("__future__", "re", "unicodedata", "typing") for l in imports), imports


# Everyday crisis wording the net once missed (many of data/nlu.yml's crisis examples were left to
# the model alone). These are new phrasings of the same ideas, not the training texts.
@pytest.mark.parametrize("text,kind", [
    ("my brother is turning blue", crisis.OVERDOSE),
    ("she's foaming at the mouth after she used", crisis.OVERDOSE),
    ("he fell out after a hit and wont get up", crisis.OVERDOSE),
    ("mi amigo se puso morado", crisis.OVERDOSE),
    ("my friend is dying please", crisis.OVERDOSE),
    ("esta convulsionando despues de usar", crisis.OVERDOSE),
    ("nobody would even notice if i was gone", crisis.SUICIDE),
    ("i wrote a suicide note", crisis.SUICIDE),
    ("the noose is ready", crisis.SUICIDE),
    ("thinking about ending it tonight", crisis.SUICIDE),
    ("im gonna jump off the bridge", crisis.SUICIDE),
    ("no tengo razones para vivir", crisis.SUICIDE),
    ("me voy a aventar del edificio", crisis.SUICIDE),
    ("me voy a suicidar", crisis.SUICIDE),
    ("me corte y no deja de sangrar", crisis.SUICIDE),
    ("he choked me and took my phone", crisis.DANGER),
    ("my boyfriend is hurting me", crisis.DANGER),
    ("my stepdad is hitting my little brother", crisis.DANGER),
    ("mi pareja me quiere pegar", crisis.DANGER),
    ("temo por mi vida", crisis.DANGER),
    ("she said she'll stab me", crisis.DANGER),
    ("someone is trying to break in", crisis.DANGER),
    # an overdose now beside a past loss still counts
    ("lost my bf to an od and now my friend is not breathing", crisis.OVERDOSE),
    ("we are losing him to an od", crisis.OVERDOSE),
    ("i think she od'd, lost her pulse", crisis.OVERDOSE),
    # the net missed four of crisis_cases_fresh.yml (the model caught them); other phrasings of the same
    ("i took all my medication", crisis.OVERDOSE),
    ("took all the pills in the bottle", crisis.OVERDOSE),
    ("my friend is gurgling after using", crisis.OVERDOSE),
    ("she's gasping for air after a hit", crisis.OVERDOSE),
    ("me trague todas mis pastillas", crisis.SUICIDE),
    ("ya no puedo, mejor me mato", crisis.SUICIDE),
])
def test_everyday_crisis_wording(text, kind):
    assert crisis.detect(text) == kind


@pytest.mark.parametrize("text", [
    "my phone is dying", "i'm dying to know the score", "my landlord is threatening to evict me",
    "we wrote a goodbye letter to our addiction in group", "ready to end it with my boyfriend, need a place",
    "i'm gonna jump on the bus", "hiding from my sponsor lol", "she's beating her addiction",
    "someone broke into my car last week", "i take seizure meds, need a doctor", "gracias, me corte el pelo",
    # a loss in the past, not an overdose now
    "meeting for parents who lost a kid to od", "grief group for people who lost someone to an overdose",
    "lost my brother to an od last year, need a meeting", "perdi a mi hijo por una sobredosis, busco un grupo",
    # taking medication as prescribed, or handing it in
    "i took all my meds this morning like the doctor said", "took all my meds to the take back box",
    "me mato trabajando y necesito un ride", "i was gasping after the run lol",
])
def test_everyday_crisis_wording_no_false_alarm(text):
    assert crisis.detect(text) is None


# --- harm reduction: a request for a place is no crisis; an overdose now always is (issue 18) ------
HARM = yaml.safe_load((Path(__file__).parent / "realdata_harm_reduction.yml").read_text())["items"]


@pytest.mark.parametrize("text", [i["text"] for i in HARM if i["expected"] == "place"])
def test_held_out_harm_reduction_questions_are_requests_not_crises(text):
    assert crisis.detect(text) is None and crisis.crisis_language(text) is None
    assert crisis.harm_reduction_request(text)


@pytest.mark.parametrize("item", [i for i in HARM if i["expected"] == "crisis"], ids=lambda i: i["text"])
def test_held_out_emergencies_stay_crises_in_their_language(item):
    assert crisis.detect(item["text"]) and crisis.crisis_language(item["text"]) == item["lang"]
    assert not crisis.harm_reduction_request(item["text"])


@pytest.mark.parametrize("text,kind", [
    # an overdose reported beside the request, said now, or naloxone given now: still a crisis
    ("need narcan now he's not breathing", crisis.OVERDOSE), ("my friend overdosed, where can i get narcan", crisis.OVERDOSE),
    ("my brother is overdosing where do i get narcan near 92701", crisis.OVERDOSE), ("need narcan", crisis.OVERDOSE),
    ("need narcan now", crisis.OVERDOSE), ("where can i get narcan fast", crisis.OVERDOSE),
    ("necesito naloxona", crisis.OVERDOSE), ("necesito naloxona para mi hijo", crisis.OVERDOSE),
    ("he overdosed at the gym need narcan", crisis.OVERDOSE), ("i gave her narcan, what now", crisis.OVERDOSE),
    ("the narcan didn't work", crisis.OVERDOSE), ("le di narcan y sigue sin despertar", crisis.OVERDOSE),
    ("mi hijo tiene una sobredosis", crisis.OVERDOSE), ("help my friend od near 92701", crisis.OVERDOSE),
    ("what do i do if someone overdoses", crisis.OVERDOSE), ("overdosed in my car near 92701 help", crisis.OVERDOSE),
    ("se tomo demasiadas pastillas", crisis.OVERDOSE), ("tome demasiadas pastillas", crisis.OVERDOSE),
    ("i'm going to overdose on purpose", crisis.OVERDOSE), ("narcan near 92701, she's blue and not breathing", crisis.OVERDOSE)])
def test_an_overdose_now_stays_a_crisis_whatever_else_it_asks(text, kind):
    assert crisis.detect(text) == kind and crisis.crisis_language(text)
    assert not crisis.harm_reduction_request(text)


@pytest.mark.parametrize("text", [
    "narcan", "fentanyl test strips", "naloxone training", "test strips near me", "narcan near me",
    "where can i get narcan", "can i keep narcan in my car", "i want narcan for my house", "do you have narcan kits",
    "overdose prevention training near 92701", "i overdosed twice last year and want to get clean now",
    "after my overdose the hospital said to find an iop", "tuve una sobredosis el año pasado y quiero tratamiento",
    "donde dan kits de naloxona", "i want to learn what to do if someone overdoses"])
def test_overdose_as_a_topic_is_no_crisis(text):
    assert crisis.detect(text) is None and crisis.crisis_language(text) is None


def test_spanish_too_many_pills_is_answered_in_spanish():
    assert crisis.crisis_language("me tome demasiadas pastillas") == "es"
    assert crisis.detect_language("me tome demasiadas pastillas") == "es"
