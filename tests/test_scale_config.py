"""One configuration, two scales: the URL forms hosts hand out, and what follows from DATABASE_URL,
REDIS_URL and RASA_INSTANCES (the Rasa servers, their tracker and lock stores, the rate limits)."""
from __future__ import annotations

import pytest

from directory import db
from directory import settings


@pytest.mark.parametrize("given", ["postgresql://u:p%40w@db.example:5433/signpost", "postgres://u:p%40w@db.example:5433/signpost",
                                   "postgresql+psycopg://u:p%40w@db.example:5433/signpost"])
def test_every_postgres_form_names_the_installed_driver(given):
    assert db.normalize_url(given) == "postgresql+psycopg://u:p%40w@db.example:5433/signpost"
    assert db.make_engine(given).dialect.driver == "psycopg"


@pytest.mark.parametrize("given", ["sqlite:////tmp/x/signpost.db", "sqlite://", "postgresql+psycopg2://u@h/d"])
def test_other_urls_are_kept_as_given(given):
    assert db.normalize_url(given) == given


def test_configure_and_the_env_default_normalise_alike(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1:1/d")
    assert db.default_url() == "postgresql+psycopg://u@127.0.0.1:1/d"
    previous = db.engine().url.render_as_string(hide_password=False)
    try:
        assert db.configure("postgresql://u@127.0.0.1:1/d").dialect.driver == "psycopg"  # no connection made yet
    finally:
        db.configure(previous)


def test_the_embedded_scale():
    env = {"DATABASE_URL": "sqlite:////srv/signpost/signpost.db"}
    assert settings.rasa_ports(env) == [5005]
    assert settings.Settings.from_mapping(env).RASA_URL == "http://127.0.0.1:5005"
    assert settings.tracker_store_url(env) == "sqlite:////srv/signpost/rasa_tracker.db"
    assert settings.app_config(env)["RATELIMIT_STORAGE_URI"] == "memory://"
    assert settings.service_config(env)["redis_url"] is None
    assert settings.tracker_store_url({}).endswith("/instance/rasa_tracker.db")


def test_the_scaled_out_scale():
    env = {"DATABASE_URL": "postgres://sp:secret@db.example:5432/signpost", "REDIS_URL": "redis://cache.example:6379/0",
           "RASA_INSTANCES": "3", "RASA_PORT": "6000"}
    assert settings.rasa_ports(env) == [6000, 6001, 6002]
    assert settings.Settings.from_mapping(env).RASA_URL.split(",") == [
        "http://127.0.0.1:6000", "http://127.0.0.1:6001", "http://127.0.0.1:6002"]
    # Rasa's own SQLAlchemy 1.4 with psycopg2 (its venv), in the directory's database
    assert settings.tracker_store_url(env) == "postgresql://sp:secret@db.example:5432/signpost"
    assert settings.app_config(env)["RATELIMIT_STORAGE_URI"] == "redis://cache.example:6379/0"
    assert settings.service_config(env)["redis_url"] == "redis://cache.example:6379/0"


def test_an_explicit_rasa_url_or_tracker_url_wins():
    env = {"RASA_URL": "http://10.0.0.5:5005", "RASA_INSTANCES": "2", "RASA_TRACKER_URL": "postgresql://r@h/rasa"}
    s = settings.Settings.from_mapping(env)
    assert s.RASA_URL == "http://10.0.0.5:5005" and s.RASA_TRACKER_URL == "postgresql://r@h/rasa"
