"""/admin: users and roles, who keeps which organizations, the moderation and problem queues."""
from __future__ import annotations

import csv
import datetime as dt
import io

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_login import current_user
from sqlalchemy import func, select

from directory import db
from directory.staff import accounts
from directory.staff import upkeep
from directory.staff.accounts import AccountError
from directory.staff.models import OrganizationKeeper, User
from directory.staff.upkeep import ListingError
from directory.catalog.models import Organization
from directory.referrals import access_log
from directory.base import utcnow
from web.auth import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
MAX_ORGANIZATIONS_SUGGESTED = 20  # the type-ahead's choices; the page never lists every organization


def _render(status: int = 200, **extra):
    with db.Session() as s:
        users = accounts.list_users(s)
        keepers: dict[str, list[tuple[str, str]]] = {}
        for user_id, org_id, org_name in s.execute(
                select(OrganizationKeeper.user_id, Organization.id, Organization.name)
                .join(Organization, Organization.id == OrganizationKeeper.organization_id)
                .order_by(Organization.name)):
            keepers.setdefault(user_id, []).append((org_id, org_name))
        edits = upkeep.pending_edits(s)
        # What approving would replace: the listing's values now, beside the proposed ones.
        current = {e.id: upkeep.field_values(upkeep.load_service(s, e.service_id)) for e in edits}
        reports = upkeep.open_reports(s)
    return render_template("admin.html", users=users, keepers=keepers, edits=edits, current=current,
                           reports=reports, fields=upkeep.EDITABLE_FIELDS,
                           problem_kinds=upkeep.PROBLEM_KINDS, **extra), status


def organization_matches(session, text: str, limit: int = MAX_ORGANIZATIONS_SUGGESTED) -> list[tuple[str, str]]:
    """(id, name) of organizations whose name holds `text` (any case), names starting with it first."""
    text = " ".join((text or "").split())
    if len(text) < 2:
        return []
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    name = func.lower(Organization.name)
    rows = session.execute(select(Organization.id, Organization.name).where(name.like(pattern, escape="\\"))
                           .order_by(name.like(text.lower() + "%").desc(), Organization.name)
                           .limit(limit)).all()
    return [(r.id, r.name) for r in rows]


@bp.get("/organizations.json")
@roles_required("admin")
def organization_suggestions():
    """The organization picker's type-ahead (static/js/admin.js fills a datalist from it)."""
    with db.Session() as s:
        found = organization_matches(s, request.args.get("q", ""))
    return jsonify({"items": [{"id": i, "name": n} for i, n in found]})


def confirm_page(question: str, button: str, action: str, fields: dict, back: str, detail: str | None = None,
                 choices: list[tuple[str, str]] | None = None, choice_name: str | None = None):
    """A removal (or an ambiguous choice) asks first, on its own page: it works without JavaScript
    and under the CSP, and the cancel link goes back to where the admin was."""
    return render_template("confirm.html", question=question, button=button, action=action, fields=fields,
                           back=back, detail=detail, choices=choices or [], choice_name=choice_name)


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
        if action in ("deactivate", "reset_totp") and not request.form.get("confirmed"):
            question = (f"Disable {user.email}? They will be signed out and cannot sign in until enabled again."
                        if action == "deactivate" else
                        f"Reset the second factor of {user.email}? They will set up a new one at their next sign-in.")
            return confirm_page(question, "Yes, disable" if action == "deactivate" else "Yes, reset",
                                url_for("admin.change_user", user_id=user.id), {"action": action},
                                url_for("admin.dashboard") + "#users")
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
    back = url_for("admin.dashboard") + "#keepers"
    form = request.form
    with db.Session.begin() as s:
        user = s.get(User, form.get("user_id", ""))
        if user is None:
            abort(404)
        try:
            if form.get("action") == "remove":
                org = s.get(Organization, form.get("organization_id", ""))
                if not form.get("confirmed"):
                    return confirm_page(f"Stop {user.email} keeping {org.name if org else 'this organization'}?",
                                        "Yes, remove", url_for("admin.assign_keeper"),
                                        {"user_id": user.id, "organization_id": form.get("organization_id", ""),
                                         "action": "remove"}, back,
                                        detail="They will no longer update its beds and listings directly.")
                accounts.unassign_keeper(s, user.id, form.get("organization_id", ""))
                message = "Assignment removed."
            else:
                organization_id = form.get("organization_id", "")
                if not organization_id:  # typed in the picker: a name, or part of one
                    typed = form.get("organization", "").strip()
                    exact = s.execute(select(Organization.id).where(
                        func.lower(Organization.name) == typed.lower()).limit(2)).scalars().all()
                    if len(exact) == 1:
                        organization_id = exact[0]
                    else:
                        found = organization_matches(s, typed)
                        if not found:
                            raise AccountError(f"No organization is called '{typed}'. Type part of its name "
                                               "and pick it from the suggestions." if typed else
                                               "Type the organization's name first.")
                        return confirm_page(f"Which organization should {user.email} keep?", "Assign",
                                            url_for("admin.assign_keeper"), {"user_id": user.id}, back,
                                            choices=[(i, f"{n} ({i})") for i, n in found],
                                            choice_name="organization_id")
                accounts.assign_keeper(s, user, organization_id, current_user.email)
                org = s.get(Organization, organization_id)
                message = f"{user.email} now keeps the listings of {org.name if org else organization_id}."
        except AccountError as exc:
            flash(str(exc), "error")
            return redirect(back)
    flash(message, "success")
    return redirect(back)


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


# --- the referral access trail ----------------------------------------------------------------
ACCESS_PERIODS = {"1": "Last day", "7": "Last 7 days", "30": "Last 30 days", "365": "Last year", "": "All kept"}


def _access_filters() -> dict:
    args = request.args
    f = {"email": args.get("email", "").strip()[:200], "referral": args.get("referral", "").strip()[:64],
         "period": args.get("period", "30")}
    if f["period"] not in ACCESS_PERIODS:
        f["period"] = "30"
    return f


def _access_rows(s, f, limit):
    since = utcnow() - dt.timedelta(days=int(f["period"])) if f["period"] else None
    return access_log.entries(s, since=since, user_email=f["email"] or None, referral_id=f["referral"] or None,
                              limit=limit)


@bp.get("/access-log")
@roles_required("admin")
def access_log_page():
    """Who listed, opened or exported which referral (kept ACCESS_LOG_RETENTION_DAYS)."""
    f = _access_filters()
    with db.Session() as s:
        rows = _access_rows(s, f, access_log.MAX_ROWS)
    return render_template("access_log.html", rows=rows, f=f, periods=ACCESS_PERIODS, actions=access_log.ACTIONS,
                           max_rows=access_log.MAX_ROWS, retention_days=current_app.config["ACCESS_LOG_RETENTION_DAYS"])


@bp.get("/access-log.csv")
@roles_required("admin")
def access_log_csv():
    f = _access_filters()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at_utc", "user_email", "action", "referral_id", "remote_addr"])
    with db.Session() as s:
        for row in _access_rows(s, f, None):
            writer.writerow([row.at.isoformat(timespec="seconds"), row.user_email, row.action, row.referral_id,
                             row.remote_addr or ""])
    name = f"signpost-referral-access-{dt.date.today().isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})
