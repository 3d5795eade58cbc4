"""The process set `make run` starts and supervises: the web app (gunicorn), RASA_INSTANCES Rasa
servers, the action server and the worker, under supervisord.

A part that dies is restarted and the others keep running; Ctrl-C (SIGINT) or SIGTERM to
supervisord stops them all. Everything comes from the settings (directory/settings.py
`service_config`): ports, counts, and the stores the Rasa servers share (the tracker store in
PostgreSQL or in a SQLite file beside the directory's, the lock store on Redis with REDIS_URL), so
any Rasa server can answer any conversation and a restart forgets none.

    python -m directory.service run      # what `make run` ends with (after migrate, seed, train)
    python -m directory.service config   # print the supervisord configuration it would run

Files (supervisord.conf, Rasa's endpoints.yml, the control socket) go to SIGNPOST_RUN_DIR
(default instance/run); `supervisorctl -c instance/run/supervisord.conf status` shows the parts
(group `signpost`: `restart signpost:rasa-5005`).
Secrets (the database password in the tracker URL, Redis's password) are not written there: the
endpoints file names environment variables, which Rasa substitutes itself.
"""
from __future__ import annotations

import logging
import os
import pwd
import shlex
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

from directory import settings
from directory.db import PROJECT_ROOT, normalize_url

log = logging.getLogger(__name__)

TRACKER_URL_VAR = "SIGNPOST_RASA_TRACKER_URL"  # read by Rasa from its environment (endpoints.yml ${...})
LOCK_PASSWORD_VAR = "SIGNPOST_RASA_LOCK_PASSWORD"
TRACKER_STORE_CLASS = "bot.tracker_store.CachedSQLTrackerStore"


def run_dir(cfg: dict) -> Path:
    return Path(cfg["run_dir"] or PROJECT_ROOT / "instance" / "run")


def endpoints_yaml(cfg: dict) -> str:
    """Rasa's endpoints: the action server, the shared tracker store and, with Redis, the lock store."""
    lines = ["# Written by directory/service.py at start-up from the settings; edit bot/endpoints.yml or the environment.",
             "action_endpoint:", f"  url: http://127.0.0.1:{cfg['action_port']}/webhook",
             # Rasa's SQLTrackerStore (same tables) with a per-process cache checked against the store
             # on every message: bot/tracker_store.py.
             "tracker_store:", f"  type: {TRACKER_STORE_CLASS}", f"  url: ${{{TRACKER_URL_VAR}}}"]
    if cfg["redis_url"]:
        redis = urlsplit(cfg["redis_url"])
        lines += ["lock_store:", "  type: redis", f"  url: {redis.hostname or '127.0.0.1'}", f"  port: {redis.port or 6379}",
                  f"  db: {int((redis.path or '/0').strip('/') or 0)}", "  key_prefix: signpost"]
        if redis.password:
            lines.append(f"  password: ${{{LOCK_PASSWORD_VAR}}}")
        if redis.scheme == "rediss":
            lines.append("  use_ssl: true")
    return "\n".join(lines) + "\n"


def secret_env(cfg: dict) -> dict[str, str]:
    """What the endpoints file names, set in supervisord's environment (its children inherit it)."""
    env = {TRACKER_URL_VAR: cfg["tracker_store_url"], "TICKET_LOCK_LIFETIME": str(cfg["lock_lifetime"])}
    schema = settings.tracker_schema(cfg["tracker_store_url"])
    if schema:
        env["POSTGRESQL_SCHEMA"] = schema
    if cfg["redis_url"] and urlsplit(cfg["redis_url"]).password:
        env[LOCK_PASSWORD_VAR] = unquote(urlsplit(cfg["redis_url"]).password)
    return env


def programs(cfg: dict, endpoints: Path) -> dict[str, str]:
    """Each supervised program's command line."""
    bindir = Path(sys.executable).parent
    make = shutil.which("make") or "make"
    commands = {
        "web": f"{bindir / 'gunicorn'} --worker-class web.gunicorn_workers.JsonErrorThreadWorker --workers {cfg['web_workers']} --threads {cfg['web_threads']} "
               f"--timeout 30 --graceful-timeout 3 --keep-alive 2 --bind 127.0.0.1:{cfg['port']} --preload 'web:create_app()'",
        "actions": f"{make} -s --no-print-directory bot-serve-actions ACTION_PORT={cfg['action_port']}",
        "worker": f"{bindir / 'huey_consumer'} directory.worker.huey --workers {cfg['worker_threads']} --worker-type thread",
    }
    for port in cfg["rasa_ports"]:
        commands[f"rasa-{port}"] = (f"{make} -s --no-print-directory bot-serve-rasa RASA_PORT={port} "
                                    f"RASA_ENDPOINTS={shlex.quote(str(endpoints))}")
    return commands


def supervisord_conf(cfg: dict, folder: Path, endpoints: Path) -> str:
    # Everything logs to supervisord's own stdout, as the terminal (or systemd's journal) shows it.
    out = ["stdout_logfile=/dev/stdout", "stdout_logfile_maxbytes=0", "redirect_stderr=true"]
    sections = [
        # In the foreground supervisord logs to stdout itself; `user` is who runs it (no privileges to drop).
        "[supervisord]", "nodaemon=true", "logfile=/dev/null", "logfile_maxbytes=0", "loglevel=info",
        f"user={pwd.getpwuid(os.getuid()).pw_name}",
        f"pidfile={folder / 'supervisord.pid'}", f"childlogdir={folder}", "",
        "[unix_http_server]", f"file={folder / 'supervisor.sock'}", "chmod=0700", "",
        "[supervisorctl]", f"serverurl=unix://{folder / 'supervisor.sock'}", "",
        "[rpcinterface:supervisor]", "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
    ]
    for name, command in programs(cfg, endpoints).items():
        sections += [
            f"[program:{name}]", f"command={command.replace('%', '%%')}", f"directory={PROJECT_ROOT}",
            # Restarted whenever it exits, at once and then with a growing pause; a part that keeps
            # failing is given up on after many tries, the others keep running.
            "autorestart=true", "startsecs=3", "startretries=50",
            # Every process it started (make, the shell, Python) gets the signal, then SIGKILL. Rasa and
            # the action server keep nothing in memory (conversations are in the tracker store) and
            # would otherwise wait out idle keep-alive connections: 5 s is enough for a turn in flight.
            "stopasgroup=true", "killasgroup=true", f"stopwaitsecs={10 if name in ('web', 'worker') else 5}", *out, "",
        ]
    # One group: supervisord stops group after group, waiting for each, but a group's programs all
    # at once, so Ctrl-C takes as long as the slowest part rather than the sum of them all.
    sections += ["[group:signpost]", f"programs={','.join(programs(cfg, endpoints))}", ""]
    return "\n".join(sections)


def prepare(cfg: dict) -> Path:
    """Write the run folder's files and make the tracker store's home. Returns supervisord.conf."""
    folder = run_dir(cfg)
    folder.mkdir(parents=True, exist_ok=True)
    tracker = cfg["tracker_store_url"]
    schema = settings.tracker_schema(tracker)
    if schema:  # Rasa will not create its schema itself
        from sqlalchemy import create_engine, text
        engine = create_engine(normalize_url(tracker), hide_parameters=True)
        try:
            with engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        finally:
            engine.dispose()
    elif tracker.startswith("sqlite:///"):
        Path(tracker[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    if len(cfg["rasa_ports"]) > 1 and not cfg["redis_url"]:
        log.warning("RASA_INSTANCES=%d without REDIS_URL: each Rasa server locks conversations in its own memory, "
                    "so a conversation moved to another server is not locked across them. Set REDIS_URL.",
                    len(cfg["rasa_ports"]))
    endpoints = folder / "endpoints.yml"
    endpoints.write_text(endpoints_yaml(cfg))
    conf = folder / "supervisord.conf"
    conf.write_text(supervisord_conf(cfg, folder, endpoints))
    return conf


def run(env=os.environ) -> None:
    """Replace this process with supervisord running the whole service in the foreground."""
    cfg = settings.service_config(env)
    conf = prepare(cfg)
    os.environ.update(secret_env(cfg))
    supervisord = str(Path(sys.executable).parent / "supervisord")
    sys.stdout.flush()
    os.execv(supervisord, [supervisord, "--nodaemon", "--configuration", str(conf)])


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    command = argv[0] if argv else "run"
    if command == "run":
        run()
    elif command == "config":
        cfg = settings.service_config(os.environ)
        print(supervisord_conf(cfg, run_dir(cfg), run_dir(cfg) / "endpoints.yml"))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
