"""The process set `make run` supervises (directory/service.py), as configuration: one program per
part, N Rasa servers on consecutive ports, Rasa's endpoints with the shared stores, no secret in a file."""
from __future__ import annotations

import configparser

import yaml

from directory import service
from directory import settings


def generated(env: dict, tmp_path):
    cfg = settings.service_config({**env, "SIGNPOST_RUN_DIR": str(tmp_path)})
    conf = configparser.RawConfigParser()
    conf.read_string(service.supervisord_conf(cfg, tmp_path, tmp_path / "endpoints.yml"))
    return cfg, conf, yaml.safe_load(service.endpoints_yaml(cfg))


def test_the_embedded_default(tmp_path):
    cfg, conf, endpoints = generated({"DATABASE_URL": f"sqlite:///{tmp_path}/signpost.db"}, tmp_path)
    programs = sorted(s.split(":", 1)[1] for s in conf.sections() if s.startswith("program:"))
    assert programs == ["actions", "rasa-5005", "web", "worker"]
    assert all(conf.get(f"program:{p}", "autorestart") == "true" for p in programs)
    assert all(conf.get(f"program:{p}", "stopasgroup") == "true" for p in programs)
    assert "bot-serve-rasa RASA_PORT=5005" in conf.get("program:rasa-5005", "command")
    assert endpoints["tracker_store"] == {"type": "bot.tracker_store.CachedSQLTrackerStore", "url": "${SIGNPOST_RASA_TRACKER_URL}"}
    assert "lock_store" not in endpoints  # one Rasa: its own memory
    env = service.secret_env(cfg)
    assert env["SIGNPOST_RASA_TRACKER_URL"] == f"sqlite:///{tmp_path}/rasa_tracker.db" and "POSTGRESQL_SCHEMA" not in env


def test_the_scaled_out_set(tmp_path):
    cfg, conf, endpoints = generated({"DATABASE_URL": "postgres://sp:s3cret@db:5432/signpost", "RASA_INSTANCES": "2",
                                      "RASA_PORT": "7000", "REDIS_URL": "redis://:r3dis@cache:6390/3", "WEB_WORKERS": "4"},
                                     tmp_path)
    assert conf.get("group:signpost", "programs") == "web,actions,worker,rasa-7000,rasa-7001"
    assert "--workers 4" in conf.get("program:web", "command")
    assert endpoints["lock_store"] == {"type": "redis", "url": "cache", "port": 6390, "db": 3, "key_prefix": "signpost",
                                       "password": "${SIGNPOST_RASA_LOCK_PASSWORD}"}
    written = service.supervisord_conf(cfg, tmp_path, tmp_path / "e.yml") + service.endpoints_yaml(cfg)
    assert "s3cret" not in written and "r3dis" not in written  # secrets reach Rasa through its environment
    env = service.secret_env(cfg)
    assert env["SIGNPOST_RASA_TRACKER_URL"] == "postgresql://sp:s3cret@db:5432/signpost"
    assert env["POSTGRESQL_SCHEMA"] == "rasa" and env["SIGNPOST_RASA_LOCK_PASSWORD"] == "r3dis"
    assert env["TICKET_LOCK_LIFETIME"] == str(settings.RASA_LOCK_LIFETIME)
