"""Fixtures for the SMS gateway: an app with known Twilio/Rasa settings, signed webhooks, a stand-in
for Rasa's REST channel (a real HTTP server on a free port) and the Prism mock of Twilio's API."""
from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest
from twilio.request_validator import RequestValidator

from directory import db
from directory import settings as app_settings
from directory.texting import jobs

ROOT = Path(__file__).resolve().parents[2]
AUTH_TOKEN = "test-auth-token"
ACCOUNT_SID = "AC" + "1" * 32
PUBLIC_BASE_URL = "https://signpost.example.org"
RASA_TIMEOUT = 2.0  # generous: a loaded CI machine must not turn a quick answer into a fallback
SLOW = RASA_TIMEOUT + 0.5  # a Rasa that misses the budget
PHONE = "+15415550123"
OTHER_PHONE = "+12025550101"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeRasa:
    """Rasa's REST channel and tracker endpoint, as far as the gateway uses them.

    `reply` maps a message to the bot's answers (default: echo); `delay` makes it slow; `calls`
    records what was posted, so tests can check Rasa saw a pseudonym and never a number."""

    def __init__(self):
        self.calls: list[dict] = []
        self.delay = 0.0
        self.reply = lambda message: [f"bot heard: {message}"]
        self.tracker_events: dict[str, list] = {}
        self.tracker_slots: dict[str, dict] = {}
        self.parse = {"intent": {"name": "find_housing", "confidence": 0.91},
                      "entities": [{"entity": "location", "value": "97201"}]}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                path = urlparse(self.path).path
                if path == "/webhooks/rest/webhook":
                    fake.calls.append(body)
                    time.sleep(fake.delay)
                    self._send(200, [{"recipient_id": body["sender"], "text": t} for t in fake.reply(body["message"])])
                elif path == "/model/parse":
                    self._send(200, {"text": body["text"], **fake.parse})
                else:
                    self._send(404, {})

            def do_GET(self):
                path = urlparse(self.path).path
                if path.startswith("/conversations/") and path.endswith("/tracker"):
                    sender = path.split("/")[2]
                    self._send(200, {"sender_id": sender, "events": fake.tracker_events.get(sender, []),
                                     "slots": fake.tracker_slots.get(sender, {})})
                else:
                    self._send(200, {"version": "fake"})

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True  # closing does not wait for a deliberately slow answer
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rasa():
    fake = FakeRasa()
    yield fake
    fake.close()


@pytest.fixture
def immediate_queue():
    """huey runs tasks in-process at enqueue time (scheduled ones wait in memory)."""
    jobs.huey.immediate = True
    yield jobs.huey
    jobs.huey.immediate = False


def make_sms_app(db_url: str, rasa_url: str, **extra):
    from web import create_app
    config = {"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test", "SERVICE_TOKEN": "test-token",
              "RASA_URL": rasa_url, "ACTION_SERVER_URL": "http://127.0.0.1:9", "HEALTH_TIMEOUT": 0.2,
              "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
              "TWILIO_ACCOUNT_SID": None, "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "RASA_TIMEOUT": RASA_TIMEOUT,
              "FOLLOW_UP_AFTER_HOURS": 48}
    config.update(extra)
    return create_app(config)


@pytest.fixture
def sms_app(db_url, rasa, immediate_queue, monkeypatch):
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)
    app = make_sms_app(db_url, rasa.url, TWILIO_ACCOUNT_SID=None)
    # Webhooks say "our account" with the simulator's SID when no Twilio account is configured.
    yield app
    jobs.configure(app_settings.settings_from_env())
    db.engine().dispose()


@pytest.fixture
def sms_client(sms_app):
    return sms_app.test_client()


class Texter:
    """Posts signed webhooks the way Twilio does."""

    def __init__(self, client, account_sid: str, token: str = AUTH_TOKEN):
        self.client, self.account_sid, self.token = client, account_sid, token
        self.count = 0

    def sign(self, path: str, params: dict) -> str:
        return RequestValidator(self.token).compute_signature(PUBLIC_BASE_URL + path, params)

    def post(self, path: str, params: dict, signature: str | None = None):
        return self.client.post(path, data=params, headers={"X-Twilio-Signature": signature or self.sign(path, params)})

    def text(self, body: str | None, from_: str = PHONE, sid: str | None = None, **extra):
        self.count += 1
        params = {"AccountSid": self.account_sid, "MessageSid": sid or f"SM{self.count:032d}", "From": from_,
                  "To": "+15005550006", "NumMedia": "0", **extra}
        if body is not None:
            params["Body"] = body
        return self.post("/sms/inbound", params)


@pytest.fixture
def texter(sms_client, sms_app):
    return Texter(sms_client, sms_app.extensions["sms_settings"].account_sid)


def replies(response) -> list[str]:
    """The <Message> texts of a TwiML answer."""
    import xml.etree.ElementTree as ET
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/xml"
    return [m.text or "" for m in ET.fromstring(response.data).iter("Message")]


# --- Prism: Twilio's own OpenAPI description as a mock server ---------------------------------------
PRISM = ROOT / "node_modules" / ".bin" / "prism"


@pytest.fixture(scope="session")
def twilio_mock(shared_data, tmp_path_factory):
    """Prism serving Twilio's API v2010 spec with --errors: a request that breaks the schema is a 4xx."""
    if not PRISM.exists():
        pytest.fail("The Twilio mock is not installed: run `make twilio-mock-setup` (npm ci) first.")
    spec = shared_data / "twilio-oai" / "twilio_api_v2010.json"
    port = free_port()
    log_path = tmp_path_factory.mktemp("prism") / "prism.log"
    log = open(log_path, "w")
    proc = subprocess.Popen([str(PRISM), "mock", "--errors", "-h", "127.0.0.1", "-p", str(port), str(spec)],
                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"Prism exited at start-up: {log_path.read_text()[-2000:]}")
            time.sleep(0.3)
    else:
        proc.kill()
        log.close()
        pytest.fail("Prism did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(10)
    log.close()
