"""The SMS simulator (development only) and the worker's line in /healthz."""
from __future__ import annotations

from directory import settings as app_settings
from directory.texting import jobs
from directory.people import phones
from tests.texting.conftest import PHONE, make_sms_app, replies


def test_simulator_page_looks_like_a_phone_and_loads_its_assets(sms_client):
    page = sms_client.get("/dev/sms")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="thread"' in html and 'id="compose"' in html and "Bot's reading" in html and "Outbox" in html
    assert "<script>" not in html  # the CSP forbids inline scripts
    for asset in ("simulator.js", "simulator.css"):
        response = sms_client.get(f"/dev/sms/static/{asset}")
        assert response.status_code == 200
        response.close()


def test_simulator_signs_a_webhook_the_gateway_accepts(sms_client, rasa):
    signed = sms_client.post("/dev/sms/sign", json={"from": PHONE, "body": "hi"}).get_json()
    answer = sms_client.post("/sms/inbound", data=signed["params"], headers={"X-Twilio-Signature": signed["signature"]})
    assert replies(answer) == ["bot heard: hi"]
    # Replaying its MessageSid is what Twilio does on a timeout: answered once.
    again = sms_client.post("/dev/sms/sign", json={"from": PHONE, "body": "hi",
                                                   "message_sid": signed["params"]["MessageSid"]}).get_json()
    assert replies(sms_client.post("/sms/inbound", data=again["params"],
                                   headers={"X-Twilio-Signature": again["signature"]})) == []
    assert sms_client.post("/dev/sms/sign", json={"from": "nope"}).status_code == 400


def test_bot_reading_shows_need_place_language_and_the_pseudonym_not_the_number(sms_client, rasa):
    out = sms_client.post("/dev/sms/reading", json={"from": PHONE, "body": "housing near 97201"}).get_json()
    assert out["need"] == "housing" and out["place"] == "97201" and out["language"] == "en"
    assert out["sender"] == phones.pseudonym(PHONE) and "5415550123" not in str(out)


def test_bot_reading_takes_place_and_language_from_the_conversation_slots(sms_client, rasa):
    """The NLU names the intent; the place and language are what the action server read into slots."""
    rasa.parse = {"intent": {"name": "inform", "confidence": 0.8}, "entities": []}
    rasa.tracker_slots[phones.pseudonym(PHONE)] = {"need": "support_group", "location": "Miami, FL", "lang": "es"}
    out = sms_client.post("/dev/sms/reading", json={"from": PHONE, "body": "en miami"}).get_json()
    assert (out["intent"], out["need"], out["place"], out["language"]) == ("inform", "support_group", "Miami, FL", "es")


def test_bot_reading_says_so_when_rasa_is_down(sms_client, rasa):
    rasa.close()
    assert sms_client.post("/dev/sms/reading", json={"from": PHONE, "body": "hi"}).get_json()["available"] is False


def test_outbox_feed_marks_texts_to_this_phone_and_never_shows_a_number(sms_client, texter, rasa):
    from tests.texting.test_gateway import refer
    texter.text("hi")
    refer()
    items = sms_client.get(f"/dev/sms/outbox?from={PHONE}").get_json()["items"]
    assert [(i["kind"], i["mine"], i["to"]) for i in items] == [("referral", True, "this phone")]
    other = sms_client.get("/dev/sms/outbox?from=%2B12025550101").get_json()["items"]
    assert other[0]["mine"] is False and "5415550123" not in str(other)


def test_follow_ups_now_button(sms_client, texter, rasa):
    from tests.texting.test_gateway import refer
    texter.text("hi")
    refer()
    counts = sms_client.post("/dev/sms/follow-ups", json={"from": PHONE}).get_json()
    assert counts["sent"] + counts["quiet_hours"] == 1


def test_simulator_does_not_exist_in_production(db_url, rasa, monkeypatch):
    monkeypatch.setenv("PHONE_ENCRYPTION_KEY", "x1h2c0bJ4v5Yh5m1o1N0k3ZyB7x0Ww6u9t8s7r6q5p4=")
    monkeypatch.setenv("PSEUDONYM_KEY", "a-long-random-production-key")
    app = make_sms_app(db_url, rasa.url, SIGNPOST_ENV="production")
    client = app.test_client()
    assert client.get("/dev/sms").status_code == 404
    assert client.post("/dev/sms/sign", json={"from": PHONE}).status_code == 404
    jobs.configure(app_settings.settings_from_env())


def test_production_without_keys_refuses_to_start(db_url, rasa, monkeypatch):
    import pytest
    monkeypatch.setenv("SIGNPOST_ENV", "production")
    monkeypatch.delenv("PHONE_ENCRYPTION_KEY", raising=False)
    with pytest.raises(phones.KeyMissing, match="Fernet.generate_key"):
        make_sms_app(db_url, rasa.url, SIGNPOST_ENV="production")
    jobs.configure(app_settings.settings_from_env())


def test_healthz_reports_the_worker(sms_client, immediate_queue):
    immediate_queue.delete(jobs.HEARTBEAT_KEY)
    worker = sms_client.get("/healthz").get_json()["checks"]["worker"]
    assert worker["status"] == "down" and worker["last_heartbeat_s"] is None  # no worker has beaten
    jobs._beat()  # what the worker does at start-up and every minute
    worker = sms_client.get("/healthz").get_json()["checks"]["worker"]
    assert worker["status"] == "ok" and worker["last_heartbeat_s"] <= 1 and worker["waiting"] == 0


def test_simulator_works_with_csrf_protection_on(db_url, rasa, immediate_queue):
    import re
    app = make_sms_app(db_url, rasa.url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/dev/sms").get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)
    assert client.post("/dev/sms/sign", json={"from": PHONE, "body": "hi"}).status_code in (400, 403)  # no token
    signed = client.post("/dev/sms/sign", json={"from": PHONE, "body": "hi"}, headers={"X-CSRFToken": token})
    assert signed.status_code == 200
    body = signed.get_json()
    # Twilio's webhook needs no CSRF token: its signature is the proof.
    assert replies(client.post("/sms/inbound", data=body["params"], headers={"X-Twilio-Signature": body["signature"]})) == ["bot heard: hi"]
    jobs.configure(app_settings.settings_from_env())
