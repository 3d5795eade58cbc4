"""A clinic's FHIR referral closes the loop: Bundle -> the patient's text -> the provider's ACCEPT by
SMS -> Task accepted -> follow-up -> the patient's answer -> Task completed (or rejected, failed)."""
from __future__ import annotations

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.task import Task

from directory import db
from directory import settings as app_settings
from directory.catalog.models import Service
from directory.people import phones
from directory.referrals.models import Referral
from directory.texting import follow_ups
from tests.fhir_bundles import fhir_client, referral_bundle
from tests.texting.conftest import PHONE, replies
from tests.texting.test_gateway import a_service_id, outbox_rows
from tests.texting.test_referrals_sms import at_local

FHIR = "application/fhir+json"


def _post_bundle(client, token, bundle):
    return client.post("/fhir", json=bundle, headers={"Authorization": f"Bearer {token}"}, content_type=FHIR)


def _task(client, token, task_id) -> Task:
    r = client.get(f"/fhir/Task/{task_id}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.mimetype == FHIR
    return Task.model_validate(r.get_json())


def _provider_phone(service_id):
    with db.Session() as s:
        return phones.normalize(s.get(Service, service_id).phones[0].number)


def test_bundle_to_text_to_accept_to_completed(sms_app, texter, rasa):
    token = fhir_client(sms_app.test_cli_runner(), "riverside-clinic")
    client = sms_app.test_client()
    service_id = a_service_id()
    r = _post_bundle(client, token, referral_bundle(f"HealthcareService/{service_id}", PHONE, "es", consent=True))
    assert r.status_code == 200, r.get_json()
    answer = Bundle.model_validate(r.get_json())
    assert answer.type == "transaction-response"
    locations = [e.response.location for e in answer.entry]
    assert [loc.split("/")[0] for loc in locations] == ["Patient", "ServiceRequest", "Task", "Consent"]
    assert all(e.response.status.startswith("201") for e in answer.entry)
    task_id = locations[2].split("/")[1]

    with db.Session() as s:
        ref = s.get(Referral, task_id)
        assert ref.source == "fhir:riverside-clinic" and ref.language == "es" and ref.share_with_provider
        code = ref.code
    to_patient = [m for m in outbox_rows() if m.kind == "referral"]
    assert len(to_patient) == 1 and to_patient[0].to == phones.address_of(phones.pseudonym(PHONE))
    assert to_patient[0].body.startswith("Signpost: aquí está el lugar")
    assert [m for m in outbox_rows() if m.kind == "provider"]  # consent given: the provider is asked
    assert _task(client, token, task_id).status == "requested"

    (reply,) = replies(texter.text(f"ACCEPT {code}", from_=_provider_phone(service_id)))
    assert "accepted" in reply
    assert _task(client, token, task_id).status == "accepted"

    with db.Session.begin() as s:
        s.get(Referral, task_id).follow_up_at = at_local(9)
    follow_ups.send_due_follow_ups(app_settings.current(), now=at_local(12))
    assert _task(client, token, task_id).status == "in-progress"
    replies(texter.text("1"))
    task = _task(client, token, task_id)
    assert task.status == "completed" and task.focus.reference == f"ServiceRequest/{task_id}"


def test_full_is_rejected_with_a_reason_and_no_consent_no_provider_text(sms_app, texter, rasa):
    token = fhir_client(sms_app.test_cli_runner(), "eastside")
    client = sms_app.test_client()
    service_id = a_service_id()
    r = _post_bundle(client, token, referral_bundle(f"HealthcareService/{service_id}", PHONE))
    task_id = r.get_json()["entry"][2]["response"]["location"].split("/")[1]
    assert not [m for m in outbox_rows() if m.kind == "provider"]  # no Consent: nothing to the provider
    with db.Session.begin() as s:  # the provider heard by phone; a case manager's copy asks them
        ref = s.get(Referral, task_id)
        ref.share_with_provider = True
        from directory.people.outbox import queue_sms
        queue_sms(s, to=_provider_phone(service_id), body=f"ref {ref.code}", kind="provider", referral_id=ref.id)
        code = ref.code
    replies(texter.text(f"FULL {code}", from_=_provider_phone(service_id)))
    task = _task(client, token, task_id)
    assert task.status == "rejected" and "FULL" in task.statusReason.text


def test_not_connected_is_failed(sms_app, texter, rasa):
    token = fhir_client(sms_app.test_cli_runner(), "north")
    client = sms_app.test_client()
    r = _post_bundle(client, token, referral_bundle(f"HealthcareService/{a_service_id()}", PHONE))
    task_id = r.get_json()["entry"][2]["response"]["location"].split("/")[1]
    with db.Session.begin() as s:
        s.get(Referral, task_id).follow_up_at = at_local(9)
    follow_ups.send_due_follow_ups(app_settings.current(), now=at_local(12))
    replies(texter.text("2"))
    task = _task(client, token, task_id)
    assert task.status == "failed" and "not connected" in task.statusReason.text


def test_a_patient_who_said_stop_gets_nothing_and_the_task_fails(sms_app, texter, rasa):
    token = fhir_client(sms_app.test_cli_runner(), "south")
    client = sms_app.test_client()
    texter.text("STOP")
    r = _post_bundle(client, token, referral_bundle(f"HealthcareService/{a_service_id()}", PHONE))
    task_id = r.get_json()["entry"][2]["response"]["location"].split("/")[1]
    (text,) = [m for m in outbox_rows() if m.kind == "referral"]
    assert text.status == "blocked"
    task = _task(client, token, task_id)
    assert task.status == "failed" and "STOP" in task.statusReason.text
