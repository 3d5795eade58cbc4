"""Requests gunicorn itself refuses (over its limits) get the API's JSON error envelope, not HTML."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory, seeded_db_template):
    import shutil
    db_path = tmp_path_factory.mktemp("gunicorn") / "signpost.db"
    shutil.copy(seeded_db_template, db_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--worker-class",
                             "web.gunicorn_workers.JsonErrorThreadWorker", "--workers", "1", "--bind", f"127.0.0.1:{port}",
                             "--log-level", "critical", "web:create_app()"],
                            cwd=ROOT, env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{db_path}",
                                           "LOG_LEVEL": "WARNING", "HOME": "/tmp"})
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield port
    proc.terminate()
    proc.wait(timeout=30)


def raw(port: int, request: bytes) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize("request_bytes", [
    b"GET /api/v1/search?near=" + b"9" * 4500 + b" HTTP/1.1\r\nHost: x\r\n\r\n",  # gunicorn reads it whole
    b"GET /api/v1/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
    b"GET /api/v1/ HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(120)) + b"\r\n",
], ids=["request line too long", "header too long", "too many headers"])
def test_gunicorns_own_refusals_are_json(server, request_bytes):
    got, headers, body = raw(server, request_bytes)
    assert got in (400, 431)
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] and error["message"]


def test_ordinary_requests_still_reach_the_app(server):
    got, headers, body = raw(server, b"GET /api/v1/search HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert got == 400 and json.loads(body)["error"]["code"]
