"""Engine and session set-up, and bringing the schema up to date with Alembic.

One module-level `Session` factory; callers frame their work with `with Session.begin() as s:`.
`configure(url)` binds it; directory.bootstrap.wire_core does that for every process, with the
listing index's watcher.
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

Session = sessionmaker(expire_on_commit=False)
_engine: Engine | None = None


def normalize_url(url: str) -> str:
    """The SQLAlchemy URL for a DATABASE_URL in any of the forms hosts hand out.

    `postgresql://` and `postgres://` (Heroku, most platforms) name no driver, and SQLAlchemy's
    default for them is psycopg2; the app installs psycopg 3, so they become `postgresql+psycopg://`.
    A URL that names its driver, and every other database, is kept as given.
    """
    from sqlalchemy.engine import make_url
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def default_url() -> str:
    """DATABASE_URL, or a SQLite file under instance/ (the embedded default)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return normalize_url(url)
    instance = PROJECT_ROOT / "instance"
    instance.mkdir(exist_ok=True)
    return f"sqlite:///{instance / 'signpost.db'}"


def sqlite_pragmas(dbapi_conn, _record):
    """Every SQLite connection's settings (run again when an import hands back a connection it changed)."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    # Read through a memory map and keep more pages per connection: a search touches a few
    # hundred pages all over a large file, and a read() system call per page was most of its time.
    cur.execute("PRAGMA mmap_size=4294967296")  # SQLite caps it at its compile-time maximum (2 GB by default)
    cur.execute("PRAGMA cache_size=-65536")  # 64 MB
    cur.close()


def make_engine(url: str) -> Engine:
    url = normalize_url(str(url))
    # hide_parameters: an error message must not carry a phone number or a text into the logs.
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        event.listen(engine, "connect", sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True)
    return engine


def configure(url: str | None = None) -> Engine:
    """Bind the Session factory to `url` (default: default_url()). Returns the engine."""
    global _engine
    url = normalize_url(str(url)) if url else default_url()
    if _engine is not None and str(_engine.url) == str(make_url_safe(url)):
        return _engine
    if _engine is not None:
        _engine.dispose()
    _engine = make_engine(url)
    Session.configure(bind=_engine)
    return _engine


def make_url_safe(url: str):
    from sqlalchemy.engine import make_url
    return make_url(url)


def engine() -> Engine:
    if _engine is None:
        return configure()
    return _engine


def is_sqlite() -> bool:
    return engine().dialect.name == "sqlite"


def alembic_config(url: str | None = None):
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", (url or str(engine().url.render_as_string(hide_password=False))).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None) -> None:
    """Bring the schema up to date (alembic upgrade head). Safe to call every time."""
    from alembic import command
    if url:
        configure(url)
    command.upgrade(alembic_config(), "heads")  # "heads": branches from parallel work apply too


def current_revision() -> str | None:
    """The applied revision; with parallel branches (upgrade "heads") their heads, comma-separated."""
    from alembic.runtime.migration import MigrationContext
    with engine().connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None
