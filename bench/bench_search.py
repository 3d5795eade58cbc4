#!/usr/bin/env python
"""Directory search benchmark: writes the `## Directory search` section of bench/RESULTS.md.

For each mix and size it measures, in one run on this machine. Mixes (`--mixes`, bench/synthetic.py):
`synthetic` (five categories in set shares), `realistic` (60% support groups, 20% housing, 10%
treatment, 5% sober living, 5% transportation), both generated and cached under bench/out/, and
`meetings`: a synthetic Meeting Guide feed imported through `flask --app web directory
import-meetings` (that import is measured, and its database is the one searched).
  core   directory.catalog.search.nearby.search(connection, query, listing_ids=False), as the search API calls it
         (the API reads listing ids with the cards), over a fixed set of origins near the data
         (25 km, a category of the mix 40% of the time, limit 10): median and p95 per query;
  floor  a standalone 2-D R*Tree (rtree_i32, 1e-7 degrees as the app's) over the same active points,
         built by the benchmark in a temporary SQLite file from search_entry (one over every
         point and one per category, as the app searches; rows inserted in random order), queried
         with the boxes each core search ended with (ids only): the least any R*Tree-based search
         has to do; timed right after each core query, in turn, so the ratio compares the two under
         the same machine load; the app's own tree, queried with the same boxes, is timed too;
  naive  a full scan of search_entry with the haversine distance in SQL, same filters and order;
  http   GET /api/v1/search?lat=..&lon=.. under gunicorn (2 workers, --preload, search logging on
         as deployed) driven by wrk (1 thread, 4 connections, a Lua script cycling through the query
         URLs) on 127.0.0.1, p50 / p95 / requests per second, and how much CPU wrk itself took;
  import `flask --app web directory import-meetings FEED` of the meetings mix at every size, and
         `import-hsds DIR` of an HSDS 3.0 CSV datapackage of the generated mixes at --import-sizes
         (wall time; peak memory: /usr/bin/time -v and the process tree sampled).

    .venv/bin/python bench/bench_search.py                  # every mix at 100,000 and 1,000,000
    .venv/bin/python bench/bench_search.py --sizes 100000 --mixes meetings --no-write
    .venv/bin/python bench/bench_search.py --regenerate     # rebuild the cached databases and feeds
    BENCH_SEARCH_ARGS="--regenerate" make bench-search      # options through make
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
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
from bench.results_file import write_section  # noqa: E402
from directory import db  # noqa: E402
from directory.catalog import geo  # noqa: E402
from directory.catalog.codes import CATEGORY_CODES  # noqa: E402
from directory.catalog.search.nearby import E7, search  # noqa: E402
from directory.catalog.search.query import build_query  # noqa: E402

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


_E7_SQL = "CAST(round({col} * 10000000.0) AS INTEGER)"  # as the app's trees (migration 0009, nearby.to_e7)
_TREE_COLUMNS = "(id, min_lat, max_lat, min_lon, max_lon)"
BOX_SQL = "SELECT id FROM {tree} WHERE max_lat >= ? AND min_lat <= ? AND max_lon >= ? AND min_lon <= ?"


def build_floor(path: Path, target: Path, seed: int = 0) -> tuple[sqlite3.Connection, dict]:
    """The floor's trees: standalone 2-D R*Trees (rtree_i32, whole 1e-7 degrees rounded as the
    app's) over the active points of `path`'s search_entry, in a new SQLite file `target`: `floor`
    of every point and `floor_<category>` of each category's, as the app searches (no category: the
    tree of all; a category: its own). Rows go in in random order (an import's order is no better).
    The file is read with the app's connection settings (a memory map: an in-memory database reads
    its pages through SQLite's page cache instead, and was slower than the app's own tree).
    Returns the connection and what was built (rows, seconds, whether the app's tree holds as many)."""
    t = time.perf_counter()
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = src.execute(f"SELECT id, {_E7_SQL.format(col='latitude')}, {_E7_SQL.format(col='longitude')}, category "
                       "FROM search_entry WHERE active").fetchall()
    app_rows = src.execute("SELECT count(*) FROM search_rtree").fetchone()[0]
    src.close()
    random.Random(seed).shuffle(rows)
    conn = sqlite3.connect(target)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute(f"CREATE VIRTUAL TABLE floor USING rtree_i32{_TREE_COLUMNS}")
    conn.executemany("INSERT INTO floor VALUES (?, ?, ?, ?, ?)", ((i, la, la, lo, lo) for i, la, lo, _c in rows))
    for category in CATEGORY_CODES:
        conn.execute(f"CREATE VIRTUAL TABLE floor_{category} USING rtree_i32{_TREE_COLUMNS}")
        conn.executemany(f"INSERT INTO floor_{category} VALUES (?, ?, ?, ?, ?)",
                         ((i, la, la, lo, lo) for i, la, lo, c in rows if c == category))
    conn.commit()
    conn.close()
    conn = sqlite3.connect(target)  # (read-write: the app's settings switch the file to WAL)
    db.sqlite_pragmas(conn, None)  # the app's connection settings (memory map, page cache)
    return conn, {"rows": len(rows), "app_tree_rows": app_rows, "seconds": time.perf_counter() - t}


def measure_core_and_floor(url: str, path: Path, queries):
    """Time search() per query, then the standalone 2-D floor (build_floor) and the app's own
    R*Tree, each queried with the boxes that search ended with (ids only: no join, filter or
    distance), query by query in turn, so that all three see the machine in the same state (a
    ratio of two runs minutes apart measured the machine as much as the code). A first, untimed
    pass warms them all and finds each search's box. Returns a dict of timings (wall clock and
    this process's CPU time), the floor's row counts, each search's ids and the floor's build."""
    db.configure(url)
    built = [build_query(q.params()) for q in queries]
    floor_dir = tempfile.TemporaryDirectory(dir=path.parent, prefix="floor-")
    floor_conn, floor_built = build_floor(path, Path(floor_dir.name) / "floor.db")
    app_conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    db.sqlite_pragmas(app_conn, None)  # the app's connection settings (memory map, page cache)
    out = {k: [] for k in ("core", "core_cpu", "floor", "floor_cpu", "app_tree", "counts", "results")}

    def box_of(q, r):  # the trees count whole 1e-7 degrees: the same widened bounds as the search
        return [(math.floor(a * E7) - 1, math.ceil(b * E7) + 1, math.floor(c * E7) - 1, math.ceil(d * E7) + 1)
                for a, b, c, d in geo.split_antimeridian(geo.bounding_box(q.origin, r.searched_radius_km))]

    def trees(q):  # (the floor's tree, the app's) that a search of this kind reads
        category = q.category if q.category in CATEGORY_CODES else None
        return (BOX_SQL.format(tree=f"floor_{category}" if category else "floor"),
                BOX_SQL.format(tree=f"search_rtree_{category}" if category else "search_rtree"))

    with db.engine().connect() as conn:  # a Connection, as the API uses
        for q in built:  # warm-up pass (the search's density hints too, as a serving process has them)
            floor_sql, app_sql = trees(q)
            for box in box_of(q, search(conn, q, listing_ids=False)):
                floor_conn.execute(floor_sql, box).fetchall()
                app_conn.execute(app_sql, box).fetchall()
        for q in built:
            floor_sql, app_sql = trees(q)
            c, t = time.process_time(), time.perf_counter()
            r = search(conn, q, listing_ids=False)
            out["core"].append(time.perf_counter() - t)
            out["core_cpu"].append(time.process_time() - c)
            out["results"].append([h.entry_id for h in r.hits])
            query_boxes = box_of(q, r)
            c, t = time.process_time(), time.perf_counter()
            n = 0
            for box in query_boxes:
                n += len(floor_conn.execute(floor_sql, box).fetchall())
            out["floor"].append(time.perf_counter() - t)
            out["floor_cpu"].append(time.process_time() - c)
            out["counts"].append(n)
            t = time.perf_counter()
            for box in query_boxes:
                app_conn.execute(app_sql, box).fetchall()
            out["app_tree"].append(time.perf_counter() - t)
    floor_conn.close()
    floor_dir.cleanup()
    app_conn.close()
    db.engine().dispose()
    out["floor_built"] = floor_built
    return out


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
    env = dict(os.environ, DATABASE_URL=url, LOG_LEVEL="WARNING")
    env.pop("LOG_SEARCHES", None)  # search logging on, as deployed (the default)
    log_db = url.removeprefix("sqlite:///")
    logged_before = _search_log_max(log_db)
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
            warm = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{WARMUP_SECONDS}s", "--timeout", "5s",
                                   "-s", str(Path(tmp) / "cycle.lua"), base + "/", str(Path(tmp) / "paths.txt")],
                                  stdout=subprocess.PIPE, text=True, check=True).stdout
            warm_requests = next((json.loads(l[len("WRK_JSON "):])["requests"] for l in warm.splitlines()
                                  if l.startswith("WRK_JSON ")), 0)
            measured = [_wrk_run(pids, tmp, base, connections, seconds) for _ in range(runs)]
    finally:
        server.terminate()
        server.wait(timeout=30)  # the workers write what their log buffers hold as they stop
    # The searches logged during this server's life (then removed: the cached database stays as built).
    logged = _search_log_max(log_db) - logged_before
    _search_log_trim(log_db, logged_before)
    measured.sort(key=lambda m: m["rps"])
    median = measured[len(measured) // 2]
    return {**median, "empty_answers_in_50": empty, "connections": connections, "workers": workers,
            "runs_rps": [m["rps"] for m in measured], "searches_logged": logged,
            "requests_sent": sum(m["requests"] for m in measured) + warm_requests + 51}


def _search_log_max(path: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT coalesce(max(id), 0) FROM search_log").fetchone()[0]
    finally:
        conn.close()


def _search_log_trim(path: str, above: int) -> None:
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("DELETE FROM search_log WHERE id > ?", (above,))
    finally:
        conn.close()


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


def timed_command(argv: list[str], target: Path, what: str) -> dict:
    """Run a CLI import into the SQLite file `target` under /usr/bin/time -v: wall time, and peak
    memory as the larger of time's peak RSS (the largest single process) and the sum over the
    command's process tree sampled every 0.5 s (a big import reads in a second process)."""
    time_bin = Path("/usr/bin/time")
    if not time_bin.exists():
        raise SystemExit("/usr/bin/time is not installed: run `apt-get install -y time` (or `make bench-search`).")
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{target}", LOG_LEVEL="WARNING")
    with tempfile.TemporaryDirectory(prefix="bench-time-") as tmp, tempfile.TemporaryFile("w+") as out:
        report = Path(tmp) / "time.txt"
        load_before = os.getloadavg()[0]
        t = time.perf_counter()
        done = subprocess.Popen([str(time_bin), "-v", "-o", str(report), *argv], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, text=True)
        tree_kb = 0
        while done.poll() is None:
            tree_kb = max(tree_kb, tree_rss_kb(done.pid))
            time.sleep(0.5)
        wall = time.perf_counter() - t
        if done.returncode != 0:
            out.seek(0)
            raise SystemExit(f"{what} failed ({done.returncode}):\n{out.read()[-5000:]}")
        lines = report.read_text().splitlines()
    rss_kb = next(int(l.rsplit(":", 1)[1]) for l in lines if "Maximum resident set size" in l)
    cpu = sum(float(l.rsplit(":", 1)[1]) for l in lines if "User time" in l or "System time" in l)
    conn = sqlite3.connect(target)
    entries = conn.execute("SELECT count(*) FROM search_entry").fetchone()[0]
    services = conn.execute("SELECT count(*) FROM service").fetchone()[0]
    conn.close()
    return {"seconds": wall, "cpu_s": cpu, "peak_rss_mb": max(rss_kb, tree_kb) / 1024, "search_entries": entries,
            "services": services, "load_before": load_before, "load_after": os.getloadavg()[0]}


def measure_import(n: int, seed: int, regenerate: bool, progress: bool, mix: str = "synthetic") -> dict:
    """`flask --app web directory import-hsds DIR` of the listings as an HSDS CSV datapackage, into a
    fresh SQLite file (timed_command)."""
    t = time.perf_counter()
    name = f"hsds-{n}-seed{seed}" if mix == "synthetic" else f"hsds-{mix}-{n}-seed{seed}"
    cached = (synthetic.OUT_DIR / name).is_dir() and not regenerate
    folder = synthetic.cached_hsds_csv(n, seed, regenerate=regenerate, progress=progress, mix=mix)
    write_s = None if cached else time.perf_counter() - t
    with tempfile.TemporaryDirectory(dir=synthetic.OUT_DIR, prefix="import-") as tmp:
        out = timed_command([str(VENV_BIN / "flask"), "--app", "web", "directory", "import-hsds", str(folder)],
                            Path(tmp) / "import.db", "import-hsds")
    return {**out, "csv_write_s": write_s, "csv_mb": sum(f.stat().st_size for f in folder.iterdir()) / 1024 ** 2}


def measure_meetings_import(n: int, seed: int, regenerate: bool, progress: bool) -> tuple[dict, Path]:
    """`flask --app web directory import-meetings FEED --source bench` of the synthetic Meeting Guide
    feed of n meetings into a fresh SQLite file (timed_command), which becomes the meetings mix's
    database (bench/out/meetings-N-seedS.db). Returns the figures and that file."""
    t = time.perf_counter()
    cached = (synthetic.OUT_DIR / f"meetings-{n}-seed{seed}.json").exists() and not regenerate
    feed = synthetic.cached_meeting_feed(n, seed, regenerate=regenerate, progress=progress)
    write_s = None if cached else time.perf_counter() - t
    path = synthetic.db_path(n, seed, "meetings")
    partial = path.with_suffix(".importing.db")
    for f in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm"), Path(f"{partial}-journal")):
        f.unlink(missing_ok=True)
    out = timed_command([str(VENV_BIN / "flask"), "--app", "web", "directory", "import-meetings", str(feed),
                         "--source", "bench"], partial, "import-meetings")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    partial.rename(path)
    return {**out, "feed_write_s": write_s, "feed_mb": feed.stat().st_size / 1024 ** 2}, path


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


def run_size(n: int, mix: str, args) -> dict:
    out: dict = {"n": n, "mix": mix}
    out["load_at_start"] = os.getloadavg()
    if mix == "meetings":  # the directory is what import-meetings makes of the feed: that import is measured
        _say(args, f"[{mix} {n:,}] import-meetings of a Meeting Guide feed")
        out["meetings_import"], path = measure_meetings_import(n, args.seed, args.regenerate, not args.quiet)
        out["generate_s"] = None
    else:
        t = time.perf_counter()
        cached = synthetic.db_path(n, args.seed, mix).exists() and not args.regenerate
        path = synthetic.cached_db(n, args.seed, regenerate=args.regenerate, progress=not args.quiet, mix=mix)
        out["generate_s"] = None if cached else time.perf_counter() - t
    url = f"sqlite:///{path}"
    queries = synthetic.query_set(args.queries, args.seed, mix=mix)
    _say(args, f"[{mix} {n:,}] core search, 2-D floor and the app's tree, {len(queries)} queries in turn")
    m = measure_core_and_floor(url, path, queries)
    out["floor_built"] = m["floor_built"]
    for key in ("core", "core_cpu", "floor", "floor_cpu", "app_tree"):
        out[key] = summary_ms(m[key])
    out["floor"]["median_rows"] = statistics.median(m["counts"])
    out["floor"]["p95_rows"] = percentile(m["counts"], 95)
    ratios = [c / f for c, f in zip(m["core"], m["floor"])]
    out["core_over_floor"] = {"median": statistics.median(ratios), "p95": percentile(ratios, 95),
                              "of_medians": out["core"]["median_ms"] / out["floor"]["median_ms"]}
    out["app_tree_over_floor"] = statistics.median([a / f for a, f in zip(m["app_tree"], m["floor"])])
    _say(args, f"[{mix} {n:,}] full scan, {args.full_scan_queries} queries")
    naive, naive_ids = measure_full_scan(path, queries[:args.full_scan_queries])
    out["full_scan"] = summary_ms(naive)
    out["full_scan_disagreements"] = sum(a != b for a, b in zip(m["results"], naive_ids))
    if not args.skip_http:
        out["http"] = {}
        for config in args.http_configs:
            _say(args, f"[{mix} {n:,}] HTTP, gunicorn {config} workers, {args.http_runs} x {args.http_seconds} s")
            out["http"][config] = measure_http(url, queries, args.http_seconds, worker_args=WORKER_CONFIGS[config],
                                               runs=args.http_runs)
    if n in args.import_sizes and mix != "meetings":
        _say(args, f"[{mix} {n:,}] import-hsds of an HSDS CSV datapackage")
        out["import"] = measure_import(n, args.seed, args.regenerate, not args.quiet, mix=mix)
    out["load_at_end"] = os.getloadavg()
    return out


def _say(args, msg):
    if not args.quiet:
        print(msg, flush=True)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--mixes", nargs="+", choices=list(synthetic.MIXES), default=list(synthetic.MIXES),
                   help="directories to measure (default: all): synthetic, realistic, meetings")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--queries", type=int, default=2000, help="search origins per size (default 2000)")
    p.add_argument("--full-scan-queries", type=int, default=10)
    p.add_argument("--http-seconds", type=int, default=10, help="seconds per measured HTTP run (default 10)")
    p.add_argument("--http-runs", type=int, default=3, help="measured runs per worker set-up; the median is reported")
    p.add_argument("--skip-http", action="store_true")
    p.add_argument("--http-configs", nargs="+", choices=list(WORKER_CONFIGS), default=list(WORKER_CONFIGS),
                   help="gunicorn worker set-ups to measure (default: all)")
    p.add_argument("--import-sizes", type=int, nargs="*", default=[1_000_000],
                   help="sizes whose HSDS CSV import is measured, for the generated mixes (default 1000000; "
                        "none: --import-sizes); the meetings mix's import-meetings is measured at every size")
    p.add_argument("--regenerate", action="store_true", help="rebuild the cached synthetic databases and feeds")
    p.add_argument("--no-write", action="store_true", help="print the results; leave bench/RESULTS.md alone")
    p.add_argument("--results", type=Path, default=RESULTS, help="the results file (default bench/RESULTS.md)")
    p.add_argument("--quiet", action="store_true")
    if argv is None:
        argv = sys.argv[1:] + shlex.split(os.environ.get("BENCH_SEARCH_ARGS", ""))
    args = p.parse_args(argv)
    started = time.perf_counter()
    report = {"machine": machine(), "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "sizes": [run_size(n, mix, args) for n in args.sizes for mix in args.mixes]}
    report["wall_s"] = time.perf_counter() - started
    text = render(report, args)
    if args.no_write:
        print(text)
    else:
        write_section(text, SECTION, args.results)
        _say(args, f"wrote {SECTION!r} in {args.results} ({report['wall_s'] / 60:.1f} min)")
    return report


# --- RESULTS.md ------------------------------------------------------------------------------
# Import goals (seconds) by importer and size; 2 GB of peak memory at every size.
IMPORT_GOALS_S = {("meetings", 100_000): 20, ("meetings", 1_000_000): 180,
                  ("hsds", 100_000): 20, ("hsds", 1_000_000): 180}
MEMORY_GOAL_MB = 2048
MIX_NOTES = {"synthetic": "the five categories 40/20/15/15/10% (support group, treatment, sober living, housing, "
                          "transportation)",
             "realistic": "60% support groups, 20% housing, 10% treatment, 5% sober living, 5% transportation",
             "meetings": "a Meeting Guide feed imported through `import-meetings` (support groups only)"}


def _yes(met) -> str:
    return "yes" if met else "not measured" if met is None else "**no**"


def goals(size: dict) -> list[tuple[str, str]]:
    """(goal, 'measured: met') for one mix at one size."""
    rows = []
    configs = size.get("http") or {}
    best = max(configs, key=lambda c: configs[c]["rps"], default=None)
    h = configs.get(best)
    rows.append(("HTTP search p95 <= 10 ms (2 workers, logging on)",
                 f"{h['p95_ms']:.1f} ms ({best}): {_yes(h['p95_ms'] <= 10)}" if h else "not run"))
    rows.append(("HTTP >= 1,500 requests/s", f"{h['rps']:,.0f}/s ({best}): {_yes(h['rps'] >= 1500)}" if h else "not run"))
    r = size["core_over_floor"]
    rows.append(("core search within 3x the 2-D floor (median of per-query ratios)",
                 f"{r['median']:.2f}x: {_yes(r['median'] <= 3)}"))
    for kind, label in (("meetings", "import-meetings"), ("hsds", "import-hsds")):
        i = size.get("meetings_import" if kind == "meetings" else "import")
        goal = IMPORT_GOALS_S.get((kind, size["n"]))
        if i is None:
            continue
        rows.append((f"{label} time (<= 20 s at 100,000, <= 180 s at 1,000,000)",
                     f"{i['seconds']:.0f} s: {_yes(i['seconds'] <= goal) if goal else 'no goal at this size'}"))
        rows.append((f"{label} peak memory <= 2 GB", f"{i['peak_rss_mb']:,.0f} MB: {_yes(i['peak_rss_mb'] <= MEMORY_GOAL_MB)}"))
    return rows


def render(report: dict, args) -> str:
    m = report["machine"]
    loads = [f"{s['mix']} {s['n']:,}: {s['load_at_start'][0]:.1f} at the start, {s['load_at_end'][0]:.1f} at the end"
             for s in report["sizes"]]
    mixes = list(dict.fromkeys(s["mix"] for s in report["sizes"]))
    lines = [SECTION, "",
             f"Run {report['date']} by `make bench-search` (`bench/bench_search.py`), {report['wall_s'] / 60:.1f} min "
             f"in all ({_generation_note(report)}).",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']:.0f} GB RAM, {m['os']}, Python {m['python']}, "
             f"SQLite {m['sqlite']}, {m['wrk'] or 'no wrk'}. The machine is shared: 1-minute load average "
             f"{'; '.join(loads)} (2 cores: above ~2 means other processes were competing for the CPU).", "",
             "Data (`bench/synthetic.py`, seed "
             f"{args.seed}): listings around real US ZIP centroids weighted by urbanness, with attributes, languages, "
             "bed counts and weekly schedules, in these mixes: "
             + "; ".join(f"**{mix}**: {MIX_NOTES[mix]}" for mix in mixes) + ". The meetings feed: groups meeting on "
             "one to seven weekdays at the same place (a record per day), 10% hybrid and 4% online-only with a "
             "conference_url. Queries: "
             f"{args.queries} origins drawn the same way (~1 km off a ZIP centroid), radius 25 km, a category of the "
             "mix 40% of the time (in the mix's shares), limit 10. **core** = "
             "`directory.catalog.search.nearby.search(conn, query, listing_ids=False)` as the API calls it (positions, "
             "distances and entry ids; the result list reads the listing ids with the cards); **floor** = a "
             "standalone 2-D R*Tree (`rtree_i32`, 1e-7 degrees) that the benchmark builds in a temporary SQLite "
             "file over the same active points (one of every point, one per category; rows in random order; read "
             "with the app's connection settings, memory-mapped), "
             "`SELECT id` of the boxes each core search ended with (no join, filter or distance), timed right after "
             "that search, query by query, after an untimed pass that warms both; **app tree** = the same query on "
             "the app's own R*Tree (`search_rtree[_<category>]`), timed right after the floor; "
             f"**full scan** = haversine over every `search_entry` row in SQL, same filters and order "
             f"({args.full_scan_queries} queries).", ""]
    lines += ["| mix | listings | core median / p95 (ms) | floor median / p95 (ms) "
              "| core / floor (median, p95 of per-query ratios) "
              "| CPU time: core / floor medians (ms), ratio | app tree / floor (median ratio) "
              "| floor rows median / p95 | full scan median (ms) | core vs full scan (medians) "
              "| full scan = core results |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in report["sizes"]:
        c, f, r, fs = s["core"], s["floor"], s["core_over_floor"], s["full_scan"]
        cc, fc = s["core_cpu"], s["floor_cpu"]
        lines.append(f"| {s['mix']} | {s['n']:,} | {c['median_ms']:.3f} / {c['p95_ms']:.3f} "
                     f"| {f['median_ms']:.3f} / {f['p95_ms']:.3f} "
                     f"| {r['median']:.1f}x, {r['p95']:.1f}x "
                     f"| {cc['median_ms']:.3f} / {fc['median_ms']:.3f}, {cc['median_ms'] / fc['median_ms']:.1f}x "
                     f"| {s['app_tree_over_floor']:.1f}x "
                     f"| {f['median_rows']:,.0f} / {f['p95_rows']:,} "
                     f"| {fs['median_ms']:,.0f} "
                     f"| {fs['median_ms'] / c['median_ms']:,.0f}x faster "
                     f"| {fs['n'] - s['full_scan_disagreements']} of {fs['n']} |")
    http = [(s["mix"], s["n"], config, h) for s in report["sizes"] for config, h in (s.get("http") or {}).items()]
    if http:
        h0 = http[0][3]
        lines += ["", f"HTTP: `GET /api/v1/search?lat=..&lon=..[&category=..]&radius_km=25&limit=10` under `gunicorn "
                  f"--workers {h0['workers']} --preload` with search logging on (the default, `LOG_SEARCHES`: each "
                  "worker buffers its rows and writes them in one INSERT a second) (sync workers, or `--worker-class "
                  "gthread --threads 2`), driven by wrk on 127.0.0.1 "
                  f"(1 thread, {h0['connections']} connections, a Lua script cycling through the query URLs, "
                  f"after a {WARMUP_SECONDS} s warm-up run that is not counted, {len(h0.get('runs_rps', [1]))} runs of "
                  f"{h0['seconds']:.0f} s on the same server: the median run by requests/s, and every run's rate). "
                  "wrk runs on the same 2 cores; the CPU columns say what the server's workers and wrk used (in cores) "
                  "during the median run. *Logged*: `search_log` rows the server wrote against the requests sent "
                  "(warm-up and checks included; the benchmark deletes them afterwards).", "",
                  "| mix | listings | workers | p50 (ms) | p95 (ms) | p99 (ms) | requests/s (median run) "
                  "| every run (req/s) | errors / non-2xx | CPU used: server / wrk (cores) "
                  "| server CPU per request (ms) | logged / sent | load before the run |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for mix, n, config, h in http:
            lines.append(f"| {mix} | {n:,} | {config} | {h['p50_ms']:.2f} | {h['p95_ms']:.2f} | {h['p99_ms']:.2f} "
                         f"| {h['rps']:,.0f} | {', '.join(f'{r:,.0f}' for r in h.get('runs_rps', [h['rps']]))} "
                         f"| {h['errors']} / {h['non_2xx']} | {h['server_cpu_cores']:.2f} / {h['wrk_cpu_cores']:.2f} "
                         f"| {h['server_cpu_cores'] * 1e3 / h['rps']:.2f} "
                         f"| {h.get('searches_logged', 0):,} / {h.get('requests_sent', 0):,} "
                         f"| {h['load_before']:.1f} |")
    meetings = [s for s in report["sizes"] if "meetings_import" in s]
    if meetings:
        lines += ["", "Import of the meetings: `flask --app web directory import-meetings FEED --source bench` of the "
                  "synthetic Meeting Guide feed into a fresh SQLite file, under `/usr/bin/time -v` (the whole command: "
                  "start-up, migrations, reading the JSON, import, search index). Peak memory: the larger of `time`'s "
                  "peak RSS and the sum over the command's processes sampled every 0.5 s. CPU = user + system of the "
                  "command (on a shared machine the wall time is the CPU plus waiting for it).", "",
                  "| listings (meetings) | feed size (MB) | wall time (s) | CPU (s) | peak memory (MB) "
                  "| services / search entries written | load before / after |", "|---|---|---|---|---|---|---|"]
        for s in meetings:
            i = s["meetings_import"]
            lines.append(f"| {s['n']:,} | {i['feed_mb']:,.0f} | {i['seconds']:.1f} | {i['cpu_s']:.1f} "
                         f"| {i['peak_rss_mb']:,.0f} | {i['services']:,} / {i['search_entries']:,} "
                         f"| {i['load_before']:.1f} / {i['load_after']:.1f} |")
    imports = [s for s in report["sizes"] if "import" in s]
    if imports:
        lines += ["", "Import: `flask --app web directory import-hsds DIR` of the same listings as an HSDS 3.0 CSV "
                  "datapackage (9 CSV files) into a fresh SQLite file, under `/usr/bin/time -v` (the whole command: "
                  "start-up, migrations, import, search index). Peak memory: the larger of `time`'s peak RSS and "
                  "the sum over the command's processes sampled every 0.5 s (a big import reads in a second "
                  "process).", "",
                  "| mix | listings | CSV size (MB) | wall time (s) | CPU (s) | peak memory (MB) | search entries written |",
                  "|---|---|---|---|---|---|---|"]
        for s in imports:
            i = s["import"]
            lines.append(f"| {s['mix']} | {s['n']:,} | {i['csv_mb']:,.0f} | {i['seconds']:.0f} | {i['cpu_s']:.0f} "
                         f"| {i['peak_rss_mb']:,.0f} | {i['search_entries']:,} |")
    columns = [s for s in report["sizes"]]
    table = {}
    for s in columns:
        for goal, measured in goals(s):
            table.setdefault(goal, {})[(s["mix"], s["n"])] = measured
    lines += ["", "Goals per mix (one run: the medians and ratios above):", "",
              "| goal | " + " | ".join(f"{s['mix']} {s['n']:,}" for s in columns) + " |",
              "|---|" + "---|" * len(columns)]
    for goal, cells in table.items():
        lines.append(f"| {goal} | " + " | ".join(cells.get((s['mix'], s['n']), "-") for s in columns) + " |")
    return "\n".join(lines) + "\n"


def _generation_note(report) -> str:
    parts = []
    for s in report["sizes"]:
        if s.get("generate_s"):
            parts.append(f"generating the {s['mix']} {s['n']:,} database: {s['generate_s'] / 60:.1f} min")
        if s.get("import", {}).get("csv_write_s"):
            parts.append(f"writing the {s['mix']} {s['n']:,} CSV datapackage: {s['import']['csv_write_s'] / 60:.1f} min")
        if s.get("meetings_import", {}).get("feed_write_s"):
            parts.append(f"writing the {s['n']:,} meeting feed: {s['meetings_import']['feed_write_s'] / 60:.1f} min")
    return ", ".join(parts) + "; cached in bench/out/ for the next run" if parts else \
        "synthetic data from the bench/out/ cache"


if __name__ == "__main__":
    main()
