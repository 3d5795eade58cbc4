"""The JSON API contract other parts rely on: search fields, HSDS reads, errors never 500, referrals."""
import pytest

from directory.catalog.taxonomy import stable_id

HARBOR = stable_id("demo-service", "Harbor House Women's Sober Living")
SEARCH_FIELDS = {"service_id", "name", "organization", "category", "distance_km", "latitude", "longitude",
                 "address", "phone"}


def test_search_contract(client):
    r = client.get("/api/v1/search?near=92701&category=sober_living&limit=5")
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == {"items", "_meta"}
    items = body["items"]
    assert [i["name"] for i in items] == ["Harbor House Women's Sober Living", "Cornerstone Men's Recovery Residence"]
    for item in items:
        assert SEARCH_FIELDS <= set(item)
        assert item["category"] == "sober_living"
    assert items[0]["distance_km"] <= items[1]["distance_km"]
    assert items[0]["capacity"]["available"] == 2 and items[0]["capacity"]["unit"] == "beds"
    assert body["_meta"]["origin"]["label"] == "Santa Ana, CA 92701"
    assert body["_meta"]["total"] == 2 and body["_meta"]["has_more"] is False


def test_search_by_lat_lon_and_city(client):
    a = client.get("/api/v1/search?lat=25.7751&lon=-80.2105&category=treatment").get_json()
    b = client.get("/api/v1/search?near=Miami,%20FL&category=treatment").get_json()
    assert {i["service_id"] for i in a["items"]} == {i["service_id"] for i in b["items"]} != set()


def test_search_meeting_has_next_meeting(client):
    items = client.get("/api/v1/search?near=33125&category=support_group&language=es").get_json()["items"]
    grupo = next(i for i in items if i["name"] == "Grupo Nueva Vida (AA en español)")
    assert grupo["next_meeting"]["label"].endswith("7:00 pm")
    assert grupo["next_meeting"]["start"].endswith(("-05:00", "-04:00"))


@pytest.mark.parametrize("query,status,code", [
    ("near=92701&lat=abc&lon=1", 400, "bad_request"),
    ("lat=95&lon=0", 400, "bad_request"),
    ("lat=10&lon=-200", 400, "bad_request"),
    ("near=Xqzville,%20MO", 422, "unknown_place"),
    ("near=99999", 422, "unknown_place"),
    ("near=92701&category=detox", 400, "unknown_category"),
    ("near=92701&limit=100000", 400, "bad_request"),
    ("near=92701&limit=ten", 400, "bad_request"),
    ("near=92701&radius_km=1e309", 400, "bad_request"),
    ("near=92701&radius_km=-5", 400, "bad_request"),
    ("near=92701&offset=99999999999999999999", 400, "bad_request"),
    ("near=92701&open_now=perhaps", 400, "bad_request"),
    ("", 400, "bad_request"),
    ("near=" + "9" * 5000, 422, "unknown_place"),
])
def test_bad_search_input_is_a_json_4xx(client, query, status, code):
    r = client.get(f"/api/v1/search?{query}")
    assert r.status_code == status
    assert r.get_json()["error"]["code"] == code
    assert r.get_json()["error"]["message"]


def test_unknown_place_message_is_for_people(client):
    r = client.get("/api/v1/search?near=Xqzville,%20MO")
    assert r.get_json()["error"]["message"] == "I couldn't find 'Xqzville, MO'. Try a ZIP code."
    assert r.get_json()["error"]["suggestions"] == []


def test_unknown_place_suggests_the_nearest_spellings(client):
    r = client.get("/api/v1/search?near=Hunntingdon%20Baech,%20CA")
    assert r.status_code == 422
    error = r.get_json()["error"]
    assert "Huntington Beach, CA" in error["suggestions"]
    assert "Did you mean Huntington Beach, CA" in error["message"]


def test_unrouted_api_path_and_method_are_json(client):
    assert client.get("/api/v1/nothing").get_json()["error"]["code"] == "not_found"
    r = client.delete("/api/v1/search")
    assert r.status_code == 405 and r.get_json()["error"]["code"] == "method_not_allowed"


def test_services_page_and_detail(client):
    page = client.get("/api/v1/services?per_page=5&page=2").get_json()
    assert page["total_items"] == 29 and page["total_pages"] == 6 and page["size"] == 5
    assert page["page_number"] == 2 and not page["first_page"] and not page["last_page"]
    detail = client.get(f"/api/v1/services/{HARBOR}").get_json()
    assert detail["name"] == "Harbor House Women's Sober Living"
    assert detail["organization"]["name"] == "Harbor House Recovery (demo)"
    assert detail["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] == "92701"
    assert {a["taxonomy_term"]["code"] for a in detail["attributes"]} >= {"sober_living", "women", "mat_friendly"}
    assert detail["signpost"]["capacity"]["available"] == 2
    assert client.get("/api/v1/services/nope").status_code == 404


@pytest.mark.parametrize("query", ["page=0", "per_page=1000", "page=x"])
def test_bad_paging_is_400(client, query):
    r = client.get(f"/api/v1/services?{query}")
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_request"


def test_organizations_and_taxonomy_terms(client):
    orgs = client.get("/api/v1/organizations?search=harbor%20house").get_json()
    assert [o["name"] for o in orgs["contents"]] == ["Harbor House Recovery (demo)"]
    org = client.get(f"/api/v1/organizations/{orgs['contents'][0]['id']}").get_json()
    assert [s["name"] for s in org["services"]] == ["Harbor House Women's Sober Living"]
    terms = client.get("/api/v1/taxonomy_terms?taxonomy=signpost-category").get_json()
    assert sorted(t["code"] for t in terms["contents"]) == sorted(
        ["support_group", "sober_living", "housing", "transportation", "treatment"])


def test_service_at_locations_postcode_and_proximity(client):
    in_zip = client.get("/api/v1/service_at_locations?postcode=92701&per_page=100&full=true").get_json()
    assert in_zip["total_items"] == 7
    assert all(c["location"]["addresses"][0]["postal_code"] == "92701" for c in in_zip["contents"])
    near = client.get("/api/v1/service_at_locations?postcode=92701&proximity=3000&per_page=100").get_json()
    far = client.get("/api/v1/service_at_locations?postcode=92701&proximity=30000&per_page=100").get_json()
    assert in_zip["total_items"] <= near["total_items"] < far["total_items"] == 13
    assert client.get("/api/v1/service_at_locations?proximity=100").status_code == 400
    assert client.get("/api/v1/service_at_locations?postcode=92701&proximity=far").status_code == 400


def test_openapi_document_lists_the_contract(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert {"/search", "/services", "/services/{id}", "/organizations", "/service_at_locations",
            "/taxonomy_terms", "/referrals"} <= set(doc["paths"])


def test_referral_needs_the_service_token(client):
    r = client.post("/api/v1/referrals", json={"service_id": HARBOR, "client_ref": "p1"})
    assert r.status_code == 401
    r = client.post("/api/v1/referrals", json={"service_id": HARBOR, "client_ref": "p1"},
                    headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401


@pytest.mark.parametrize("body,status", [
    (None, 400), ([], 400), ({}, 400), ({"service_id": 5}, 400), ({"service_id": "nope", "client_ref": "p"}, 404),
    ({"service_id": HARBOR}, 400), ({"service_id": HARBOR, "client_ref": "p", "language": "fr"}, 400),
])
def test_bad_referral_is_4xx(client, body, status):
    r = client.post("/api/v1/referrals", json=body, headers={"Authorization": "Bearer test-token"})
    assert r.status_code == status and r.get_json()["error"]["message"]


def test_referral_records_and_queues_the_text(client, runner):
    r = client.post("/api/v1/referrals", json={"service_id": HARBOR, "client_ref": "pseudo-1", "language": "en",
                                               "share_with_provider": True},
                    headers={"Authorization": "Bearer test-token"})
    assert r.status_code == 201
    ref = r.get_json()["referral"]
    assert len(ref["code"]) == 4 and ref["status"] == "sent"
    body = ref["sms_body"]
    assert "Harbor House Women's Sober Living" in body and "401 W 1st St, Santa Ana, CA 92701" in body
    assert "(714) 555-0101" in body and "openstreetmap.org" in body
    from directory import db
    from directory.people.models import OutboundMessage
    from directory.referrals.models import Referral
    with db.Session() as s:
        msg = s.query(OutboundMessage).filter_by(kind="referral").one()
        assert msg.to == "pseudonym:pseudo-1" and msg.status == "outbox"
        assert s.query(OutboundMessage).filter_by(kind="provider").one().to == "+17145550101"  # consent given
        assert s.get(Referral, ref["id"]).share_with_provider is True


def test_healthz_reports_each_part(client):
    r = client.get("/healthz")
    body = r.get_json()
    assert r.status_code == 200
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["rasa"]["status"] == "down" and body["checks"]["action_server"]["status"] == "down"
    assert body["status"] == "degraded"


def test_searches_are_logged_without_personal_data(client):
    client.get("/api/v1/search?near=92701&category=housing")
    from directory import db
    from directory.catalog.models import SearchLog
    from directory.catalog.search import log as search_log
    # Buffered, off the hot path: written within a second by the log's thread, or now. (The count
    # flush() returns is not asserted: it includes rows of earlier tests, which go to their own
    # databases, unless the thread has just written them.)
    search_log.buffer.flush()
    with db.Session() as s:
        row = s.query(SearchLog).one()
        assert (row.category, row.postal_code, row.channel) == ("housing", "92701", "api")
