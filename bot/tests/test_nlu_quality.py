"""Parse quality on messages the model never saw (nlu_heldout*.yml, crisis_cases.yml).

Goals: each need recognised in >= 95% of held-out messages; crisis caught 100% in
English and Spanish; almost no false alarms.
"""
from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).parent
NEEDS = ["support_group", "sober_living", "housing", "transportation", "treatment"]


HELDOUT_FILES = ["nlu_heldout.yml", "nlu_heldout_fresh.yml", "nlu_heldout_fresh2.yml", "nlu_heldout_fresh3.yml",
                 "nlu_heldout_fresh4.yml"]


def heldout(name: str = "nlu_heldout.yml") -> dict[str, list[str]]:
    data = yaml.safe_load((HERE / name).read_text())["nlu"]
    return {block["intent"]: [re.sub(r"^- ", "", l.strip()) for l in block["examples"].splitlines() if l.strip()]
            for block in data}


def crisis_cases(name: str = "crisis_cases.yml") -> dict:
    return yaml.safe_load((HERE / name).read_text())


CRISIS_FILES = ["crisis_cases.yml", "crisis_cases_fresh.yml"]


def parse_all(agent, texts):
    async def go():
        return [await agent.parse_message(t) for t in texts]
    return asyncio.run(go())


def need_of(parse: dict):
    """The need a parse names (the contract other parts rely on): intent find_<code>, or entity `need`."""
    intent = (parse.get("intent") or {}).get("name") or ""
    if intent.startswith("find_"):
        return intent[5:]
    for ent in parse.get("entities") or []:
        if ent.get("entity") == "need":
            return ent.get("value")
    return None


@pytest.fixture(scope="module")
def heldout_parses(agent):
    return {intent: list(zip(texts, parse_all(agent, texts))) for intent, texts in heldout().items()}


@pytest.fixture(scope="module")
def all_heldout_parses(agent):
    return {name: {intent: list(zip(texts, parse_all(agent, texts))) for intent, texts in heldout(name).items()}
            for name in HELDOUT_FILES}


def _training_texts() -> set:
    data = yaml.safe_load((HERE.parents[1] / "data" / "nlu.yml").read_text())["nlu"]
    return {_norm(l.strip()[2:]) for block in data if "intent" in block
            for l in block["examples"].splitlines() if l.strip()}


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w ]+", " ", text.lower()).split())


@pytest.mark.parametrize("name", HELDOUT_FILES)
def test_heldout_never_trained_on(name):
    trained = _training_texts()
    leaked = [t for texts in heldout(name).values() for t in texts if _norm(t) in trained]
    assert not leaked, f"held-out messages found in data/nlu.yml: {leaked}"


# Each nlu_heldout_fresh*.yml batch was written before any model saw it and measured once (dates
# and figures in bench/RESULTS.md, "Bot"); every batch met 95% for every need, so its gates are strict.
# A need that falls under 95% on a new batch goes in _NOT_MET (xfail, non-strict: reported, not
# hidden; XPASS once met).
_FRESH_NOT_MET = pytest.mark.xfail(reason="goal not met yet on the fresh held-out batch", strict=False)
_NOT_MET: set = set()


@pytest.mark.parametrize("name,need", [
    pytest.param(name, need, marks=[_FRESH_NOT_MET] if (name, need) in _NOT_MET else [])
    for name in HELDOUT_FILES for need in NEEDS])
def test_each_need_recognised_95_percent(all_heldout_parses, name, need):
    pairs = all_heldout_parses[name][f"find_{need}"]
    misses = [(text, p["intent"]["name"]) for text, p in pairs if need_of(p) != need]
    rate = 1 - len(misses) / len(pairs)
    assert len(pairs) >= 15
    assert rate >= 0.95, f"{need}: {rate:.0%} recognised; misses: {misses}"


@pytest.mark.parametrize("name", CRISIS_FILES)
def test_crisis_caught_by_the_model_pipeline(agent, name):
    cases = crisis_cases(name)
    for lang in ("en", "es"):
        parses = parse_all(agent, cases["crisis"][lang])
        missed = [t for t, p in zip(cases["crisis"][lang], parses) if p["intent"]["name"] != "crisis"]
        assert not missed, f"crisis missed ({lang}): {missed}"


_LOOK_ALIKES = "overdose-topic look-alikes a few of which the model still answers as a crisis (a past overdose)"


@pytest.mark.parametrize("name,key", [
    ("crisis_cases.yml", "not_crisis"),
    # Issue 18: the keyword net no longer answers a request for naloxone, test strips or training,
    # or a past overdose, as a crisis (crisis_lexicon._without_topic), and the safety net makes
    # such requests find_treatment: the first batch passes. In the second, the model itself still
    # calls a few past overdoses a crisis (a false alarm costs one text; a missed overdose a life).
    ("crisis_cases_fresh.yml", "not_crisis"),
    pytest.param("crisis_cases_fresh.yml", "not_crisis_second_batch",
                 marks=pytest.mark.xfail(strict=True, reason=_LOOK_ALIKES))])
def test_crisis_false_alarms(agent, name, key):
    texts = crisis_cases(name)[key]
    parses = parse_all(agent, texts)
    alarms = [t for t, p in zip(texts, parses) if p["intent"]["name"] == "crisis"]
    assert len(alarms) <= len(texts) // 30, f"false alarms: {alarms}"


def test_all_in_one_message_parse(agent):
    [p] = parse_all(agent, ["need a sober house for women near 92701 that takes suboxone"])
    assert need_of(p) == "sober_living"


def test_sms_keywords_always_win(agent):
    texts = ["MENU", "menu", "RESET", "more", "MAS", "2", "92701"]
    got = [p["intent"]["name"] for p in parse_all(agent, texts)]
    assert got == ["menu", "menu", "reset", "more", "more", "choose", "inform"]


def test_heldout_confusion_summary(heldout_parses, capsys):
    """Not a gate: prints held-out accuracy per intent for the record."""
    per = defaultdict(lambda: [0, 0])
    for intent, pairs in heldout_parses.items():
        for _, p in pairs:
            per[intent][0] += p["intent"]["name"] == intent
            per[intent][1] += 1
    with capsys.disabled():
        print("\nheld-out:", ", ".join(f"{k} {a}/{n}" for k, (a, n) in sorted(per.items())))


def test_parses_log_no_message_text(agent, capsys, caplog):
    """Privacy: parsing a message must not put its text in the test output or the captured logs."""
    secret = "zq-private-text-7731 need a meeting"
    parse_all(agent, [secret])
    out = capsys.readouterr()
    assert "zq-private-text-7731" not in out.out + out.err
    assert "zq-private-text-7731" not in caplog.text
