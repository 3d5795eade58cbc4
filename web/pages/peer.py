"""/my-listings: a peer worker's listings, places with beds first, then stale ones, with one-tap beds
and "still accurate"; what a tap did is said in that listing's card."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from directory import db
from directory.staff import upkeep
from directory.staff.accounts import kept_organization_ids
from directory.staff.upkeep import ListingError
from web.auth import roles_required
from web.pages import present

bp = Blueprint("peer", __name__)


def _today() -> dt.date:
    return dt.date.today()


@bp.get("/my-listings")
@roles_required("peer_worker")
def my_listings():
    today = _today()
    with db.Session() as s:
        rows = upkeep.listings_of(s, kept_organization_ids(s, current_user.id), today)
        stale = {r.id for r in rows if upkeep.is_stale(r, today)}
        beds = {r.id for r in rows if upkeep.takes_beds(r)}
        sources = {r.id: present.source_label(r.id, r.url) for r in rows}  # imported from where, if imported
    return render_template("my_listings.html", rows=rows, stale=stale, today=today, beds=beds, sources=sources,
                           stale_days=upkeep.STALE_AFTER_DAYS)


def _kept_service(session, service_id):
    """The service, if this peer worker keeps it: 404 when missing, 403 when someone else's."""
    service = upkeep.load_service(session, service_id)
    if service is None:
        abort(404)
    if service.organization_id not in kept_organization_ids(session, current_user.id):
        abort(403)
    return service


@bp.post("/my-listings/<service_id>/beds")
@roles_required("peer_worker")
def set_beds(service_id):
    with db.Session.begin() as s:
        service = _kept_service(s, service_id)
        try:
            if request.form.get("delta"):
                delta = int(request.form["delta"])
                if delta not in (-1, 1):
                    raise ValueError
                target = max(0, (service.capacity_available or 0) + delta)
            else:
                target = int((request.form.get("available") or "").strip())
            upkeep.set_available_beds(s, service, target, current_user.email)
            name, available = service.name, service.capacity_available
        except ValueError as exc:
            message = str(exc) if isinstance(exc, ListingError) else "Enter the number of free beds (0 or more)."
            flash(message, f"card-error:{service_id}")
            return redirect(url_for("peer.my_listings") + f"#s-{service_id}")
    # Shown in the listing's own card (my_listings.html), where the tap was: not at the top, off-screen.
    flash(f"{name}: {available} free, updated now.", f"card:{service_id}")
    return redirect(url_for("peer.my_listings") + f"#s-{service_id}")


@bp.post("/my-listings/<service_id>/verify")
@roles_required("peer_worker")
def verify(service_id):
    with db.Session.begin() as s:
        service = _kept_service(s, service_id)
        upkeep.confirm_accurate(s, service, current_user.email, _today())
        name = service.name
    flash(f"{name}: marked as checked today.", f"card:{service_id}")
    return redirect(url_for("peer.my_listings") + f"#s-{service_id}")
