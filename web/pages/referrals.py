"""/referrals: what case managers sent, what the bot sent for people who agreed to share, and (for
admins) what clinics sent over FHIR; with outcome rates by source and need over a chosen period:
closed-loop rate (the share with a final status recorded: connected, not connected, provider full,
undeliverable) and got-help rate (the share connected).

Peer workers never see referrals (they are about patients). Phone numbers are never shown in
full, nor exported.
"""
from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from directory import db
from directory.referrals import access_log
from directory.referrals.models import Referral
from directory.catalog.models import Service
from directory.base import utcnow
from web.auth import roles_required
from web.pages.listings import mask_phone

bp = Blueprint("referrals", __name__)
STATUSES = {
    "sent": "Sent", "delivered": "Delivered", "accepted": "Accepted by the provider", "full": "Provider is full",
    "connected": "Connected", "not_connected": "Not connected", "failed": "Could not be delivered",
}
OUTCOMES = ("connected", "not_connected")  # what a case manager records after following up
PERIODS = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days", "": "All time"}
SOURCES = {"web": "Case managers", "bot": "The text line (shared)", "fhir": "Clinics (FHIR)"}
FINAL_STATUSES = ("connected", "not_connected", "full", "failed")  # the loop is closed: we know what happened
MAX_ROWS = 500


def visible_to_current_user():
    """Their own web referrals (admins: everyone's) and bot referrals shared with case managers."""
    shared_bot = and_(Referral.source == "bot", Referral.share_with_case_managers.is_(True))
    if current_user.role == "admin":
        return or_(Referral.source != "bot", shared_bot)
    return or_(and_(Referral.source != "bot", Referral.created_by == current_user.email), shared_bot)


def _filters():
    args = request.args
    f = {"status": args.get("status", ""), "source": args.get("source", ""),
         "period": args.get("period", "30"), "q": args.get("q", "").strip()[:100],
         "start": _date_arg(args.get("start")), "end": _date_arg(args.get("end"))}
    if f["status"] not in STATUSES:
        f["status"] = ""
    if f["source"] not in SOURCES:
        f["source"] = ""
    if f["period"] not in PERIODS:
        f["period"] = "30"
    return f


def _date_arg(value) -> str:
    """A chosen day (YYYY-MM-DD) or ''; anything else is ignored."""
    try:
        return dt.date.fromisoformat((value or "").strip()).isoformat()
    except ValueError:
        return ""


def source_label(source: str) -> str:
    if source == "bot":
        return "Text line"
    if source.startswith("fhir:"):
        return f"Clinic {source[5:]} (FHIR)"
    return "Case manager" if source == "web" else source


def _where(stmt, f, with_status=True):
    if with_status and f["status"]:
        stmt = stmt.where(Referral.status == f["status"])
    if f["source"] == "bot":
        stmt = stmt.where(Referral.source == "bot")
    elif f["source"] == "fhir":
        stmt = stmt.where(Referral.source.like("fhir:%"))
    elif f["source"] == "web":
        stmt = stmt.where(Referral.source != "bot", ~Referral.source.like("fhir:%"))
    if f["start"] or f["end"]:  # a chosen period wins over the presets
        if f["start"]:
            stmt = stmt.where(Referral.created_at >= dt.datetime.fromisoformat(f["start"]))
        if f["end"]:
            stmt = stmt.where(Referral.created_at < dt.datetime.fromisoformat(f["end"]) + dt.timedelta(days=1))
    elif f["period"]:
        stmt = stmt.where(Referral.created_at >= utcnow() - dt.timedelta(days=int(f["period"])))
    if f["q"]:
        stmt = stmt.where(Service.name.ilike(f"%{f['q']}%"))
    return stmt


def _query(f):
    stmt = (select(Referral).join(Service, Service.id == Referral.service_id).where(visible_to_current_user())
            .options(selectinload(Referral.service).selectinload(Service.organization))
            .order_by(Referral.created_at.desc()).limit(MAX_ROWS))
    return _where(stmt, f)


def outcome_rates(session, f) -> list[dict]:
    """Per source and need (and a total line per source): referrals, closed-loop and got-help rates.
    Over every referral the filters select (not only the rows shown), whatever their status."""
    final = func.sum(case((Referral.status.in_(FINAL_STATUSES), 1), else_=0))
    connected = func.sum(case((Referral.status == "connected", 1), else_=0))
    stmt = (select(Referral.source, Service.category, func.count(), final, connected)
            .join(Service, Service.id == Referral.service_id).where(visible_to_current_user())
            .group_by(Referral.source, Service.category))
    rows, totals = [], {}
    for source, need, n, closed, helped in session.execute(_where(stmt, f, with_status=False)):
        rows.append(_rate_row(source, need or "", n, closed or 0, helped or 0))
        t = totals.setdefault(source, [0, 0, 0])
        t[0], t[1], t[2] = t[0] + n, t[1] + (closed or 0), t[2] + (helped or 0)
    rows += [_rate_row(source, "all needs", *t) for source, t in totals.items()]
    rows.sort(key=lambda r: (r["source"], r["need"] == "all needs", r["need"]))
    return rows


def _rate_row(source, need, n, closed, helped) -> dict:
    return {"source": source, "source_label": source_label(source), "need": need, "referrals": n,
            "closed_loop": closed, "connected": helped,
            "closed_loop_rate": round(closed / n, 3) if n else None, "got_help_rate": round(helped / n, 3) if n else None}


def _record_access(session, action: str, referral_ids) -> None:
    """The access trail (directory/referrals/access_log.py): who saw which referral, from where."""
    access_log.record(session, current_user.id, current_user.email, action, referral_ids, request.remote_addr)


def _client_label(ref: Referral) -> str:
    if ref.source == "bot":
        return "Texted Signpost"
    phone = ref.client_phone or ""  # the referral keeps only the last digits (directory/people/phones.py)
    return mask_phone(phone) if phone.startswith("+") else (phone or "Client")


@bp.get("/referrals")
@roles_required("case_manager", "admin")
def referral_list():
    f = _filters()
    with db.Session.begin() as s:
        rows = s.scalars(_query(f)).all()
        counts = {}
        for r in rows:
            counts[r.status] = counts.get(r.status, 0) + 1
        rates = outcome_rates(s, f)
        _record_access(s, "list", [r.id for r in rows])
        s.expunge_all()
    return render_template("referrals.html", rows=rows, f=f, statuses=STATUSES, periods=PERIODS, counts=counts,
                           client_label=_client_label, outcomes=OUTCOMES, max_rows=MAX_ROWS, sources=SOURCES,
                           source_label=source_label, rates=rates)


@bp.get("/referrals.csv")
@roles_required("case_manager", "admin")
def referral_csv():
    f = _filters()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["referral_id", "created_at", "service", "organization", "category", "source", "status",
                     "sent_by", "code", "source_label", "closed_loop", "connected"])
    with db.Session.begin() as s:
        exported = []
        for r in s.scalars(_query(f)):
            writer.writerow([r.id, r.created_at.isoformat(timespec="seconds"), r.service.name,
                             r.service.organization.name, r.service.category, r.source, r.status,
                             r.created_by or "", r.code, source_label(r.source),
                             int(r.status in FINAL_STATUSES), int(r.status == "connected")])
            exported.append(r.id)
        _record_access(s, "export", exported)
    return _csv(out, "referrals")


@bp.get("/referrals/rates.csv")
@roles_required("case_manager", "admin")
def rates_csv():
    f = _filters()
    out = io.StringIO()
    fields = ["source", "source_label", "need", "referrals", "closed_loop", "connected", "closed_loop_rate",
              "got_help_rate"]
    writer = csv.DictWriter(out, fieldnames=fields)
    writer.writeheader()
    with db.Session() as s:
        for row in outcome_rates(s, f):
            writer.writerow(row)
    return _csv(out, "referral-outcomes")


def _csv(out, what: str):
    name = f"signpost-{what}-{dt.date.today().isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/referrals/<referral_id>")
@roles_required("case_manager", "admin")
def referral_detail(referral_id):
    with db.Session.begin() as s:
        ref = s.scalars(select(Referral).where(Referral.id == referral_id, visible_to_current_user())
                        .options(selectinload(Referral.service).selectinload(Service.organization))).first()
        if ref is None:
            abort(404)
        _record_access(s, "view", [ref.id])
        s.expunge_all()
    return render_template("referral.html", r=ref, statuses=STATUSES, client_label=_client_label, outcomes=OUTCOMES)


@bp.post("/referrals/<referral_id>/outcome")
@roles_required("case_manager", "admin")
def record_outcome(referral_id):
    outcome = request.form.get("status", "")
    if outcome not in OUTCOMES:
        abort(400)
    with db.Session.begin() as s:
        ref = s.scalars(select(Referral).where(Referral.id == referral_id, visible_to_current_user())).first()
        if ref is None:
            abort(404)
        ref.status = outcome
        ref.outcome_note = (request.form.get("note") or "").strip()[:500] or ref.outcome_note
    flash(f"Referral marked {STATUSES[outcome].lower()}.", "success")
    return redirect(url_for("referrals.referral_list"))
