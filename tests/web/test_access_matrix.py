"""The role-by-route matrix: every page and form, for anonymous visitors and each role.

`login` means a redirect to /login (not signed in). Object checks too: a peer worker may change
only the listings of the organizations they keep.
"""
from __future__ import annotations

import pytest

from tests.web.conftest import KEPT_SERVICE, OTHER_SERVICE

ROLES = ("anonymous", "peer_worker", "case_manager", "admin")
K, O = KEPT_SERVICE, OTHER_SERVICE

# (method, path, form data, expected for anonymous, peer_worker, case_manager, admin)
MATRIX = [
    ("GET", "/login", None, (200, 200, 200, 200)),
    ("GET", "/search?near=92701", None, ("login", 200, 200, 200)),
    ("GET", f"/services/{K}", None, (200, 200, 200, 200)),
    ("GET", f"/services/{K}/edit", None, ("login", 200, 403, 200)),
    ("GET", f"/services/{O}/edit", None, ("login", 200, 403, 200)),  # peer: suggest, for moderation
    ("GET", f"/services/{K}/history", None, ("login", 200, 200, 200)),
    ("GET", "/my-listings", None, ("login", 200, 403, 403)),
    ("GET", "/referrals", None, ("login", 403, 200, 200)),
    ("GET", "/referrals.csv", None, ("login", 403, 200, 200)),
    ("GET", "/reports/needs", None, ("login", 403, 200, 200)),
    ("GET", "/admin", None, ("login", 403, 403, 200)),
    ("GET", "/account", None, ("login", 200, 200, 200)),
    ("GET", "/account/totp", None, ("login", 200, 200, 200)),
    ("POST", f"/services/{K}/text", {"phone": "(714) 202-5555"}, ("login", 403, 302, 302)),
    ("POST", f"/services/{K}/edit", {"name": "Harbor House"}, ("login", 302, 403, 302)),
    ("POST", f"/my-listings/{K}/beds", {"available": "1"}, ("login", 302, 403, 403)),
    ("POST", f"/my-listings/{O}/beds", {"available": "1"}, ("login", 403, 403, 403)),
    ("POST", f"/my-listings/{K}/verify", {}, ("login", 302, 403, 403)),
    ("POST", f"/my-listings/{O}/verify", {}, ("login", 403, 403, 403)),
    ("POST", "/referrals/no-such-referral/outcome", {"status": "connected"}, ("login", 403, 404, 404)),
    ("POST", "/admin/users", {"email": "new.person@signpost.example", "role": "peer_worker"}, ("login", 403, 403, 201)),
    ("POST", "/admin/keepers", {"user_id": "x", "organization_id": "y"}, ("login", 403, 403, 404)),
    ("POST", "/admin/edits/1", {"decision": "approve"}, ("login", 403, 403, 302)),
    ("POST", "/admin/reports/1", {"status": "resolved"}, ("login", 403, 403, 302)),
]


@pytest.mark.parametrize("method,path,data,expected", MATRIX, ids=[f"{m} {p.split('?')[0]}" for m, p, _, _ in MATRIX])
def test_role_by_route(app, signed_in, method, path, data, expected):
    clients = {"anonymous": app.test_client()}
    clients.update({role: signed_in(role) for role in ROLES[1:]})
    for role, want in zip(ROLES, expected):
        client = clients[role]
        response = client.get(path) if method == "GET" else client.post(path, data=data)
        if want == "login":
            assert response.status_code == 302 and response.location.startswith("/login"), (role, response.status_code)
        else:
            assert response.status_code == want, (role, path, response.status_code)


def test_no_state_change_by_get(app, signed_in):
    """The state-changing routes refuse GET (405), logout included (it shows a button)."""
    peer = signed_in("peer_worker")
    for path in (f"/my-listings/{K}/beds", f"/my-listings/{K}/verify", f"/services/{K}/report"):
        assert peer.get(path).status_code == 405
    case = signed_in("case_manager")
    assert case.get(f"/services/{K}/text").status_code == 405
    assert case.get("/logout").status_code == 200
    assert case.get("/referrals").status_code == 200  # still signed in after GET /logout
    stolen_cookie = case.get_cookie("session").value
    assert case.post("/logout").status_code == 302
    assert case.get("/referrals").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen_cookie)
    assert replay.get("/referrals").status_code == 302  # a copy of the old cookie is worthless too


def test_peer_workers_never_see_referrals(app, signed_in):
    case = signed_in("case_manager")
    case.post(f"/services/{K}/text", data={"phone": "(714) 202-5555"})
    peer = signed_in("peer_worker")
    assert peer.get("/referrals").status_code == 403
    assert peer.get("/referrals.csv").status_code == 403
    page = peer.get(f"/services/{K}").get_data(as_text=True)
    assert "Text this to my client" not in page and "5555" not in page
