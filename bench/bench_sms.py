"""SMS gateway benchmark: signed webhook -> TwiML through the real stack as `make run` starts it
(supervisord: gunicorn web, Rasa, the action server, the huey worker), in two profiles in one run:

- embedded: a throwaway SQLite copy of the demo database, one Rasa (tracker store in SQLite);
- scaled: PostgreSQL + Redis (throwaway servers, as `make services` gives), two Rasa servers
  (RASA_INSTANCES=2, shared tracker and lock stores), and one of them killed with SIGKILL in the
  middle of the sustained run: its conversations must resume on the other, nothing lost.

Measures p50/p95 latency at 1, 10 and 50 concurrent conversations, messages per second sustained
for two minutes with nothing lost (every text answered by the bot, every inbound row `answered`),
and the resident memory of the whole service. Baseline, measured in the same run: the same
conversations posted straight to Rasa's REST channel (no signature check, no store, no dedupe), so
the ratio is what the front door costs. Writes the `## SMS gateway` section of bench/RESULTS.md.

    .venv/bin/python bench/bench_sms.py [--sustain 120] [--phase 20] [--profiles embedded,scaled]
"""
from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from tqdm import tqdm  # noqa: E402

from bench.results_file import write_section  # noqa: E402
from tests.e2e.sms_stack import SmsStack, missing_parts  # noqa: E402

# One conversation: what a person texts to get to a referral (the bot searches, shows, refers).
SCRIPT = ["hi", "any NA meeting tonight near 92701", "1", "yes"]
FALLBACK_MARK = "I'm slow right now"
PHONE_NUMBERS = itertools.count(1)
GOALS = {"embedded": {"p95_ms_at_10": 500, "msgs_per_s": 20, "lost": 0, "rss_mb": 2560},
         "scaled": {"p95_ms_at_10": 500, "msgs_per_s": 50, "lost": 0, "rss_mb": 3072}}


class Load:
    """Closed-loop load: `concurrency` conversations at once, each a new phone, for `seconds`."""

    def __init__(self, send, concurrency: int, seconds: float, label: str):
        self.send, self.concurrency, self.seconds, self.label = send, concurrency, seconds, label
        self.latencies: list[float] = []
        self.errors = self.fallbacks = self.empty = 0
        self.phones: list[str] = []
        self.lock = threading.Lock()

    def worker(self, index: int, deadline: float, bar) -> None:
        session = requests.Session()
        while time.time() < deadline:
            with self.lock:
                phone = f"+1541{next(PHONE_NUMBERS):07d}"  # a new person each conversation
                self.phones.append(phone)
            for message in SCRIPT:
                start = time.perf_counter()
                try:
                    status, replies = self.send(session, phone, message)
                except requests.RequestException:
                    status, replies = 0, []
                elapsed = time.perf_counter() - start
                with self.lock:
                    self.latencies.append(elapsed)
                    if status != 200:
                        self.errors += 1
                    elif not replies:
                        self.empty += 1
                    elif any(FALLBACK_MARK in r for r in replies):
                        self.fallbacks += 1
                bar.update(1)
                if time.time() >= deadline:
                    break

    def run(self) -> dict:
        deadline = time.time() + self.seconds
        with tqdm(desc=f"{self.label} x{self.concurrency}", unit="msg", leave=False) as bar:
            threads = [threading.Thread(target=self.worker, args=(i, deadline, bar)) for i in range(self.concurrency)]
            started = time.time()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.time() - started
        lat = sorted(self.latencies)
        return {"label": self.label, "concurrency": self.concurrency, "messages": len(lat), "seconds": round(wall, 1),
                "msgs_per_s": round(len(lat) / wall, 1) if wall else 0,
                "p50_ms": round(1000 * statistics.median(lat)) if lat else None,
                "p95_ms": round(1000 * lat[int(0.95 * (len(lat) - 1))]) if lat else None,
                "errors": self.errors, "fallbacks": self.fallbacks, "empty": self.empty}


def gateway_sender(stack: SmsStack):
    def send(session, phone, message):
        return stack.text(phone, message, session=session, timeout=30)
    return send


def rasa_sender(stack: SmsStack):
    from directory.settings import Settings
    from directory.texting.rasa_client import rasa_url
    servers = Settings(RASA_URL=",".join(f"http://127.0.0.1:{port}" for port in stack.rasa_ports))

    def send(session, phone, message):
        sender = "bench" + phone[1:]
        r = session.post(rasa_url(servers, sender) + "/webhooks/rest/webhook", json={"sender": sender, "message": message},
                         timeout=30)
        return r.status_code, [a.get("text", "") for a in r.json()] if r.status_code == 200 else []
    return send


def inbound_statuses(stack: SmsStack, numbers: list[str]) -> dict:
    """What the gateway stored for these phones: {'answered': n, 'pending': n, ...}."""
    from sqlalchemy import func, select

    from directory import db
    from directory.people import phones
    from directory.texting.models import InboundMessage
    db.configure(stack.env["DATABASE_URL"])
    pseudonyms = [phones.pseudonym(p) for p in numbers]
    counts: dict[str, int] = {}
    with db.Session() as s:
        for i in range(0, len(pseudonyms), 500):
            rows = s.execute(select(InboundMessage.status, func.count()).where(
                InboundMessage.pseudonym.in_(pseudonyms[i:i + 500])).group_by(InboundMessage.status)).all()
            for status, n in rows:
                counts[status] = counts.get(status, 0) + n
    return counts


def cpu_seconds(stack: SmsStack) -> dict[int, tuple[str, float]]:
    """CPU seconds used so far by each process of the service: {pid: (part, seconds)}."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[int, tuple[str, float]] = {}
    for pid in stack.pids():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmd = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
        except OSError:
            continue
        part = ("rasa actions" if "rasa run actions" in cmd else "rasa" if "rasa run" in cmd or "bot.rasa_server run" in cmd else
                "web (gateway + API)" if "gunicorn" in cmd else "worker" if "huey_consumer" in cmd else None)
        if part:
            used[pid] = (part, (int(stat[11]) + int(stat[12])) / tick)
    return used


def cpu_by_part(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds each part used between two samples. `after` holds the last sample of every process
    seen in between, so a process killed in between counts up to its last sample (taken just before
    the kill); one started in between, such as a restarted Rasa, counts from its start."""
    parts: dict[str, float] = {}
    for pid, (part, seconds) in after.items():
        parts[part] = parts.get(part, 0.0) + seconds - before.get(pid, (part, 0.0))[1]
    return parts


class CpuLedger:
    """The service's CPU over a run: a sample at the start, then the last sample of every process
    seen since, the killed ones too (`kill` samples first: what a process used is lost with it)."""

    def __init__(self, stack):
        self.stack = stack
        self.before = cpu_seconds(stack)
        self.seen: dict[int, tuple[str, float]] = {}

    def sample(self) -> None:
        self.seen.update(cpu_seconds(self.stack))

    def kill(self, kill):
        """Sample, then `kill()` (a part of the service); returns what it returned."""
        self.sample()
        return kill()

    def used(self) -> dict[str, float]:
        """CPU seconds each part used since the start, up to the last sample."""
        return cpu_by_part(self.before, self.seen)


LOAD_GENERATOR = "load generator (this script)"


def own_cpu_seconds() -> float:
    """The benchmark's own CPU: its client threads share the machine's cores with the service."""
    t = os.times()
    return t.user + t.system


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) // 1024 // 1024
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), {mem} GB RAM, Python {platform.python_version()}"


def start_profile(profile: str, workdir: Path, stack_env: dict, cleanup: list) -> SmsStack:
    """The service in one profile, started as an operator would; `cleanup` gets what to stop after."""
    if profile == "embedded":
        database = workdir / "signpost.db"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "LOG_LEVEL": "WARNING"}
        print("==> embedded: seeding a throwaway demo database (SQLite)", flush=True)
        subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "web", "directory", "seed-demo"], cwd=ROOT,
                       env=env, check=True, capture_output=True)
        return SmsStack(workdir, database, extra_env=stack_env)
    from contextlib import ExitStack

    from tests.pg import postgres_server
    from tests.redis_server import redis_server
    servers = ExitStack()
    cleanup.append(servers.close)
    pg_url = servers.enter_context(postgres_server())
    redis_url = servers.enter_context(redis_server())
    plain = "postgresql://" + pg_url.split("://", 1)[1]
    env = {**os.environ, "DATABASE_URL": plain, "LOG_LEVEL": "WARNING"}
    print("==> scaled: PostgreSQL + Redis, seeding the demo directory", flush=True)
    subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "web", "directory", "seed-demo"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    return SmsStack(workdir, plain, extra_env=stack_env, rasa_instances=2, redis_url=redis_url)


def measure(stack: SmsStack, args, kill_mid_run: bool) -> dict:
    """Latency phases (Rasa direct, then the gateway), then the sustained run; with `kill_mid_run`
    the first Rasa server is SIGKILLed halfway through it (the supervisor restarts it)."""
    results, rss_samples, gateway_phones = [], [], []
    for label, sender in (("rasa-direct", rasa_sender(stack)), ("gateway", gateway_sender(stack))):
        Load(sender, 1, 3, "warm-up").run()
        for concurrency in (1, 10, 50):
            load = Load(sender, concurrency, args.phase, label)
            results.append(load.run())
            print(results[-1], flush=True)
            if label == "gateway":
                gateway_phones += load.phones
            rss_samples.append(stack.rss_mb())
    sustained_load = Load(gateway_sender(stack), args.sustain_concurrency, args.sustain, "sustained")
    sampler_stop = threading.Event()
    killed = []

    def sample():
        started = time.time()
        while not sampler_stop.wait(5):
            rss_samples.append(stack.rss_mb())
            cpu.sample()
            if kill_mid_run and not killed and time.time() - started >= args.sustain / 2:
                killed.append((round(time.time() - started), cpu.kill(lambda: stack.kill_rasa(stack.rasa_ports[0]))))
                print(f"==> killed the Rasa server on port {stack.rasa_ports[0]} (SIGKILL)", flush=True)
    sampler = threading.Thread(target=sample)
    cpu, own_before = CpuLedger(stack), own_cpu_seconds()
    sampler.start()
    sustained = sustained_load.run()
    cpu.sample()
    own_used = own_cpu_seconds() - own_before
    sampler_stop.set()
    sampler.join()
    time.sleep(2)
    stored = inbound_statuses(stack, sustained_load.phones)
    sustained["stored"] = stored
    # The fallback is an answer, and its message is kept `pending` for the worker: lost only if it never gets one.
    deadline = time.time() + 180
    while (stored := inbound_statuses(stack, sustained_load.phones)).get("pending") and time.time() < deadline:
        time.sleep(3)
    sustained["stored_later"] = stored
    sustained["lost"] = sustained["errors"] + sustained["empty"] + (sustained["messages"] - sum(stored.values())) + \
        stored.get("failed", 0) + stored.get("pending", 0)
    sustained["killed_at_s"] = killed[0][0] if killed else None
    print(sustained, flush=True)
    deadline = time.time() + 120
    while (later := inbound_statuses(stack, gateway_phones)).get("pending") and time.time() < deadline:
        time.sleep(3)
    cpu_per_message = {part: round(1000 * seconds / max(1, sustained["messages"]))
                       for part, seconds in sorted(cpu.used().items())}
    cpu_per_message[LOAD_GENERATOR] = round(1000 * own_used / max(1, sustained["messages"]))
    return {"results": results, "sustained": sustained, "later": later, "cpu": cpu_per_message,
            "rss": max(rss_samples) if rss_samples else 0}


def profile_lines(profile: str, m: dict, args, stopped_in: float) -> list[str]:
    by = {(r["label"], r["concurrency"]): r for r in m["results"]}
    sustained, goals, rss = m["sustained"], GOALS[profile], m["rss"]
    title = ("Embedded: SQLite, one Rasa (tracker store in SQLite beside the directory)" if profile == "embedded" else
             "Scaled: PostgreSQL + Redis, two Rasa servers (RASA_INSTANCES=2, shared tracker and lock stores), "
             f"the first killed with SIGKILL {sustained['killed_at_s']} s into the sustained run")
    lines = [f"### {title}", "",
             "| concurrency | gateway p50 ms | gateway p95 ms | gateway msg/s | Rasa direct p50 ms | Rasa direct p95 ms | p95 ratio | errors | fallbacks |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in (1, 10, 50):
        g, r = by[("gateway", c)], by[("rasa-direct", c)]
        ratio = f"{g['p95_ms'] / r['p95_ms']:.2f}" if r["p95_ms"] else "-"
        lines.append(f"| {c} | {g['p50_ms']} | {g['p95_ms']} | {g['msgs_per_s']} | {r['p50_ms']} | {r['p95_ms']} | {ratio} | "
                     f"{g['errors']} | {g['fallbacks']} |")
    p95_10 = by[("gateway", 10)]["p95_ms"]
    verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    lines += [
        "",
        f"Sustained {sustained['seconds']:.0f} s at {args.sustain_concurrency} conversations: **{sustained['msgs_per_s']} msg/s** "
        f"({sustained['messages']} messages, p50 {sustained['p50_ms']} ms, p95 {sustained['p95_ms']} ms), "
        f"stored {sustained['stored']} (after the worker: {sustained['stored_later']}), fallbacks {sustained['fallbacks']}, "
        f"**lost {sustained['lost']}**.",
        "CPU per message during it, by process: " + ", ".join(f"{k} {v} ms" for k, v in m["cpu"].items())
        + f" (loadavg {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end: the other work on the machine).",
        f"Latency phases, once the worker had answered what got the fallback: stored {m['later']}.",
        f"Resident memory of the whole service (all processes, max sampled): **{rss / 1024:.2f} GB**. "
        f"Ctrl-C stopped everything in {stopped_in:.1f} s.",
        "",
        f"Goals: p95 <= {goals['p95_ms_at_10']} ms at 10 concurrent: {p95_10} ms, {verdict(p95_10 <= goals['p95_ms_at_10'])}; "
        f">= {goals['msgs_per_s']} msg/s: {verdict(sustained['msgs_per_s'] >= goals['msgs_per_s'])}; "
        f"0 lost: {verdict(sustained['lost'] == 0)}; RSS <= {goals['rss_mb'] / 1024:.1f} GB: {verdict(rss <= goals['rss_mb'])}.",
        "",
    ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase", type=float, default=20, help="seconds per latency phase (default 20)")
    parser.add_argument("--sustain", type=float, default=120, help="seconds of sustained load (default 120)")
    parser.add_argument("--sustain-concurrency", type=int, default=10)
    parser.add_argument("--profiles", default="embedded,scaled",
                        help="comma-separated: embedded (SQLite, one Rasa), scaled (PostgreSQL + Redis, two Rasa, one killed)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args()
    reason = missing_parts()
    if reason:
        print(f"Cannot benchmark the SMS gateway: {reason}.", file=sys.stderr)
        return 2
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()]
    if not set(profiles) <= set(GOALS):
        parser.error(f"--profiles: choose from {', '.join(GOALS)}")
    # The web app logs at WARNING here as in production; INFO lines per text would measure the terminal.
    stack_env = {"LOG_LEVEL": "WARNING"}
    body = []
    for profile in profiles:
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-sms-{profile}-"))
        cleanup: list = []
        try:
            stack = start_profile(profile, workdir, stack_env, cleanup)
            print(f"==> {profile}: starting the service (supervisord); Rasa loads its model", flush=True)
            stack.start(timeout=360)
            try:
                measured = measure(stack, args, kill_mid_run=profile == "scaled")
            finally:
                stopped_in = stack.stop()
        finally:
            for close in cleanup:
                close()
        body += profile_lines(profile, measured, args, stopped_in)

    lines = [
        "## SMS gateway",
        "",
        f"`bench/bench_sms.py`, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC. Machine: {machine()}.",
        "Whole stack as `make run` starts it (supervisord: gunicorn gthread 2x32, Rasa, action server, huey worker),",
        f"no Twilio account (texts to the outbox). A conversation is {SCRIPT!r}: greet, search, details,",
        "referral (writes a referral and two outbox texts). Each conversation is a new phone. Closed loop: N conversations at once.",
        "Baseline in the same run: the same conversations posted straight to Rasa's REST channel. A text answered with the",
        "fallback is kept and answered later by the worker; it counts as lost only if it never is.",
        "The machine is shared with other engineers' jobs while this runs: figures are indicative.",
        "",
        *body,
    ]
    report = "\n".join(lines)
    print(report)
    if not args.no_write:
        write_section(report, "## SMS gateway")
        print("\nWritten to bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
