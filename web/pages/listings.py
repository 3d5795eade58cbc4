"""/services/<id>: the listing page, the printable handout, "text this to my client", editing,
its history, and "report a problem" (open to anyone, rate limited, honeypot + fill time + CSRF)."""
from __future__ import annotations

import datetime as dt
import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from directory import db
from directory.staff import upkeep
from directory.catalog import views
from directory.staff.accounts import kept_organization_ids
from directory.staff.models import ProblemReport
from directory.staff.upkeep import EDITABLE_FIELDS, PROBLEM_KINDS, STATUSES, ListingError
from directory.catalog.codes import ATTRIBUTES
from directory.people import phones
from directory.people.models import OutboundMessage
from directory.referrals.operations import ReferralError, create_referral
from directory.catalog.search.query import SearchQuery
from directory.catalog.search.nearby import search
from directory.catalog.geo import Point
from web.auth import REPORT_LIMITS, limiter, roles_required
from web.pages import present

bp = Blueprint("listings", __name__)
GROUP_LABELS = {"gender": "Who it is for", "population": "Who it is for", "recovery": "Recovery",
                "access": "Getting in", "cost": "Cost", "format": "Format", "housing": "Housing",
                "meeting": "Meeting type"}
# The features, grouped as the form shows them: {heading: [(code, label), ...]}.
ATTRIBUTE_GROUPS: dict[str, list[tuple[str, str]]] = {}
for _code, (_label, _group) in ATTRIBUTES.items():
    ATTRIBUTE_GROUPS.setdefault(GROUP_LABELS.get(_group, _group.title()), []).append((_code, _label))
MIN_FILL_SECONDS = 3  # people take longer than this to write a report; scripts usually do not
HONEYPOT = "website"  # hidden from people by CSS; bots fill it


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _form_stamp() -> str:
    return URLSafeSerializer(current_app.secret_key, salt="report-form").dumps(time.time())


def _stamp_age(token: str) -> float | None:
    try:
        return time.time() - float(URLSafeSerializer(current_app.secret_key, salt="report-form").loads(token))
    except (BadSignature, TypeError, ValueError):
        return None


def can_edit_directly(session, service) -> bool:
    if not current_user.is_authenticated:
        return False
    if current_user.role == "admin":
        return True
    return current_user.role == "peer_worker" and service.organization_id in kept_organization_ids(session, current_user.id)


def _nearby_transport(session, detail: dict, now) -> list[dict]:
    if detail.get("latitude") is None:
        return []
    query = SearchQuery(origin=Point(detail["latitude"], detail["longitude"]), radius_km=16.0,
                        category="transportation", limit=4)
    items = views.search_items(session, search(session, query, now), now)
    return present.describe(session, [i for i in items if i["service_id"] != detail["service_id"]][:3])


def render_listing(service_id: str, status: int = 200, **extra):
    now = _now()
    with db.Session() as s:
        detail = views.service_detail(s, service_id, now)
        if detail is None:
            abort(404)
        present.describe_detail(s, detail)
        service = upkeep.load_service(s, service_id)
        context = dict(
            d=detail, nearby=_nearby_transport(s, detail, now), problem_kinds=PROBLEM_KINDS,
            stamp=_form_stamp(), honeypot=HONEYPOT,
            stale=upkeep.is_stale(service, now.date()), today=now,
            can_edit=can_edit_directly(s, service),
            history=upkeep.history(s, service_id, limit=20) if current_user.is_authenticated else [],
            tile_url=current_app.config["MAP_TILE_URL"],
        )
    context.update(extra)
    return render_template("listing.html", **context), status


@bp.get("/services/<service_id>")
def listing(service_id):
    return render_listing(service_id)


# --- text this to my client -----------------------------------------------------------------
def mask_phone(e164: str | None) -> str:
    return phones.mask(e164, dots="•••• ")


@bp.post("/services/<service_id>/text")
@roles_required("case_manager", "admin")
def text_to_client(service_id):
    try:
        phone = phones.checked(request.form.get("phone", ""))
    except ValueError as exc:
        return render_listing(service_id, 400, text_error=str(exc), phone_value=request.form.get("phone", ""))
    language = request.form.get("language", "en")
    if language not in ("en", "es"):
        language = "en"
    try:
        with db.Session.begin() as s:
            referral = create_referral(s, service_id=service_id, source="web", client_phone=phone,
                                       created_by=current_user.email, language=language)
            referral_id = referral.id
            sms_status = s.scalar(select(OutboundMessage.status).where(
                OutboundMessage.referral_id == referral_id, OutboundMessage.kind == "referral"))
    except ReferralError as exc:
        if exc.code == "not_found":
            abort(404)
        return render_listing(service_id, 400, text_error=str(exc))
    current_app.logger.info("referral %s created from the web", referral_id)  # never the number
    message, category = SENT_MESSAGES.get(sms_status, SENT_MESSAGES["queued"])
    flash(message.format(mask_phone(phone)), category)
    return redirect(url_for("listings.listing", service_id=service_id))


# What the case manager is told, by the outbox status of the text.
SENT_MESSAGES = {
    "queued": ("Texted to {}. Follow it on Referrals.", "success"),
    "outbox": ("Texted to {}: it is in the outbox (no SMS provider is set up here). Follow it on Referrals.", "success"),
    "blocked": ("{} has replied STOP to Signpost, so nothing was sent. Give them the handout instead.", "error"),
}


# --- report a problem -----------------------------------------------------------------------
@bp.post("/services/<service_id>/report")
@limiter.limit(REPORT_LIMITS)
def report_problem(service_id):
    form = request.form
    age = _stamp_age(form.get("stamp", ""))
    if form.get(HONEYPOT) or age is None or age < MIN_FILL_SECONDS:
        # Looks automated. Say so plainly: a person who was very quick can send it again.
        return render_listing(service_id, 400, report_error="That was sent too fast to be a person. "
                              "Wait a few seconds and send it again.", report_form=form)
    try:
        with db.Session.begin() as s:
            upkeep.report_problem(s, service_id, form.get("kind", ""), form.get("message", ""), form.get("contact"))
    except ListingError as exc:
        if str(exc) == "No such listing.":
            abort(404)
        return render_listing(service_id, 400, report_error=str(exc), report_form=form)
    flash("Thank you. An admin will check this listing.", "success")
    return redirect(url_for("listings.listing", service_id=service_id))


# --- editing --------------------------------------------------------------------------------
def _submitted_fields(form) -> dict[str, str]:
    """Only the fields the form sent: a field left out is left alone, never cleared. The features
    are checkboxes (unticked ones are not sent), so the form marks that it carried them."""
    submitted = {k: form[k] for k in EDITABLE_FIELDS if k in form and EDITABLE_FIELDS[k][1] != "attributes"}
    for name, (_label, kind, _max) in EDITABLE_FIELDS.items():
        if kind == "attributes" and form.get(f"{name}_sent"):
            submitted[name] = ",".join(form.getlist(name))
    return submitted


def _open_report(s, service_id: str, report_id) -> ProblemReport | None:
    """The problem report an admin came from (shown beside the form), if it is about this listing.
    Admins only: the queue is theirs, and a report may carry its sender's e-mail or phone."""
    if current_user.role != "admin":
        return None
    try:
        report = s.get(ProblemReport, int(report_id)) if report_id else None
    except (TypeError, ValueError):
        return None
    return report if report is not None and report.service_id == service_id else None


@bp.route("/services/<service_id>/edit", methods=["GET", "POST"])
@roles_required("peer_worker", "admin")
def edit(service_id):
    with db.Session.begin() as s:
        service = upkeep.load_service(s, service_id)
        if service is None:
            abort(404)
        direct = can_edit_directly(s, service)
        values = upkeep.field_values(service)
        report = _open_report(s, service_id, request.values.get("report"))
        page = dict(service=service, fields=EDITABLE_FIELDS, direct=direct, statuses=STATUSES, report=report,
                    problem_kinds=PROBLEM_KINDS, attribute_groups=ATTRIBUTE_GROUPS)
        if request.method == "GET":
            return render_template("listing_edit.html", values=values, **page)
        submitted = _submitted_fields(request.form)
        try:
            clean = upkeep.clean_changes(submitted, before=values)
        except ListingError as exc:
            return render_template("listing_edit.html", values=dict(values, **submitted), error=str(exc),
                                   error_field=exc.field, **page), 400
        if direct:
            changed = upkeep.apply_changes(s, service, clean, current_user.email)
            message = (f"Saved: {', '.join(EDITABLE_FIELDS[c][0].lower() for c in changed)}." if changed
                       else "Nothing changed.")
        else:
            edit_row = upkeep.propose_edit(s, service, clean, current_user.email)
            message = ("This listing is kept by someone else: your changes went to an admin for review."
                       if edit_row else "Nothing changed.")
        if report is not None and report.status == "open" and request.form.get("resolve_report"):
            upkeep.close_report(s, report.id, "resolved", current_user.email)
            message += " The problem report is closed as fixed."
    flash(message, "success")
    return redirect(url_for("listings.listing", service_id=service_id))


@bp.get("/services/<service_id>/history")
@roles_required("peer_worker", "case_manager", "admin")
def history(service_id):
    with db.Session() as s:
        service = upkeep.load_service(s, service_id)
        if service is None:
            abort(404)
        rows = upkeep.history(s, service_id)
    return render_template("history.html", service=service, rows=rows, fields=EDITABLE_FIELDS)
