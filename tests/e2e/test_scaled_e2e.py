"""The scaled-out service end to end, started as an operator would (`make run`'s supervisor with
DATABASE_URL=postgresql://..., REDIS_URL and RASA_INSTANCES=2): conversations reach results; one
Rasa server is killed with SIGKILL and every conversation continues on the other with its context;
the whole service is restarted and every conversation continues to its referral; no message is
lost or left unanswered; the retention purge empties Rasa's PostgreSQL tracker store.

Needs the bot (model and environment), PostgreSQL's server binaries and redis-server. About three
minutes, most of it two Rasa servers loading their model, twice.
"""
from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from directory import db
from directory.people import phones
from directory.settings import Settings
from directory.texting import rasa_client
from tests.e2e.sms_stack import SmsStack, missing_parts
from tests.e2e.test_sms_e2e import _inbound_statuses, converse, referrals_to

pytestmark = pytest.mark.e2e
FALLBACK = "I'm slow right now"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    reason = missing_parts()
    if reason:
        pytest.skip(f"the scaled end-to-end test needs the bot: {reason}")
    from tests.pg import postgres_server
    from tests.redis_server import redis_server
    with postgres_server() as pg_url, redis_server() as redis_url:
        db.upgrade(pg_url)
        from directory.catalog.demo import seed_demo
        with db.Session.begin() as s:
            seed_demo(s)
        db.engine().dispose()
        plain = "postgresql://" + pg_url.split("://", 1)[1]  # the form every host hands out
        stack = SmsStack(tmp_path_factory.mktemp("sms-scaled"), plain, rasa_instances=2, redis_url=redis_url,
                         extra_env={"RASA_RETRY_DELAY": "3"})
        stack.phones = [stack.new_phone() for _ in range(6)]
        stack.start(timeout=360)
        try:
            yield stack
        finally:
            stack.stop()
            db.engine().dispose()


def test_conversations_reach_results_on_both_servers(stack):
    servers = Settings(RASA_URL=",".join(f"http://127.0.0.1:{p}" for p in stack.rasa_ports))
    firsts = {rasa_client.rasa_url(servers, phones.pseudonym(p)) for p in stack.phones}
    assert len(firsts) == 2  # the conversations are spread over both servers
    for phone in stack.phones:
        answers = converse(stack, phone, ["hi", "any NA meeting near 92701"])
        assert "1." in answers[1][0], answers
    health = requests.get(stack.web + "/healthz", timeout=10).json()["checks"]
    assert health["database"]["dialect"] == "postgresql" and health["worker"]["queue"] == "RedisHuey"
    assert [s["status"] for s in health["rasa"]["servers"]] == ["ok", "ok"]


def test_a_conversation_moved_between_servers_is_never_stale(stack):
    """Each Rasa server keeps a cache of the conversations it handled (bot/tracker_store.py): a
    conversation that goes to the other server and comes back must carry on from what the other one
    wrote. The same script on one server alone is the control: the same actions, the same answers."""
    first, second = (f"http://127.0.0.1:{p}" for p in stack.rasa_ports)
    script = ["hi", "any NA meeting near 92701", "1", "yes"]

    def say(server, sender, text):
        r = requests.post(server + "/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
        assert r.status_code == 200
        return [m.get("text", "") for m in r.json()]

    def actions(server, sender):
        events = requests.get(f"{server}/conversations/{sender}/tracker", timeout=30).json()["events"]
        return [(e["event"], e.get("name") or (e.get("parse_data") or {}).get("intent", {}).get("name"))
                for e in events if e["event"] in ("action", "user", "slot")]

    moved, alone = f"moved-{time.time_ns()}", f"alone-{time.time_ns()}"
    # The first server reads the conversation twice (its cache now holds it), the second answers the
    # "1" (from the shared store), and the first answers the "yes": it must see the second's turn.
    moved_answers = [say(server, moved, text) for server, text in zip([first, first, second, first], script)]
    alone_answers = [say(first, alone, text) for text in script]
    assert "1." in moved_answers[1][0] and moved_answers[2] and "1." not in moved_answers[2][0], moved_answers
    assert [len(a) for a in moved_answers] == [len(a) for a in alone_answers]
    assert moved_answers[3][0].split()[:3] == alone_answers[3][0].split()[:3], (moved_answers, alone_answers)
    assert actions(first, moved) == actions(second, moved) == actions(first, alone)


def test_a_killed_rasa_server_loses_no_conversation(stack):
    stack.kill_rasa(stack.rasa_ports[0])
    time.sleep(0.5)
    for phone in stack.phones:  # at once: the other server answers, from the shared tracker store
        (details,) = converse(stack, phone, ["1"])
        assert details and FALLBACK not in details[0] and "1." not in details[0], details
    health = requests.get(stack.web + "/healthz", timeout=10).json()["checks"]["rasa"]
    assert health["status"] in ("degraded", "ok")  # "ok" once the supervisor has it back
    stack.wait_ready()


def test_the_whole_service_restarted_continues_every_conversation(stack):
    assert stack.stop() < 20
    stack.start(timeout=360)
    for phone in stack.phones:
        (answer,) = converse(stack, phone, ["yes"])
        assert answer and FALLBACK not in answer[0], answer
        assert len(referrals_to(stack, phone)) == 1, phone
    assert _inbound_statuses(stack, stack.phones) == {"answered"}  # 0 lost, 0 unanswered


def test_redis_holds_the_queue_and_the_rate_limits(stack):
    import redis
    keys = {k.decode() for k in redis.Redis.from_url(stack.env["REDIS_URL"]).keys("*")}
    assert any("huey" in k for k in keys), keys
    # The sign-in page's rate limit counts in Redis, shared by every web process.
    import re
    browser = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(stack.web + "/login", timeout=10).text).group(1)
    browser.post(stack.web + "/login", data={"email": "x@example.org", "password": "wrong", "csrf_token": token}, timeout=10)
    keys = {k.decode() for k in redis.Redis.from_url(stack.env["REDIS_URL"]).keys("*")}
    assert any(k.startswith("LIMITS") for k in keys), keys


def test_retention_empties_the_postgres_tracker_store(stack):
    from sqlalchemy import text

    from directory.base import utcnow
    from directory.texting import retention
    db.configure(stack.database_url)
    pseudonyms = tuple(phones.pseudonym(p) for p in stack.phones)

    def count() -> int:
        with db.engine().connect() as conn:
            return conn.execute(text("SELECT count(*) FROM rasa.events WHERE sender_id = ANY(:p)"),
                                {"p": list(pseudonyms)}).scalar()
    assert count() > 0  # the conversations are in PostgreSQL, in Rasa's own schema
    settings = Settings.from_mapping({"DATABASE_URL": stack.database_url})
    later = utcnow() + dt.timedelta(days=settings.RETENTION_DAYS + 1)
    assert retention.purge_expired(settings, now=later)["conversation_events"] > 0
    assert count() == 0
