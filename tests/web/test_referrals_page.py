"""'Text this to my client' and /referrals: who sees which referral, filters, CSV, outcomes."""
from __future__ import annotations

import logging

from sqlalchemy import select

from directory import db
from directory.staff import accounts
from directory.people import phones
from directory.people.models import OutboundMessage
from directory.referrals.models import Referral
from directory.people.outbox import list_outbox
from directory.referrals.operations import create_referral
from tests.web.conftest import KEPT_SERVICE, OTHER_SERVICE, login


def test_text_to_client_creates_a_referral_and_an_sms_in_the_outbox(app, signed_in, caplog):
    case = signed_in("case_manager")
    caplog.set_level(logging.DEBUG)
    response = case.post(f"/services/{KEPT_SERVICE}/text", data={"phone": "(714) 202-5555", "language": "es"},
                         follow_redirects=True)
    assert "Texted to •••• 5555: it is in the outbox" in response.get_data(as_text=True)
    with db.Session() as s:
        ref = s.scalars(select(Referral)).one()
        assert (ref.source, ref.created_by, ref.language) == ("web", "case.demo@signpost.example", "es")
        assert ref.client_phone.endswith("5555") and "714202" not in ref.client_phone  # kept masked
        [sms] = [m for m in list_outbox(s) if m.referral_id == ref.id]
        assert phones.resolve(s, sms.to)[0] == "+17142025555" and sms.status == "outbox"
        assert "Harbor House Women's Sober Living" in sms.body and "401 W 1st St" in sms.body
    assert "2025555" not in caplog.text and "202-5555" not in caplog.text  # never a number in the logs


def test_phone_numbers_are_validated(app, signed_in):
    case = signed_in("case_manager")
    for bad, message in (("", "Enter your client"), ("call me", "not a phone number"), ("(123) 456-7890", "does not exist")):
        response = case.post(f"/services/{KEPT_SERVICE}/text", data={"phone": bad})
        assert response.status_code == 400 and message in response.get_data(as_text=True), bad
    with db.Session() as s:
        assert s.scalars(select(OutboundMessage)).all() == []


def _bot_referral(shared: bool):
    with db.Session.begin() as s:
        ref = create_referral(s, service_id=OTHER_SERVICE, source="bot", client_ref="pseudo-abc", created_by="bot")
        ref.share_with_case_managers = shared
        return ref.id


def test_case_managers_see_their_own_and_shared_bot_referrals(app, signed_in, users):
    case, admin = signed_in("case_manager"), signed_in("admin")
    case.post(f"/services/{KEPT_SERVICE}/text", data={"phone": "(714) 202-5555"})
    with db.Session.begin() as s:
        accounts.create_user(s, "other.cm@signpost.example", "case_manager", "harbor-lantern-orbit-47")
    other = app.test_client()
    login(other, "other.cm@signpost.example", "harbor-lantern-orbit-47")
    other.post(f"/services/{OTHER_SERVICE}/text", data={"phone": "(305) 202-4444"})
    shared, private = _bot_referral(True), _bot_referral(False)

    def ids(client, query=""):
        rows = client.get("/referrals.csv" + query).get_data(as_text=True).splitlines()[1:]
        return {row.split(",")[0] for row in rows}

    with db.Session() as s:
        mine = s.scalars(select(Referral.id).where(Referral.created_by == users["case_manager"])).one()
        theirs = s.scalars(select(Referral.id).where(Referral.created_by == "other.cm@signpost.example")).one()
    assert ids(case) == {mine, shared}
    assert ids(admin) == {mine, theirs, shared}  # never a bot referral the person did not share
    assert ids(case, "?source=bot") == {shared}
    assert ids(case, "?status=connected") == set()
    page = case.get("/referrals").get_data(as_text=True)
    assert "5555" in page and "4444" not in page and "714202" not in page
    csv_text = admin.get("/referrals.csv").get_data(as_text=True)
    assert "5555" not in csv_text.replace(mine, "")  # no phone numbers in the export
    # Recording the outcome after following up; someone else's referral is not found.
    assert case.post(f"/referrals/{mine}/outcome", data={"status": "connected"}).status_code == 302
    assert ids(case, "?status=connected") == {mine}
    assert case.post(f"/referrals/{theirs}/outcome", data={"status": "connected"}).status_code == 404
    assert case.post(f"/referrals/{private}/outcome", data={"status": "connected"}).status_code == 404


def test_case_manager_is_told_when_the_client_said_stop(app, signed_in):
    with db.Session.begin() as s:
        phones.set_opt_out(phones.upsert(s, "+17142025555"), True)
    response = signed_in("case_manager").post(f"/services/{KEPT_SERVICE}/text", data={"phone": "714 202 5555"},
                                              follow_redirects=True)
    assert "has replied STOP to Signpost, so nothing was sent" in response.get_data(as_text=True)
    with db.Session() as s:
        assert [m.status for m in list_outbox(s)] == ["blocked"]


# --- sources and outcome rates ---------------------------------------------------------------------
def _referral(s, source, status, created_by=None, service=KEPT_SERVICE, days_ago=0):
    import datetime as dt
    from directory.base import utcnow
    ref = create_referral(s, service_id=service, source=source, client_phone="+17142025555",
                          created_by=created_by or source)
    ref.status = status
    ref.created_at = utcnow() - dt.timedelta(days=days_ago)
    return ref


def test_page_and_csv_show_sources_and_outcome_rates(app, signed_in):
    admin = signed_in("admin")
    with db.Session.begin() as s:
        _referral(s, "web", "connected", "case.demo@signpost.example")
        _referral(s, "web", "sent", "case.demo@signpost.example")
        _referral(s, "fhir:riverside", "full")
        _referral(s, "fhir:riverside", "connected")
        _referral(s, "fhir:riverside", "accepted")
        _referral(s, "fhir:riverside", "not_connected")
        _referral(s, "fhir:riverside", "connected", days_ago=60)  # outside the last 30 days
    page = admin.get("/referrals?period=30").get_data(as_text=True)
    assert "Clinic riverside (FHIR)" in page and "Outcomes by source and need" in page
    rates = admin.get("/referrals/rates.csv?period=30").get_data(as_text=True).splitlines()
    header = rates[0].split(",")
    rows = [dict(zip(header, line.split(","))) for line in rates[1:]]
    clinic = next(r for r in rows if r["source"] == "fhir:riverside" and r["need"] == "all needs")
    assert (clinic["referrals"], clinic["closed_loop"], clinic["connected"]) == ("4", "3", "1")
    assert (clinic["closed_loop_rate"], clinic["got_help_rate"]) == ("0.75", "0.25")
    web = next(r for r in rows if r["source"] == "web" and r["need"] == "all needs")
    assert (web["referrals"], web["closed_loop_rate"], web["got_help_rate"]) == ("2", "0.5", "0.5")
    assert any(r["need"] == "sober_living" for r in rows)

    everything = admin.get("/referrals/rates.csv?period=").get_data(as_text=True)
    assert "fhir:riverside,Clinic riverside (FHIR),all needs,5," in everything
    import datetime as dt
    start = (dt.date.today() - dt.timedelta(days=70)).isoformat()
    end = (dt.date.today() - dt.timedelta(days=50)).isoformat()
    chosen = admin.get(f"/referrals/rates.csv?start={start}&end={end}").get_data(as_text=True)
    assert "fhir:riverside,Clinic riverside (FHIR),all needs,1,1,1,1.0,1.0" in chosen

    only_fhir = admin.get("/referrals.csv?source=fhir&period=").get_data(as_text=True).splitlines()
    assert only_fhir[0].endswith("source_label,closed_loop,connected") and len(only_fhir) == 6
    assert all("fhir:riverside" in line for line in only_fhir[1:])
