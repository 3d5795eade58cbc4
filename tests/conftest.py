"""Fixtures in the Flask tutorial's style: `app`, `client`, `runner`, on a real SQLite file."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from directory import db

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not SHARED_DATA.exists():  # a checkout elsewhere: ../shared/data beside the project root
    SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


# Test lanes: `make test-fast` runs what needs no server (`-m "not server"`); `make test` runs all.
# A test needs a server when it starts PostgreSQL, the Twilio mock (Prism), wrk, Rasa or a browser.
SERVER_FIXTURES = {"twilio_mock"}
SERVER_MODULES = {"test_postgres.py", "test_postgres_pages.py", "test_postgres_urls.py", "test_bench_smoke.py",
                  "test_bench_imports_smoke.py",
                  "test_gunicorn_errors.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if (item.get_closest_marker("e2e") or item.path.name in SERVER_MODULES
                or SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))):
            item.add_marker(pytest.mark.server)


@pytest.fixture(scope="session", autouse=True)
def wired_core(tmp_path_factory):
    """The tests' composition root, as the app and the worker have theirs (directory.bootstrap):
    every table registered, ORM edits reindexed, a job queue for texting (its own file per test
    process, so parallel lanes never share one)."""
    from directory import bootstrap
    from directory.settings import settings_from_env
    bootstrap.watch_listings()
    queue_file = tmp_path_factory.mktemp("queue") / "huey.db"
    bootstrap.wire_texting(settings_from_env(), env={**os.environ, "HUEY_SQLITE_PATH": str(queue_file)})


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not beside the project")
    return SHARED_DATA


def make_database(path: Path, seed: bool = True) -> str:
    url = f"sqlite:///{path}"
    db.upgrade(url)
    if seed:
        from directory.catalog.demo import seed_demo
        with db.Session.begin() as s:
            seed_demo(s)
    return url


@pytest.fixture(scope="session")
def seeded_db_template(tmp_path_factory) -> Path:
    """Migrate and seed once; each test gets a copy (a file copy is much faster than seeding)."""
    path = tmp_path_factory.mktemp("template") / "seeded.db"
    make_database(path)
    db.engine().dispose()
    return path


def import_real_data(data: Path) -> None:
    """The real data sets, as they come, through the importers: Miami 211 (HSDS 1.x), both Meeting
    Guide feeds, SAMHSA FindTreatment (a few seconds)."""
    from directory.catalog.importers import findtreatment, import_hsds_path
    from directory.catalog.importers import meeting_guide as mg
    with db.Session.begin() as s:
        import_hsds_path(s, data / "miami-211-hsds")
    labels = mg.load_type_labels(data / "meeting-guide" / "types.json")
    for feed in ("oc.json", "kc.json"):
        with db.Session.begin() as s:
            mg.import_meetings(s, mg.load_feed(str(data / "meeting-guide" / feed)), mg.source_key(feed),
                               type_labels=labels)
    with db.Session.begin() as s:
        findtreatment.import_file(s, data / "findtreatment" / "facilities.json")


@pytest.fixture(scope="session")
def real_db_template(tmp_path_factory, shared_data) -> Path:
    """The demo plus the real data sets, imported once; tests that change it get a copy (real_db_url)."""
    path = tmp_path_factory.mktemp("real") / "real.db"
    make_database(path)
    import_real_data(shared_data)
    db.engine().dispose()
    return path


@pytest.fixture
def real_db_url(tmp_path, real_db_template) -> str:
    import shutil
    target = tmp_path / "real.db"
    shutil.copy(real_db_template, target)
    url = f"sqlite:///{target}"
    db.configure(url)
    return url


@pytest.fixture
def db_url(tmp_path, seeded_db_template) -> str:
    import shutil
    target = tmp_path / "signpost.db"
    shutil.copy(seeded_db_template, target)
    url = f"sqlite:///{target}"
    db.configure(url)
    return url


@pytest.fixture
def empty_db_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    db.upgrade(url)
    return url


@pytest.fixture
def app(db_url):
    from web import create_app
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test",
                      "SERVICE_TOKEN": "test-token", "RASA_URL": "http://127.0.0.1:9",
                      "ACTION_SERVER_URL": "http://127.0.0.1:9", "HEALTH_TIMEOUT": 0.2,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    yield app
    db.engine().dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(db_url):
    with db.Session() as s:
        yield s
