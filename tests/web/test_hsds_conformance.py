"""The HSDS 3.0 read API against the official OpenAPI and compiled schemas, with format checks
(uri, date-time, uuid): ids are UUIDs, URLs have a scheme, schedules carry a time zone."""
import functools
import json
import re
import uuid

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from directory.catalog.export import hsds_id
from directory.catalog.taxonomy import stable_id

HARBOR = stable_id("demo-service", "Harbor House Women's Sober Living")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@functools.lru_cache(maxsize=None)
def _validator(path):
    with open(path, encoding="utf-8") as f:
        return Draft202012Validator(json.load(f), format_checker=FormatChecker())


def assert_valid(shared_data, name, doc):
    folder = shared_data / "hsds-3.0" / "schema"
    path = folder / "compiled" / name if (folder / "compiled" / name).exists() else folder / name
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator(str(path)).iter_errors(doc)]
    assert not errors, errors[:5]


def _ids(doc):
    if isinstance(doc, dict):
        for k, v in doc.items():
            if (k == "id" or k.endswith("_id")) and isinstance(v, str):
                yield v
            yield from _ids(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from _ids(v)


def test_root_names_version_and_openapi(client, shared_data):
    body = client.get("/api/v1/").get_json()
    assert body["version"].startswith("3.0") and body["openapi_url"].endswith("/api/v1/openapi.json")
    official = json.loads((shared_data / "hsds-3.0/schema/openapi.json").read_text())
    schema = official["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(body)


@pytest.mark.parametrize("path,schema", [
    ("/api/v1/services?per_page=100", "service_list.json"),
    ("/api/v1/organizations?per_page=100", "organization_list.json"),
    ("/api/v1/service_at_locations?per_page=100", "service_at_location_list.json"),
    ("/api/v1/taxonomy_terms?per_page=100", "taxonomy_term.json"),
    ("/api/v1/taxonomies", "taxonomy.json"),
])
def test_lists_are_direct_fields_and_valid(client, shared_data, path, schema):
    page = client.get(path).get_json()
    assert page["contents"]
    for doc in page["contents"]:
        assert_valid(shared_data, schema, doc)
        assert "phones" not in doc and "location" not in doc and "services" not in doc
        assert all(UUID.match(i) for i in _ids(doc)), doc


@pytest.mark.parametrize("path,schema", [
    ("/api/v1/services?per_page=40&full=true", "service.json"),
    ("/api/v1/organizations?per_page=40&full_service=true", "organization.json"),
    ("/api/v1/service_at_locations?per_page=40&full=true", "service_at_location.json"),
])
def test_full_documents_on_request_are_valid(client, shared_data, path, schema):
    for doc in client.get(path).get_json()["contents"]:
        assert_valid(shared_data, schema, doc)
        assert all(UUID.match(i) for i in _ids(doc)), doc


def test_details_are_valid_and_found_by_either_id(client, shared_data):
    by_ours = client.get(f"/api/v1/services/{HARBOR}").get_json()
    by_hsds = client.get(f"/api/v1/services/{by_ours['id']}").get_json()
    assert by_ours["id"] == by_hsds["id"] == hsds_id(HARBOR)
    assert_valid(shared_data, "service.json", {k: v for k, v in by_ours.items() if k != "signpost"})
    org = client.get(f"/api/v1/organizations/{by_ours['organization_id']}?full_service=true").get_json()
    assert_valid(shared_data, "organization.json", org)
    sal = client.get(f"/api/v1/service_at_locations/{by_ours['service_at_locations'][0]['id']}").get_json()
    assert_valid(shared_data, "service_at_location.json", sal)
    assert client.get(f"/api/v1/services/{uuid.uuid4()}").status_code == 404


def test_source_ids_kept_in_identifiers(client):
    from directory import db
    from directory.catalog.models import Organization, Service
    with db.Session.begin() as s:
        s.add(Organization(id="feed:org-1", name="Feed Org", description="From a feed", source="hsds"))
        s.add(Service(id="feed:svc-1", organization_id="feed:org-1", name="Feed Service", status="active"))
    doc = client.get("/api/v1/services/feed:svc-1").get_json()
    assert doc["id"] == hsds_id("feed:svc-1") and doc["identifiers"][0]["identifier"] == "feed:svc-1"
    assert doc["organization_id"] == hsds_id("feed:org-1")
    assert client.get(f"/api/v1/services/{doc['id']}").get_json()["name"] == "Feed Service"
    org = client.get(f"/api/v1/organizations/{doc['organization_id']}").get_json()
    assert org["name"] == "Feed Org" and [s["id"] for s in org["services"]] == [doc["id"]]
    listed = client.get(f"/api/v1/services?organization_id={doc['organization_id']}").get_json()
    assert [s["id"] for s in listed["contents"]] == [doc["id"]]


def test_meeting_schedules_carry_their_time_zone(client):
    page = client.get("/api/v1/services?category=support_group&full=true&per_page=100").get_json()
    schedules = [s for doc in page["contents"] for s in doc["schedules"]]
    assert schedules and all(isinstance(s["timezone"], (int, float)) and s["timezone_name"] for s in schedules)
    assert {s["timezone"] for s in schedules} <= {-4, -5, -6, -7, -8}


def test_modified_after_and_minimal(client):
    all_ = client.get("/api/v1/services?per_page=100").get_json()["total_items"]
    assert client.get("/api/v1/services?modified_after=2000-01-01T00:00:00Z").get_json()["total_items"] == all_
    assert client.get("/api/v1/services?modified_after=2999-01-01T00:00:00Z").get_json()["total_items"] == 0
    minimal = client.get("/api/v1/services?minimal=true&per_page=3").get_json()["contents"]
    assert all(set(m) <= {"id", "last_modified", "identifiers"} for m in minimal)
    assert client.get("/api/v1/services?modified_after=yesterday").status_code == 400


def test_taxonomy_filters(client):
    terms = client.get("/api/v1/taxonomy_terms?taxonomy_id=signpost-category&per_page=100").get_json()["contents"]
    treatment = next(t for t in terms if t["code"] == "treatment")
    by_term = client.get(f"/api/v1/services?taxonomy_term_id={treatment['id']}&per_page=100").get_json()
    by_cat = client.get("/api/v1/services?category=treatment&per_page=100").get_json()
    assert by_term["total_items"] == by_cat["total_items"] > 0
    assert client.get("/api/v1/services?taxonomy_id=signpost-category").get_json()["total_items"] > 0


@pytest.mark.parametrize("query", ["format=xml", "colour=blue", "full=perhaps", "minimal=true&full=true"])
def test_unknown_or_unsupported_parameters_are_400(client, query):
    r = client.get(f"/api/v1/services?{query}")
    assert r.status_code == 400 and r.get_json()["error"]["message"]


def test_official_parameters_all_known(app, shared_data):
    """Every parameter the official OpenAPI gives an endpoint is one ours accepts (implemented, or refused by value)."""
    official = json.loads((shared_data / "hsds-3.0/schema/openapi.json").read_text())
    views = app.view_functions
    ours = {"/taxonomies": "api.taxonomies", "/services": "api.services", "/organizations": "api.organizations",
            "/service_at_locations": "api.service_at_locations", "/taxonomy_terms": "api.taxonomy_terms",
            "/organizations/{id}": "api.organization_detail"}
    for path, endpoint in ours.items():
        names = {p.get("name") or official["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]["name"]
                 for p in official["paths"][path]["get"].get("parameters", [])}
        assert names <= views[endpoint].accepted_parameters, (path, names - views[endpoint].accepted_parameters)


def test_referral_by_hsds_id(client):
    r = client.post("/api/v1/referrals", json={"service_id": hsds_id(HARBOR), "client_ref": "p1"},
                    headers={"Authorization": "Bearer test-token"})
    assert r.status_code == 201 and r.get_json()["referral"]["service_id"] == HARBOR


def test_taxonomies_by_name_or_uuid(client, shared_data):
    page = client.get("/api/v1/taxonomies").get_json()
    by_name = {t["name"]: t for t in page["contents"]}
    category = by_name["signpost-category"]
    assert UUID.match(category["id"]) and category["id"] == hsds_id("signpost-category")
    assert client.get(f"/api/v1/taxonomies/{category['id']}").get_json()["name"] == "signpost-category"
    assert client.get("/api/v1/taxonomies/signpost-category").get_json()["id"] == category["id"]
    assert client.get("/api/v1/taxonomies/nope").status_code == 404
    terms = client.get(f"/api/v1/taxonomy_terms?taxonomy_id={category['id']}").get_json()["contents"]
    assert len(terms) == 5 and all(t["taxonomy_id"] == category["id"] for t in terms)
    by_uuid = client.get(f"/api/v1/services?taxonomy_id={category['id']}").get_json()["total_items"]
    assert by_uuid == client.get("/api/v1/services?taxonomy_id=signpost-category").get_json()["total_items"] > 0


@pytest.mark.parametrize("path,schema", [("/api/v1/services?format=ndjson", "service_list.json"),
                                         ("/api/v1/services?format=ndjson&full=true", "service.json"),
                                         ("/api/v1/organizations?format=ndjson", "organization_list.json"),
                                         ("/api/v1/taxonomy_terms?format=ndjson", "taxonomy_term.json")])
def test_ndjson_is_every_result_one_a_line(client, shared_data, monkeypatch, path, schema):
    from web import hsds_api
    monkeypatch.setattr(hsds_api, "NDJSON_BATCH", 7)  # several batches
    r = client.get(path)
    assert r.status_code == 200 and r.mimetype == "application/x-ndjson"
    docs = [json.loads(line) for line in r.get_data(as_text=True).splitlines()]
    total = client.get(path.replace("format=ndjson", "per_page=1")).get_json()["total_items"]
    assert len(docs) == total > 7 and len({d["id"] for d in docs}) == total
    for doc in docs[:40]:
        assert_valid(shared_data, schema, doc)


def test_a_record_added_after_the_id_map_is_found_by_its_uuid(client):
    from directory import db
    from directory.catalog.models import Organization
    assert client.get(f"/api/v1/organizations/{uuid.uuid4()}").status_code == 404  # builds the map
    with db.Session.begin() as s:
        s.add(Organization(id="feed:org-2", name="Later Org", description="Imported later", source="hsds"))
    assert client.get(f"/api/v1/organizations/{hsds_id('feed:org-2')}").get_json()["name"] == "Later Org"


def test_search_reads_names_and_descriptions(client):
    from directory import db
    from directory.catalog.models import Service
    with db.Session() as s:
        svc = s.get(Service, HARBOR)
        word = next(w for w in (svc.description or "").split() if len(w) > 6 and w.lower() not in svc.name.lower())
    found = client.get(f"/api/v1/services?search={word}&per_page=100").get_json()["contents"]
    assert hsds_id(HARBOR) in {d["id"] for d in found}
