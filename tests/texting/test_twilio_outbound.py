"""Outbound SMS through the real twilio client, against Prism serving Twilio's own OpenAPI description
(--errors: a request that breaks Twilio's schema is an error, and fails these tests)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException

from directory import db
from directory import settings as app_settings
from directory.texting import jobs
from directory.people import phones
from directory.referrals.models import Referral
from tests.texting.conftest import ACCOUNT_SID, AUTH_TOKEN, PHONE, SLOW, Texter, free_port, make_sms_app, replies
from tests.texting.test_gateway import outbox_rows, refer

FROM_NUMBER = "+15005550006"


@pytest.fixture
def twilio_app(db_url, rasa, immediate_queue, twilio_mock):
    app = make_sms_app(db_url, rasa.url, TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_FROM_NUMBER=FROM_NUMBER,
                       TWILIO_API_BASE_URL=twilio_mock)
    yield app
    jobs.configure(app_settings.settings_from_env())
    db.engine().dispose()


@pytest.fixture
def twilio_texter(twilio_app):
    return Texter(twilio_app.test_client(), ACCOUNT_SID)


def test_mock_rejects_requests_that_break_twilios_schema(twilio_mock):
    """The mock really validates: without this, the tests below would prove nothing."""
    client = jobs.twilio_client(ACCOUNT_SID, AUTH_TOKEN, twilio_mock)
    with pytest.raises(TwilioRestException) as bad:
        client.messages.create(from_=FROM_NUMBER, body="hi", to=PHONE, status_callback="not a url", max_price="free")
    assert bad.value.status == 422
    ok = client.messages.create(from_=FROM_NUMBER, body="hi", to=PHONE, status_callback="https://example.org/sms/status")
    assert ok.sid.startswith("SM")


def test_referral_text_goes_through_twilio_with_a_status_callback(twilio_texter, twilio_mock):
    replies(twilio_texter.text("hi"))
    ref_id, _ = refer(share=True)
    rows = outbox_rows()
    assert [(r.kind, r.status) for r in rows] == [("referral", "sent"), ("provider", "sent")]
    assert all(r.provider_sid and r.provider_sid.startswith("SM") and r.error_code is None for r in rows)
    # Twilio's delivery callback for it, signed, moves the referral on.
    params = {"AccountSid": ACCOUNT_SID, "MessageSid": rows[0].provider_sid, "MessageStatus": "delivered"}
    assert twilio_texter.post("/sms/status", params).status_code == 204
    with db.Session() as s:
        assert s.get(Referral, ref_id).status == "delivered"


def test_after_stop_nothing_reaches_twilio(twilio_texter):
    replies(twilio_texter.text("STOP"))
    refer()
    assert [(r.kind, r.status, r.provider_sid) for r in outbox_rows()] == [("referral", "blocked", None)]


def test_late_answer_is_sent_by_sms(twilio_texter, rasa):
    rasa.delay = SLOW
    replies(twilio_texter.text("meeting near 97201"))
    rasa.delay = 0
    from directory.texting.models import InboundMessage
    with db.Session() as s:
        inbound_id = s.scalars(select(InboundMessage.id)).one()
    assert jobs.answer_pending.call_local(inbound_id) == "answered"
    (reply,) = outbox_rows()
    assert (reply.kind, reply.status) == ("reply", "sent") and reply.provider_sid


class TwilioErrors:
    """Twilio's cloud answering with errors Prism cannot produce: 21610 (opted out) and a 503."""

    def __init__(self, status, payload):
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def app_with_twilio_at(db_url, rasa, immediate_queue):
    servers = []

    def make(status, payload):
        server = TwilioErrors(status, payload)
        servers.append(server)
        return make_sms_app(db_url, rasa.url, TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_FROM_NUMBER=FROM_NUMBER,
                            TWILIO_API_BASE_URL=server.url)
    yield make
    for server in servers:
        server.close()
    jobs.configure(app_settings.settings_from_env())


def test_error_21610_is_recorded_and_the_person_opted_out(app_with_twilio_at):
    app = app_with_twilio_at(400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient",
                                   "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400})
    Texter(app.test_client(), ACCOUNT_SID).text("hi")
    refer()
    (row,) = outbox_rows()
    assert (row.status, row.error_code) == ("blocked", "21610")
    with db.Session() as s:
        assert phones.find(s, phones.pseudonym(PHONE)).opted_out


def test_transient_errors_are_retried_with_backoff_then_given_up(app_with_twilio_at, immediate_queue):
    app = app_with_twilio_at(503, {"code": 20500, "message": "Service unavailable", "status": 503})
    Texter(app.test_client(), ACCOUNT_SID).text("hi")
    refer()
    (row,) = outbox_rows()
    assert (row.status, row.error_code) == ("queued", "20500")
    (retry,) = [t for t in immediate_queue.scheduled() if t.name == "send_sms"]
    assert retry.args == (row.id, 1)
    assert [jobs.backoff(a) for a in range(5)] == [10, 30, 90, 270, 810]
    assert jobs.deliver(row.id, jobs.SEND_ATTEMPTS - 1) == "failed"
    with db.Session() as s:
        assert s.get(Referral, row.referral_id).status == "failed"


def test_permanent_errors_fail_without_retry(app_with_twilio_at, immediate_queue):
    app = app_with_twilio_at(400, {"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400})
    Texter(app.test_client(), ACCOUNT_SID).text("hi")
    refer()
    (row,) = outbox_rows()
    assert (row.status, row.error_code) == ("failed", "21211")
    assert not [t for t in immediate_queue.scheduled() if t.name == "send_sms"]
