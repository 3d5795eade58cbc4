"""Bad input at the API's edges (found by fuzzing): a JSON 4xx with the right headers, never a 500."""
import pytest

from directory.catalog.taxonomy import stable_id

HARBOR = stable_id("demo-service", "Harbor House Women's Sober Living")
TOKEN = {"Authorization": "Bearer test-token"}


def _error(r, status):
    assert r.status_code == status, r.data[:300]
    assert r.mimetype == "application/json"
    err = r.get_json()["error"]
    assert err["code"] and err["message"]
    return err


@pytest.mark.parametrize("path", ["/api/v1/search?near=92701", "/api/v1/services"])
def test_non_ascii_authorization_is_not_a_crash(client, path):
    r = client.get(path, headers={"Authorization": "Bearer t\u00e9st-\u00ff"})
    assert r.status_code == 200


def test_non_ascii_token_on_referrals_is_401_with_challenge(client):
    r = client.post("/api/v1/referrals", json={"service_id": HARBOR, "client_ref": "p1"},
                    headers={"Authorization": "Bearer \u00e9\u00e9"})
    _error(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_bearer_scheme_in_any_case(client):
    r = client.post("/api/v1/referrals", json={"service_id": HARBOR, "client_ref": "p1"},
                    headers={"Authorization": "bearer test-token"})
    assert r.status_code == 201


@pytest.mark.parametrize("path", ["/api/v1/services", "/api/v1/organizations", "/api/v1/taxonomy_terms",
                                  "/api/v1/service_at_locations"])
def test_huge_page_is_an_empty_page(client, path):
    r = client.get(f"{path}?page=99999999999999999")
    assert r.status_code == 200 and r.get_json()["contents"] == []
    _error(client.get(f"{path}?page=99999999999999999999"), 400)


@pytest.mark.parametrize("query", ["near=92701&radius_km=1e-200", "lat=33.7&lon=-117.8&radius_km=5e-324"])
def test_pin_point_radius(client, query):
    for _ in range(2):  # the second search reads the first one's density hint
        assert client.get(f"/api/v1/search?{query}").status_code == 200


def test_pin_point_proximity(client):
    assert client.get("/api/v1/service_at_locations?postcode=92701&proximity=1e-200").status_code == 200


def test_deeply_nested_json_is_400(client):
    body = "[" * 100_000 + "]" * 100_000
    r = client.post("/api/v1/referrals", data=body, content_type="application/json", headers=TOKEN)
    _error(r, 400)


@pytest.mark.parametrize("value", ["false", "0", 0, False, "no"])
def test_share_with_provider_false_in_any_spelling(client, value):
    from directory import db
    from directory.people.models import OutboundMessage
    r = client.post("/api/v1/referrals", headers=TOKEN,
                    json={"service_id": HARBOR, "client_ref": "p1", "share_with_provider": value})
    assert r.status_code == 201
    with db.Session() as s:
        kinds = [m.kind for m in s.query(OutboundMessage).filter_by(referral_id=r.get_json()["referral"]["id"])]
    assert kinds == ["referral"]


@pytest.mark.parametrize("value", ["maybe", 2, [], {}, "tru"])
def test_share_with_provider_not_a_boolean_is_400(client, value):
    r = client.post("/api/v1/referrals", headers=TOKEN,
                    json={"service_id": HARBOR, "client_ref": "p1", "share_with_provider": value})
    _error(r, 400)


def test_405_says_what_is_allowed(client):
    r = client.delete("/api/v1/services")
    _error(r, 405)
    assert "GET" in r.headers["Allow"]
    r = client.get("/api/v1/referrals")
    _error(r, 405)
    assert "POST" in r.headers["Allow"]


@pytest.mark.parametrize("query", ["near=92701&limit=1_0", "near=92701&limit=\u0661\u0660", "near=92701&offset=%201_0",
                                   "lat=3_3&lon=-117", "lat=\u0663\u0663&lon=-117", "lat=nan&lon=1",
                                   "near=92701&radius_km=1_0", "near=92701&limit=5&limit=6", "near=92701&near=33125"])
def test_strict_numbers_and_single_parameters_on_search(client, query):
    _error(client.get(f"/api/v1/search?{query}"), 400)


@pytest.mark.parametrize("query", ["page=1_0", "per_page=\u0662", "page=1&page=2", "per_page=+"])
def test_strict_paging(client, query):
    _error(client.get(f"/api/v1/services?{query}"), 400)


def test_repeated_attributes_still_a_list(client):
    assert client.get("/api/v1/search?near=92701&attributes=women&attributes=wheelchair").status_code == 200


def test_a_huge_body_is_413_json(client):
    r = client.post("/api/v1/referrals", data=b'{"service_id": "' + b"x" * 2_000_000 + b'"}',
                    content_type="application/json", headers=TOKEN)
    _error(r, 413)
