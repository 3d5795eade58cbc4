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
    source = Path(crisis.__file__).read_text()
    imports = [l for l in source.splitlines() if l.startswith(("import ", "from "))]
    assert all(l.split()[1] in ("__future__", "re", "unicodedata", "typing") for l in imports), imports
