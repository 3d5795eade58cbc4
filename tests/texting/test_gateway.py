"""POST /sms/inbound: signatures, idempotence, carrier keywords, crisis net, Rasa budget, junk."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from directory import db
from directory.texting import jobs
from directory import base
from directory import settings as app_settings
from directory.texting import follow_ups
from directory.texting import inbound
from directory.texting import texts
from directory.people import phones
from directory.people.models import OutboundMessage
from directory.referrals.models import Referral
from directory.catalog.models import Service
from directory.referrals.operations import create_referral
from directory.texting.models import InboundMessage
from tests.texting.conftest import PHONE, SLOW, FakeRasa, Texter, make_sms_app, replies


def inbound_rows():
    with db.Session() as s:
        return s.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()


def outbox_rows():
    with db.Session() as s:
        return s.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()


def a_service_id(category="sober_living"):
    with db.Session() as s:
        return s.scalars(select(Service.id).where(Service.category == category).order_by(Service.id)).first()


def refer(phone=PHONE, share=False, category="sober_living"):
    with db.Session.begin() as s:
        ref = create_referral(s, service_id=a_service_id(category), source="bot",
                              client_ref=phones.pseudonym(phone), share_with_provider=share)
        return ref.id, ref.code


# --- who may call ------------------------------------------------------------------------------
def test_unsigned_and_forged_webhooks_are_refused(texter, sms_client, rasa):
    params = {"AccountSid": texter.account_sid, "MessageSid": "SM" + "9" * 32, "From": PHONE, "Body": "hi"}
    assert sms_client.post("/sms/inbound", data=params).status_code == 403
    assert texter.post("/sms/inbound", params, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    forged = Texter(sms_client, texter.account_sid, token="someone-elses-token")
    assert forged.text("hi").status_code == 403
    tampered = dict(params, Body="hi")
    signature = texter.sign("/sms/inbound", tampered)
    tampered["Body"] = "something else"
    assert texter.post("/sms/inbound", tampered, signature=signature).status_code == 403
    assert sms_client.post("/sms/status", data={"MessageSid": "SMx", "MessageStatus": "delivered"}).status_code == 403
    assert rasa.calls == [] and inbound_rows() == []


def test_another_twilio_account_is_refused(texter, sms_client, rasa):
    other = Texter(sms_client, "AC" + "2" * 32)
    assert other.text("hi").status_code == 403
    assert rasa.calls == []


# --- the conversation ----------------------------------------------------------------------------
def test_text_goes_to_rasa_under_a_pseudonym_and_the_answer_is_twiml(texter, rasa):
    assert replies(texter.text("hi")) == ["bot heard: hi"]
    assert len(rasa.calls) == 1
    sender = rasa.calls[0]["sender"]
    assert sender == phones.pseudonym(PHONE) and "5415550123" not in str(rasa.calls[0])
    (row,) = inbound_rows()
    assert (row.status, row.kind, row.pseudonym) == ("answered", "chat", sender)
    assert row.attempts == 1 and row.answered_at is not None


def test_a_retried_message_sid_is_handled_once(texter, rasa):
    assert replies(texter.text("hi", sid="SM" + "a" * 32)) == ["bot heard: hi"]
    assert replies(texter.text("hi", sid="SM" + "a" * 32)) == []
    assert len(rasa.calls) == 1 and len(inbound_rows()) == 1


def test_long_answers_are_split_kindly_at_1600_characters(texter, rasa):
    sentence = "Harbor House has a bed tonight. "
    rasa.reply = lambda message: [sentence * 120]
    pieces = replies(texter.text("beds?"))
    assert len(pieces) == 3 and all(len(p) <= 1600 for p in pieces)
    assert all(p.endswith("tonight.") for p in pieces)  # cut between sentences, not inside a word
    assert " ".join(pieces) == (sentence * 120).strip()


def test_split_without_spaces_still_respects_the_limit():
    pieces = texts.split_for_sms("x" * 4000)
    assert [len(p) for p in pieces] == [1600, 1600, 800]


# --- carrier keywords ------------------------------------------------------------------------------
def test_stop_confirms_once_and_then_nothing_is_sent_until_start(texter, rasa):
    (confirmation,) = replies(texter.text("STOP"))
    assert "unsubscribed" in confirmation and "START" in confirmation
    assert replies(texter.text("stop")) == []  # one confirmation only
    assert replies(texter.text("any meetings near 97201?")) == []
    assert rasa.calls == []
    ref_id, _ = refer()
    rows = outbox_rows()
    assert [(r.kind, r.status) for r in rows] == [("referral", "blocked")]
    with db.Session.begin() as s:
        s.get(Referral, ref_id).follow_up_at = base.utcnow()
    assert follow_ups.send_due_follow_ups(app_settings.current())["cancelled"] == 1
    assert len(outbox_rows()) == 1

    (welcome,) = replies(texter.text("START"))
    assert "subscribed again" in welcome
    assert replies(texter.text("hi")) == ["bot heard: hi"]
    refer()
    assert [r.status for r in outbox_rows()] == ["blocked", "outbox"]


@pytest.mark.parametrize("word", ["STOPALL", "UNSUBSCRIBE", "cancel", "End", "QUIT", "REVOKE", "OPTOUT", "Stop."])
def test_every_carrier_stop_word_opts_out(texter, rasa, word):
    assert "unsubscribed" in replies(texter.text(word))[0]
    with db.Session() as s:
        assert phones.find(s, phones.pseudonym(PHONE)).opted_out


@pytest.mark.parametrize("word", ["ALTO", "parar"])
def test_spanish_stop_words_confirm_in_spanish(texter, rasa, word):
    (confirmation,) = replies(texter.text(word))
    assert "se dio de baja" in confirmation
    assert replies(texter.text("UNSTOP"))  # opts back in


@pytest.mark.parametrize("word,language_marker", [("HELP", "Msg & data rates may apply"), ("info", "Msg & data rates may apply"),
                                                   ("AYUDA", "Pueden aplicarse tarifas")])
def test_help_names_the_program_help_stop_frequency_and_rates(texter, rasa, word, language_marker):
    (text,) = replies(texter.text(word))
    assert "Signpost" in text and language_marker in text and "211" in text and "988" in text
    assert ("STOP" in text) or ("ALTO" in text)
    assert ("frequency varies" in text) or ("frecuencia" in text)
    assert rasa.calls == []


# --- crisis and a slow or absent bot ---------------------------------------------------------------
@pytest.mark.parametrize("message,expected", [("my friend overdosed and is not breathing", "911"),
                                              ("I want to kill myself", "988"),
                                              ("mi amigo tiene una sobredosis", "llame al 911")])
def test_crisis_answers_even_when_rasa_is_down_and_the_conversation_carries_on(texter, rasa, sms_app, message, expected):
    rasa.close()  # Rasa is down
    (answer,) = replies(texter.text(message))
    assert expected in answer and "988" in answer
    assert inbound_rows()[-1].kind == "crisis"
    answer_down = replies(texter.text("meetings near 97201"))  # still answered: the fallback
    assert "211" in answer_down[0]


@pytest.mark.parametrize("message", ["where can i get narcan near 92701", "narcan 92801", "donde consigo naloxona en miami",
                                     "naloxone training", "test strips near me"])
def test_a_request_for_naloxone_or_test_strips_goes_to_the_bot_for_places(texter, rasa, message):
    assert replies(texter.text(message)) == [f"bot heard: {message}"]
    assert inbound_rows()[-1].kind == "chat"


@pytest.mark.parametrize("message,expected", [("need narcan now he's not breathing", "call 911 now"),
                                              ("me tome demasiadas pastillas", "llame al 911"),
                                              ("mi amigo esta azul y no despierta", "llame al 911")])
def test_an_overdose_now_is_answered_by_the_gateway_in_the_persons_language(texter, rasa, message, expected):
    (answer,) = replies(texter.text(message))
    assert expected in answer and rasa.calls == [] and inbound_rows()[-1].kind == "crisis"


def test_rasa_too_slow_gets_a_fallback_and_the_worker_answers_later(texter, rasa, sms_app):
    rasa.delay = SLOW
    (fallback,) = replies(texter.text("sober living near 97201"))
    assert "211" in fallback and "988" in fallback
    (row,) = inbound_rows()
    assert row.status == "pending" and row.body == "sober living near 97201"
    assert row.attempts == 1 and row.answered_at is None
    assert any(t.name == "answer_pending" for t in jobs.huey.scheduled()), "a retry is scheduled"

    rasa.delay = 0
    assert inbound.answer_pending(app_settings.current(), row.id) == "answered"
    later = [r for r in outbox_rows() if r.kind == "reply"]
    assert [r.body for r in later] == ["bot heard: sober living near 97201"]
    assert later[0].to == phones.address_of(phones.pseudonym(PHONE))
    assert inbound_rows()[0].status == "answered"
    assert inbound.answer_pending(app_settings.current(), row.id) == "answered"  # once only
    assert len([r for r in outbox_rows() if r.kind == "reply"]) == 1


def test_a_late_answer_rasa_already_gave_is_taken_from_the_tracker_not_asked_twice(texter, rasa):
    rasa.delay = SLOW
    replies(texter.text("housing in Portland"))
    (row,) = inbound_rows()
    rasa.delay = 0
    ts = row.received_at.replace(tzinfo=__import__("datetime").timezone.utc).timestamp() + 1
    rasa.tracker_events[phones.pseudonym(PHONE)] = [
        {"event": "user", "text": "housing in Portland", "timestamp": ts},
        {"event": "bot", "text": "Here are 3 places.", "timestamp": ts + 1},
        {"event": "action", "name": "action_listen", "timestamp": ts + 1}]
    calls_before = len(rasa.calls)
    assert inbound.answer_pending(app_settings.current(), row.id) == "answered"
    assert len(rasa.calls) == calls_before
    assert [r.body for r in outbox_rows() if r.kind == "reply"] == ["Here are 3 places."]


def test_pending_message_gives_up_after_the_last_attempt(texter, rasa):
    rasa.delay = SLOW
    replies(texter.text("rides to treatment"))
    (row,) = inbound_rows()
    rasa.close()
    assert jobs.answer_pending.call_local(row.id, jobs.PENDING_ATTEMPTS - 1) == "failed"
    assert inbound_rows()[0].status == "failed"
    # The fallback promised a text back: the person hears that none is coming, not silence.
    (gave_up,) = [r.body for r in outbox_rows() if r.kind == "reply"]
    assert "211" in gave_up and "988" in gave_up


# --- never silence: an empty or failed bot answer is a timeout --------------------------------------
@pytest.mark.parametrize("answer", [
    lambda message: [],  # Rasa 200 [] : the action crashed, Rasa dropped its events
    lambda message: ["", "   "],  # messages without text
])
def test_an_empty_bot_answer_gets_the_fallback_and_the_worker_answers_later(texter, rasa, answer):
    rasa.reply = answer
    (fallback,) = replies(texter.text("where is a meeting near 92801"))
    assert "slow right now" in fallback and "211" in fallback
    (row,) = inbound_rows()
    assert row.status == "pending"
    assert any(t.name == "answer_pending" for t in jobs.huey.scheduled()), "a retry is scheduled"

    # The tracker shows the turn finished with no word (the crash): asked again, not taken as the answer.
    ts = row.received_at.replace(tzinfo=__import__("datetime").timezone.utc).timestamp() + 1
    rasa.tracker_events[phones.pseudonym(PHONE)] = [
        {"event": "user", "text": "where is a meeting near 92801", "timestamp": ts},
        {"event": "action", "name": "action_listen", "timestamp": ts + 1}]
    with pytest.raises(inbound.RasaUnavailable):  # still nothing: the worker retries later
        inbound.answer_pending(app_settings.current(), row.id)
    assert inbound_rows()[0].status == "pending" and not outbox_rows()
    rasa.reply = lambda message: ["1. Hope Group - 0.4 mi"]
    assert inbound.answer_pending(app_settings.current(), row.id) == "answered"
    assert [r.body for r in outbox_rows() if r.kind == "reply"] == ["1. Hope Group - 0.4 mi"]


def test_an_empty_answer_in_spanish_gets_the_spanish_fallback(texter, rasa):
    rasa.reply = lambda message: []
    (fallback,) = replies(texter.text("necesito una reunion cerca de 33130 por favor"))
    assert "estoy lento" in fallback


def test_an_empty_answer_after_stop_sends_nothing(texter, rasa):
    rasa.reply = lambda message: []
    replies(texter.text("STOP"))
    assert replies(texter.text("meeting near 97201")) == [] and rasa.calls == []


def test_a_broken_rasa_client_is_a_fallback_not_a_500(texter, rasa, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("surprise")
    monkeypatch.setattr(inbound, "ask_rasa", broken)
    (fallback,) = replies(texter.text("meeting near 97201"))
    assert "slow right now" in fallback and inbound_rows()[0].status == "pending"


def test_giving_up_after_stop_sends_nothing(texter, rasa):
    rasa.reply = lambda message: []
    replies(texter.text("meeting near 97201"))
    (row,) = inbound_rows()
    replies(texter.text("STOP"))
    inbound.mark_failed(row.id)
    assert [r.kind for r in outbox_rows()] == []


# --- junk --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fields,expected", [
    ({"Body": ""}, "empty message"),
    ({"Body": "   \n\t "}, "empty message"),
    ({"Body": "", "NumMedia": "1", "MediaUrl0": "https://api.twilio.com/x.jpg"}, "only read text"),
    ({"NumMedia": "2"}, "only read text"),
    ({"Body": "word " * 1200}, "too long"),
    ({"Body": "\x00\x01\x02"}, "empty message"),
    ({"Body": "hi", "NumMedia": "lots"}, "bot heard"),
])
def test_junk_gets_a_polite_answer_never_a_500(texter, rasa, fields, expected):
    body = fields.pop("Body", None)
    (answer,) = replies(texter.text(body, **fields))
    assert expected in answer


@pytest.mark.parametrize("from_", ["", "not a number", "+1" + "9" * 40])
def test_unusable_sender_is_ignored_quietly(texter, rasa, from_):
    assert replies(texter.text("hi", from_=from_)) == []
    assert rasa.calls == []


def test_missing_message_sid_is_ignored_quietly(texter, rasa):
    params = {"AccountSid": texter.account_sid, "From": PHONE, "Body": "hi"}
    assert replies(texter.post("/sms/inbound", params)) == []


def test_oversized_unicode_and_emoji_are_fine(texter, rasa):
    assert replies(texter.text("necesito vivienda 🙏 en Miami")) == ["bot heard: necesito vivienda 🙏 en Miami"]


# --- privacy ------------------------------------------------------------------------------------------
def test_no_number_or_message_text_in_the_logs(texter, rasa, caplog):
    secret_texts = ["hi there", "I relapsed last night, need a meeting near 97201", "I want to kill myself", "STOP", "START"]
    rasa.reply = lambda message: ["ok"]
    with caplog.at_level(logging.DEBUG):
        for t in secret_texts:
            texter.text(t)
        refer(share=True)
        rasa.delay = SLOW
        texter.text("slow one please")
        rasa.close()
        texter.text("rasa is down now")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert logged, "the gateway logs what it does"
    for needle in ["5415550123", "541-555-0123", "relapsed", "kill myself", "hi there", "slow one", "rasa is down"]:
        assert needle not in logged


def test_the_database_never_holds_the_number_in_clear(texter, rasa, db_url):
    from pathlib import Path
    texter.text("hi")
    with db.Session.begin() as s:
        create_referral(s, service_id=a_service_id(), source="web", client_phone="(971) 555-0143", created_by="cm@example.org")
    db.engine().dispose()
    path = Path(db_url.replace("sqlite:///", ""))
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))  # the file and its WAL
    for needle in (b"5415550123", b"541) 555-0123", b"9715550143", b"555-0143"):
        assert needle not in raw
    with db.Session() as s:
        person = phones.find(s, phones.pseudonym("+19715550143"))
        assert phones.phone_of(person) == "+19715550143"
        ref = s.scalars(select(Referral).where(Referral.client_ref == person.pseudonym)).one()
        assert ref.client_phone == "•••0143"


def test_simultaneous_texts_are_each_stored_and_answered_once(sms_app, rasa):
    """Two gunicorn threads at once: a Twilio retry racing its original, and a new person's first two texts."""
    import threading
    results = []

    def send(body, sid, phone):
        texter = Texter(sms_app.test_client(), sms_app.extensions["sms_settings"].account_sid)
        results.append((sid, replies(texter.text(body, sid=sid, from_=phone))))
    rasa.delay = 0.2
    threads = [threading.Thread(target=send, args=("hi", "SM" + "d" * 32, "+19715550111")) for _ in range(2)]
    threads += [threading.Thread(target=send, args=(f"text {i}", f"SM{i:032d}", "+19715550122")) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    retried = [r for sid, r in results if sid == "SM" + "d" * 32]
    assert sorted(len(r) for r in retried) == [0, 1]
    assert len([row for row in inbound_rows()]) == 3
    assert all(row.status == "answered" for row in inbound_rows())


def test_several_rasa_servers_each_keep_their_own_conversations(sms_app, rasa):
    """RASA_URL with two servers: every text of one person goes to the same one."""
    second = FakeRasa()
    try:
        app = make_sms_app(str(sms_app.config["DATABASE_URL"]), f"{rasa.url},{second.url}")
        texter = Texter(app.test_client(), app.extensions["sms_settings"].account_sid)
        phones = [f"+1971555{n:04d}" for n in range(12)]
        for phone in phones:
            for body in ("hi", "meeting near 97201"):
                assert replies(texter.text(body, from_=phone))
        by_server = [{c["sender"] for c in server.calls} for server in (rasa, second)]
        assert by_server[0] and by_server[1] and not by_server[0] & by_server[1]
        assert len(rasa.calls) + len(second.calls) == 24
        health = app.test_client().get("/healthz").get_json()["checks"]["rasa"]
        assert health["status"] == "ok" and len(health["servers"]) == 2
    finally:
        second.close()


def test_database_errors_reach_the_logs_without_the_text(texter, rasa, caplog, monkeypatch):
    """Whatever breaks, the person gets an answer and the log names the error, not the message."""
    from sqlalchemy import text as sql

    from directory.texting import inbound as m

    def broken(session, *args):  # a bug that makes the database quote the text back in its error
        session.execute(sql("INSERT INTO sms_inbound (id, message_sid) VALUES (:a, :b)"),
                        {"a": "I want to stop using, 5415550123", "b": None})
    monkeypatch.setattr(m, "_decide", broken)
    with caplog.at_level(logging.INFO):
        (answer,) = replies(texter.text("I want to stop using"))
    assert "211" in answer
    logged = "\n".join(r.getMessage() + (str(r.exc_info[1]) if r.exc_info else "") for r in caplog.records)
    assert "IntegrityError" in logged
    assert "stop using" not in logged and "5415550123" not in logged
