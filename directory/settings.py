"""Signpost's one settings reader: every process (the web app, the worker, the CLI) reads its
environment here, and each development default (service token, keys) is set here only.

`Settings` is what texting runs with (each field is read from the environment variable of its
name); `app_config` is the Flask app's whole configuration (Settings' fields included).
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, fields


# DEVELOPMENT ONLY, not secret: production refuses to start without its own (see phones.check_keys).
DEV_SERVICE_TOKEN = "dev-service-token"  # the action server's bearer token on the API (mk/bot.mk reads it here)
DEV_PHONE_KEY_SEED = b"signpost-development-only-phone-key-NOT-SECRET"  # so a dev database stays readable
DEV_PSEUDONYM_KEY = "signpost-development-only-pseudonym-key-NOT-SECRET"
DEV_TWILIO_AUTH_TOKEN = "dev-twilio-auth-token-NOT-SECRET"  # development only: the simulator signs with it
DEV_ACCOUNT_SID = "AC" + "0" * 32  # the simulator's account when TWILIO_ACCOUNT_SID is unset


@dataclass(frozen=True)
class Settings:
    """The gateway's configuration; each field is read from the environment variable of its name."""
    SIGNPOST_ENV: str = "development"
    PROGRAM_NAME: str = "Signpost"
    PUBLIC_BASE_URL: str = "http://127.0.0.1:5000"
    # One Rasa, or several comma-separated (default: RASA_INSTANCES servers from RASA_PORT on).
    # They share the tracker and lock stores, so any of them can answer any conversation: the
    # gateway picks one by the pseudonym and moves on to the next when that one does not answer.
    RASA_URL: str = "http://127.0.0.1:5005"
    RASA_TOKEN: str | None = None
    RASA_CONNECT_TIMEOUT: float = 1.0  # seconds for a Rasa server to accept: past it, the next one is asked
    RASA_TIMEOUT: float = 8.0  # seconds for one answer while Twilio waits (it gives up at 15)
    RASA_RETRY_TIMEOUT: float = 30.0  # the worker is not in a hurry
    RASA_RETRY_DELAY: float = 15.0  # seconds after a fallback before the worker asks Rasa again
    TWILIO_ACCOUNT_SID: str | None = None  # unset: texts stay in the outbox
    TWILIO_AUTH_TOKEN: str | None = None
    TWILIO_FROM_NUMBER: str | None = None
    TWILIO_MESSAGING_SERVICE_SID: str | None = None
    TWILIO_API_BASE_URL: str | None = None  # tests: the Prism mock instead of https://api.twilio.com
    FOLLOW_UP_AFTER_HOURS: float = 48.0
    RETENTION_DAYS: int = 90
    # Who opened or exported which referral (directory/staff/access_log.py): six years, as HIPAA
    # keeps its documentation.
    ACCESS_LOG_RETENTION_DAYS: int = 2190
    # Rasa's tracker store (the conversations' events), which the retention purge also prunes.
    RASA_TRACKER_URL: str | None = None
    DEFAULT_TIMEZONE: str = "America/Los_Angeles"  # quiet hours when the number says nothing

    @classmethod
    def from_mapping(cls, env) -> "Settings":
        values = {}
        for f in fields(cls):
            raw = env.get(f.name)
            if raw is None or raw == "":
                continue
            values[f.name] = float(raw) if f.type == "float" else int(raw) if f.type == "int" else raw
        values.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{env.get('PORT') or 5000}")
        values.setdefault("RASA_URL", ",".join(f"http://127.0.0.1:{port}" for port in rasa_ports(env)))
        values.setdefault("RASA_TRACKER_URL", tracker_store_url(env))
        settings = cls(**values)
        if settings.TWILIO_AUTH_TOKEN is None and settings.SIGNPOST_ENV != "production":
            settings = cls(**{**values, "TWILIO_AUTH_TOKEN": DEV_TWILIO_AUTH_TOKEN})
        return settings

    @property
    def account_sid(self) -> str:
        """The only account whose webhooks are accepted."""
        return self.TWILIO_ACCOUNT_SID or DEV_ACCOUNT_SID

    @property
    def sends_via_twilio(self) -> bool:
        return bool(self.TWILIO_ACCOUNT_SID)


def settings_from_env() -> Settings:
    return Settings.from_mapping(os.environ)


_current: Settings | None = None


def configure(settings: Settings) -> None:
    """The settings the app (or the worker) runs with; see directory.texting.jobs.configure."""
    global _current
    _current = settings


def current() -> Settings:
    return _current or settings_from_env()


def is_production(env=os.environ) -> bool:
    return env.get("SIGNPOST_ENV", "development") == "production"


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


DEFAULT_MAX_BAD_SHARE = 0.05  # of a feed's records that may be skipped or repaired before an import fails


def import_max_bad_share(env=os.environ) -> float:
    """IMPORT_MAX_BAD_SHARE: the share of a feed's records that may break a rule (default 0.05)."""
    raw = (env.get("IMPORT_MAX_BAD_SHARE") or "").strip()
    return float(raw.rstrip("%")) / (100 if raw.endswith("%") else 1) if raw else DEFAULT_MAX_BAD_SHARE


def database_url(env=os.environ) -> str | None:
    """DATABASE_URL as given (None: the embedded SQLite default, see directory.db.default_url)."""
    return env.get("DATABASE_URL") or None


def redis_url(env=os.environ) -> str | None:
    """REDIS_URL: the job queue, the rate limits and Rasa's lock store on Redis (None: embedded)."""
    return env.get("REDIS_URL") or None


# --- the process set (directory/service.py) -----------------------------------------------------
RASA_TRACKER_SCHEMA = "rasa"  # on PostgreSQL, Rasa's tracker store lives in this schema of the directory's database
RASA_TRACKER_FILE = "rasa_tracker.db"  # on SQLite, this file beside the directory's
RASA_LOCK_LIFETIME = 20  # seconds a killed Rasa's lock on a conversation holds it (Rasa's default: 60)


def tracker_schema(tracker_url: str) -> str | None:
    """On PostgreSQL, Rasa's tables live in their own schema (Rasa reads it from POSTGRESQL_SCHEMA)."""
    return RASA_TRACKER_SCHEMA if tracker_url.startswith(("postgresql", "postgres:")) else None


def rasa_instances(env=os.environ) -> int:
    return max(1, int(env.get("RASA_INSTANCES") or 1))


def rasa_ports(env=os.environ) -> list[int]:
    """RASA_INSTANCES servers on consecutive ports from RASA_PORT."""
    first = int(env.get("RASA_PORT") or 5005)
    return [first + i for i in range(rasa_instances(env))]


def tracker_store_url(env=os.environ) -> str:
    """Where Rasa keeps conversations, as Rasa's SQLAlchemy (1.4, psycopg2) reads it: RASA_TRACKER_URL,
    else the directory's PostgreSQL database (schema RASA_TRACKER_SCHEMA), else a SQLite file beside
    the directory's file, so conversations survive a restart at both scales."""
    if env.get("RASA_TRACKER_URL"):
        return env["RASA_TRACKER_URL"]
    from sqlalchemy.engine import make_url
    from directory.db import PROJECT_ROOT, normalize_url
    directory_url = make_url(normalize_url(database_url(env) or f"sqlite:///{PROJECT_ROOT / 'instance' / 'signpost.db'}"))
    if directory_url.get_backend_name() == "postgresql":
        return directory_url.set(drivername="postgresql").render_as_string(hide_password=False)
    from pathlib import Path
    folder = Path(directory_url.database).resolve().parent if directory_url.database not in (None, "", ":memory:") \
        else PROJECT_ROOT / "instance"
    return f"sqlite:///{folder / RASA_TRACKER_FILE}"


def service_config(env=os.environ) -> dict:
    """What `make run` starts (directory/service.py): ports, how many of each process, the stores."""
    return {
        "port": int(env.get("PORT") or 5000),
        "rasa_ports": rasa_ports(env),
        "action_port": int(env.get("ACTION_PORT") or 5055),
        "web_workers": int(env.get("WEB_WORKERS") or 2),
        "web_threads": int(env.get("WEB_THREADS") or 32),
        "worker_threads": int(env.get("WORKER_THREADS") or 4),
        "tracker_store_url": tracker_store_url(env),
        "redis_url": redis_url(env),
        "lock_lifetime": int(env.get("TICKET_LOCK_LIFETIME") or RASA_LOCK_LIFETIME),
        "run_dir": env.get("SIGNPOST_RUN_DIR") or None,  # supervisord's files (default instance/run)
    }


def app_config(env=os.environ) -> dict:
    """The Flask app's configuration, with defaults for the embedded (SQLite) set-up."""
    from directory.db import default_url
    dev = env.get("SIGNPOST_ENV", "development") == "development"
    config = {
        "SIGNPOST_ENV": env.get("SIGNPOST_ENV", "development"),
        "DATABASE_URL": database_url(env) or default_url(),
        # A random key in development means sessions end on restart; production must set one.
        "SECRET_KEY": env.get("SECRET_KEY") or (secrets.token_hex(32) if dev else None),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        # The action server (and other services) call the API with this bearer token.
        "SERVICE_TOKEN": env.get("SIGNPOST_SERVICE_TOKEN", DEV_SERVICE_TOKEN if dev else ""),
        "ACTION_SERVER_URL": env.get("ACTION_SERVER_URL", f"http://127.0.0.1:{env.get('ACTION_PORT', '5055')}"),
        "HEALTH_TIMEOUT": float(env.get("HEALTH_TIMEOUT", "1.5")),
        "LOG_SEARCHES": _flag(env.get("LOG_SEARCHES"), True),
        # Flask-Limiter's counters: shared by every web process on Redis, else per process.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or redis_url(env) or "memory://",
    }
    texting = Settings.from_mapping(env)
    config.update(PUBLIC_BASE_URL=texting.PUBLIC_BASE_URL, RASA_URL=texting.RASA_URL, RASA_TOKEN=texting.RASA_TOKEN,
                  ACCESS_LOG_RETENTION_DAYS=texting.ACCESS_LOG_RETENTION_DAYS)
    return config
