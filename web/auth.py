"""Who is signed in and what they may do: Flask-Login sessions, roles, CSRF, rate limits, headers.

- Sessions: Flask-Login with "strong" protection; the session id carries the user's
  `session_epoch`, so a password change, role change or deactivation ends older sessions.
- Second factor: admins and case managers must enrol TOTP when REQUIRE_TOTP is on (the default
  outside development). In development it is offered, not forced, so demo logins just work.
- CSRF: every state-changing request outside the machine endpoints (/api/ with its bearer token,
  /sms/ with Twilio's signature) must carry the Flask-WTF token.
- Rate limits: Flask-Limiter (memory by default; RATELIMIT_STORAGE_URI=redis://... when several
  processes serve).
- Headers: a Content-Security-Policy without inline scripts, nosniff, no framing, no caching of
  signed-in pages.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from directory import db
from directory.staff.accounts import ROLES, TOTP_ROLES
from directory.staff.models import User

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# Machine endpoints authenticate otherwise (bearer token, Twilio signature) and carry no cookie.
CSRF_EXEMPT_PREFIXES = ("/api/", "/sms/", "/fhir")  # /fhir: each client's bearer token
# Per address: a shared office (one public IP) signs in many people at the start of a shift, so
# the per-IP limit is loose; guessing one account's password is held back by the per-e-mail limit.
LOGIN_LIMITS = "30 per minute;300 per hour"
LOGIN_LIMIT_PER_EMAIL = "20 per hour"
REPORT_LIMITS = "5 per minute;20 per day"


@dataclass
class CurrentUser:
    """What a request knows about the signed-in person (a plain copy, not a live ORM row)."""
    id: str
    email: str
    role: str
    totp_enabled: bool
    session_epoch: int
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @classmethod
    def from_row(cls, user: User) -> "CurrentUser":
        return cls(user.id, user.email, user.role, user.totp_enabled, user.session_epoch or 0)


@login_manager.user_loader
def _load_user(session_id: str) -> CurrentUser | None:
    user_id, _, epoch = session_id.partition(":")
    with db.Session() as s:
        user = s.get(User, user_id)
        if user is None or not user.active or str(user.session_epoch or 0) != epoch:
            return None
        return CurrentUser.from_row(user)


def totp_required_for(role: str) -> bool:
    return bool(current_app.config["REQUIRE_TOTP"]) and role in TOTP_ROLES


def roles_required(*roles: str):
    """Signed in, with one of these roles, and enrolled in TOTP where that is required."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            if totp_required_for(current_user.role) and not current_user.totp_enabled:
                flash("Set up your second factor (an authenticator app) before going on.", "info")
                return redirect(url_for("account.totp_setup"))
            return view(*args, **kwargs)
        return wrapped
    return decorator


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths, so the login form is not an open redirect."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def error_page(code: int, title: str, message: str):
    """A styled error page with a way back (the page the person came from, when it is on this site)."""
    referrer = request.referrer or ""
    host = request.host_url.rstrip("/")
    back = safe_next(referrer[len(host):], "") if referrer.startswith(host + "/") else ""
    return render_template("error.html", code=code, title=title, message=message, back=back), code


def home_for(role: str) -> str:
    return url_for("peer.my_listings") if role == "peer_worker" else url_for("search.search_page")


def _tile_origin(tile_url: str) -> str:
    parts = urlsplit(tile_url)
    if not parts.scheme or not parts.netloc:
        return ""
    host = parts.netloc.replace("{s}", "*")
    return f"{parts.scheme}://{host}"


def content_security_policy(tile_url: str) -> str:
    img = " ".join(p for p in ("'self'", "data:", _tile_origin(tile_url)) if p)
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src " + img + "; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the signer for requests that carry no
    session cookie (API and SMS calls): an empty session, as Flask would open, at less cost."""

    def open_session(self, app, request):
        if app.config["SESSION_COOKIE_NAME"] not in request.cookies and app.secret_key:
            return self.session_class()
        return super().open_session(app, request)


def init_app(app) -> None:
    dev = app.config.get("SIGNPOST_ENV", "development") == "development"
    env = os.environ
    app.config.setdefault("REQUIRE_TOTP", env.get("REQUIRE_TOTP", "" if dev else "1").lower() in ("1", "true", "yes"))
    app.config.setdefault("MAP_TILE_URL", env.get("MAP_TILE_URL", ""))
    app.config.setdefault("MAP_ATTRIBUTION", env.get("MAP_ATTRIBUTION", "© OpenStreetMap contributors"))
    app.config.setdefault("RATELIMIT_STORAGE_URI", env.get("RATELIMIT_STORAGE_URI", "memory://"))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Flask has its own defaults for these, so they are set, not defaulted. Local development
    # runs on plain http://127.0.0.1, where a Secure cookie would never come back.
    app.config.update(SESSION_COOKIE_SECURE=not dev, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      REMEMBER_COOKIE_SECURE=not dev, REMEMBER_COOKIE_HTTPONLY=True,
                      PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=12))
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    # We decide which requests need the token (see _csrf_protect), not Flask-WTF's default hook.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    if app.config.get("SECRET_KEY") is None:
        raise RuntimeError("Set SECRET_KEY (a long random string) outside development.")

    app.session_interface = CookieSessions()
    login_manager.login_view = "account.login"
    login_manager.login_message = "Sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    # No limit applies to the API's reads (only sign-in and problem reports are limited), so they
    # skip Flask-Limiter's per-request check, which even with nothing to limit costs 2-3% of a
    # search (a request_filter runs only after most of it). Its hook is wrapped, not turned off
    # (auto_check=False): auto_check also drives the decorators on the sign-in views.
    # (The hook is Flask-Limiter's own method, not public API: if a release renames it, nothing is
    # wrapped and API reads are merely checked too; test_auth notices.)
    hooks = app.before_request_funcs.get(None, [])
    check_limits = getattr(limiter, "_check_request_limit", None)
    if check_limits in hooks:  # (not registered when RATELIMIT_ENABLED is off)

        def _check_limits_unless_api_read():
            if request.method == "GET" and request.path.startswith("/api/"):
                return None
            return check_limits()

        hooks[hooks.index(check_limits)] = _check_limits_unless_api_read

    @app.before_request
    def _csrf_protect():
        if not app.config.get("WTF_CSRF_ENABLED", True):
            return
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return
        if request.path.startswith(CSRF_EXEMPT_PREFIXES):
            return
        csrf.protect()

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        return render_template("error.html", title="Form expired",
                               message="This form expired or came from another site. Go back, reload the page "
                                       "and send it again."), 400

    @app.errorhandler(429)
    def _too_many(exc):
        if request.path.startswith("/api/"):
            from web.api import error_response
            return error_response(429, "too_many_requests", "Too many requests; wait a minute and try again.")
        return render_template("error.html", title="Too many attempts",
                               message="Too many attempts from here. Wait a minute, then try again."), 429

    @app.errorhandler(403)
    def _forbidden(exc):
        if request.path.startswith("/api/"):
            from web.api import error_response
            return error_response(403, "forbidden", "You may not do that.")
        return error_page(403, "Not allowed", "Your account cannot open this page. Ask an admin if you need it.")

    csp = content_security_policy(app.config["MAP_TILE_URL"])
    session_cookie = app.config.get("SESSION_COOKIE_NAME", "session")

    security = [("Content-Security-Policy", csp), ("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                ("Referrer-Policy", "same-origin")] + ([] if dev else [("Strict-Transport-Security", "max-age=31536000")])

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        # Those a view has not set itself: one pass over the few headers a response has, where five
        # setdefault calls scan them five times (this runs on every request).
        present = {name.lower() for name, _value in headers.items()}
        headers.extend([(name, value) for name, value in security if name.lower() not in present])
        # Loading the signed-in user costs a session decode and a database read: only when a
        # cookie could sign someone in (machine calls to /api/ and /sms/ carry none).
        if request.endpoint != "static" and (session_cookie in request.cookies or "remember_token" in request.cookies) \
                and current_user and current_user.is_authenticated:
            headers["Cache-Control"] = "no-store"  # signed-in pages stay out of shared caches
        return response
