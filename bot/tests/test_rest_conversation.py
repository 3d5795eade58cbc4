"""End to end through Rasa's REST channel: Rasa server + action server + the real directory API.
From "hi" to a referral in English, a Spanish search, and a crisis in the middle of the form."""
from __future__ import annotations

import os
import subprocess
import time

import pytest
import requests

from bot.tests.conftest import MODEL, ROOT, _free_port

RASA = ROOT / ".venv-bot" / "bin" / "rasa"


@pytest.fixture(scope="module")
def bot(directory_api):
    if not MODEL.exists():
        pytest.fail("train first: make bot-train")
    rasa_port, action_port = _free_port(), _free_port()
    env = {**directory_api["env"], "SIGNPOST_API_URL": directory_api["url"], "ACTION_PORT": str(action_port),
           "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", "TF_CPP_MIN_LOG_LEVEL": "3", "SANIC_HOST": "127.0.0.1"}
    procs = [
        subprocess.Popen([str(RASA), "run", "actions", "--actions", "bot.actions", "-p", str(action_port)],
                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([str(RASA), "run", "--model", str(MODEL), "--endpoints", "bot/endpoints.yml",
                          "--credentials", "bot/credentials.yml", "--enable-api", "-i", "127.0.0.1",
                          "-p", str(rasa_port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL),
    ]
    base = f"http://127.0.0.1:{rasa_port}"
    try:
        deadline = time.time() + 240
        for url in (base + "/status", f"http://127.0.0.1:{action_port}/health"):
            while True:
                try:
                    if requests.get(url, timeout=2).ok:
                        break
                except requests.RequestException:
                    pass
                if time.time() > deadline or any(p.poll() is not None for p in procs):
                    pytest.fail(f"{url} did not come up")
                time.sleep(0.5)
        yield base
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def say(base: str, sender: str, text: str) -> str:
    r = requests.post(base + "/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30)
    r.raise_for_status()
    return "\n".join(m.get("text", "") for m in r.json())


def test_parse_names_the_need(bot):
    r = requests.post(bot + "/model/parse", json={"text": "any NA mtg tonight"}, timeout=10).json()
    assert r["intent"]["name"] == "find_support_group"


def test_hi_to_referral(bot):
    s = "pseudo-e2e-en"
    assert "Signpost" in say(bot, s, "hi")
    reply = say(bot, s, "need a sober house for women near 92701 that takes suboxone")
    assert "1. Harbor House" in reply and "beds free" in reply
    reply = say(bot, s, "1")
    assert "401 W 1st St" in reply and "YES" in reply
    reply = say(bot, s, "yes")
    assert "ref" in reply and "Harbor House" in reply


def test_spanish_all_the_way(bot):
    s = "pseudo-e2e-es"
    assert "Hola, soy Signpost" in say(bot, s, "hola")
    reply = say(bot, s, "necesito una reunion de AA")
    assert "Donde estas" in reply
    reply = say(bot, s, "33125")
    assert "¿" in reply or "cerca de" in reply  # a preference question or the results, in Spanish
    if "cerca de" not in reply:
        reply = say(bot, s, "cualquiera")
    assert "Reuniones cerca de Miami" in reply and "Responde" in reply


def test_crisis_interrupts_the_form(bot):
    s = "pseudo-e2e-crisis"
    assert "Where are you" in say(bot, s, "i need a meeting")
    reply = say(bot, s, "my friend is not breathing")
    assert "911" in reply and "Narcan" in reply and "safe right now" in reply
    assert "glad" in say(bot, s, "yes i'm safe")
    # the form is gone: a ZIP now starts a fresh search for the remembered need
    reply = say(bot, s, "92701")
    assert "Meetings near" in reply or "best 3" in reply


def test_menu_and_more(bot):
    s = "pseudo-e2e-menu"
    assert "1 Meetings" in say(bot, s, "MENU")
    assert "Where are you" in say(bot, s, "1")
    reply = say(bot, s, "92701")
    if "best 3" in reply:
        reply = say(bot, s, "any")
    assert "1. " in reply and "MORE" in reply
    assert "4. " in say(bot, s, "more")
