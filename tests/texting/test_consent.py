"""Consent revoked in the person's own words: caught like STOP, and no false opt-outs.

Two sets: the held-out bot/tests/realdata_optouts.yml (written before any change for issue 18) and
tests/texting/consent_cases.yml (written before the matcher). Misses and false opt-outs are both
failures: a false opt-out silences someone who asked for help."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from directory.people import phones
from directory import db
from directory.texting.consent import is_opt_out, opt_out_language
from tests.texting.conftest import PHONE, replies

ROOT = Path(__file__).resolve().parents[2]
HELD_OUT = yaml.safe_load((ROOT / "bot" / "tests" / "realdata_optouts.yml").read_text())["items"]
OURS = yaml.safe_load((Path(__file__).parent / "consent_cases.yml").read_text())

OPT_OUTS = ([(i["text"], i["lang"]) for i in HELD_OUT if i["expected"] == "optout"]
            + [(i["text"], i["lang"]) for i in OURS["optout"]])
LOOK_ALIKES = ([i["text"] for i in HELD_OUT if i["expected"] == "not"] + [i["text"] for i in OURS["look_alike"]])


def test_the_sets_are_what_the_issue_asks_for():
    assert len([i for i in HELD_OUT if i["expected"] == "optout"]) == 30 and len(OURS["optout"]) >= 10
    assert len([i for i in HELD_OUT if i["expected"] == "not"]) == 40 and len(OURS["look_alike"]) >= 15


@pytest.mark.parametrize("text,lang", OPT_OUTS)
def test_every_opt_out_is_caught_in_its_language(text, lang):
    assert opt_out_language(text) == lang


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_no_look_alike_opts_out(text):
    assert not is_opt_out(text)


def test_all_opt_outs_caught_and_no_false_opt_out_in_numbers():
    """The two figures side by side, for the record (the tests above name each text)."""
    caught = sum(is_opt_out(t) for t, _ in OPT_OUTS)
    false = sum(is_opt_out(t) for t in LOOK_ALIKES)
    assert (caught, false) == (len(OPT_OUTS), 0)


@pytest.mark.parametrize("text", [
    "my ex wont stop texting me", "how do i get him to stop texting me", "don't stop texting me, this helps",
    "mi ex no para de escribirme", "stop drinking", "STOP using", "no me mandes a un albergue",
    "x" * 150 + " stop texting me " + "y" * 60])
def test_someone_elses_texting_a_no_before_the_stop_and_long_stories_are_not_opt_outs(text):
    assert not is_opt_out(text)


@pytest.mark.parametrize("text", ["i want you to stop texting me", "Stop texting me.", "STOP TEXTING ME"])
def test_opt_outs_aimed_at_us(text):
    assert is_opt_out(text)


# --- through the gateway ------------------------------------------------------------------------
def _opted_out() -> bool:
    with db.Session() as s:
        return phones.find(s, phones.pseudonym(PHONE)).opted_out


def test_stop_texting_me_opts_out_like_stop_one_confirmation_then_nothing_until_start(texter, rasa):
    (confirmation,) = replies(texter.text("stop texting me"))
    assert "unsubscribed" in confirmation and "START" in confirmation
    assert _opted_out() and rasa.calls == []
    assert replies(texter.text("please stop messaging me")) == []  # one confirmation only
    assert replies(texter.text("any meetings near 97201?")) == [] and rasa.calls == []
    assert "subscribed again" in replies(texter.text("START"))[0]
    assert replies(texter.text("hi")) == ["bot heard: hi"]


def test_a_spanish_opt_out_is_confirmed_in_spanish(texter, rasa):
    (confirmation,) = replies(texter.text("ya no me manden mensajes"))
    assert "se dio de baja" in confirmation
    assert _opted_out() and rasa.calls == []


@pytest.mark.parametrize("text", ["i want to stop drinking", "stop, i meant women only", "quiero dejar de beber",
                                  "stop sending me to meetings in irvine"])
def test_a_look_alike_goes_to_the_bot(texter, rasa, text):
    assert replies(texter.text(text)) == [f"bot heard: {text}"]
    assert not _opted_out()


def test_a_crisis_that_also_says_stop_texting_gets_the_crisis_answer(texter, rasa):
    (answer,) = replies(texter.text("stop texting me i want to kill myself"))
    assert "988" in answer
