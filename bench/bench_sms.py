"""SMS gateway benchmark: signed webhook -> TwiML through the real stack (honcho + Procfile: gunicorn
web, Rasa, the action server, the huey worker), on a throwaway copy of the demo database.

Measures p50/p95 latency at 1, 10 and 50 concurrent conversations, messages per second sustained
for two minutes with nothing lost (every text answered by the bot, every inbound row `answered`),
and the resident memory of the whole service. Baseline, measured in the same run: the same
conversations posted straight to Rasa's REST channel (no signature check, no store, no dedupe), so
the ratio is what the front door costs. Writes the `## SMS gateway` section of bench/RESULTS.md.

    .venv/bin/python bench/bench_sms.py [--sustain 120] [--phase 20]
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

from tests.e2e.sms_stack import SmsStack, missing_parts  # noqa: E402

# One conversation: what a person texts to get to a referral (the bot searches, shows, refers).
SCRIPT = ["hi", "any NA meeting tonight near 92701", "1", "yes"]
FALLBACK_MARK = "I'm slow right now"
PHONE_NUMBERS = itertools.count(1)
GOALS = {"p95_ms_at_10": 500, "msgs_per_s": 20, "lost": 0, "rss_mb": 2560}


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
    servers = Settings(RASA_URL=stack.env.get("RASA_URL") or f"http://127.0.0.1:{stack.ports['RASA_PORT']}")

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


def cpu_seconds(stack: SmsStack) -> dict[str, float]:
    """CPU seconds used so far by each part of the service (processes grouped by what they run)."""
    tick = os.sysconf("SC_CLK_TCK")
    parts: dict[str, float] = {}
    for pid in stack.pids():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmd = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
        except OSError:
            continue
        part = ("rasa actions" if "rasa run actions" in cmd else "rasa" if "rasa run" in cmd or "bot.rasa_server run" in cmd else
                "web (gateway + API)" if "gunicorn" in cmd else "worker" if "huey_consumer" in cmd else None)
        if part:
            parts[part] = parts.get(part, 0.0) + (int(stat[11]) + int(stat[12])) / tick
    return parts


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) // 1024 // 1024
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), {mem} GB RAM, Python {platform.python_version()}"


NOTES = "### Notes"  # a hand-written subsection at the end of our section, kept across runs


def write_section(text: str, path: Path | None = None) -> None:
    """Replace the `## SMS gateway` section of bench/RESULTS.md, leaving the others alone and
    keeping the section's hand-written NOTES subsection."""
    path = path or ROOT / "bench" / "RESULTS.md"
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(r"^## SMS gateway\n.*?(?=^## |\Z)", re.S | re.M)
    old = pattern.search(current)
    notes = old.group(0)[old.group(0).index(NOTES):].rstrip() + "\n\n" if old and NOTES in old.group(0) else ""
    section = text.rstrip() + "\n\n" + notes
    current = pattern.sub(lambda _m: section, current) if old else current.rstrip() + "\n\n" + section
    path.write_text(current)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phase", type=float, default=20, help="seconds per latency phase (default 20)")
    parser.add_argument("--sustain", type=float, default=120, help="seconds of sustained load (default 120)")
    parser.add_argument("--sustain-concurrency", type=int, default=10)
    parser.add_argument("--rasa-servers", type=int, default=1,
                        help="Rasa processes; above 1 the gateway shards conversations by pseudonym (RASA_URL list)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args()
    reason = missing_parts()
    if reason:
        print(f"Cannot benchmark the SMS gateway: {reason}.", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="bench-sms-"))
    database = workdir / "signpost.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "LOG_LEVEL": "WARNING"}
    print("==> seeding a throwaway demo database", flush=True)
    subprocess.run([str(ROOT / ".venv" / "bin" / "flask"), "--app", "web", "directory", "seed-demo"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    # The web app logs at WARNING here as in production; INFO lines per text would measure the terminal.
    stack = SmsStack(workdir, database, extra_env={"LOG_LEVEL": "WARNING"})
    if args.rasa_servers > 1:  # the Procfile plus more Rasa processes on their own ports
        from tests.e2e.sms_stack import free_port
        extra_ports = [free_port() for _ in range(args.rasa_servers - 1)]
        base = stack.procfile.read_text()
        rasa_command = re.search(r"^rasa:\s*(.+)$", base, re.M).group(1)
        stack.procfile = workdir / "Procfile"
        stack.procfile.write_text(base + "".join(f"rasa{i + 2}: export RASA_PORT={port}; {rasa_command}\n"
                                                 for i, port in enumerate(extra_ports)))
        stack.env["RASA_URL"] = ",".join(f"http://127.0.0.1:{p}" for p in [stack.ports["RASA_PORT"], *extra_ports])
    print("==> starting the service (honcho + Procfile); Rasa loads its model", flush=True)
    stack.start()
    results, rss_samples, gateway_phones = [], [], []
    try:
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

        def sample():
            while not sampler_stop.wait(5):
                rss_samples.append(stack.rss_mb())
        sampler = threading.Thread(target=sample)
        sampler.start()
        cpu_before = cpu_seconds(stack)
        sustained = sustained_load.run()
        cpu_after = cpu_seconds(stack)
        sampler_stop.set()
        sampler.join()
        time.sleep(2)
        stored = inbound_statuses(stack, sustained_load.phones)
        sustained["stored"] = stored
        sustained["lost"] = sustained["errors"] + sustained["empty"] + (sustained["messages"] - sum(stored.values())) + \
            stored.get("failed", 0)
        print(sustained, flush=True)
        # The texts that got the fallback (Rasa over its budget) are `pending`: the worker answers them.
        deadline = time.time() + 120
        while (later := inbound_statuses(stack, gateway_phones)).get("pending") and time.time() < deadline:
            time.sleep(3)
    finally:
        stopped_in = stack.stop()
    rss = max(rss_samples) if rss_samples else 0
    cpu_per_message = {part: round(1000 * (cpu_after[part] - cpu_before.get(part, 0)) / max(1, sustained["messages"]))
                       for part in sorted(cpu_after)}

    by = {(r["label"], r["concurrency"]): r for r in results}
    lines = [
        "## SMS gateway",
        "",
        f"`bench/bench_sms.py`, {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC. Machine: {machine()}.",
        "Whole stack as `make run` starts it (honcho + Procfile: gunicorn gthread 2x32, Rasa, action server, huey worker)"
        + (f", with {args.rasa_servers} Rasa processes (RASA_URL list, conversations sharded by pseudonym)," if args.rasa_servers > 1 else ","),
        f"SQLite, no Twilio account (texts to the outbox). A conversation is {SCRIPT!r}: greet, search, details,",
        "referral (writes a referral and two outbox texts). Each conversation is a new phone. Closed loop: N conversations at once.",
        "Baseline in the same run: the same conversations posted straight to Rasa's REST channel.",
        "The machine is shared with other engineers' jobs while this runs: figures are indicative.",
        "",
        "| concurrency | gateway p50 ms | gateway p95 ms | gateway msg/s | Rasa direct p50 ms | Rasa direct p95 ms | p95 ratio | errors | fallbacks |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
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
        f"stored {sustained['stored']}, fallbacks {sustained['fallbacks']}, **lost {sustained['lost']}**.",
        "CPU per message during it, by process: " + ", ".join(f"{k} {v} ms" for k, v in cpu_per_message.items())
        + f" (loadavg {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end: the other work on the machine).",
        f"Latency phases, once the worker had answered what got the fallback: stored {later}.",
        f"Resident memory of the whole service (all processes, max sampled): **{rss / 1024:.2f} GB**. "
        f"Ctrl-C stopped everything in {stopped_in:.1f} s.",
        "",
        f"Goals: p95 <= {GOALS['p95_ms_at_10']} ms at 10 concurrent: {p95_10} ms, {verdict(p95_10 <= GOALS['p95_ms_at_10'])}; "
        f">= {GOALS['msgs_per_s']} msg/s: {verdict(sustained['msgs_per_s'] >= GOALS['msgs_per_s'])}; "
        f"0 lost: {verdict(sustained['lost'] == 0)}; RSS <= 2.5 GB: {verdict(rss <= GOALS['rss_mb'])}.",
    ]
    rasa_ms, total_ms = cpu_per_message.get("rasa", 0), sum(cpu_per_message.values())
    if rasa_ms and total_ms:
        g1, r1 = by[("gateway", 1)], by[("rasa-direct", 1)]
        lines += [
            "",
            f"Reading: Rasa itself needs {rasa_ms} ms of CPU per message, so one Rasa process tops out near "
            f"{1000 / rasa_ms:.0f} msg/s even on a free core, and the whole stack needs {total_ms} ms per message "
            f"(about {1000 * (os.cpu_count() or 1) / total_ms:.0f} msg/s with every core free). The gateway is a small "
            f"part of the web's share (which also serves the action server's API calls); at one conversation it adds "
            f"{g1['p50_ms'] - r1['p50_ms']} ms to Rasa's own p50. "
            + ("Nothing was lost: every text got an answer, those over the 8 s budget a fallback and later the bot's "
               "answer from the worker. " if sustained["lost"] == 0 else
               f"{sustained['lost']} texts were lost (errors, empty answers, or not stored as answered). ")
            + ("The speed goals were met in this run." if p95_10 <= GOALS["p95_ms_at_10"]
               and sustained["msgs_per_s"] >= GOALS["msgs_per_s"] else
               "A speed goal was missed: with the CPU per message above, compare the load average (other work on "
               "the machine takes the same cores) before blaming the service; more cores can run several Rasa "
               "processes (`RASA_URL` lists them, the gateway shards conversations by pseudonym, `--rasa-servers 2` "
               "measures it)."),
        ]
    report = "\n".join(lines)
    print(report)
    if not args.no_write:
        write_section(report)
        print("\nWritten to bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
