"""Configuration from the environment, with defaults for the embedded (SQLite) set-up."""
from __future__ import annotations

import secrets

from directory.db import default_url


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def load_config(env) -> dict:
    dev = env.get("SIGNPOST_ENV", "development") == "development"
    return {
        "SIGNPOST_ENV": env.get("SIGNPOST_ENV", "development"),
        "DATABASE_URL": default_url() if not env.get("DATABASE_URL") else env["DATABASE_URL"],
        # A random key in development means sessions end on restart; production must set one.
        "SECRET_KEY": env.get("SECRET_KEY") or (secrets.token_hex(32) if dev else None),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        # The action server (and other services) call the API with this bearer token.
        "SERVICE_TOKEN": env.get("SIGNPOST_SERVICE_TOKEN", "dev-service-token" if dev else ""),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", f"http://127.0.0.1:{env.get('PORT', '5000')}"),
        "RASA_URL": env.get("RASA_URL", f"http://127.0.0.1:{env.get('RASA_PORT', '5005')}"),
        "RASA_TOKEN": env.get("RASA_TOKEN") or None,
        "ACTION_SERVER_URL": env.get("ACTION_SERVER_URL", f"http://127.0.0.1:{env.get('ACTION_PORT', '5055')}"),
        "HEALTH_TIMEOUT": float(env.get("HEALTH_TIMEOUT", "1.5")),
        "LOG_SEARCHES": _flag(env.get("LOG_SEARCHES"), True),
    }
