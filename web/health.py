"""GET /healthz: the database, each Rasa server, the action server and the worker, each with its own status."""
from __future__ import annotations

import requests
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from directory import db

bp = Blueprint("health", __name__)


def _http_check(url: str, timeout: float) -> dict:
    try:
        r = requests.get(url, timeout=timeout)
        return {"status": "ok" if r.ok else "error", "http_status": r.status_code}
    except requests.RequestException as exc:
        return {"status": "down", "error": type(exc).__name__}


@bp.get("/healthz")
def healthz():
    cfg = current_app.config
    checks = {}
    try:
        with db.Session() as s:
            s.execute(text("SELECT 1"))
            rev = db.current_revision()
        checks["database"] = {"status": "ok", "dialect": db.engine().dialect.name, "revision": rev}
    except Exception as exc:  # report, never raise: this page is how people find what is broken
        checks["database"] = {"status": "down", "error": type(exc).__name__}
    # Each Rasa server: while one is up, the gateway moves the others' conversations to it (degraded).
    servers = [{"url": url, **_http_check(url + "/", cfg["HEALTH_TIMEOUT"])}
               for url in (u.strip().rstrip("/") for u in cfg["RASA_URL"].split(",")) if url]
    up = sum(r["status"] == "ok" for r in servers)
    checks["rasa"] = {"status": "ok" if up == len(servers) else "degraded" if up else "down",
                      "up": up, "servers": servers}
    checks["action_server"] = _http_check(cfg["ACTION_SERVER_URL"].rstrip("/") + "/health", cfg["HEALTH_TIMEOUT"])
    from directory.texting.jobs import queue_health
    checks["worker"] = queue_health()  # the job queue and whether a worker is consuming it
    # The web app itself can serve people while the bot is down; only the database is vital.
    status = "ok" if all(c["status"] == "ok" for c in checks.values()) else (
        "degraded" if checks["database"]["status"] == "ok" else "down")
    return jsonify({"status": status, "checks": checks}), (200 if checks["database"]["status"] == "ok" else 503)
