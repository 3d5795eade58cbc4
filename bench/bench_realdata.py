"""Real-data held-out sets through the real stack (issue 18): meeting requests, harm-reduction
questions with the emergencies that must stay crisis answers, free-text opt-outs and their look-alikes.

A throwaway SQLite database gets the real public data in ../shared/data imported as it comes, through
the CLI only (Meeting Guide feeds of Orange County and Kansas City, the Miami 211 HSDS export, SAMHSA
FindTreatment); an import that fails is recorded and the run goes on. Then the whole service starts
as `make run` starts it (tests/e2e/sms_stack.py: supervisord, gunicorn web, Rasa, the action
server, the worker, on free ports) and every held-out text goes, signed as Twilio would sign it, to
POST /sms/inbound from a new phone number: each item is its own conversation. The answer is the TwiML
plus whatever the outbox holds for that number afterwards (the worker's answer after a fallback).

The sets (bot/tests/realdata_*.yml) were written by hand before any change for issue 18; this script
only reads them. Writes the `## Real data held-out sets` section of bench/RESULTS.md, keeping the
dated subsections of earlier runs (a run replaces only the subsection with its own label).
No phone number or message body goes to a log; RESULTS.md quotes held-out texts (written by us) and
the bot's replies with any phone-like number masked.

    .venv/bin/python bench/bench_realdata.py [--quick] [--label before] [--no-write] [--json PATH] [--keep]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/e2e/sms_stack.py is the one way this project starts its stack

import requests  # noqa: E402
import yaml  # noqa: E402

from tests.e2e.sms_stack import SmsStack, missing_parts  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SETS = ROOT / "bot" / "tests"
SECTION = "## Real data held-out sets"
FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "web", "directory"]
IMPORTS = [  # (label, CLI arguments after `flask --app web directory`)
    ("Meeting Guide oc.json", ["import-meetings", str(DATA / "meeting-guide" / "oc.json"), "--source", "oc"]),
    ("Meeting Guide kc.json", ["import-meetings", str(DATA / "meeting-guide" / "kc.json"), "--source", "kc"]),
    ("Miami 211 HSDS", ["import-hsds", str(DATA / "miami-211-hsds")]),
    ("SAMHSA FindTreatment", ["import-findtreatment", str(DATA / "findtreatment" / "facilities.json")]),
    ("BMLT (NA Berlin)", ["import-bmlt", str(DATA / "bmlt" / "meetings.json"), "--formats", str(DATA / "bmlt" / "formats.json")]),
]
PROBE = "hi"  # sent after each opt-out candidate: after an opt-out nothing may come back
SETTLE_SECONDS = 5  # "nothing in the outbox within a few seconds"
PENDING_WAIT = 90  # a fallback is answered by the worker about RASA_RETRY_DELAY (15 s) later

# What the replies look like (bot/actions/messages.py, bot/domain.yml, directory/messaging.py,
# directory/safety.py, bot/actions/crisis.py). Matched on lower-cased text.
FALLBACK = ("i'm slow right now", "estoy lento ahora")
NUMBERED = re.compile(r"^\s*\d{1,2}\.\s+\S", re.M)
ASKS_WHERE = ("where are you", "donde estas", "what do you need, and where", "que necesitas y donde",
              "and your zip", "y tu codigo postal", "y su codigo postal")
NOT_FOUND = ("i couldn't find '", "no encontre '")
NO_RESULTS = ("i found no ", "no encontre ")
ASKS_PREF = ("to pick the best 3", "para darte las 3 mejores")
UNREACHABLE = ("can't reach the directory", "no puedo conectar con el directorio")
OPT_OUT_CONFIRM = ("you are unsubscribed", "se dio de baja", "unsubscribed", "no more messages",
                   "no recibira mas", "no recibirá más")
# Texts that carry 911/988 without being the crisis answer.
NOT_CRISIS_911 = FALLBACK + UNREACHABLE + ("take care. text anytime", "cuidate. escribe", "finds recovery support",
                                           # the harm-reduction answer's one line on what to do in an overdose
                                           "overdose: call 911, give naloxone", "sobredosis: llama al 911, da naloxona",
                                           "encuentra apoyo para la recuperacion",
                                           "encuentra apoyo para la recuperación")
PHONE_LIKE = re.compile(r"(?:\+?1[-. ]?)?\(?\d{3}\)?[-. ]?\d{3}[-. ]?\d{4}\b")


def mask(text: str) -> str:
    return PHONE_LIKE.sub("[phone]", text)


def load_set(name: str) -> list[dict]:
    return yaml.safe_load((SETS / name).read_text())["items"]


# --- the reply, read -----------------------------------------------------------------------------
def is_fallback(reply: str) -> bool:
    return any(m in reply.lower() for m in FALLBACK)


def is_crisis(replies: list[str]) -> bool:
    for r in replies:
        low = r.lower()
        if ("911" in low or "988" in low) and not any(m in low for m in NOT_CRISIS_911):
            return True
    return False


def lists_results(replies: list[str]) -> bool:
    return any(len(NUMBERED.findall(r)) >= 1 and not r.lower().startswith(("reply a number", "responde con un numero"))
               for r in replies)


LISTED_NAME = re.compile(r"^\s*\d{1,2}\.\s+(.*?) - [\d.?]+ mi", re.M)


def repeats_a_name(replies: list[str]) -> bool:
    """A list showing one listing twice, e.g. a group meeting on several weekdays as several results."""
    for r in replies:
        names = LISTED_NAME.findall(r)
        if len(names) != len(set(names)):
            return True
    return False


def stack_errors(log_path: Path) -> dict[str, int]:
    """Exception types the action server and Rasa logged (types only: their messages can quote texts)."""
    counts: dict[str, int] = {}
    if not log_path.exists():
        return counts
    for line in log_path.read_text(errors="replace").splitlines():
        m = re.match(r"^\S+ (\w+)\.\d+\s+\| (\w+(?:Error|Exception)): ", line)
        if m:
            key = f"{m.group(1)}: {m.group(2)}"
            counts[key] = counts.get(key, 0) + 1
    return counts


def meeting_outcome(replies: list[str]) -> str:
    """One label per answer, the most useful thing it did first."""
    answer = [r for r in replies if not is_fallback(r)]
    low = " ".join(answer).lower()
    if not replies:
        return "silence"
    if not answer:
        return "fallback only"
    if lists_results(answer):
        return "lists results"
    if is_crisis(answer):
        return "crisis answer"
    if any(m in low for m in NOT_FOUND):
        return "place not found"
    if any(m in low for m in ASKS_WHERE):
        return "asks where"
    if any(m in low for m in ASKS_PREF):
        return "asks a preference"
    if any(m in low for m in UNREACHABLE):
        return "directory unreachable"
    if any(m in low for m in NO_RESULTS):
        return "no results"
    return "other"


def harm_outcome(replies: list[str]) -> str:
    answer = [r for r in replies if not is_fallback(r)]
    if not replies:
        return "silence"
    if not answer:
        return "fallback only"
    places, crisis = lists_results(answer), is_crisis(answer)
    if places and crisis:
        return "places + crisis answer"
    if places:
        return "lists places"
    if crisis:
        return "crisis answer"
    return meeting_outcome(answer)  # asks where, not found, no results, other


# --- texting -------------------------------------------------------------------------------------
class Conversations:
    """Each held-out text from a new number; the replies are the TwiML, then the outbox by number."""

    def __init__(self, stack: SmsStack):
        self.stack = stack
        self.session = requests.Session()
        self.records: list[dict] = []  # with a private `_phone`, never written out

    def send(self, phone: str, body: str) -> dict:
        sent_at = dt.datetime.now(dt.timezone.utc)
        start = time.perf_counter()
        try:
            status, replies = self.stack.text(phone, body, session=self.session, timeout=30)
        except requests.RequestException as exc:
            status, replies = 0, [f"<request failed: {type(exc).__name__}>"]
        return {"status": status, "twiml": replies, "ms": round(1000 * (time.perf_counter() - start)),
                "sent_at": sent_at}

    def new(self, kind: str, item: dict, probe: bool = False) -> dict:
        phone = self.stack.new_phone()
        record = {"set": kind, **item, "_phone": phone, "first": self.send(phone, item["text"])}
        if probe:
            record["probe"] = self.send(phone, PROBE)
        self.records.append(record)
        return record

    def collect_outbox(self, wait_for_pending: bool) -> None:
        """Attach each number's outbox texts to its record, after the worker has had its chance."""
        time.sleep(SETTLE_SECONDS)
        deadline = time.time() + (PENDING_WAIT if wait_for_pending else 0)
        while True:
            box = self.stack.outbox()
            by_phone: dict[str, list[dict]] = {}
            for row in box:
                by_phone.setdefault(row.get("to"), []).append(row)
            for r in self.records:
                r["outbox"] = by_phone.get(r["_phone"], [])
            waiting = [r for r in self.records if any(is_fallback(m) for m in r["first"]["twiml"]) and not r["outbox"]]
            if not waiting or time.time() >= deadline:
                return
            time.sleep(10)


def _created(row: dict, default: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(row["created_at"].rstrip("Z")).replace(tzinfo=dt.timezone.utc)
    except (KeyError, ValueError):
        return default


def _outbox_after(record: dict, when: dt.datetime) -> list[str]:
    """Outbox texts to this record's number created at or after `when` (the outbox has whole seconds)."""
    since = when.replace(microsecond=0)
    return [row.get("body") or "" for row in record.get("outbox", []) if _created(row, when) >= since]


def replies_of(record: dict) -> list[str]:
    """The answer to the held-out text itself: TwiML, then outbox texts sent before any probe."""
    first = record["first"]
    later = _outbox_after(record, first["sent_at"])
    if "probe" in record:  # outbox texts from the probe's time on answer the probe (second resolution)
        probe_at = record["probe"]["sent_at"].replace(microsecond=0)
        later = [row.get("body") or "" for row in record.get("outbox", [])
                 if first["sent_at"].replace(microsecond=0) <= _created(row, first["sent_at"]) < probe_at]
    return [r for r in first["twiml"] if r] + [b for b in later if b]


def probe_answered(record: dict) -> bool:
    """Did anything come back to the number after the probe (TwiML or outbox)?"""
    probe = record["probe"]
    return bool([r for r in probe["twiml"] if r]) or bool(_outbox_after(record, probe["sent_at"]))


# --- the run -------------------------------------------------------------------------------------
def run_imports(env: dict) -> list[dict]:
    results = []
    for label, args in IMPORTS:
        start = time.time()
        try:
            p = subprocess.run(FLASK + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
            rc, out = p.returncode, (p.stdout + "\n" + p.stderr)
        except subprocess.TimeoutExpired:
            rc, out = "timeout", ""
        # Progress bars (tqdm, on stderr) are not what the import says: drop them.
        lines = [ln.strip() for ln in out.replace("\r", "\n").splitlines()
                 if ln.strip() and "%|" not in ln and "/s]" not in ln]
        services = next((ln for ln in lines if "service rows" in ln), None)
        warn_at = next((i for i, ln in enumerate(lines) if ln.lower().startswith("warnings")), None)
        warnings = lines[warn_at + 1:] if warn_at is not None else [ln for ln in lines if "warning" in ln.lower()]
        errors = [ln for ln in lines if ln.lower().startswith(("error", "aborted", "refused")) or "Error:" in ln]
        results.append({"label": label, "command": "flask --app web directory " + " ".join(
            a.replace(str(DATA), "../shared/data") for a in args), "rc": rc, "seconds": round(time.time() - start, 1),
            "services": services or "", "warnings": len(warnings),
            "last": mask((errors or [lines[-1] if lines else ""])[-1])[:300]})
        print(f"    {label}: rc={rc} in {results[-1]['seconds']} s; {services or results[-1]['last'][:160]}", flush=True)
    return results


def stats(env: dict) -> str:
    p = subprocess.run(FLASK + ["stats"], cwd=ROOT, env=env, capture_output=True, text=True)
    return p.stdout.strip().splitlines()[-1] if p.returncode == 0 and p.stdout.strip() else f"(stats failed: rc {p.returncode})"


def machine() -> str:
    py = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "--version"], capture_output=True, text=True).stdout.strip()
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return f"{platform.system()} {platform.release()}, nproc {nproc}, {py}, loadavg {os.getloadavg()[0]:.1f} at the end"


def pick(items: list[dict], quick: bool) -> list[dict]:
    return items[::3] if quick else items


def score(records: list[dict]) -> dict:
    meetings = [r for r in records if r["set"] == "meetings"]
    harm = [r for r in records if r["set"] == "harm"]
    opts = [r for r in records if r["set"] == "optouts"]
    for r in meetings:
        r["outcome"] = meeting_outcome(replies_of(r))
    for r in harm:
        r["outcome"] = harm_outcome(replies_of(r))
    for r in opts:
        replies = replies_of(r)
        confirmed = any(m in " ".join(replies).lower() for m in OPT_OUT_CONFIRM)
        suppressed = not probe_answered(r)
        r["confirmed"], r["suppressed"] = confirmed, suppressed
        r["outcome"] = "opted out" if (confirmed or suppressed) else "not opted out"
        if not replies:
            r["outcome"] += " (no answer to the text)"
    return {"meetings": meetings, "harm": harm, "optouts": opts}


def count(records, pred) -> int:
    return sum(1 for r in records if pred(r))


def tally(records: list[dict]) -> str:
    counts: dict[str, int] = {}
    for r in records:
        counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


def example(r: dict, width: int = 200) -> str:
    replies = replies_of(r)
    reply = " / ".join(x.replace("\n", " | ") for x in replies) if replies else "(nothing)"
    reply = mask(reply)
    if len(reply) > width:
        reply = reply[:width - 3] + "..."
    return f"- `{r['text']}` -> {reply} [{r['outcome']}]"


def report(label: str, quick: bool, imports: list[dict], stats_line: str, groups: dict, seconds: float,
           errors: dict[str, int]) -> str:
    m, h, o = groups["meetings"], groups["harm"], groups["optouts"]
    placed = [r for r in m if r["names_place"]]
    unplaced = [r for r in m if not r["names_place"]]
    listed = lambda r: r["outcome"] == "lists results"  # noqa: E731
    silent = lambda r: r["outcome"] in ("silence", "fallback only")  # noqa: E731
    place_q = [r for r in h if r["expected"] == "place"]
    crisis_q = [r for r in h if r["expected"] == "crisis"]
    out_q = [r for r in o if r["expected"] == "optout"]
    not_q = [r for r in o if r["expected"] == "not"]
    now = dt.datetime.now(dt.timezone.utc)
    lines = [f"### {label} ({now:%Y-%m-%d, %H:%M} UTC)", "",
             f"`bench/bench_realdata.py{' --quick' if quick else ''}`. Machine: {machine()}. Run took {seconds:.0f} s."
             + (" Quick run: every third item of each set." if quick else ""),
             "", "Imports (CLI, data as it comes):", ""]
    for i in imports:
        if i["rc"] == 0:
            lines.append(f"- `{i['command']}`: ok in {i['seconds']} s, {i['services'] or 'no service count'}, "
                         f"{i['warnings']} kinds of warning")
        else:
            lines.append(f"- `{i['command']}`: FAILED (rc {i['rc']}) in {i['seconds']} s: `{i['last'][:200]}`")
    lines += ["", f"Directory after the imports: `{stats_line}`", "",
              "| set | measure | result |", "|---|---|---:|"]
    def frac(rs: list[dict], pred=lambda r: True, within=lambda r: True) -> str:
        rs = [r for r in rs if within(r)]
        return f"{count(rs, pred)}/{len(rs)}"

    def outcome_is(*names):
        return lambda r: r["outcome"] in names

    opted = lambda r: r["outcome"].startswith("opted out")  # noqa: E731
    rows = [
        ("meeting requests naming a place", "answered with a list", frac(placed, listed)),
        ("", "  English / Spanish", " / ".join(frac(placed, listed, lambda r, g=g: r["lang"] == g) for g in ("en", "es"))),
        ("", "  oc / kc / miami", " / ".join(frac(placed, listed, lambda r, a=a: r["area"] == a)
                                              for a in ("oc", "kc", "miami"))),
        ("", "  naming a fellowship (AA/NA/Al-Anon)", frac(placed, listed, lambda r: r["fellowship"] != "none")),
        ("", "  lists showing one listing twice (e.g. once per weekday)",
         frac([r for r in m if listed(r)], lambda r: repeats_a_name(replies_of(r)))),
        ("", "silence (empty TwiML, nothing in the outbox) or fallback only", frac(m, silent)),
        ("", "place not found", frac(placed, outcome_is("place not found"))),
        ("", "no results", frac(placed, outcome_is("no results"))),
        ("", "asks where although a place was named", frac(placed, outcome_is("asks where"))),
        ("meeting requests naming no place", "asks where", frac(unplaced, outcome_is("asks where"))),
        ("harm reduction: requests for a place", "answered with places", frac(place_q, lambda r: "places" in r["outcome"])),
        ("", "crisis answer instead of places (takeover)", frac(place_q, outcome_is("crisis answer"))),
        ("", "silence or fallback only", frac(place_q, silent)),
        ("harm reduction: emergencies now", "crisis answer kept (must be all)",
         frac(crisis_q, lambda r: "crisis" in r["outcome"])),
        ("opt-outs in the person's words", "caught (confirmation or later texts suppressed)", frac(out_q, opted)),
        ("", "  with the STOP confirmation", frac(out_q, lambda r: r["confirmed"])),
        ("look-alikes (stop drinking, stop by...)", "false opt-outs", frac(not_q, opted)),
        ("", "silence to the text itself", frac(not_q, lambda r: not replies_of(r))),
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    lines += ["", "Exceptions in the service's log during the run (types only): "
              + (", ".join(f"{k} x{v}" for k, v in sorted(errors.items())) or "none") + "."]
    lines += ["", f"Outcomes. Meeting requests: {tally(m)}. Harm reduction (place): {tally(place_q)}. "
              f"Emergencies: {tally(crisis_q)}. Opt-outs: {tally(out_q)}. Look-alikes: {tally(not_q)}.", ""]
    misses = {
        "Meeting requests not answered with a list": [r for r in placed if not listed(r)],
        "Harm-reduction place questions not answered with places": [r for r in place_q if "places" not in r["outcome"]],
        "Emergencies without the crisis answer": [r for r in crisis_q if "crisis" not in r["outcome"]],
        "Opt-outs missed": [r for r in out_q if not r["outcome"].startswith("opted out")],
        "False opt-outs": [r for r in not_q if r["outcome"].startswith("opted out")],
    }
    lines += ["Examples (held-out text -> reply, numbers masked; at most 5 per kind):", ""]
    for title, rs in misses.items():
        if not rs:
            continue
        lines.append(f"{title} ({len(rs)}):")
        lines.append("")
        lines += [example(r) for r in rs[:5]]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


SECTION_INTRO = """{section}

Held-out sets written by hand before any change for issue 18 (`bot/tests/realdata_meeting_requests.yml`,
`realdata_harm_reduction.yml`, `realdata_optouts.yml`), measured through the real stack on the real data
in `../shared/data` imported as it comes (`bench/bench_realdata.py`). Each text is a new conversation
from a new number; the answer is the TwiML plus the outbox. Each run writes its own dated subsection
(labelled e.g. "before", "after"); later runs keep the others.
"""


def write_section(subsection: str, label: str, path: Path | None = None) -> None:
    """Add or replace this label's subsection in `## Real data held-out sets`, leaving the rest alone."""
    path = path or ROOT / "bench" / "RESULTS.md"
    current = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = re.compile(r"^" + re.escape(SECTION) + r"\n.*?(?=^## |\Z)", re.S | re.M)
    old = pattern.search(current)
    body = old.group(0) if old else SECTION_INTRO.format(section=SECTION)
    sub = re.compile(r"^### " + re.escape(label) + r" \(.*?(?=^### |\Z)", re.S | re.M)
    body = sub.sub(lambda _m: subsection.rstrip() + "\n\n", body) if sub.search(body) else \
        body.rstrip() + "\n\n" + subsection.rstrip() + "\n\n"
    current = pattern.sub(lambda _m: body, current) if old else current.rstrip() + "\n\n" + body
    path.write_text(current.rstrip() + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every third item of each set")
    parser.add_argument("--label", default="before", help="the subsection's name in RESULTS.md (default: before)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database and the service's log")
    parser.add_argument("--json", type=Path, help="also write each item's outcome and replies here (no numbers)")
    args = parser.parse_args()
    reason = missing_parts()
    if reason:
        print(f"Cannot run the real-data sets: {reason}.", file=sys.stderr)
        return 2
    started = time.time()
    workdir = Path(tempfile.mkdtemp(prefix="bench-realdata-"))
    database = workdir / "signpost.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "LOG_LEVEL": "WARNING"}
    for name in ("TWILIO_ACCOUNT_SID", "REDIS_URL"):
        env.pop(name, None)
    print("==> importing the real data into a throwaway database", flush=True)
    imports = run_imports(env)
    stats_line = stats(env)
    print(f"    {stats_line}", flush=True)

    meetings = pick(load_set("realdata_meeting_requests.yml"), args.quick)
    harm = pick(load_set("realdata_harm_reduction.yml"), args.quick)
    optouts = pick(load_set("realdata_optouts.yml"), args.quick)
    stack = SmsStack(workdir, database, extra_env={"LOG_LEVEL": "WARNING"})
    print("==> starting the service (supervisord); Rasa loads its model", flush=True)
    stack.start()
    talk = Conversations(stack)
    try:
        for kind, items, probe in (("meetings", meetings, False), ("harm", harm, False), ("optouts", optouts, True)):
            print(f"==> {kind}: {len(items)} texts", flush=True)
            for n, item in enumerate(items, 1):
                talk.new(kind, item, probe=probe)
                if n % 10 == 0:
                    print(f"    {n}/{len(items)}", flush=True)
        talk.collect_outbox(wait_for_pending=True)
    finally:
        stack.stop()
    groups = score(talk.records)
    errors = stack_errors(stack.log_path)
    if not args.keep:  # the service's log and the database hold the texts: nothing of it stays behind
        shutil.rmtree(workdir, ignore_errors=True)
    text = report(args.label, args.quick, imports, stats_line, groups, time.time() - started, errors)
    print()
    print(text)
    if args.json:
        rows = [{k: v for k, v in r.items() if not k.startswith("_") and k not in ("first", "probe", "outbox")}
                | {"replies": [mask(x) for x in replies_of(r)]} for r in talk.records]
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1))
        print(f"Per-item outcomes written to {args.json}")
    if not args.no_write:
        write_section(text, args.label)
        print("Written to bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
