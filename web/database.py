"""Wires the directory's Session factory into the Flask app."""
from __future__ import annotations

from directory import db


def init_app(app) -> None:
    db.configure(app.config["DATABASE_URL"])
