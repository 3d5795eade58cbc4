"""Referral texts end to end inside the app: the person's SMS, the provider's ACCEPT/FULL, follow-ups
and their 1/2/3 outcome, quiet hours, delivery callbacks, the outbox CLI and the retention purge."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from directory import db
from directory import settings as app_settings
from directory.texting import follow_ups
from directory.people import phones
from directory.people.models import OutboundMessage
from directory.referrals.models import Referral
from directory.catalog.models import Service
from directory.base import utcnow
from directory.referrals.operations import ReferralError, create_referral
from directory.texting.models import InboundMessage
from directory.people.models import Person
from tests.texting.conftest import PHONE, replies
from tests.texting.test_gateway import a_service_id, outbox_rows, refer

DIAGNOSIS_WORDS = ("opioid", "alcoholism", "addict", "disorder", "diagnos", "relapse", "heroin", "fentanyl")


def provider_phone_of(service_id: str) -> str:
    with db.Session() as s:
        return phones.normalize(s.get(Service, service_id).phones[0].number)


def test_referral_sms_has_name_address_phone_hours_and_map_never_a_diagnosis(texter, rasa):
    texter.text("hi")
    refer(category="support_group")
    refer(category="sober_living")
    for row in outbox_rows():
        assert row.kind == "referral" and row.to == phones.address_of(phones.pseudonym(PHONE))
        lines = row.body.splitlines()
        assert "openstreetmap.org" in row.body and "Call:" in row.body
        assert any(k in row.body for k in ("Next meeting:", "Today:"))
        assert len(lines) >= 5
        assert not any(w in row.body.lower() for w in DIAGNOSIS_WORDS)


def test_case_manager_referral_with_a_bad_number_says_what_is_wrong(sms_app):
    with db.Session.begin() as s, pytest.raises(ReferralError, match="area code"):
        create_referral(s, service_id=a_service_id(), source="web", client_phone="12")


def test_provider_gets_a_text_with_consent_and_accept_sets_the_status(texter, rasa):
    texter.text("hi")
    ref_id, code = refer(share=True)
    provider = provider_phone_of(a_service_id())
    (provider_sms,) = [r for r in outbox_rows() if r.kind == "provider"]
    assert provider_sms.to == provider
    assert f"ACCEPT {code}" in provider_sms.body and f"FULL {code}" in provider_sms.body
    assert "New referral from Signpost" in provider_sms.body
    assert not any(w in provider_sms.body.lower() for w in DIAGNOSIS_WORDS) and "5415550123" not in provider_sms.body

    # Someone else cannot accept it.
    (answer,) = replies(texter.text(f"ACCEPT {code}", from_="+19715550100"))
    assert "no open referral" in answer
    (answer,) = replies(texter.text(f"accept {code}", from_=provider))
    assert "accepted" in answer
    with db.Session() as s:
        assert s.get(Referral, ref_id).status == "accepted"
    told = [r for r in outbox_rows() if r.kind == "provider_reply"]
    assert len(told) == 1 and "can take you" in told[0].body and told[0].to == phones.address_of(phones.pseudonym(PHONE))


def test_provider_full_sets_the_status_and_tells_the_person(texter, rasa):
    texter.text("hi")
    ref_id, code = refer(share=True)
    (answer,) = replies(texter.text(f"FULL {code}", from_=provider_phone_of(a_service_id())))
    assert "full" in answer
    with db.Session() as s:
        assert s.get(Referral, ref_id).status == "full"
    assert "is full right now" in [r for r in outbox_rows() if r.kind == "provider_reply"][0].body


def test_no_provider_text_without_consent(texter, rasa):
    texter.text("hi")
    refer(share=False)
    assert [r.kind for r in outbox_rows()] == ["referral"]


def _due(ref_id):
    with db.Session.begin() as s:
        s.get(Referral, ref_id).follow_up_at = utcnow() - dt.timedelta(minutes=1)


def at_local(hour: int, tz="America/Los_Angeles") -> dt.datetime:
    """A UTC naive datetime that is `hour`:30 tomorrow in `tz` (after anything due now)."""
    from zoneinfo import ZoneInfo
    local = (dt.datetime.now(ZoneInfo(tz)) + dt.timedelta(days=1)).replace(hour=hour, minute=30, second=0, microsecond=0)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def test_follow_up_waits_out_quiet_hours_then_records_the_outcome(texter, rasa):
    texter.text("hi")
    ref_id, _ = refer()
    with db.Session() as s:
        ref = s.get(Referral, ref_id)
        assert abs((ref.follow_up_at - ref.created_at) - dt.timedelta(hours=48)) < dt.timedelta(minutes=1)
    _due(ref_id)
    settings = app_settings.current()
    with db.Session() as s:
        tz = follow_ups._service_timezone(s, a_service_id()) or "America/Los_Angeles"
    for quiet_hour in (21, 23, 2, 7):
        assert follow_ups.send_due_follow_ups(settings, now=at_local(quiet_hour, tz))["quiet_hours"] == 1
    assert [r.kind for r in outbox_rows()] == ["referral"]
    assert follow_ups.send_due_follow_ups(settings, now=at_local(10, tz))["sent"] == 1
    (follow_up,) = [r for r in outbox_rows() if r.kind == "follow_up"]
    assert "Did you get connected with" in follow_up.body and "Reply 1 yes, 2 no, 3 I need something else" in follow_up.body
    assert follow_ups.send_due_follow_ups(settings, now=at_local(11, tz))["sent"] == 0  # once

    (answer,) = replies(texter.text("1"))
    assert "Glad you got connected" in answer
    with db.Session() as s:
        assert s.get(Referral, ref_id).status == "connected"
    assert replies(texter.text("1")) == ["bot heard: 1"]  # answered already: "1" is the bot's again


@pytest.mark.parametrize("reply,status,note", [("2", "not_connected", "not connected"),
                                               ("3", "not_connected", "needs something else")])
def test_follow_up_outcomes_2_and_3(texter, rasa, reply, status, note):
    texter.text("hi")
    ref_id, _ = refer()
    _due(ref_id)
    follow_ups.send_due_follow_ups(app_settings.current(), now=at_local(12))
    replies(texter.text(reply))
    with db.Session() as s:
        ref = s.get(Referral, ref_id)
        assert (ref.status, ref.outcome_note) == (status, note)


def test_spanish_follow_up(texter, rasa):
    texter.text("hola")
    with db.Session.begin() as s:
        ref = create_referral(s, service_id=a_service_id(), source="bot", client_ref=phones.pseudonym(PHONE), language="es")
        ref.follow_up_at = utcnow()
    follow_ups.send_due_follow_ups(app_settings.current(), now=at_local(12))
    (follow_up,) = [r for r in outbox_rows() if r.kind == "follow_up"]
    assert "¿Pudo conectarse con" in follow_up.body and "3 necesito otra cosa" in follow_up.body


# --- delivery callbacks ----------------------------------------------------------------------------
def _sent(kind="referral"):
    with db.Session.begin() as s:
        msg = s.scalars(select(OutboundMessage).where(OutboundMessage.kind == kind)).first()
        msg.provider_sid, msg.status = "SM" + "c" * 32, "sent"
        return msg.id, msg.referral_id


def status_callback(texter, status, error=None):
    params = {"AccountSid": texter.account_sid, "MessageSid": "SM" + "c" * 32, "MessageStatus": status,
              "To": PHONE, "From": "+15005550006"}
    if error:
        params["ErrorCode"] = error
    return texter.post("/sms/status", params)


def test_delivery_callbacks_update_the_text_and_the_referral(texter, rasa):
    texter.text("hi")
    refer()
    msg_id, ref_id = _sent()
    assert status_callback(texter, "delivered").status_code == 204
    assert status_callback(texter, "sent").status_code == 204  # late, out of order: ignored
    with db.Session() as s:
        assert s.get(OutboundMessage, msg_id).status == "delivered"
        assert s.get(Referral, ref_id).status == "delivered"


def test_undelivered_with_21610_blocks_the_number(texter, rasa):
    texter.text("hi")
    refer()
    msg_id, ref_id = _sent()
    status_callback(texter, "undelivered", error="21610")
    with db.Session() as s:
        msg = s.get(OutboundMessage, msg_id)
        assert (msg.status, msg.error_code) == ("blocked", "21610")
        assert s.get(Referral, ref_id).status == "failed"
        assert phones.find(s, phones.pseudonym(PHONE)).opted_out


def test_unknown_or_junk_callbacks_are_accepted_quietly(texter, rasa):
    assert status_callback(texter, "delivered").status_code == 204
    assert texter.post("/sms/status", {"AccountSid": texter.account_sid, "MessageStatus": "??"}).status_code == 204


# --- CLI -------------------------------------------------------------------------------------------
def test_outbox_cli_prints_json_lines_newest_last(texter, rasa, sms_app):
    texter.text("hi")
    refer(share=True)
    result = sms_app.test_cli_runner().invoke(args=["sms", "outbox"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["to"] for line in lines][0] == PHONE  # where it would have gone
    assert {"to", "body", "status", "created_at"} <= set(lines[0])
    assert [line["status"] for line in lines] == ["outbox", "outbox"]
    assert lines[0]["created_at"] <= lines[-1]["created_at"]
    assert "Reply ACCEPT" in lines[-1]["body"]


# --- retention -----------------------------------------------------------------------------------
def test_retention_purge_deletes_old_messages_and_numbers_but_keeps_an_opt_out(texter, rasa, sms_app):
    texter.text("hi")
    refer()
    texter.text("STOP", from_="+19715550100")
    texter.text("recent one", from_="+12025550177")
    old = utcnow() - dt.timedelta(days=120)
    with db.Session.begin() as s:
        for row in s.scalars(select(InboundMessage).where(InboundMessage.body != "recent one")):
            row.received_at = old
        for row in s.scalars(select(OutboundMessage)):
            row.created_at = old
        for row in s.scalars(select(Referral)):
            row.created_at = old
        for row in s.scalars(select(Person).where(Person.pseudonym != phones.pseudonym("+12025550177"))):
            row.last_seen_at = old
    result = sms_app.test_cli_runner().invoke(args=["sms", "purge"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert counts == {"inbound_messages": 2, "outbound_messages": 1, "referrals_anonymised": 1, "numbers_deleted": 2,
                      "referral_accesses_deleted": 0,
                      "conversation_events": 0}  # no Rasa tracker store beside this test's database
    with db.Session() as s:
        assert [m.body for m in s.scalars(select(InboundMessage))] == ["recent one"]
        assert s.scalars(select(OutboundMessage)).all() == []
        ref = s.scalars(select(Referral)).one()
        assert ref.client_ref is None and ref.client_phone is None and ref.status  # the referral itself stays, for reports
        assert phones.find(s, phones.pseudonym(PHONE)) is None
        stopped = phones.find(s, phones.pseudonym("+19715550100"))
        assert stopped.opted_out and stopped.phone_encrypted is None
    # The opt-out still holds if they are texted again.
    assert replies(texter.text("hello again", from_="+19715550100")) == []


def test_follow_ups_cli_queues_what_is_due(texter, rasa, sms_app):
    texter.text("hi")
    ref_id, _ = refer()
    _due(ref_id)
    result = sms_app.test_cli_runner().invoke(args=["sms", "follow-ups"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert counts["sent"] + counts["quiet_hours"] == 1 and counts["cancelled"] == 0


def test_run_banner_names_the_urls_and_the_demo_logins(monkeypatch):
    import sys

    from web.sms.banner import banner
    text = banner({"PORT": "5123", "RASA_PORT": "5124", "ACTION_PORT": "5125"})
    assert "http://127.0.0.1:5123/dev/sms" in text and "http://127.0.0.1:5124" in text and "Ctrl-C" in text
    assert "recovery-demo-2026" in text
    scaled = banner({"RASA_PORT": "7000", "RASA_INSTANCES": "3"})  # every Rasa instance, not the first only
    assert "http://127.0.0.1:7000, http://127.0.0.1:7001, http://127.0.0.1:7002" in scaled
    monkeypatch.setitem(sys.modules, "web.cli.users", None)  # the staff pages absent: no logins, no crash
    assert "Demo logins" not in banner({})
