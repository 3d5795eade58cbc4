"""The whole service as `make run` starts it (`python -m directory.service run`: supervisord with
gunicorn web, RASA_INSTANCES Rasa servers, the action server, the huey worker) on free ports and a
throwaway database, for the SMS end-to-end tests and bench/bench_sms.py. Texts are posted as Twilio
would: form fields with X-Twilio-Signature."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import requests
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "signpost.tar.gz"
AUTH_TOKEN = "e2e-auth-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (RASA_INSTANCES servers from RASA_PORT on)."""
    for _ in range(50):
        first = free_port()
        try:
            for port in range(first, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError(f"no {count} consecutive free ports")


def missing_parts() -> str | None:
    """Why the stack cannot start here, or None."""
    if not (ROOT / ".venv-bot" / "bin" / "rasa").exists():
        return "the bot's environment is missing (make bot-setup)"
    if not MODEL.exists():
        return "the bot's model is missing (make bot-train)"
    return None


class SmsStack:
    def __init__(self, workdir: Path, database: Path | str, web_workers: int = 2, extra_env: dict | None = None,
                 rasa_instances: int = 1, redis_url: str | None = None):
        """`database`: a SQLite file, or a database URL (PostgreSQL)."""
        self.workdir = workdir
        self.ports = {"PORT": free_port(), "RASA_PORT": free_ports(rasa_instances), "ACTION_PORT": free_port()}
        self.rasa_ports = [self.ports["RASA_PORT"] + i for i in range(rasa_instances)]
        self.web = f"http://127.0.0.1:{self.ports['PORT']}"
        self.database_url = database if isinstance(database, str) else f"sqlite:///{database}"
        self.env = {**os.environ, **{k: str(v) for k, v in self.ports.items()},
                    "RASA_INSTANCES": str(rasa_instances), "SIGNPOST_RUN_DIR": str(workdir / "run"),
                    "DATABASE_URL": self.database_url, "HUEY_SQLITE_PATH": str(workdir / "huey.db"),
                    "PUBLIC_BASE_URL": self.web, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "SIGNPOST_ENV": "development",
                    "SIGNPOST_API_URL": self.web, "SIGNPOST_SERVICE_TOKEN": "e2e-service-token",
                    "WEB_WORKERS": str(web_workers), "LOG_LEVEL": "INFO", "RASA_TELEMETRY_ENABLED": "false",
                    "SECRET_KEY": "e2e", **(extra_env or {})}
        for name in ("TWILIO_ACCOUNT_SID", "REDIS_URL", "RASA_URL", "RASA_TRACKER_URL", "MAKEFLAGS", "MAKELEVEL", "MFLAGS"):
            self.env.pop(name, None)
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        self.log_path = workdir / "service.log"
        self.proc: subprocess.Popen | None = None
        self.account_sid = "AC" + "0" * 32  # the simulator's account when TWILIO_ACCOUNT_SID is unset
        self.phone_seq = 0
        self.last_health = None

    # --- processes -----------------------------------------------------------------------------
    def start(self, timeout: float = 240) -> "SmsStack":
        self._log = open(self.log_path, "a")
        command = [str(ROOT / ".venv" / "bin" / "python"), "-m", "directory.service", "run"]
        self.proc = subprocess.Popen(command,
                                     cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the supervisor exited early:\n{self.log_tail()}")
            if self.ready():
                return self
            time.sleep(1)
        self.stop()
        raise RuntimeError(f"the stack was not ready within {timeout:.0f} s (health: {self.last_health}):\n"
                           f"{self.log_tail()}")

    def wait_ready(self, timeout: float = 240) -> None:
        deadline = time.time() + timeout
        while not self.ready():
            if time.time() > deadline:
                raise RuntimeError(f"not ready again within {timeout:.0f} s (health: {self.last_health}):\n{self.log_tail()}")
            time.sleep(1)

    def kill_rasa(self, port: int) -> int:
        """SIGKILL the Rasa server on `port` (as the kernel's OOM killer would); returns its pid."""
        pids = self.pids_running(lambda cmd: b"bot.rasa_server" in cmd and str(port).encode() in cmd)
        if not pids:
            raise RuntimeError(f"no Rasa server on port {port}")
        os.kill(pids[0], signal.SIGKILL)
        return pids[0]

    def action_server_pids(self) -> list[int]:
        return self.pids_running(lambda cmd: b"run" in cmd and b"actions" in cmd and b"--actions" in cmd)

    def pids_running(self, matches) -> list[int]:
        """The service's processes whose command line (a list of bytes) `matches`."""
        found = []
        for pid in self.pids():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if matches(cmd):
                found.append(pid)
        return found

    def ready(self) -> bool:
        try:
            health = self.last_health = requests.get(self.web + "/healthz", timeout=2).json()
            if not all(c["status"] == "ok" for c in health["checks"].values()):
                return False
            return all(requests.post(f"http://127.0.0.1:{port}/model/parse", json={"text": "hi"}, timeout=5).status_code == 200
                       for port in self.rasa_ports)
        except (requests.RequestException, ValueError, KeyError):
            return False

    def stop(self, timeout: float = 30) -> float:
        """Ctrl-C, as a person at the terminal would; returns how long everything took to stop."""
        if self.proc is None or self.proc.poll() is not None:
            return 0.0
        start = time.time()
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
            raise RuntimeError(f"the supervisor did not stop on Ctrl-C within {timeout} s")
        finally:
            self._log.close()
        return time.time() - start

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def pids(self) -> list[int]:
        """Every process of the service (the supervisor's children and theirs)."""
        out = subprocess.run(["ps", "-e", "-o", "pid=,pgid=,ppid="], capture_output=True, text=True).stdout
        rows = [tuple(map(int, line.split())) for line in out.splitlines() if line.strip()]
        family, grew = {self.proc.pid}, True
        while grew:
            grew = False
            for pid, _pgid, ppid in rows:
                if ppid in family and pid not in family:
                    family.add(pid)
                    grew = True
        return sorted(family)

    def rss_mb(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    # --- texting -------------------------------------------------------------------------------
    def new_phone(self) -> str:
        self.phone_seq += 1
        return f"+1541555{self.phone_seq % 10000:04d}"

    def text(self, phone: str, body: str, sid: str | None = None, session: requests.Session | None = None,
             timeout: float = 20) -> tuple[int, list[str]]:
        import xml.etree.ElementTree as ET
        params = {"AccountSid": self.account_sid, "MessageSid": sid or "SM" + uuid.uuid4().hex, "From": phone,
                  "To": "+15005550006", "Body": body, "NumMedia": "0"}
        url = self.web + "/sms/inbound"
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
        r = (session or requests).post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=timeout)
        if r.status_code != 200:
            return r.status_code, []
        return 200, [m.text or "" for m in ET.fromstring(r.content).iter("Message")]

    def outbox(self) -> list[dict]:
        out = subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "web", "sms", "outbox", "--limit", "100000"],
                             cwd=ROOT, env={**self.env, "LOG_LEVEL": "WARNING"}, capture_output=True, text=True, check=True)
        return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
