"""The whole service as `make run` starts it (supervisord: gunicorn, Rasa, the action server,
the huey worker), texted over HTTP with signed webhooks, from "hi" to a referral SMS in the outbox.

Needs the bot's environment and model (`make bot-train`, part of TEST_SETUP); about a minute,
most of it Rasa loading its model once for the module.
"""
from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest
import requests

from directory.people import phones
from tests.e2e.sms_stack import SmsStack, missing_parts

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory, seeded_db_template):
    reason = missing_parts()
    if reason:
        pytest.skip(f"SMS end-to-end test needs the bot: {reason}")
    import shutil
    workdir = tmp_path_factory.mktemp("sms-e2e")
    database = workdir / "signpost.db"
    shutil.copy(seeded_db_template, database)
    # The worker asks a restarted Rasa again soon (production waits 15 s, then backs off).
    stack = SmsStack(workdir, database, extra_env={"RASA_RETRY_DELAY": "3"}).start()
    yield stack
    stack.stop()


def converse(stack: SmsStack, phone: str, messages: list[str]) -> list[list[str]]:
    answers = []
    for message in messages:
        status, replies = stack.text(phone, message)
        assert status == 200, stack.log_tail()
        answers.append(replies)
    return answers


def referrals_to(stack: SmsStack, phone: str) -> list[dict]:
    return [row for row in stack.outbox() if row["to"] == phone and row["kind"] == "referral"]


# No time words ("tonight") in these conversations: what they find would depend on the hour the
# suite runs (late at night nothing is left "tonight"). Time filters are tested with a fixed clock
# in tests/catalog/test_search.py and bot/tests.
def test_english_from_hi_to_a_referral_sms(stack):
    phone = stack.new_phone()
    answers = converse(stack, phone, ["hi", "any NA meeting near 92701", "1", "yes"])
    assert all(answers), answers  # the bot answered every text
    assert "1." in answers[1][0]  # a numbered list of places
    sent = referrals_to(stack, phone)
    assert len(sent) == 1, answers
    (sms,) = sent
    assert sms["status"] == "outbox"  # no TWILIO_ACCOUNT_SID: the outbox
    assert "Call:" in sms["body"] and "openstreetmap.org" in sms["body"] and "Next meeting:" in sms["body"]
    assert re.search(r"\d+ .+(St|Ave|Blvd|Rd|Dr|Way)", sms["body"]), "the address"


def test_spanish_from_hola_to_a_referral_sms(stack):
    phone = stack.new_phone()
    answers = converse(stack, phone, ["hola", "hay reuniones de AA", "en miami", "1", "si"])
    assert all(answers), answers
    sent = referrals_to(stack, phone)
    assert len(sent) == 1, answers
    (sms,) = sent
    assert "Llame:" in sms["body"] and "Mapa:" in sms["body"] and "aquí está el lugar" in sms["body"]


def test_forged_and_unsigned_webhooks_are_refused(stack):
    params = {"AccountSid": stack.account_sid, "MessageSid": "SM" + "f" * 32, "From": "+15415559999", "Body": "hi"}
    assert requests.post(stack.web + "/sms/inbound", data=params, timeout=10).status_code == 403
    forged = requests.post(stack.web + "/sms/inbound", data=params, headers={"X-Twilio-Signature": "Zm9yZ2Vk"}, timeout=10)
    assert forged.status_code == 403


def test_a_retried_message_sid_is_answered_once(stack):
    phone = stack.new_phone()
    first = stack.text(phone, "hi", sid="SM" + "e" * 32)
    again = stack.text(phone, "hi", sid="SM" + "e" * 32)
    assert first[0] == again[0] == 200 and first[1] and again[1] == []


def test_stop_then_a_referral_sends_nothing(stack):
    phone = stack.new_phone()
    converse(stack, phone, ["hi", "any NA meeting near 92701"])
    assert "unsubscribed" in stack.text(phone, "STOP")[1][0]
    assert stack.text(phone, "1") == (200, [])  # nothing more, not even the bot
    search = requests.get(stack.web + "/api/v1/search", params={"near": "92701", "category": "support_group"}, timeout=10).json()
    created = requests.post(stack.web + "/api/v1/referrals", json={"service_id": search["items"][0]["service_id"],
                                                                   "client_ref": phones.pseudonym(phone)},
                            headers={"Authorization": "Bearer e2e-service-token"}, timeout=10)
    assert created.status_code == 201
    (sms,) = referrals_to(stack, phone)
    assert sms["status"] == "blocked"


def test_crisis_is_answered_at_once_and_the_conversation_carries_on(stack):
    phone = stack.new_phone()
    status, replies = stack.text(phone, "my friend took too many pills and is not breathing")
    assert status == 200 and "911" in replies[0] and "988" in replies[0]
    assert stack.text(phone, "I need a meeting near 92701")[1], "the bot still answers"


def test_help_and_junk_get_polite_answers(stack):
    phone = stack.new_phone()
    assert "Msg & data rates may apply" in stack.text(phone, "HELP")[1][0]
    assert stack.text(phone, "")[1]
    assert stack.text(phone, "x" * 5000)[1]


def test_no_number_or_message_text_in_any_process_log(stack):
    phone = stack.new_phone()
    converse(stack, phone, ["hi", "I relapsed, need a meeting near 92701", "1", "yes"])
    time.sleep(1)
    log = stack.log_path.read_text(errors="replace")
    digits = phone[2:]
    for needle in (digits, digits[:3] + "-" + digits[3:6], "relapsed"):
        assert needle not in log


def test_healthz_reports_every_part(stack):
    checks = requests.get(stack.web + "/healthz", timeout=10).json()["checks"]
    assert {name: c["status"] for name, c in checks.items()} == {
        "database": "ok", "rasa": "ok", "action_server": "ok", "worker": "ok"}


def test_the_bots_servers_run_blas_on_one_thread_with_the_cpus_kernels(stack):
    """mk/bot.mk SERVE_BLAS: OpenBLAS's spinning second thread doubled Rasa's CPU a message, and on a
    CPU it does not recognise it fell back to kernels 3x slower than the CPU's own."""
    import os
    flags = set(Path("/proc/cpuinfo").read_text().split())
    servers = 0
    for pid in stack.pids():
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            env = dict(item.split(b"=", 1) for item in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in item)
        except OSError:
            continue
        if b"bot.rasa_server" not in cmd and b"run\0actions" not in cmd:
            continue
        servers += 1
        assert env.get(b"OPENBLAS_NUM_THREADS") == b"1"
        if {"avx2", "fma"} <= flags and "OPENBLAS_CORETYPE" not in os.environ:
            assert env.get(b"OPENBLAS_CORETYPE") == b"Haswell"
    assert servers == 2  # Rasa and the action server


def test_a_killed_rasa_is_restarted_and_every_conversation_continues(stack):
    """The embedded default (one Rasa, its tracker store a SQLite file beside the directory's):
    Rasa killed with SIGKILL; the gateway keeps answering (crisis net, HELP, the fallback with the
    message kept); the supervisor restarts Rasa, which continues every conversation where it was."""
    phones = [stack.new_phone() for _ in range(3)]
    for phone in phones:
        answers = converse(stack, phone, ["hi", "any NA meeting near 92701"])
        assert "1." in answers[1][0], answers
    stack.kill_rasa(stack.rasa_ports[0])
    time.sleep(0.5)
    status, replies = stack.text(phones[0], "1")  # Rasa is down: the fallback, the message kept
    assert status == 200 and len(replies) == 1 and "slow right now" in replies[0]
    assert "911" in stack.text(stack.new_phone(), "my friend overdosed and is not breathing")[1][0]
    assert "Msg & data rates may apply" in stack.text(stack.new_phone(), "HELP")[1][0]
    started = time.time()
    stack.wait_ready()  # the supervisor restarted Rasa; the web app and the worker never stopped
    for phone in phones[1:]:
        (details,) = converse(stack, phone, ["1"])
        assert details and "1." not in details[0], details  # that result's details: the context survived
    # The kept "1" is answered by the worker, by SMS, from the restarted Rasa.
    while not [r for r in stack.outbox() if r["to"] == phones[0] and r["kind"] == "reply"]:
        assert time.time() - started < 180, "the worker never answered the message Rasa missed"
        time.sleep(3)
    for phone in phones:
        converse(stack, phone, ["yes"])
        assert len(referrals_to(stack, phone)) == 1, phone
    assert _inbound_statuses(stack, phones) == {"answered"}  # nothing lost, nothing left unanswered


def test_a_killed_action_server_is_restarted_and_rasa_reaches_the_new_one(stack):
    """Rasa keeps its connection to the action server open between calls (bot/rasa_server.py). The
    action server killed with SIGKILL and restarted by the supervisor: the next texts are answered
    by the new one, in context, without a fallback."""
    phones = [stack.new_phone() for _ in range(2)]
    for phone in phones:
        answers = converse(stack, phone, ["hi", "any NA meeting near 92701"])
        assert "1." in answers[1][0], answers
    (old,) = stack.action_server_pids()
    os.kill(old, signal.SIGKILL)
    deadline = time.time() + 120
    while not (stack.action_server_pids() and old not in stack.action_server_pids() and stack.ready()):
        assert time.time() < deadline, f"the action server was not restarted:\n{stack.log_tail()}"
        time.sleep(0.5)
    for phone in phones:
        (details,) = converse(stack, phone, ["1"])
        assert details and "1." not in details[0] and "slow right now" not in details[0], details
        converse(stack, phone, ["yes"])
        assert len(referrals_to(stack, phone)) == 1, phone
    assert _inbound_statuses(stack, phones) == {"answered"}


def test_retention_purges_the_conversations_from_rasas_tracker_store(stack):
    """The SQLite tracker store Rasa wrote, read directly: the purge empties it of old events."""
    import datetime as dt
    import sqlite3

    from directory import db
    from directory.base import utcnow
    from directory.settings import Settings
    from directory.texting import retention
    db.configure(stack.database_url)
    tracker = Path(stack.database_url[len("sqlite:///"):]).parent / "rasa_tracker.db"

    def count() -> int:
        conn = sqlite3.connect(tracker)
        try:
            return conn.execute("SELECT count(*) FROM events").fetchone()[0]
        finally:
            conn.close()
    assert count() > 0  # the conversations above are in it
    settings = Settings.from_mapping({"DATABASE_URL": stack.database_url})
    later = utcnow() + dt.timedelta(days=settings.RETENTION_DAYS + 1)
    assert retention.purge_expired(settings, now=later)["conversation_events"] > 0
    assert count() == 0


def _inbound_statuses(stack: SmsStack, numbers: list[str]) -> set[str]:
    from sqlalchemy import select

    from directory import db
    from directory.texting.models import InboundMessage
    db.configure(stack.database_url)
    with db.Session() as s:
        return set(s.scalars(select(InboundMessage.status).where(
            InboundMessage.pseudonym.in_([phones.pseudonym(n) for n in numbers]))))


def test_ctrl_c_stops_every_process(stack):
    pids = stack.pids()
    assert len(pids) >= 5
    assert stack.stop() < 15
    time.sleep(0.5)
    assert [pid for pid in pids if _running(pid)] == []


def _running(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    except OSError:
        return False
