"""The real stack on the real data, imported as it comes: both Meeting Guide feeds, the Miami 211
export, SAMHSA's facilities and the BMLT (NA) sample, through the CLI into a fresh database; then
people text it the way they do, for every need, in English and Spanish, in each US metro area the
data covers. Every text gets a non-empty answer; meeting requests list real nearby meetings; a pick
ends in a referral text.

No time words: what "tonight" finds depends on the hour the suite runs (tested with a fixed clock
in tests/web/test_search_realdata.py).
"""
from __future__ import annotations

import re
import subprocess

import pytest

from tests.e2e.sms_stack import ROOT, SmsStack, missing_parts

pytestmark = pytest.mark.e2e

LIST = re.compile(r"^1\. ", re.M)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, shared_data):
    reason = missing_parts()
    if reason:
        pytest.skip(f"the real-data SMS suite needs the bot: {reason}")
    workdir = tmp_path_factory.mktemp("sms-realdata")
    database = workdir / "signpost.db"
    env_db = {"DATABASE_URL": f"sqlite:///{database}", "LOG_LEVEL": "WARNING"}
    data = shared_data
    for args in (["import-meetings", str(data / "meeting-guide" / "oc.json"), "--source", "oc"],
                 ["import-meetings", str(data / "meeting-guide" / "kc.json"), "--source", "kc"],
                 ["import-hsds", str(data / "miami-211-hsds")],
                 ["import-findtreatment", str(data / "findtreatment" / "facilities.json")],
                 ["import-bmlt", str(data / "bmlt" / "meetings.json"), "--formats", str(data / "bmlt" / "formats.json")]):
        done = subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "web", "directory", *args],
                              cwd=ROOT, env={**_env(), **env_db}, capture_output=True, text=True)
        assert done.returncode == 0, f"{args[0]} failed:\n{done.stdout}\n{done.stderr}"
    stack = SmsStack(workdir, database).start()
    yield stack
    stack.stop()


def _env() -> dict:
    import os
    return {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}


def say(stack: SmsStack, phone: str, body: str) -> str:
    status, replies = stack.text(phone, body)
    assert status == 200, stack.log_tail()
    answer = "\n".join(replies).strip()
    assert answer, f"silence after {body!r}:\n{stack.log_tail()}"
    return answer


def to_a_list(stack: SmsStack, phone: str, first: str, lang: str) -> str:
    """The first answer that lists places: a preference question is answered ANY / CUALQUIERA."""
    answer = say(stack, phone, first)
    if not LIST.search(answer) and ("ANY" in answer or "CUALQUIERA" in answer):
        answer = say(stack, phone, "any" if lang == "en" else "cualquiera")
    return answer


def referrals_to(stack: SmsStack, phone: str) -> list[dict]:
    return [row for row in stack.outbox() if row["to"] == phone and row["kind"] == "referral"]


@pytest.mark.parametrize("first,lang", [
    ("need an AA meeting near 92701", "en"),
    ("aa mtg santa ana", "en"),
    ("womens meeting near 92701", "en"),
    ("necesito una junta de AA en santa ana", "es"),
    ("aa meeting near 64111", "en"),
    ("junta de aa en kansas city", "es"),
])
def test_a_meeting_request_lists_real_meetings_and_a_pick_is_texted(stack, first, lang):
    phone = stack.new_phone()
    answer = to_a_list(stack, phone, first, lang)
    assert LIST.search(answer), answer
    assert "mi" in answer and "Meeting Guide" not in answer
    details = say(stack, phone, "1")
    assert "YES" in details or "SI" in details, details
    done = say(stack, phone, "yes" if lang == "en" else "si")
    sent = referrals_to(stack, phone)
    assert len(sent) == 1, (answer, details, done)
    body = sent[0]["body"]
    assert ("Next meeting" in body or "Próxima reunión" in body), body
    assert "openstreetmap.org" in body


NEEDS = {  # need -> (English, Spanish)
    "support_group": ("any meeting near {zip}", "reunion cerca de {zip}"),
    "sober_living": ("sober living near {zip}", "casa de sobriedad cerca de {zip}"),
    "housing": ("i need a shelter near {zip}", "necesito un albergue cerca de {zip}"),
    "transportation": ("i need a ride to my appointment near {zip}", "necesito transporte cerca de {zip}"),
    "treatment": ("detox near {zip}", "necesito tratamiento cerca de {zip}"),
}
METROS = {"orange county": "92701", "kansas city": "64111", "miami": "33125", "charlottesville": "22902"}


@pytest.mark.parametrize("metro", list(METROS))
def test_every_need_in_both_languages_gets_an_answer(stack, metro):
    zip_code = METROS[metro]
    for need, phrasings in NEEDS.items():
        for lang, phrasing in zip(("en", "es"), phrasings):
            phone = stack.new_phone()
            answer = to_a_list(stack, phone, phrasing.format(zip=zip_code), lang)
            if LIST.search(answer):  # a list: its first place answers with details
                assert say(stack, phone, "1")
            else:  # nothing of that kind here: an honest answer with somewhere to turn
                assert "211" in answer or "988" in answer or "SAMHSA" in answer, (metro, need, lang, answer)
