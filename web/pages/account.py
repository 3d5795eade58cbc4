"""Signing in and out, the second factor (TOTP) and one's own password."""
from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from markupsafe import Markup

from directory import db
from directory.staff import accounts
from directory.staff.accounts import AccountError
from directory.staff.models import User
from directory.base import utcnow
from web.auth import (LOGIN_LIMIT_PER_EMAIL, LOGIN_LIMITS, CurrentUser, home_for, limiter, safe_next,
                      totp_required_for)

bp = Blueprint("account", __name__)
PENDING_KEY = "pending_2fa"  # user id and epoch between the password and the code
PENDING_SECONDS = 300
ENROL_KEY = "totp_enrol_secret"


def _email_key() -> str:
    return "login-email:" + (request.form.get("email") or "").strip().lower()[:200]


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    return redirect(url_for("account.login"))


@bp.post("/account/totp-reminder")
@login_required
def dismiss_totp_reminder():
    """"Not now" on the second-factor reminder: hidden until the next sign-in (the session starts afresh then)."""
    session["totp_reminder_dismissed"] = True
    return redirect(safe_next(request.form.get("next"), home_for(current_user.role)))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMITS, methods=["POST"])
@limiter.limit(LOGIN_LIMIT_PER_EMAIL, methods=["POST"], key_func=_email_key)
def login():
    if request.method == "GET":
        return render_template("login.html", email="", next=request.args.get("next", ""))
    email = (request.form.get("email") or "").strip().lower()
    password = request.form.get("password") or ""
    nxt = request.form.get("next") or ""
    with db.Session.begin() as s:
        user = accounts.get_by_email(s, email)
        ok = accounts.check_password(user, password) and user.active
        if not ok:
            # One message for unknown e-mail, wrong password and disabled account.
            return render_template("login.html", email=email, next=nxt,
                                   error="That e-mail and password do not match an active account."), 401
        session.clear()  # a fresh session at sign-in: no fixation
        if user.totp_enabled:
            session[PENDING_KEY] = {"id": user.id, "epoch": user.session_epoch or 0, "at": time.time(), "next": nxt}
            return redirect(url_for("account.login_totp"))
        user.last_login_at = utcnow()
        current = CurrentUser.from_row(user)
    login_user(current)
    if totp_required_for(current.role):
        return redirect(url_for("account.totp_setup"))
    return redirect(safe_next(nxt, home_for(current.role)))


@bp.route("/login/totp", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMITS, methods=["POST"])
def login_totp():
    pending = session.get(PENDING_KEY)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        flash("Sign in again: the code step expired.", "info")
        return redirect(url_for("account.login"))
    if request.method == "GET":
        return render_template("login_totp.html")
    with db.Session.begin() as s:
        user = s.get(User, pending["id"])
        if user is None or not user.active or (user.session_epoch or 0) != pending["epoch"]:
            session.pop(PENDING_KEY, None)
            return redirect(url_for("account.login"))
        if not accounts.verify_totp(user, request.form.get("code", "")):
            return render_template("login_totp.html",
                                   error="That code is not right. Enter the 6 digits your app shows now."), 401
        user.last_login_at = utcnow()
        current = CurrentUser.from_row(user)
    nxt = pending.get("next")
    session.clear()
    login_user(current)
    return redirect(safe_next(nxt, home_for(current.role)))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "GET":  # no state change by GET: show the button
        return render_template("logout.html")
    if current_user.is_authenticated:
        # Sessions live in a signed cookie; a new epoch makes every copy of it (and the account's
        # other sessions) worthless, so signing out really ends the session.
        with db.Session.begin() as s:
            user = s.get(User, current_user.id)
            if user is not None:
                user.session_epoch = (user.session_epoch or 0) + 1
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("account.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account_page():
    if request.method == "POST":
        with db.Session.begin() as s:
            user = s.get(User, current_user.id)
            if not accounts.check_password(user, request.form.get("current_password") or ""):
                return render_template("account.html", error="Your current password is not right."), 400
            new = request.form.get("new_password") or ""
            if new != (request.form.get("confirm_password") or ""):
                return render_template("account.html", error="The two new passwords differ."), 400
            try:
                accounts.set_password(s, user, new)
            except AccountError as exc:
                return render_template("account.html", error=str(exc)), 400
            current = CurrentUser.from_row(user)
        login_user(current)  # the new epoch ends every other session
        flash("Password changed. Other sessions are signed out.", "success")
        return redirect(url_for("account.account_page"))
    return render_template("account.html")


def _qr_svg(uri: str) -> Markup:
    import qrcode
    import qrcode.image.svg
    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg = img.to_string(encoding="unicode")
    return Markup(svg)  # our own generated markup, no user input in it besides the e-mail in the URI


@bp.route("/account/totp", methods=["GET", "POST"])
@login_required
def totp_setup():
    if current_user.totp_enabled:
        return render_template("totp_setup.html", enabled=True)
    secret = session.get(ENROL_KEY)
    if not secret:
        secret = session[ENROL_KEY] = accounts.new_totp_secret()
    uri = accounts.totp_uri(secret, current_user.email)
    if request.method == "POST":
        step = accounts.accepted_totp_step(secret, request.form.get("code", ""), None)
        if step is None:
            return render_template("totp_setup.html", qr=_qr_svg(uri), secret=secret,
                                   error="That code is not right. Check the time on your phone and try the next code."), 400
        with db.Session.begin() as s:
            user = s.get(User, current_user.id)
            accounts.set_totp_secret(user, secret)
            user.totp_last_step = step
            current = CurrentUser.from_row(user)
        session.pop(ENROL_KEY, None)
        login_user(current)
        current_app.logger.info("TOTP enrolled for user %s", current.id)
        flash("Second factor set up. You will be asked for a code when you sign in.", "success")
        return redirect(home_for(current.role))
    return render_template("totp_setup.html", qr=_qr_svg(uri), secret=secret)
