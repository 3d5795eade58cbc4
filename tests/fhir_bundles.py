"""FHIR referral Bundles as a clinic's system sends them (SDOH Clinical Care), for tests."""
from __future__ import annotations

import copy

SDOH = {"system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-category", "code": "sdoh"}


def referral_bundle(performer: str, phone: str | None = "+15415550123", language: str = "en",
                    consent: bool = False, focus: bool = True) -> dict:
    patient = {"resourceType": "Patient", "name": [{"family": "Doe", "given": ["Pat"]}],
               "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": language}]},
                                  "preferred": True}]}
    if phone:
        patient["telecom"] = [{"system": "sms", "value": phone, "use": "mobile"}]
    service_request = {"resourceType": "ServiceRequest", "status": "active", "intent": "order",
                       "category": [{"coding": [SDOH]}],
                       "code": {"text": "Sober living referral"},
                       "subject": {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"},
                       "performer": [{"reference": performer}]}
    task = {"resourceType": "Task", "status": "requested", "intent": "order",
            "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]},
            "for": {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"}}
    if focus:
        task["focus"] = {"reference": "urn:uuid:22222222-2222-4222-8222-222222222222"}
    entries = [("11111111-1111-4111-8111-111111111111", patient), ("22222222-2222-4222-8222-222222222222", service_request),
               ("33333333-3333-4333-8333-333333333333", task)]
    if consent:
        entries.append(("44444444-4444-4444-8444-444444444444", {
            "resourceType": "Consent", "status": "active",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
            "patient": {"reference": "urn:uuid:11111111-1111-4111-8111-111111111111"},
            "provision": {"type": "permit"}}))
    return copy.deepcopy({"resourceType": "Bundle", "type": "transaction",  # nothing shared: tests mutate it
                          "entry": [{"fullUrl": f"urn:uuid:{uid}", "resource": res,
                                     "request": {"method": "POST", "url": res["resourceType"]}} for uid, res in entries]})


def fhir_client(runner, name: str) -> str:
    """A new API client's token, through the CLI (the last line of its output)."""
    out = runner.invoke(args=["api-clients", "create", name])
    assert out.exit_code == 0, out.output
    return out.output.strip().splitlines()[-1]
