"""The composition root: what a process wires before it works (the web app, the worker, the CLI
and the tests call these; nothing is wired at import time).

- `wire_core`: the database (`DATABASE_URL` or the given URL), every table registered, and the
  listing index's watcher, so an ORM edit of a listing rebuilds its search entry and card before
  the commit.
- `wire_texting`: the texting settings and the job queue (huey on SQLite, or on Redis with
  `REDIS_URL`); with a Twilio account, queued texts go to the worker instead of the outbox.
"""
from __future__ import annotations

import os

from sqlalchemy.engine import Engine

from directory import db
from directory.catalog import index
from directory.settings import Settings, settings_from_env
from directory.tables import import_all_models
from directory.texting import jobs


def wire_core(url: str | None = None) -> Engine:
    watch_listings()
    return db.configure(url)


def watch_listings() -> None:
    """Once per process: every table registered, and sessions from `db.Session` reindex the
    listings their ORM edits touched."""
    import_all_models()
    if not getattr(db.Session, "_signpost_watched", False):
        index.watch(db.Session)
        db.Session._signpost_watched = True


def wire_texting(settings: Settings, env=os.environ):
    """The job queue (built once per process) and the settings texting runs with."""
    if jobs.huey is None:
        jobs.wire(jobs.make_huey(env))
    jobs.configure(settings)
    return jobs.huey


def start_worker():
    """The worker process (`huey_consumer directory.worker.huey`)."""
    wire_core()
    return wire_texting(settings_from_env())
