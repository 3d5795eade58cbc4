"""End-to-end fixtures: the app served by a real HTTP server (werkzeug, threaded) on a seeded
SQLite copy, with CSRF and rate limits on, and headless Chromium driven by Selenium.

Chromium and chromedriver are the Debian packages (`make e2e-setup` installs them); nothing is
downloaded at test time. Set SIGNPOST_SCREENSHOTS=docs/screenshots to refresh the README's images.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from directory import db
from directory.staff import accounts

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                 "--disable-dev-shm-usage", "--window-size=1280,900"]


def _serve(template: Path, target: Path):
    from werkzeug.serving import make_server
    from web import create_app

    shutil.copy(template, target)
    url = f"sqlite:///{target}"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "e2e-secret", "RASA_URL": "http://127.0.0.1:9",
                      "ACTION_SERVER_URL": "http://127.0.0.1:9", "WTF_CSRF_ENABLED": True,
                      "RATELIMIT_ENABLED": True, "LOG_LEVEL": "WARNING"})
    with db.Session.begin() as s:
        accounts.ensure_demo_users(s)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.database_url = url
    server.base_url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(timeout=10)
    db.engine().dispose()


@pytest.fixture
def live_server(tmp_path, seeded_db_template):
    yield from _serve(seeded_db_template, tmp_path / "e2e.db")


@pytest.fixture
def real_live_server(tmp_path, real_db_template):
    """The demo plus the real data sets of ../shared/data (tests/conftest.py real_db_template)."""
    yield from _serve(real_db_template, tmp_path / "e2e-real.db")


@pytest.fixture
def browser(tmp_path):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip(f"{CHROMIUM} or {CHROMEDRIVER} missing: run `make e2e-setup` (Debian chromium, chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in CHROMIUM_ARGS + [f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture
def screenshot(tmp_path):
    """screenshot(driver, 'search') saves a PNG (in docs/screenshots when SIGNPOST_SCREENSHOTS says so)."""
    folder = Path(os.environ.get("SIGNPOST_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)

    def take(driver, name: str, width: int = 1280, height: int | None = None) -> Path:
        driver.set_window_size(width, 900)
        full = height or driver.execute_script(
            "return Math.max(600, Math.min(document.documentElement.scrollHeight + 20, 2400))")
        driver.set_window_size(width, full)
        path = folder / f"{name}.png"
        driver.save_screenshot(str(path))
        return path
    return take
