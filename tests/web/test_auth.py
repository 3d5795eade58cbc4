"""Signing in: passwords, the second factor, sessions, CSRF, rate limits, security headers."""
from __future__ import annotations

import re

import pyotp
import pytest

from directory import db
from directory.staff import accounts
from directory.staff.accounts import AccountError
from directory.staff.models import User
from tests.web.conftest import KEPT_SERVICE, login
from web import create_app


def _app(db_url, **overrides):
    config = {"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test", "RASA_URL": "http://127.0.0.1:9",
              "ACTION_SERVER_URL": "http://127.0.0.1:9"}
    config.update(overrides)
    return create_app(config)


def _csrf(client, path="/login"):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


# --- passwords ------------------------------------------------------------------------------
@pytest.mark.parametrize("password,problem", [
    ("short-one", "at least 12"),
    ("password1234", "common"),
    ("Password2024!!", "common"),          # a common word with digits and symbols appended
    ("qwertyuiop123", "common"),
    ("aaaaaaaaaaaaaaaa", "repeats"),
    ("maria.lopez-garden-42", "e-mail name"),
])
def test_weak_passwords_are_refused_with_a_reason(password, problem):
    problems = accounts.password_problems(password, "maria.lopez@signpost.example")
    assert problems and any(problem in p for p in problems), problems


@pytest.mark.parametrize("password", ["harbor-lantern-orbit-47", "correct horse battery staple ok", "Tequila+Sunrise-Marimba"])
def test_good_passwords_pass(password):
    assert accounts.password_problems(password, "someone@signpost.example") == []


def test_production_hashes_are_argon2id_with_rfc9106_parameters():
    from argon2 import PasswordHasher
    from argon2.profiles import RFC_9106_LOW_MEMORY
    default = PasswordHasher()
    assert (default.time_cost, default.memory_cost) == (RFC_9106_LOW_MEMORY.time_cost, RFC_9106_LOW_MEMORY.memory_cost)
    assert default.hash("harbor-lantern-orbit-47").startswith("$argon2id$")


def test_users_are_stored_with_a_hash_not_the_password(app):
    with db.Session.begin() as s:
        user = accounts.create_user(s, "New.Person@Signpost.example", "case_manager", "harbor-lantern-orbit-47")
        assert user.email == "new.person@signpost.example"
        assert user.password_hash.startswith("$argon2id$") and "harbor" not in user.password_hash
        with pytest.raises(AccountError, match="already"):
            accounts.create_user(s, "new.person@signpost.example", "admin", "harbor-lantern-orbit-47")
        with pytest.raises(AccountError, match="Unknown role"):
            accounts.create_user(s, "x@signpost.example", "superuser", "harbor-lantern-orbit-47")


# --- signing in -----------------------------------------------------------------------------
def test_login_sends_each_role_home(app, users):
    for role, home in (("admin", "/search"), ("case_manager", "/search"), ("peer_worker", "/my-listings")):
        response = login(app.test_client(), users[role])
        assert response.status_code == 302 and response.location == home


def test_wrong_password_and_unknown_email_get_the_same_message(app, users):
    client = app.test_client()
    wrong = login(client, users["admin"], "not-the-password-at-all")
    unknown = login(client, "nobody@signpost.example", "not-the-password-at-all")
    assert wrong.status_code == unknown.status_code == 401
    message = "That e-mail and password do not match an active account."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_disabled_users_cannot_sign_in_and_lose_their_sessions(app, users, signed_in):
    case = signed_in("case_manager")
    admin = signed_in("admin")
    with db.Session() as s:
        user_id = accounts.get_by_email(s, users["case_manager"]).id
    asked = admin.post(f"/admin/users/{user_id}", data={"action": "deactivate"})
    assert asked.status_code == 200 and "Yes, disable" in asked.get_data(as_text=True)  # asks first
    assert case.get("/referrals").status_code == 200
    assert admin.post(f"/admin/users/{user_id}", data={"action": "deactivate", "confirmed": "1"}).status_code == 302
    assert case.get("/referrals").status_code == 302  # the old session no longer works
    assert login(app.test_client(), users["case_manager"]).status_code == 401


def test_login_next_is_followed_only_within_the_site(app, users):
    ok = login(app.test_client(), users["case_manager"], next="/referrals?status=sent")
    assert ok.location == "/referrals?status=sent"
    for evil in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        assert login(app.test_client(), users["case_manager"], next=evil).location == "/search"


def test_password_change_ends_other_sessions(app, users, signed_in):
    first, second = signed_in("case_manager"), signed_in("case_manager")
    bad = first.post("/account", data={"current_password": accounts.DEMO_PASSWORD, "new_password": "short",
                                       "confirm_password": "short"})
    assert bad.status_code == 400 and "at least 12" in bad.get_data(as_text=True)
    ok = first.post("/account", data={"current_password": accounts.DEMO_PASSWORD,
                                      "new_password": "harbor-lantern-orbit-47", "confirm_password": "harbor-lantern-orbit-47"})
    assert ok.status_code == 302
    assert first.get("/referrals").status_code == 200
    assert second.get("/referrals").status_code == 302
    assert login(app.test_client(), users["case_manager"], "harbor-lantern-orbit-47").status_code == 302


# --- TOTP -----------------------------------------------------------------------------------
def _enrol(client):
    page = client.get("/account/totp").get_data(as_text=True)
    assert "<svg" in page  # the QR code, inline
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    assert client.post("/account/totp", data={"code": "000000"}).status_code == 400
    assert client.post("/account/totp", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    return secret


def test_totp_enrolment_then_sign_in_needs_the_code(app, users, signed_in):
    secret = _enrol(signed_in("case_manager"))
    client = app.test_client()
    first = login(client, users["case_manager"])
    assert first.location == "/login/totp"
    assert client.get("/referrals").status_code == 302  # not signed in yet
    assert client.post("/login/totp", data={"code": "123456"}).status_code == 401
    # The code just used at enrolment is spent: the next time step's code signs in.
    totp = pyotp.TOTP(secret)
    import time
    code = totp.at(time.time() + 30)
    assert client.post("/login/totp", data={"code": code}).status_code == 302
    assert client.get("/referrals").status_code == 200
    # Replaying the same code in another sign-in is refused.
    again = app.test_client()
    login(again, users["case_manager"])
    assert again.post("/login/totp", data={"code": code}).status_code == 401


def test_totp_is_required_for_admins_and_case_managers_when_configured(db_url, users):
    strict = _app(db_url, REQUIRE_TOTP=True, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    case = strict.test_client()
    assert login(case, users["case_manager"]).location == "/account/totp"
    assert case.get("/search?near=92701").location == "/account/totp"  # every page waits for enrolment
    _enrol(case)
    assert case.get("/search?near=92701").status_code == 200
    peer = strict.test_client()
    assert login(peer, users["peer_worker"]).location == "/my-listings"  # peer workers: offered, not forced
    assert peer.get("/my-listings").status_code == 200


def test_totp_required_by_default_outside_development(db_url):
    app = _app(db_url, SIGNPOST_ENV="production")
    assert app.config["REQUIRE_TOTP"] is True and app.config["SESSION_COOKIE_SECURE"] is True
    dev = _app(db_url)
    assert dev.config["REQUIRE_TOTP"] is False and dev.config["SESSION_COOKIE_SECURE"] is False


# --- CSRF, rate limits, headers ---------------------------------------------------------------
def test_csrf_is_required_on_forms_but_not_on_the_api(db_url, users):
    app = _app(db_url, WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=False)
    client = app.test_client()
    refused = login(client, users["case_manager"])
    assert refused.status_code == 400 and "expired" in refused.get_data(as_text=True)
    assert login(client, users["case_manager"], csrf_token=_csrf(client)).status_code == 302
    # Signed in, a form without the token is still refused (no cross-site referral sending).
    assert client.post(f"/services/{KEPT_SERVICE}/text", data={"phone": "(714) 202-5555"}).status_code == 400
    token = _csrf(client, f"/services/{KEPT_SERVICE}")
    assert client.post(f"/services/{KEPT_SERVICE}/text", data={"phone": "(714) 202-5555", "csrf_token": token}).status_code == 302
    # The API authenticates with its bearer token instead.
    api = app.test_client().post("/api/v1/referrals", json={"service_id": KEPT_SERVICE, "client_ref": "p1"},
                                 headers={"Authorization": "Bearer dev-service-token"})
    assert api.status_code == 201, api.get_data(as_text=True)


def test_login_is_rate_limited_with_a_clear_message(db_url, users):
    app = _app(db_url, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=True)
    client = app.test_client()
    codes = [login(client, users["admin"], "wrong-password-guess-x").status_code for _ in range(21)]
    assert codes[:20] == [401] * 20 and codes[20] == 429  # one account: 20 tries an hour
    page = login(client, users["admin"]).get_data(as_text=True)
    assert "Too many attempts" in page and "Wait a minute" in page


def test_a_shared_office_is_not_locked_out_by_the_per_address_limit(db_url, users):
    app = _app(db_url, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=True)
    client = app.test_client()  # one IP address, many people
    codes = [login(client, f"staff{i}@clinic.example", "wrong-password-guess-x").status_code for i in range(31)]
    assert codes[:30] == [401] * 30 and codes[30] == 429


def test_api_reads_skip_the_rate_limit_check_and_sign_in_keeps_it(db_url, users, monkeypatch):
    # web/auth.py wraps Flask-Limiter's before-request hook (a private method of it) so that API
    # reads skip it: this notices a release that renames the hook, or a wrapper that skips too much.
    from flask import request as flask_request
    from flask_limiter import Limiter
    checked = []
    original = Limiter._check_request_limit

    def counting(self, callable_name=None, in_middleware=True):  # the views' decorators pass in_middleware=False
        if in_middleware:  # the before-request hook's check
            checked.append(flask_request.path)
        return original(self, callable_name, in_middleware)
    monkeypatch.setattr(Limiter, "_check_request_limit", counting)
    app = _app(db_url, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=True)
    client = app.test_client()
    assert client.get("/api/v1/search?near=92701").status_code == 200
    assert checked == []
    assert login(client, users["admin"], "wrong-password-guess-x").status_code == 401
    assert "/login" in checked


def test_security_headers_and_cookie_flags(app, users):
    client = app.test_client()
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    signed = login(client, users["case_manager"])
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/search").headers["Cache-Control"] == "no-store"


def test_security_headers_once_on_api_answers_and_a_view_s_own_kept(db_url):
    app = _app(db_url)

    @app.get("/test-own-frame-policy")
    def _own():
        return "framed", 200, {"x-frame-options": "SAMEORIGIN"}  # a header a view sets, in any case
    client = app.test_client()
    response = client.get("/api/v1/search?near=92701")
    assert response.status_code == 200
    for name, value in (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                        ("Referrer-Policy", "same-origin")):
        assert response.headers.getlist(name) == [value]
    assert len(response.headers.getlist("Content-Security-Policy")) == 1
    own = client.get("/test-own-frame-policy")
    assert own.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"] and own.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_scripts(app, signed_in):
    case = signed_in("case_manager")
    for path in ("/search?near=92701", f"/services/{KEPT_SERVICE}", "/referrals", "/reports/needs", "/account/totp"):
        html = case.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+=", html), path  # no inline event handlers either


def test_map_tiles_host_is_allowed_only_when_configured(db_url):
    app = _app(db_url, MAP_TILE_URL="https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")
    csp = app.test_client().get("/login").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tile.openstreetmap.org;" in csp


def test_first_user_from_the_cli(runner, app):
    result = runner.invoke(args=["users", "create", "Lead@Signpost.example", "--role", "admin",
                                 "--password", "harbor-lantern-orbit-47"])
    assert result.exit_code == 0, result.output
    weak = runner.invoke(args=["users", "create", "b@signpost.example", "--role", "admin", "--password", "password123"])
    assert weak.exit_code != 0 and "at least 12" in weak.output
    generated = runner.invoke(args=["users", "create", "c@signpost.example", "--role", "peer_worker"])
    assert generated.exit_code == 0 and "shown once" in generated.output
    password = generated.output.split("shown once): ")[1].split()[0]
    assert login(app.test_client(), "c@signpost.example", password).status_code == 302
    listed = runner.invoke(args=["users", "list"]).output
    assert '"email": "lead@signpost.example"' in listed and "password" not in listed
    demo = runner.invoke(args=["users", "demo"])
    assert demo.exit_code == 0 and "case.demo@signpost.example" in demo.output
    from web.cli.users import demo_logins
    assert ("peer.demo@signpost.example", "peer_worker", accounts.DEMO_PASSWORD) in demo_logins()
    with db.Session() as s:
        assert s.query(User).count() == 5  # lead, c and the three demo users
