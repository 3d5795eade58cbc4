"""Phone numbers: E.164, encrypted with rotatable keys, a keyed pseudonym, the crisis phrases."""
from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from directory.people import phones
from directory.texting.crisis import crisis_language


@pytest.mark.parametrize("raw,e164", [("(541) 555-0123", "+15415550123"), ("+1 541 555 0123", "+15415550123"),
                                      ("541.555.0123", "+15415550123"), ("+52 55 1234 5678", "+525512345678")])
def test_numbers_are_normalised_to_e164(raw, e164):
    assert phones.normalize(raw) == e164


@pytest.mark.parametrize("raw", [None, "", "hello", "12", "+1" + "5" * 30])
def test_junk_is_not_a_number(raw):
    assert phones.normalize(raw) is None


def test_encryption_round_trips_and_survives_key_rotation(monkeypatch):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("PHONE_ENCRYPTION_KEY", old)
    token = phones.encrypt("+15415550123")
    assert "5415550123" not in token and phones.decrypt(token) == "+15415550123"
    monkeypatch.setenv("PHONE_ENCRYPTION_KEY", f"{new},{old}")  # rotated: new first, old still reads
    assert phones.decrypt(token) == "+15415550123"
    monkeypatch.setenv("PHONE_ENCRYPTION_KEY", new)
    assert phones.decrypt(token) is None  # the old key retired: unreadable, not a crash


def test_pseudonym_is_stable_keyed_and_reveals_nothing(monkeypatch):
    monkeypatch.setenv("PSEUDONYM_KEY", "key-one")
    first = phones.pseudonym("+15415550123")
    assert first == phones.pseudonym("+15415550123") and len(first) == 32 and "5415550123" not in first
    assert phones.pseudonym("+15415550124") != first
    monkeypatch.setenv("PSEUDONYM_KEY", "key-two")
    assert phones.pseudonym("+15415550123") != first


def test_bad_key_says_how_to_make_one(monkeypatch):
    monkeypatch.setenv("PHONE_ENCRYPTION_KEY", "not-a-key")
    with pytest.raises(phones.KeyMissing, match="Fernet keys"):
        phones.encrypt("+15415550123")


@pytest.mark.parametrize("text,language", [
    ("he OD'd and won't wake up", "en"), ("I'm thinking about suicide", "en"), ("i wanna die", "en"),
    ("me quiero morir", "es"), ("mi hermano no respira", "es"), ("pienso en suicidarme", "es"),
    ("i'm standing on the roof", "en"), ("my baby swallowed some pills", "en"), ("he has a gun", "en"),
    ("hay un hombre con pistola afuera", "es"), ("mi novio me amenaza", "es"), ("tengo un plan para morir", "es"),
    ("need a meeting tonight", None), ("necesito una casa sobria", None), ("what dose of methadone", None),
    ("can you take a bottle of water to the meeting", None), ("i need a plan to get sober", None),
    # a loss in the past is not an overdose now; an overdose now in the same message still is
    ("meeting for parents who lost a kid to od", None), ("group for people who lost someone to an overdose", None),
    ("perdi a mi hijo por una sobredosis, busco un grupo", None),
    ("lost my bf to an od last year and now my friend is not breathing", "en")])
def test_crisis_phrases_in_english_and_spanish(text, language):
    assert crisis_language(text) == language


def test_the_gateway_catches_everything_the_bots_crisis_net_does():
    """The bot's held-out crisis cases (bot/tests/crisis_cases.yml): caught here too, in their
    language, and none of its ordinary requests raises an alarm."""
    import yaml
    cases = yaml.safe_load((Path(__file__).resolve().parents[2] / "bot/tests/crisis_cases.yml").read_text())
    for lang in ("en", "es"):
        assert [t for t in cases["crisis"][lang] if crisis_language(t) != lang] == []
    assert [t for t in cases["not_crisis"] if crisis_language(t)] == []
