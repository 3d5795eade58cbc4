"""Shared fixtures: the repository on sys.path, a real directory API on a fresh SQLite database,
and the trained model (loaded once)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

SERVICE_TOKEN = "bot-test-service-token"
APP_FLASK = ROOT / os.environ.get("VENV", ".venv") / "bin" / "flask"
MODEL = ROOT / "models" / "signpost.tar.gz"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def directory_api():
    """The Flask app (web/) on a temp SQLite DB with the demo directory: the real API, not a mock."""
    if not APP_FLASK.exists():
        pytest.fail(f"{APP_FLASK} missing: run `make app-setup` first (the bot tests need the real API)")
    tmp = tempfile.mkdtemp(prefix="signpost-bot-test-")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/directory.db", "SIGNPOST_SERVICE_TOKEN": SERVICE_TOKEN,
           "FLASK_APP": "web", "LOG_LEVEL": "WARNING", "SIGNPOST_ENV": "development"}
    env.pop("TWILIO_ACCOUNT_SID", None)
    for cmd in (["directory", "migrate"], ["directory", "seed-demo"]):
        subprocess.run([str(APP_FLASK), "--app", "web", *cmd], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    port = _free_port()
    proc = subprocess.Popen([str(APP_FLASK), "--app", "web", "run", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120  # the app can take a while to start on a busy CI machine
        while True:
            try:
                requests.get(url + "/api/v1/search?near=92701&limit=1", timeout=60)
                break
            except requests.ConnectionError:
                if time.time() > deadline or proc.poll() is not None:
                    pytest.fail("the directory API did not start")
                time.sleep(0.3)
        yield {"url": url, "token": SERVICE_TOKEN, "env": env}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def api_client(directory_api, monkeypatch):
    """Point the actions' shared client at the test API."""
    from bot.actions import search_actions
    from bot.actions.directory_api import DirectoryClient
    client = DirectoryClient(directory_api["url"], directory_api["token"])
    monkeypatch.setattr(search_actions, "_client", client)
    return client


@pytest.fixture(scope="session")
def agent():
    """The trained model, for parse-quality tests (make bot-train first)."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} missing: run `make bot-train` first")
    import logging
    logging.getLogger("rasa").setLevel(logging.ERROR)
    from rasa.core.agent import Agent
    return Agent.load(str(MODEL))
