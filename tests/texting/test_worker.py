"""The worker for real: a huey consumer (threads, on a SQLite queue file of its own) picks up the
retry the gateway scheduled after Rasa missed its budget, and texts the bot's answer."""
from __future__ import annotations

import time

import pytest
from huey.storage import SqliteStorage
from sqlalchemy import select

from directory import db
from directory import settings as app_settings
from directory.texting import jobs
from directory.people import phones
from directory.people.models import OutboundMessage
from directory.texting.models import InboundMessage
from tests.texting.conftest import PHONE, SLOW, Texter, make_sms_app, replies


@pytest.fixture
def consumer(tmp_path):
    real_storage = jobs.huey.storage
    jobs.huey.storage = SqliteStorage("signpost-test", filename=str(tmp_path / "queue.db"))
    worker = jobs.huey.create_consumer(workers=2, worker_type="thread", periodic=False, check_worker_health=False)
    worker.start()
    yield jobs.huey
    worker.stop(graceful=True)
    jobs.huey.storage = real_storage


def test_a_slow_answer_is_texted_later_by_the_worker(db_url, rasa, consumer):
    app = make_sms_app(db_url, rasa.url, RASA_RETRY_DELAY=1)
    texter = Texter(app.test_client(), app.extensions["sms_settings"].account_sid)
    rasa.delay = SLOW
    (fallback,) = replies(texter.text("sober living near 97201"))
    assert "211" in fallback
    rasa.delay = 0
    deadline = time.time() + 20
    while time.time() < deadline:
        with db.Session() as s:
            later = s.scalars(select(OutboundMessage).where(OutboundMessage.kind == "reply")).all()
            status = s.scalar(select(InboundMessage.status))
        if later and status == "answered":
            break
        time.sleep(0.2)
    assert [m.body for m in later] == ["bot heard: sober living near 97201"]
    assert later[0].to == phones.address_of(phones.pseudonym(PHONE)) and later[0].status == "outbox"
    assert status == "answered"
    jobs.configure(app_settings.settings_from_env())
