"""FHIR R4 under /fhir: the CapabilityStatement, listings as HealthcareService/Organization/Location,
API clients and their tokens, referrals in (Bundle, Task), polling, OperationOutcome for bad input."""
from __future__ import annotations

import copy
import datetime as dt

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.task import Task

from directory.catalog.export import hsds_id
from directory.catalog.taxonomy import stable_id
from tests.fhir_bundles import fhir_client, referral_bundle

HARBOR = stable_id("demo-service", "Harbor House Women's Sober Living")
FHIR = "application/fhir+json"


@pytest.fixture
def token(runner):
    return fhir_client(runner, "riverside-clinic")


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def outcome(r, status):
    assert r.status_code == status, r.data[:400]
    assert r.mimetype == FHIR
    oo = OperationOutcome.model_validate(r.get_json())
    assert oo.issue[0].diagnostics
    return oo


def post(client, token, body, path="/fhir"):
    return client.post(path, json=body, headers=auth(token), content_type=FHIR)


def test_metadata_is_a_capability_statement(client):
    r = client.get("/fhir/metadata")
    assert r.status_code == 200 and r.mimetype == FHIR
    cs = CapabilityStatement.model_validate(r.get_json())
    assert cs.fhirVersion == "4.0.1"
    assert {res.type for res in cs.rest[0].resource} >= {"Task", "HealthcareService", "Organization", "Location"}


def test_listings_as_fhir_resources(client, token):
    r = client.get(f"/fhir/HealthcareService/{HARBOR}", headers=auth(token))
    assert r.status_code == 200 and r.mimetype == FHIR
    hs = HealthcareService.model_validate(r.get_json())
    assert hs.name == "Harbor House Women's Sober Living" and hs.id == hsds_id(HARBOR)
    capacity = r.get_json()["extension"][0]
    assert capacity["url"].endswith("SDOHCC-ExtensionHealthcareServiceCapacityStatus")
    assert "2 " in capacity["extension"][1]["valueString"]
    assert client.get(f"/fhir/HealthcareService/{hs.id}", headers=auth(token)).get_json()["id"] == hs.id
    org = Organization.model_validate(client.get(f"/fhir/{hs.providedBy.reference}", headers=auth(token)).get_json())
    assert org.name == "Harbor House Recovery (demo)"
    loc = Location.model_validate(client.get(f"/fhir/{hs.location[0].reference}", headers=auth(token)).get_json())
    assert loc.address.postalCode == "92701" and loc.position.latitude
    outcome(client.get("/fhir/HealthcareService/nope", headers=auth(token)), 404)


def test_no_or_wrong_or_revoked_token_is_401(client, runner, token):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Bearer \u00e9\u00ff"}):
        r = client.get("/fhir/Task", headers=headers)
        outcome(r, 401)
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/fhir/Task", headers={"Authorization": f"bearer {token}"}).status_code == 200
    out = runner.invoke(args=["api-clients", "list"])
    assert "riverside-clinic" in out.output and "active" in out.output
    assert runner.invoke(args=["api-clients", "revoke", "riverside-clinic"]).exit_code == 0
    outcome(client.get("/fhir/Task", headers=auth(token)), 401)
    assert "revoked" in runner.invoke(args=["api-clients", "list"]).output


def test_cli_refuses_a_bad_or_taken_name(runner, token):
    assert runner.invoke(args=["api-clients", "create", "riverside-clinic"]).exit_code != 0
    assert runner.invoke(args=["api-clients", "create", "Bad Name!"]).exit_code != 0
    assert runner.invoke(args=["api-clients", "revoke", "nobody"]).exit_code != 0


def test_tokens_are_stored_hashed(session, token):
    from directory.referrals.clients import ApiClient
    row = session.query(ApiClient).one()
    assert token not in (row.token_hash, row.id, row.name) and len(row.token_hash) == 64


def test_bundle_makes_a_referral_and_the_task_is_polled(client, token):
    r = post(client, token, referral_bundle(f"HealthcareService/{hsds_id(HARBOR)}"))
    assert r.status_code == 200 and r.mimetype == FHIR
    answer = Bundle.model_validate(r.get_json())
    task_id = answer.entry[2].response.location.split("/")[1]
    r = client.get(f"/fhir/Task/{task_id}", headers=auth(token))
    assert r.headers["Cache-Control"] == "no-store"
    task = Task.model_validate(r.get_json())
    assert task.status == "requested" and task.owner.reference == f"HealthcareService/{hsds_id(HARBOR)}"
    sr = client.get(f"/fhir/{task.focus.reference}", headers=auth(token)).get_json()
    assert sr["performer"][0]["reference"] == f"HealthcareService/{hsds_id(HARBOR)}"
    assert sr["category"][0]["coding"][0]["code"] == "sdoh"

    before = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    after = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    found = Bundle.model_validate(client.get(f"/fhir/Task?_lastUpdated=gt{before}", headers=auth(token)).get_json())
    assert found.type == "searchset" and [e.resource.id for e in found.entry] == [task_id]
    none = client.get(f"/fhir/Task?_lastUpdated=gt{after}", headers=auth(token)).get_json()
    assert none["total"] == 0 and "entry" not in none or none["entry"] == []


def test_task_search_is_paged(client, token):
    for _ in range(3):
        assert post(client, token, referral_bundle(f"HealthcareService/{HARBOR}")).status_code == 200
    first = client.get("/fhir/Task?_count=2", headers=auth(token)).get_json()
    assert first["total"] == 3 and len(first["entry"]) == 2
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = client.get(next_url.replace("http://localhost", ""), headers=auth(token)).get_json()
    assert len(second["entry"]) == 1
    assert {e["resource"]["id"] for e in first["entry"] + second["entry"]}.__len__() == 3
    outcome(client.get("/fhir/Task?status=requested", headers=auth(token)), 400)
    outcome(client.get("/fhir/Task?_lastUpdated=yesterday", headers=auth(token)), 400)
    outcome(client.get("/fhir/Task?_count=1_0", headers=auth(token)), 400)


def test_post_task_with_contained_resources(client, token):
    bundle = referral_bundle(f"HealthcareService/{HARBOR}")
    patient, sr, task = (copy.deepcopy(e["resource"]) for e in bundle["entry"][:3])
    patient["id"], sr["id"] = "pat", "sr"
    sr["subject"] = {"reference": "#pat"}
    task.update({"contained": [patient, sr], "focus": {"reference": "#sr"}, "for": {"reference": "#pat"}})
    r = post(client, token, task, "/fhir/Task")
    assert r.status_code == 201 and r.headers["Location"].split("/fhir/Task/")[1]
    made = Task.model_validate(r.get_json())
    assert made.status == "requested"
    assert client.get(f"/fhir/Task/{made.id}", headers=auth(token)).status_code == 200


def test_a_foreign_clients_task_is_not_found(client, runner, token):
    r = post(client, token, referral_bundle(f"HealthcareService/{HARBOR}"))
    task_id = r.get_json()["entry"][2]["response"]["location"].split("/")[1]
    other = fhir_client(runner, "other-clinic")
    outcome(client.get(f"/fhir/Task/{task_id}", headers=auth(other)), 404)
    outcome(client.get(f"/fhir/ServiceRequest/{task_id}", headers=auth(other)), 404)
    assert client.get("/fhir/Task", headers=auth(other)).get_json()["total"] == 0


def _broken(change):
    bundle = referral_bundle(f"HealthcareService/{HARBOR}")
    change(bundle)
    return bundle


@pytest.mark.parametrize("bundle,status", [
    (referral_bundle(f"HealthcareService/{HARBOR}", focus=False), 422),
    (referral_bundle("HealthcareService/00000000-0000-4000-8000-000000000000"), 422),
    (referral_bundle("Organization/x"), 422),
    (referral_bundle(f"HealthcareService/{HARBOR}", phone=None), 422),
    (referral_bundle(f"HealthcareService/{HARBOR}", phone="12"), 422),
    (_broken(lambda b: b.update(type="batch")), 400),
    (_broken(lambda b: b["entry"][2]["resource"].update(status="completed")), 422),
    (_broken(lambda b: b["entry"][1]["resource"].pop("category")), 422),
    (_broken(lambda b: b["entry"][1]["resource"].update(subject={"reference": "urn:uuid:nobody"})), 422),
    (_broken(lambda b: b["entry"][0]["resource"].update(telecom="not a list")), 400),
    (_broken(lambda b: b["entry"].append({"resource": {"resourceType": "Observation", "status": "final",
                                                       "code": {"text": "x"}}, "request": {"method": "POST", "url": "Observation"}})), 422),
    ({"resourceType": "Patient"}, 400),
    ({"resourceType": "Bundle", "type": "transaction", "entry": "x"}, 400),
])
def test_bad_bundles_are_operation_outcomes(client, token, bundle, status):
    outcome(post(client, token, bundle), status)


def test_bad_bodies_are_operation_outcomes(client, token):
    outcome(client.post("/fhir", data="[" * 50_000, headers=auth(token), content_type=FHIR), 400)
    outcome(client.post("/fhir", data="{", headers=auth(token), content_type=FHIR), 400)
    outcome(client.post("/fhir", data="x", headers=auth(token), content_type="text/plain"), 415)
    r = client.delete("/fhir/metadata")
    outcome(r, 405)
    assert "GET" in r.headers["Allow"]
    outcome(client.get("/fhir/Nothing/1", headers=auth(token)), 404)


# --- fuzzing: whatever arrives, a 4xx OperationOutcome or a success, never a 500 ----------------
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=4),
                    max_leaves=20)
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


def _leaves(doc, path=()):
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _leaves(v, path + (i,))
    yield path


BUNDLE_PATHS = [p for p in _leaves(referral_bundle("HealthcareService/x")) if p]


@FUZZ
@given(mutations=st.lists(st.tuples(st.sampled_from(BUNDLE_PATHS), JSON), min_size=1, max_size=3))
def test_fuzzed_bundles_never_crash(client, token, mutations):
    bundle = referral_bundle(f"HealthcareService/{HARBOR}")
    for path, value in mutations:
        parent = bundle
        try:
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            pass
    r = post(client, token, bundle)
    assert r.status_code < 500 and r.mimetype == FHIR, r.data[:300]


@FUZZ
@given(body=JSON, path=st.sampled_from(["/fhir", "/fhir/Task"]))
def test_random_json_never_crashes(client, token, body, path):
    r = post(client, token, body, path)
    assert 400 <= r.status_code < 500 and r.mimetype == FHIR


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["_lastUpdated", "_count", "_offset", "x"]), st.text(max_size=30), max_size=3))
def test_random_task_searches_never_crash(client, token, query):
    r = client.get("/fhir/Task", query_string=query, headers=auth(token))
    assert r.status_code < 500 and r.mimetype == FHIR


def test_a_huge_body_is_413(client, token):
    outcome(client.post("/fhir", data=b"{" + b" " * 2_000_000 + b"}", headers=auth(token), content_type=FHIR), 413)


def test_a_retried_bundle_is_the_same_referral_and_texts_once(client, runner, token):
    from directory import db
    from directory.people.models import OutboundMessage
    bundle = referral_bundle(f"HealthcareService/{HARBOR}")
    bundle["entry"][2]["resource"]["identifier"] = [{"system": "urn:riverside:task", "value": "T-1"}]
    first, again = post(client, token, bundle), post(client, token, bundle)
    assert first.get_json()["entry"][2]["response"]["status"].startswith("201")
    assert again.get_json()["entry"][2]["response"]["status"].startswith("200")
    assert first.get_json()["entry"][2]["response"]["location"] == again.get_json()["entry"][2]["response"]["location"]
    with db.Session() as s:
        assert s.query(OutboundMessage).filter_by(kind="referral").count() == 1
    other = fhir_client(runner, "other-clinic")  # the same identifier from another client is its own
    assert post(client, other, bundle).get_json()["entry"][2]["response"]["status"].startswith("201")


def test_a_service_request_without_subject_is_400(client, token):
    bundle = referral_bundle(f"HealthcareService/{HARBOR}")
    del bundle["entry"][1]["resource"]["subject"]  # 1..1 in R4: the model refuses it
    outcome(post(client, token, bundle), 400)
