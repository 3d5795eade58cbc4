"""/admin: users and roles, who keeps which organizations, the moderation and problem queues."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from directory import db
from directory.staff import accounts
from directory.staff import upkeep
from directory.staff.accounts import AccountError
from directory.staff.models import OrganizationKeeper, User
from directory.staff.upkeep import ListingError
from directory.catalog.models import Organization
from web.auth import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
MAX_ORGANIZATIONS_LISTED = 2000


def _render(status: int = 200, **extra):
    with db.Session() as s:
        users = accounts.list_users(s)
        keepers: dict[str, list[tuple[str, str]]] = {}
        for user_id, org_id, org_name in s.execute(
                select(OrganizationKeeper.user_id, Organization.id, Organization.name)
                .join(Organization, Organization.id == OrganizationKeeper.organization_id)
                .order_by(Organization.name)):
            keepers.setdefault(user_id, []).append((org_id, org_name))
        organizations = s.execute(select(Organization.id, Organization.name).order_by(Organization.name)
                                  .limit(MAX_ORGANIZATIONS_LISTED)).all()
        edits = upkeep.pending_edits(s)
        reports = upkeep.open_reports(s)
    return render_template("admin.html", users=users, keepers=keepers, organizations=organizations,
                           edits=edits, reports=reports, fields=upkeep.EDITABLE_FIELDS,
                           problem_kinds=upkeep.PROBLEM_KINDS, **extra), status


@bp.get("")
@roles_required("admin")
def dashboard():
    return _render()


@bp.post("/users")
@roles_required("admin")
def create_user():
    email, role = request.form.get("email", ""), request.form.get("role", "")
    password = request.form.get("password") or ""
    generated = not password
    if generated:
        password = accounts.generate_password()
    try:
        with db.Session.begin() as s:
            user = accounts.create_user(s, email, role, password)
            email = user.email
    except AccountError as exc:
        return _render(400, user_error=str(exc), user_form=request.form)
    current_app.logger.info("user %s created by %s", email, current_user.email)
    # Shown once on this page (not flashed: the session cookie is signed, not encrypted).
    return _render(201, created=(email, password if generated else None))


@bp.post("/users/<user_id>")
@roles_required("admin")
def change_user(user_id):
    action = request.form.get("action", "")
    with db.Session.begin() as s:
        user = s.get(User, user_id)
        if user is None:
            abort(404)
        try:
            if user.id == current_user.id and action in ("role", "deactivate"):
                raise AccountError("You cannot change your own role or deactivate yourself; ask another admin.")
            if action == "role":
                accounts.set_role(user, request.form.get("role", ""))
                message = f"{user.email} is now {accounts.ROLES[user.role].lower()}."
            elif action == "deactivate":
                accounts.set_active(user, False)
                message = f"{user.email} can no longer sign in."
            elif action == "activate":
                accounts.set_active(user, True)
                message = f"{user.email} can sign in again."
            elif action == "reset_totp":
                user.totp_secret, user.totp_last_step = None, None
                user.session_epoch = (user.session_epoch or 0) + 1
                message = f"{user.email} will set up a new second factor at the next sign-in."
            else:
                abort(400)
        except AccountError as exc:
            flash(str(exc), "error")
            return redirect(url_for("admin.dashboard") + "#users")
    flash(message, "success")
    return redirect(url_for("admin.dashboard") + "#users")


@bp.post("/keepers")
@roles_required("admin")
def assign_keeper():
    with db.Session.begin() as s:
        user = s.get(User, request.form.get("user_id", ""))
        if user is None:
            abort(404)
        try:
            if request.form.get("action") == "remove":
                accounts.unassign_keeper(s, user.id, request.form.get("organization_id", ""))
                message = "Assignment removed."
            else:
                accounts.assign_keeper(s, user, request.form.get("organization_id", ""), current_user.email)
                message = f"{user.email} now keeps that organization's listings."
        except AccountError as exc:
            flash(str(exc), "error")
            return redirect(url_for("admin.dashboard") + "#keepers")
    flash(message, "success")
    return redirect(url_for("admin.dashboard") + "#keepers")


@bp.post("/edits/<int:edit_id>")
@roles_required("admin")
def review_edit(edit_id):
    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        abort(400)
    try:
        with db.Session.begin() as s:
            upkeep.review_edit(s, edit_id, decision == "approve", current_user.email)
    except ListingError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.dashboard") + "#moderation")
    flash("Edit approved and published." if decision == "approve" else "Edit rejected.", "success")
    return redirect(url_for("admin.dashboard") + "#moderation")


@bp.post("/reports/<int:report_id>")
@roles_required("admin")
def close_report(report_id):
    try:
        with db.Session.begin() as s:
            upkeep.close_report(s, report_id, request.form.get("status", ""), current_user.email)
    except ListingError as exc:
        flash(str(exc), "error")
    else:
        flash("Report closed.", "success")
    return redirect(url_for("admin.dashboard") + "#problems")
