"""The JSON API under /api/v1: geo search, HSDS-style reads, referrals, and its OpenAPI document.

Every error is `{"error": {"code", "message"}}` with a 4xx status (5xx only when the server
itself fails, and then without details). Pagination is capped.
"""
from __future__ import annotations

import datetime as dt
import hmac
import math

import orjson

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import HTTPException

from directory import db
from directory.catalog import geo
from directory.catalog import hsds
from directory.catalog import views
from directory.catalog.geo import InvalidQuery
from directory.catalog.geocode import PlaceNotFound, default_geocoder
from directory.catalog.models import Address, Location, Organization, Service, ServiceAtLocation, TaxonomyTerm
from directory.catalog.search.query import build_query
from directory.catalog.search import log as search_log
from directory.catalog.search.nearby import all_within, search
from web.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_PER_PAGE = 100


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str):
    return jsonify({"error": {"code": code, "message": message}}), status


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.status, exc.code, exc.message)


@bp.errorhandler(InvalidQuery)
def _invalid(exc: InvalidQuery):
    return error_response(400, exc.code, str(exc))


@bp.errorhandler(PlaceNotFound)
def _unknown_place(exc: PlaceNotFound):
    return error_response(422, "unknown_place", str(exc))


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException):
    return error_response(exc.code or 400, (exc.name or "error").lower().replace(" ", "_"), exc.description or exc.name)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    current_app.logger.exception("API error on %s", request.path)  # path only: no query, no body
    return error_response(500, "internal_error", "Something went wrong on our side. Try again in a minute.")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _page_args():
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 20))
    except ValueError:
        raise ApiError(400, "bad_request", "page and per_page must be whole numbers.") from None
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ApiError(400, "bad_request", f"page must be 1 or more and per_page between 1 and {MAX_PER_PAGE}.")
    return page, per_page


def _hsds_page(session, stmt, page, per_page, render):
    """HSDS 3.0 Page: total_items, total_pages, page_number, size, first_page, last_page, empty, contents."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    contents = render(rows)
    pages = max(1, math.ceil(total / per_page))
    return {"total_items": total, "total_pages": pages, "page_number": page, "size": len(contents),
            "first_page": page == 1, "last_page": page >= pages, "empty": not contents, "contents": contents}


def _base_url() -> str:
    return request.url_root.rstrip("/")


# --- search ---------------------------------------------------------------------------------
@bp.get("/search")
def search_endpoint():
    query = build_query(request.args, default_geocoder())
    now = _now()
    with db.engine().connect() as conn:  # read-only: a Connection, not a Session (see search())
        result = search(conn, query, now, listing_ids=False)  # present reads them with the cards
        items = views.search_items(conn, result, now, _base_url())
    if current_app.config["LOG_SEARCHES"] and query.offset == 0:
        search_log.record(query, "bot" if _is_service_call() else "api", len(items))
    meta = {
        "limit": query.limit, "offset": query.offset, "returned": len(items), "has_more": result.has_more,
        "next_offset": query.offset + query.limit if result.has_more else None, "total": result.total,
        "radius_km": query.radius_km,
        "origin": {"lat": query.origin.lat, "lon": query.origin.lon,
                   "label": query.place.label if query.place else None,
                   "precision": query.place.precision if query.place else "point"},
        "filters": {"category": query.category, "attributes": list(query.attributes),
                    "language": query.language, "when": query.when, "has_vacancy": query.has_vacancy, "q": query.q},
    }
    # orjson: the same JSON (sorted keys, like jsonify) in a fifth of the time; this is the hot path.
    return current_app.response_class(orjson.dumps({"items": items, "_meta": meta}, option=orjson.OPT_SORT_KEYS),
                                      mimetype="application/json")


def _is_service_call() -> bool:
    token = current_app.config.get("SERVICE_TOKEN")
    header = request.headers.get("Authorization", "")
    return bool(token) and header.startswith("Bearer ") and hmac.compare_digest(header[7:], token)


# --- HSDS-style reads -----------------------------------------------------------------------
def _service_options():
    return (selectinload(Service.organization), selectinload(Service.phones), selectinload(Service.schedules),
            selectinload(Service.languages),
            selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location).selectinload(Location.addresses),
            selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location).selectinload(Location.phones),
            selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location).selectinload(Location.accessibility))


def _render_services(session, rows, full=True):
    link_ids = [r.id for r in rows] + [sal.location_id for r in rows for sal in r.service_at_locations] if full else []
    attrs = hsds.attributes_by_link(session, link_ids) if full else {}
    return [hsds.service(r, attrs, full=full) for r in rows]


@bp.get("/services")
def services():
    page, per_page = _page_args()
    stmt = select(Service).order_by(Service.name, Service.id)
    if request.args.get("search"):
        stmt = stmt.where(Service.name.ilike(f"%{request.args['search'][:100]}%"))
    if request.args.get("organization_id"):
        stmt = stmt.where(Service.organization_id == request.args["organization_id"])
    if request.args.get("category"):
        stmt = stmt.where(Service.category == request.args["category"])
    if request.args.get("taxonomy_term_id"):
        from directory.catalog.models import Attribute
        stmt = stmt.where(Service.id.in_(select(Attribute.link_id).where(
            Attribute.taxonomy_term_id == request.args["taxonomy_term_id"])))
    full = request.args.get("full", "true").lower() != "false"
    with db.Session() as s:
        stmt = stmt.options(*_service_options()) if full else stmt
        return jsonify(_hsds_page(s, stmt, page, per_page, lambda rows: _render_services(s, rows, full)))


@bp.get("/services/<service_id>")
def service_detail(service_id):
    with db.Session() as s:
        svc = s.scalars(select(Service).where(Service.id == service_id).options(*_service_options())).first()
        if svc is None:
            raise ApiError(404, "not_found", f"No service with id '{service_id}'.")
        doc = _render_services(s, [svc])[0]
        # Our reading of it for people and the bot: open now, next meeting, capacity.
        doc["signpost"] = views.service_detail(s, service_id, _now(), _base_url(), svc=svc)
        return jsonify(doc)


@bp.get("/organizations")
def organizations():
    page, per_page = _page_args()
    stmt = select(Organization).order_by(Organization.name, Organization.id)
    if request.args.get("search"):
        stmt = stmt.where(Organization.name.ilike(f"%{request.args['search'][:100]}%"))
    with db.Session() as s:
        return jsonify(_hsds_page(s, stmt, page, per_page, lambda rows: [hsds.organization(o) for o in rows]))


@bp.get("/organizations/<org_id>")
def organization_detail(org_id):
    with db.Session() as s:
        org = s.get(Organization, org_id)
        if org is None:
            raise ApiError(404, "not_found", f"No organization with id '{org_id}'.")
        svcs = s.scalars(select(Service).where(Service.organization_id == org_id).order_by(Service.name)
                         .options(*_service_options())).all()
        return jsonify(hsds.organization(org, _render_services(s, svcs)))


@bp.get("/service_at_locations")
def service_at_locations():
    page, per_page = _page_args()
    stmt = (select(ServiceAtLocation).join(Location, Location.id == ServiceAtLocation.location_id)
            .order_by(ServiceAtLocation.id)
            .options(selectinload(ServiceAtLocation.service),
                     selectinload(ServiceAtLocation.location).selectinload(Location.addresses),
                     selectinload(ServiceAtLocation.location).selectinload(Location.phones),
                     selectinload(ServiceAtLocation.location).selectinload(Location.accessibility)))
    if request.args.get("taxonomy_term_id"):
        from directory.catalog.models import Attribute
        stmt = stmt.where(ServiceAtLocation.service_id.in_(select(Attribute.link_id).where(
            Attribute.taxonomy_term_id == request.args["taxonomy_term_id"])))
    if request.args.get("organization_id"):
        stmt = stmt.where(Location.organization_id == request.args["organization_id"])
    postcode = (request.args.get("postcode") or "").strip()
    proximity = request.args.get("proximity")
    if proximity not in (None, "") and not postcode:
        raise ApiError(400, "bad_request", "proximity needs a postcode to measure from.")
    with db.Session() as s:
        def render(rows):
            attrs = hsds.attributes_by_link(s, [r.location_id for r in rows])
            return [hsds.service_at_location(r, attrs) for r in rows]
        if postcode and proximity not in (None, ""):
            # Within `proximity` metres of the postcode's centroid, nearest first; every match counts.
            try:
                metres = float(proximity)
            except ValueError:
                raise ApiError(400, "bad_request", "proximity must be a number of metres.") from None
            radius = geo.validate_radius(metres / 1000.0)
            q = build_query({"near": postcode, "radius_km": str(radius), "limit": "100"}, default_geocoder())
            return jsonify(_page_of_ids(s, stmt, all_within(s, q), page, per_page, render))
        if postcode:
            stmt = stmt.where(ServiceAtLocation.location_id.in_(
                select(Address.location_id).where(Address.postal_code == postcode)))
        return jsonify(_hsds_page(s, stmt, page, per_page, render))


def _page_of_ids(session, stmt, ids: list[str], page: int, per_page: int, render) -> dict:
    """An HSDS page of `stmt`'s rows among `ids`, in the order of `ids`, counting every one of them
    that the statement's other filters keep (checked in chunks, whatever the number of ids)."""
    kept: set[str] = set()
    only_ids = stmt.with_only_columns(ServiceAtLocation.id).order_by(None)
    for start in range(0, len(ids), 1000):
        kept.update(session.scalars(only_ids.where(ServiceAtLocation.id.in_(ids[start:start + 1000]))))
    ordered = [i for i in ids if i in kept]
    wanted = ordered[(page - 1) * per_page:page * per_page]
    rows = {r.id: r for r in session.scalars(stmt.where(ServiceAtLocation.id.in_(wanted)))} if wanted else {}
    contents = render([rows[i] for i in wanted if i in rows])
    pages = max(1, math.ceil(len(ordered) / per_page))
    return {"total_items": len(ordered), "total_pages": pages, "page_number": page, "size": len(contents),
            "first_page": page == 1, "last_page": page >= pages, "empty": not contents, "contents": contents}


@bp.get("/service_at_locations/<sal_id>")
def service_at_location_detail(sal_id):
    with db.Session() as s:
        sal = s.get(ServiceAtLocation, sal_id)
        if sal is None:
            raise ApiError(404, "not_found", f"No service_at_location with id '{sal_id}'.")
        return jsonify(hsds.service_at_location(sal, hsds.attributes_by_link(s, [sal.location_id, sal.service_id])))


@bp.get("/taxonomy_terms")
def taxonomy_terms():
    page, per_page = _page_args()
    stmt = select(TaxonomyTerm).order_by(TaxonomyTerm.taxonomy, TaxonomyTerm.code, TaxonomyTerm.id)
    if request.args.get("taxonomy"):
        stmt = stmt.where(TaxonomyTerm.taxonomy == request.args["taxonomy"])
    if request.args.get("parent_id"):
        stmt = stmt.where(TaxonomyTerm.parent_id == request.args["parent_id"])
    if request.args.get("search"):
        stmt = stmt.where(TaxonomyTerm.name.ilike(f"%{request.args['search'][:100]}%"))
    with db.Session() as s:
        return jsonify(_hsds_page(s, stmt, page, per_page, lambda rows: [hsds.taxonomy_term(t) for t in rows]))


@bp.get("/taxonomy_terms/<term_id>")
def taxonomy_term_detail(term_id):
    with db.Session() as s:
        t = s.get(TaxonomyTerm, term_id)
        if t is None:
            raise ApiError(404, "not_found", f"No taxonomy term with id '{term_id}'.")
        return jsonify(hsds.taxonomy_term(t))


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(_base_url()))


# --- referrals ------------------------------------------------------------------------------
@bp.post("/referrals")
def create_referral():
    from directory.referrals.operations import ReferralError, create_referral as make
    if not _is_service_call():
        raise ApiError(401, "unauthorized", "Send the service token as 'Authorization: Bearer <token>'.")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "Send a JSON object with service_id and client_ref.")
    service_id = body.get("service_id")
    if not isinstance(service_id, str) or not service_id:
        raise ApiError(400, "bad_request", "service_id is required.")
    client_ref = body.get("client_ref")
    if client_ref is not None and (not isinstance(client_ref, str) or len(client_ref) > 100):
        raise ApiError(400, "bad_request", "client_ref must be a string of at most 100 characters.")
    language = body.get("language", "en")
    if language not in ("en", "es"):
        raise ApiError(400, "bad_request", "language must be 'en' or 'es'.")
    try:
        with db.Session.begin() as s:
            ref = make(s, service_id=service_id, source=str(body.get("source") or "bot")[:20],
                       client_ref=client_ref, created_by="bot",
                       share_with_provider=bool(body.get("share_with_provider")), language=language)
            from directory.people.models import OutboundMessage
            sms = s.scalars(select(OutboundMessage).where(OutboundMessage.referral_id == ref.id)).first()
            out = {"id": ref.id, "status": ref.status, "code": ref.code, "service_id": ref.service_id,
                   "sms_body": sms.body if sms else None}
    except ReferralError as exc:
        raise ApiError(404 if exc.code == "not_found" else 400, exc.code, str(exc)) from None
    return jsonify({"referral": out}), 201
