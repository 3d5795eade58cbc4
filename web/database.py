"""Wires the directory core (database, tables, the listing index's watcher) into the Flask app."""
from __future__ import annotations

from directory import bootstrap


def init_app(app) -> None:
    bootstrap.wire_core(app.config["DATABASE_URL"])
