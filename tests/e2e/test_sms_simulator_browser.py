"""The SMS simulator in headless Chromium: text from the phone, see the bot's answer, its reading,
and a referral text arriving from the outbox. Rasa is the stand-in of tests/sms (a real HTTP server)."""
from __future__ import annotations

import shutil
import threading

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from directory import db
from directory import settings as app_settings
from directory.texting import jobs
from directory.people import phones
from tests.texting.conftest import FakeRasa, make_sms_app

pytestmark = pytest.mark.e2e


@pytest.fixture
def simulator_server(tmp_path, seeded_db_template):
    from werkzeug.serving import make_server
    rasa = FakeRasa()
    rasa.reply = lambda message: [f"You said: {message}. What do you need?"]
    target = tmp_path / "sim.db"
    shutil.copy(seeded_db_template, target)
    app = make_sms_app(f"sqlite:///{target}", rasa.url, WTF_CSRF_ENABLED=True, TESTING=False, LOG_LEVEL="WARNING")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.base_url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(timeout=10)
    rasa.close()
    jobs.configure(app_settings.settings_from_env())
    db.engine().dispose()


def test_text_the_bot_from_the_simulator_and_receive_a_referral(simulator_server, browser, screenshot):
    wait = WebDriverWait(browser, 10)
    browser.get(simulator_server.base_url + "/dev/sms")
    phone = browser.find_element(By.ID, "from").get_attribute("value")
    box = browser.find_element(By.ID, "body")
    box.send_keys("I need a meeting near 97201")
    browser.find_element(By.CSS_SELECTOR, "#compose button").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "thread"), "You said: I need a meeting near 97201"))
    wait.until(EC.text_to_be_present_in_element((By.ID, "readings"), "need: housing"))
    assert phones.pseudonym(phone) in browser.find_element(By.ID, "sender").text
    assert phone not in browser.find_element(By.ID, "readings").text

    # A referral made for this person (as the bot's action would) arrives on the phone from the outbox.
    search = requests.get(simulator_server.base_url + "/api/v1/search",
                          params={"near": "92701", "category": "sober_living"}, timeout=10).json()
    made = requests.post(simulator_server.base_url + "/api/v1/referrals",
                         json={"service_id": search["items"][0]["service_id"], "client_ref": phones.pseudonym(phone)},
                         headers={"Authorization": "Bearer test-token"}, timeout=10)
    assert made.status_code == 201
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#thread li.later")))
    later = browser.find_element(By.CSS_SELECTOR, "#thread li.later").text
    assert "here is the place we talked about" in later and "openstreetmap.org" in later
    assert "referral" in browser.find_element(By.ID, "outbox").text

    box.send_keys("STOP")
    browser.find_element(By.CSS_SELECTOR, "#compose button").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "thread"), "unsubscribed"))
    screenshot(browser, "sms-simulator")
