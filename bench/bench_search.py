#!/usr/bin/env python
"""Directory search benchmark: writes the `## Directory search` section of bench/RESULTS.md.

For each size (synthetic directories, bench/synthetic.py, cached under bench/out/) it measures, in
one run on this machine:
  core   directory.catalog.search.nearby.search(connection, query, listing_ids=False), as the search API calls it
         (the API reads listing ids with the cards), over a fixed set of origins near the data
         (25 km, a category 40% of the time, limit 10): median and p95 per query;
  floor  a raw sqlite3 R*Tree query of the boxes the core query ended with (ids only): the least
         any R*Tree-based search has to do; timed right after each core query, in turn, so the
         ratio compares the two under the same machine load;
  naive  a full scan of search_entry with the haversine distance in SQL, same filters and order;
  http   GET /api/v1/search?lat=..&lon=.. under gunicorn (2 sync workers, --preload) driven by wrk
         (1 thread, 4 connections, a Lua script cycling through the query URLs) on 127.0.0.1,
         p50 / p95 / requests per second, and how much CPU wrk itself took from the 2 cores;
  import `flask --app web directory import-hsds DIR` of an HSDS 3.0 CSV datapackage of the same
         listings (wall time and peak RSS from /usr/bin/time -v), once the importer exists.

    .venv/bin/python bench/bench_search.py                  # 100,000 and 1,000,000 listings
    .venv/bin/python bench/bench_search.py --sizes 100000 --no-write
    .venv/bin/python bench/bench_search.py --regenerate     # rebuild the cached databases
    BENCH_SEARCH_ARGS="--regenerate" make bench-search      # options through make
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shlex
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import synthetic  # noqa: E402
from directory import db  # noqa: E402
from directory.catalog import geo
from directory.catalog.search.nearby import E7, search  # noqa: E402
from directory.catalog.search.query import build_query

RESULTS = ROOT / "bench" / "RESULTS.md"
# gunicorn worker set-ups (always 2 workers, --preload): sync closes the connection after each
# response; gthread keeps it alive and gives each worker a second thread.
WORKER_CONFIGS = {"sync": (), "gthread": ("--worker-class", "gthread", "--threads", "2")}
SECTION = "## Directory search"
WARMUP_SECONDS = 3  # wrk before each measured HTTP run, not counted
VENV_BIN = Path(sys.executable).parent
WRK_SCRIPT = """
local paths, i = {}, 0
init = function(args) for line in io.lines(args[1]) do paths[#paths + 1] = line end end
request = function() i = i % #paths + 1; return wrk.format("GET", paths[i]) end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, '
    .. '"write_errors": %d, "timeouts": %d, "non_2xx": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
"""


# --- measuring --------------------------------------------------------------------------------
def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def summary_ms(seconds: list[float]) -> dict:
    return {"median_ms": statistics.median(seconds) * 1e3, "p95_ms": percentile(seconds, 95) * 1e3, "n": len(seconds)}


def measure_core_and_floor(url: str, path: Path, queries):
    """Time search() per query and the raw R*Tree query of the box that search ended with (ids
    only: no join, filter or distance), query by query in turn, so that both see the machine in
    the same state (a ratio of two runs minutes apart measured the machine as much as the code).
    A first, untimed pass warms both and finds each search's box. Returns the core's timings (wall
    clock and this process's CPU time), the floor's timings and row counts, and each search's ids."""
    db.configure(url)
    built = [build_query(q.params()) for q in queries]
    floor_conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.sqlite_pragmas(floor_conn, None)  # the app's connection settings (memory map, page cache), for a fair floor
    sql = "SELECT id FROM search_rtree WHERE max_lat >= ? AND min_lat <= ? AND max_lon >= ? AND min_lon <= ?"
    core, core_cpu, floor, floor_cpu, counts, results = [], [], [], [], [], []
    def box_of(q, r):  # the tree counts whole 1e-7 degrees (migration 0006): the same widened bounds as the search
        return [(math.floor(a * E7) - 1, math.ceil(b * E7) + 1, math.floor(c * E7) - 1, math.ceil(d * E7) + 1)
                for a, b, c, d in geo.split_antimeridian(geo.bounding_box(q.origin, r.searched_radius_km))]

    with db.engine().connect() as conn:  # a Connection, as the API uses
        for q in built:  # warm-up pass (the search's density hints too, as a serving process has them)
            for box in box_of(q, search(conn, q, listing_ids=False)):
                floor_conn.execute(sql, box).fetchall()
        for q in built:
            c, t = time.process_time(), time.perf_counter()
            r = search(conn, q, listing_ids=False)
            core.append(time.perf_counter() - t)
            core_cpu.append(time.process_time() - c)
            results.append([h.entry_id for h in r.hits])
            query_boxes = box_of(q, r)
            c, t = time.process_time(), time.perf_counter()
            n = 0
            for box in query_boxes:
                n += len(floor_conn.execute(sql, box).fetchall())
            floor.append(time.perf_counter() - t)
            floor_cpu.append(time.process_time() - c)
            counts.append(n)
    floor_conn.close()
    db.engine().dispose()
    return core, core_cpu, floor, floor_cpu, counts, results


FULL_SCAN_SQL = """
SELECT id FROM (
  SELECT id, 2 * :earth_radius * asin(min(1.0, sqrt(
      power(sin(radians(latitude - :lat) / 2), 2)
      + cos(radians(:lat)) * cos(radians(latitude)) * power(sin(radians(longitude - :lon) / 2), 2)))) AS d
  FROM search_entry WHERE active AND (:category IS NULL OR category = :category))
WHERE d <= :radius ORDER BY d, id LIMIT :limit
"""


def measure_full_scan(path: Path, queries) -> tuple[list[float], list[list[int]]]:
    """The naive way: every row's great-circle distance (in SQL), filtered and sorted."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.sqlite_pragmas(conn, None)
    times, results = [], []
    for q in queries:
        params = {"earth_radius": geo.EARTH_RADIUS, "lat": q.lat, "lon": q.lon, "category": q.category,
                  "radius": q.radius_km, "limit": q.limit}
        t = time.perf_counter()
        ids = [r[0] for r in conn.execute(FULL_SCAN_SQL, params)]
        times.append(time.perf_counter() - t)
        results.append(ids)
    conn.close()
    return times, results


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _worker_pids(master: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def measure_http(url: str, queries, seconds: int, connections: int = 4, workers: int = 2,
                 worker_args: tuple[str, ...] = (), runs: int = 3) -> dict:
    """wrk against gunicorn (2 workers) on 127.0.0.1, cycling through the queries' URLs: `runs`
    runs of `seconds` each on one server; the median run (by requests/s), with every run's rate.
    One run can land far from the others on this shared machine (and with gthread workers, wrk's
    kept-alive connections can all stick to one worker), so one run alone says little."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: run `apt-get install -y wrk` (or `make bench-search`).")
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, LOG_SEARCHES="false", LOG_LEVEL="WARNING")
    server = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--preload", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", *worker_args, "web:create_app()"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    paths = ["/api/v1/search?" + urlencode(q.params()) for q in queries]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + paths[0], timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start; run it by hand to see why.")
                time.sleep(0.2)
        empty = 0
        for p in paths[:50]:  # the answers are real: 200 with items
            with urllib.request.urlopen(base + p, timeout=5) as r:
                empty += not json.load(r)["items"]
        pids = _worker_pids(server.pid)
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "paths.txt").write_text("\n".join(paths) + "\n")
            (Path(tmp) / "cycle.lua").write_text(WRK_SCRIPT)
            # A short run first, not counted: both workers' caches and the file's pages warm, so
            # the measured run is the steady state rather than a start-up.
            subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{WARMUP_SECONDS}s", "--timeout", "5s",
                            "-s", str(Path(tmp) / "cycle.lua"), base + "/", str(Path(tmp) / "paths.txt")],
                           stdout=subprocess.DEVNULL, check=True)
            measured = [_wrk_run(pids, tmp, base, connections, seconds) for _ in range(runs)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    measured.sort(key=lambda m: m["rps"])
    median = measured[len(measured) // 2]
    return {**median, "empty_answers_in_50": empty, "connections": connections, "workers": workers,
            "runs_rps": [m["rps"] for m in measured]}


def _wrk_run(pids, tmp: str, base: str, connections: int, seconds: int) -> dict:
    """One measured wrk run against the running server, with the CPU its workers and wrk used."""
    cpu_before = sum(_cpu_seconds(p) for p in pids)
    load_before = os.getloadavg()[0]
    wrk = subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
                            "-s", str(Path(tmp) / "cycle.lua"), base + "/", str(Path(tmp) / "paths.txt")],
                           stdout=subprocess.PIPE, text=True)
    out = wrk.stdout.read()
    wrk.stdout.close()
    _, status, usage = os.wait4(wrk.pid, 0)  # wait4: wrk's own CPU time comes with it
    wrk.returncode = status = os.waitstatus_to_exitcode(status)  # reaped by wait4: tell Popen
    cpu_server = sum(_cpu_seconds(p) for p in pids) - cpu_before
    line = next((l for l in out.splitlines() if l.startswith("WRK_JSON ")), None)
    if status != 0 or line is None:
        raise SystemExit(f"wrk failed:\n{out}")
    stats = json.loads(line[len("WRK_JSON "):])
    wall = stats["duration_us"] / 1e6
    return {
        "requests": stats["requests"], "rps": stats["requests"] / wall, "p50_ms": stats["p50_us"] / 1e3,
        "p95_ms": stats["p95_us"] / 1e3, "p99_ms": stats["p99_us"] / 1e3, "max_ms": stats["max_us"] / 1e3,
        "errors": stats["connect_errors"] + stats["read_errors"] + stats["write_errors"] + stats["timeouts"],
        "non_2xx": stats["non_2xx"], "seconds": wall,
        "wrk_cpu_cores": (usage.ru_utime + usage.ru_stime) / wall,
        "server_cpu_cores": cpu_server / wall, "load_before": load_before,
    }


def measure_import(n: int, seed: int, regenerate: bool, progress: bool) -> dict:
    """`flask --app web directory import-hsds DIR` of the listings as an HSDS CSV datapackage, into a
    fresh SQLite file, under /usr/bin/time -v (wall time and peak RSS of the whole command)."""
    time_bin = Path("/usr/bin/time")
    if not time_bin.exists():
        raise SystemExit("/usr/bin/time is not installed: run `apt-get install -y time` (or `make bench-search`).")
    t = time.perf_counter()
    cached = (synthetic.OUT_DIR / f"hsds-{n}-seed{seed}").is_dir() and not regenerate
    folder = synthetic.cached_hsds_csv(n, seed, regenerate=regenerate, progress=progress)
    write_s = None if cached else time.perf_counter() - t
    with tempfile.TemporaryDirectory(dir=synthetic.OUT_DIR, prefix="import-") as tmp:
        target, report = Path(tmp) / "import.db", Path(tmp) / "time.txt"
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{target}", LOG_LEVEL="WARNING")
        t = time.perf_counter()
        with tempfile.TemporaryFile("w+") as out:
            done = subprocess.Popen([str(time_bin), "-v", "-o", str(report), str(VENV_BIN / "flask"), "--app", "web",
                                     "directory", "import-hsds", str(folder)], cwd=ROOT, env=env, stdout=out, text=True)
            tree_kb = 0  # a big import reads in a second process: the sum over the process tree, sampled
            while done.poll() is None:
                tree_kb = max(tree_kb, tree_rss_kb(done.pid))
                time.sleep(0.5)
            wall = time.perf_counter() - t
            if done.returncode != 0:
                out.seek(0)
                raise SystemExit(f"import-hsds failed ({done.returncode}):\n{out.read()}")
        rss_kb = next(int(l.rsplit(":", 1)[1]) for l in report.read_text().splitlines()
                      if "Maximum resident set size" in l)  # the largest single process
        rss_kb = max(rss_kb, tree_kb)
        conn = sqlite3.connect(target)
        entries = conn.execute("SELECT count(*) FROM search_entry").fetchone()[0]
        conn.close()
    return {"seconds": wall, "peak_rss_mb": rss_kb / 1024, "search_entries": entries, "csv_write_s": write_s,
            "csv_mb": sum(f.stat().st_size for f in folder.iterdir()) / 1024 ** 2}


# --- the run ---------------------------------------------------------------------------------
def tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants now (kB, from /proc; pages a fork
    shares are counted in each process, so this errs high)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue  # ended meanwhile
    tree, todo = {root}, [root]
    while todo:
        pid = todo.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                todo.append(child)
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next((int(l.split()[1]) for l in f if l.startswith("VmRSS:")), 0)
        except OSError:
            continue
    return total


def machine() -> dict:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem_kb = int(next(l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")))
    os_name = next((l.split("=", 1)[1].strip('"') for l in Path("/etc/os-release").read_text().splitlines()
                    if l.startswith("PRETTY_NAME=")), platform.platform())
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": mem_kb / 1024 ** 2, "os": os_name,
            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "wrk": subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(" [")[0]
            if shutil.which("wrk") else None}


def run_size(n: int, args) -> dict:
    out: dict = {"n": n}
    t = time.perf_counter()
    cached = (synthetic.OUT_DIR / f"synthetic-{n}-seed{args.seed}.db").exists() and not args.regenerate
    path = synthetic.cached_db(n, args.seed, regenerate=args.regenerate, progress=not args.quiet)
    out["generate_s"] = None if cached else time.perf_counter() - t
    url = f"sqlite:///{path}"
    queries = synthetic.query_set(args.queries, args.seed)
    out["load_at_start"] = os.getloadavg()
    _say(args, f"[{n:,}] core search and R*Tree floor, {len(queries)} queries in turn")
    core, core_cpu, floor, floor_cpu, counts, core_ids = measure_core_and_floor(url, path, queries)
    out["core"] = summary_ms(core)
    out["core_cpu"] = summary_ms(core_cpu)
    out["floor"] = summary_ms(floor)
    out["floor_cpu"] = summary_ms(floor_cpu)
    out["floor"]["median_rows"] = statistics.median(counts)
    out["floor"]["p95_rows"] = percentile(counts, 95)
    ratios = [c / f for c, f in zip(core, floor)]
    out["core_over_floor"] = {"median": statistics.median(ratios), "p95": percentile(ratios, 95),
                              "of_medians": out["core"]["median_ms"] / out["floor"]["median_ms"]}
    _say(args, f"[{n:,}] full scan, {args.full_scan_queries} queries")
    naive, naive_ids = measure_full_scan(path, queries[:args.full_scan_queries])
    out["full_scan"] = summary_ms(naive)
    out["full_scan_disagreements"] = sum(a != b for a, b in zip(core_ids, naive_ids))
    if not args.skip_http:
        out["http"] = {}
        for config in args.http_configs:
            _say(args, f"[{n:,}] HTTP, gunicorn {config} workers, {args.http_runs} x {args.http_seconds} s")
            out["http"][config] = measure_http(url, queries, args.http_seconds, worker_args=WORKER_CONFIGS[config],
                                               runs=args.http_runs)
    if n in args.import_sizes:
        _say(args, f"[{n:,}] import-hsds of an HSDS CSV datapackage")
        out["import"] = measure_import(n, args.seed, args.regenerate, not args.quiet)
    out["load_at_end"] = os.getloadavg()
    return out


def _say(args, msg):
    if not args.quiet:
        print(msg, flush=True)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--queries", type=int, default=2000, help="search origins per size (default 2000)")
    p.add_argument("--full-scan-queries", type=int, default=10)
    p.add_argument("--http-seconds", type=int, default=10, help="seconds per measured HTTP run (default 10)")
    p.add_argument("--http-runs", type=int, default=3, help="measured runs per worker set-up; the median is reported")
    p.add_argument("--skip-http", action="store_true")
    p.add_argument("--http-configs", nargs="+", choices=list(WORKER_CONFIGS), default=list(WORKER_CONFIGS),
                   help="gunicorn worker set-ups to measure (default: all)")
    p.add_argument("--import-sizes", type=int, nargs="*", default=[1_000_000],
                   help="sizes whose HSDS CSV import is measured (default 1000000; none: --import-sizes)")
    p.add_argument("--regenerate", action="store_true", help="rebuild the cached synthetic databases")
    p.add_argument("--no-write", action="store_true", help="print the results; leave bench/RESULTS.md alone")
    p.add_argument("--results", type=Path, default=RESULTS, help="the results file (default bench/RESULTS.md)")
    p.add_argument("--quiet", action="store_true")
    if argv is None:
        argv = sys.argv[1:] + shlex.split(os.environ.get("BENCH_SEARCH_ARGS", ""))
    args = p.parse_args(argv)
    started = time.perf_counter()
    report = {"machine": machine(), "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "sizes": [run_size(n, args) for n in args.sizes]}
    report["wall_s"] = time.perf_counter() - started
    text = render(report, args)
    if args.no_write:
        print(text)
    else:
        write_section(text, args.results)
        _say(args, f"wrote {SECTION!r} in {args.results} ({report['wall_s'] / 60:.1f} min)")
    return report


# --- RESULTS.md ------------------------------------------------------------------------------
GOALS_AT = 1_000_000
NOTES = "### Notes"  # a hand-written subsection at the end of our section, kept across runs


def goals(size: dict) -> list[tuple[str, str, bool | None]]:
    """(goal, measured, met) at GOALS_AT listings; met is None when it was not measured."""
    rows = []
    configs = size.get("http") or {}
    best = max(configs, key=lambda c: configs[c]["rps"], default=None)
    h = configs.get(best)
    rows.append(("HTTP search p95 <= 10 ms", f"{h['p95_ms']:.1f} ms ({best})" if h else "not run",
                 h and h["p95_ms"] <= 10))
    rows.append(("HTTP >= 1,500 requests/s", f"{h['rps']:,.0f}/s ({best})" if h else "not run", h and h["rps"] >= 1500))
    r = size["core_over_floor"]
    rows.append(("core search within 3x the R*Tree floor (median of per-query ratios)",
                 f"{r['median']:.1f}x (ratio of medians {r['of_medians']:.1f}x)", r["median"] <= 3))
    i = size.get("import")
    rows.append(("import <= 3 min", f"{i['seconds']:.0f} s" if i else "not run", i and i["seconds"] <= 180))
    rows.append(("import peak memory <= 2 GB", f"{i['peak_rss_mb']:,.0f} MB" if i else "not run",
                 i and i["peak_rss_mb"] <= 2048))
    return rows


def render(report: dict, args) -> str:
    m = report["machine"]
    loads = [f"{s['n']:,}: {s['load_at_start'][0]:.1f} at the start, {s['load_at_end'][0]:.1f} at the end"
             for s in report["sizes"]]
    lines = [SECTION, "",
             f"Run {report['date']} by `make bench-search` (`bench/bench_search.py`), {report['wall_s'] / 60:.1f} min "
             f"in all ({_generation_note(report)}).",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']:.0f} GB RAM, {m['os']}, Python {m['python']}, "
             f"SQLite {m['sqlite']}, {m['wrk'] or 'no wrk'}. The machine is shared: 1-minute load average "
             f"{'; '.join(loads)} (2 cores: above ~2 means other processes were competing for the CPU).", "",
             "Data: synthetic directories (`bench/synthetic.py`, seed "
             f"{args.seed}): listings around real US ZIP centroids weighted by urbanness, the five categories, "
             "attributes, languages, bed counts, weekly schedules. Queries: "
             f"{args.queries} origins drawn the same way (~1 km off a ZIP centroid), radius 25 km, a category 40% "
             "of the time, limit 10. **core** = `directory.catalog.search.nearby.search(conn, query, listing_ids=False)` as the API calls it (positions, distances and entry ids; the result list reads the listing ids with the cards); **floor** = `SELECT id FROM "
             "search_rtree` of the box each core search ended with (sqlite3, no join, filter or distance), timed right after that search, query by query, after an untimed pass that warms both; "
             f"**full scan** = haversine over every `search_entry` row in SQL, same filters and order "
             f"({args.full_scan_queries} queries).", ""]
    lines += ["| listings | core median / p95 (ms) | floor median / p95 (ms) "
              "| core / floor (median, p95 of per-query ratios) "
              "| CPU time: core / floor medians (ms), ratio | full scan median (ms) | core vs full scan (medians) "
              "| full scan = core results |", "|---|---|---|---|---|---|---|---|"]
    for s in report["sizes"]:
        c, f, r, fs = s["core"], s["floor"], s["core_over_floor"], s["full_scan"]
        cc, fc = s["core_cpu"], s["floor_cpu"]
        lines.append(f"| {s['n']:,} | {c['median_ms']:.3f} / {c['p95_ms']:.3f} "
                     f"| {f['median_ms']:.3f} / {f['p95_ms']:.3f} "
                     f"| {r['median']:.1f}x, {r['p95']:.1f}x "
                     f"| {cc['median_ms']:.3f} / {fc['median_ms']:.3f}, {cc['median_ms'] / fc['median_ms']:.1f}x "
                     f"| {fs['median_ms']:,.0f} "
                     f"| {fs['median_ms'] / c['median_ms']:,.0f}x faster "
                     f"| {fs['n'] - s['full_scan_disagreements']} of {fs['n']} |")
    http = [(s["n"], config, h) for s in report["sizes"] for config, h in (s.get("http") or {}).items()]
    if http:
        h0 = http[0][2]
        lines += ["", f"HTTP: `GET /api/v1/search?lat=..&lon=..[&category=..]&radius_km=25&limit=10` under `gunicorn "
                  f"--workers {h0['workers']} --preload` (LOG_SEARCHES=false; sync workers, or `--worker-class gthread "
                  "--threads 2`), driven by wrk on 127.0.0.1 "
                  f"(1 thread, {h0['connections']} connections, a Lua script cycling through the query URLs, "
                  f"after a {WARMUP_SECONDS} s warm-up run that is not counted, {len(h0.get('runs_rps', [1]))} runs of "
                  f"{h0['seconds']:.0f} s on the same server: the median run by requests/s, and every run's rate). "
                  "wrk runs on the same 2 cores; the CPU columns say what the server's workers and wrk used (in cores) "
                  "during the median run.", "",
                  "| listings | workers | p50 (ms) | p95 (ms) | p99 (ms) | requests/s (median run) | every run (req/s) "
                  "| errors / non-2xx | CPU used: server / wrk (cores) | server CPU per request (ms) |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for n, config, h in http:
            lines.append(f"| {n:,} | {config} | {h['p50_ms']:.2f} | {h['p95_ms']:.2f} | {h['p99_ms']:.2f} "
                         f"| {h['rps']:,.0f} | {', '.join(f'{r:,.0f}' for r in h.get('runs_rps', [h['rps']]))} "
                         f"| {h['errors']} / {h['non_2xx']} | {h['server_cpu_cores']:.2f} / {h['wrk_cpu_cores']:.2f} "
                         f"| {h['server_cpu_cores'] * 1e3 / h['rps']:.2f} |")
    imports = [s for s in report["sizes"] if "import" in s]
    if imports:
        lines += ["", "Import: `flask --app web directory import-hsds DIR` of the same listings as an HSDS 3.0 CSV "
                  "datapackage (9 CSV files) into a fresh SQLite file, under `/usr/bin/time -v` (the whole command: "
                  "start-up, migrations, import, search index). Peak memory: the larger of `time`'s peak RSS and "
                  "the sum over the command's processes sampled every 0.5 s (a big import reads in a second "
                  "process).", "",
                  "| listings | CSV size (MB) | wall time (s) | peak memory (MB) | search entries written |",
                  "|---|---|---|---|---|"]
        for s in imports:
            i = s["import"]
            lines.append(f"| {s['n']:,} | {i['csv_mb']:,.0f} | {i['seconds']:.0f} | {i['peak_rss_mb']:,.0f} "
                         f"| {i['search_entries']:,} |")
    at_goal = next((s for s in report["sizes"] if s["n"] == GOALS_AT), None)
    if at_goal:
        lines += ["", f"Goals at {GOALS_AT:,} listings:", "", "| goal | measured | met |", "|---|---|---|"]
        for goal, measured, met in goals(at_goal):
            lines.append(f"| {goal} | {measured} | {'yes' if met else 'not measured' if met is None else '**no**'} |")
    return "\n".join(lines) + "\n"


def _generation_note(report) -> str:
    parts = []
    for s in report["sizes"]:
        if s.get("generate_s"):
            parts.append(f"generating the {s['n']:,} database: {s['generate_s'] / 60:.1f} min")
        if s.get("import", {}).get("csv_write_s"):
            parts.append(f"writing the {s['n']:,} CSV datapackage: {s['import']['csv_write_s'] / 60:.1f} min")
    return ", ".join(parts) + "; cached in bench/out/ for the next run" if parts else \
        "synthetic data from the bench/out/ cache"


def write_section(text: str, results: Path = RESULTS) -> None:
    """Replace our section of bench/RESULTS.md (other sections belong to other benchmarks), keeping
    its hand-written NOTES subsection."""
    current = results.read_text() if results.exists() else "# Benchmark results\n"
    start = current.find(SECTION + "\n")
    if start < 0:
        new = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(SECTION))
        end = len(current) if end < 0 else end + 1
        old = current[start:end]
        notes = old[old.index(NOTES):].rstrip("\n") + "\n" if NOTES in old else ""
        new = current[:start] + text + ("\n" + notes if notes else "") + ("\n" if end < len(current) else "") \
            + current[end:]
    results.write_text(new)


if __name__ == "__main__":
    main()
