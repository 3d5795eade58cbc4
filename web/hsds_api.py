"""The HSDS 3.0 read API under /api/v1 (the official OpenAPI's endpoints and parameters).

Every parameter of ../shared/data/hsds-3.0/schema/openapi.json is implemented (`format=ndjson`:
every result, one document a line, no pages); a parameter an endpoint does not know is a 400. Lists carry each
record's direct fields; `full=true` (and, for organizations, `full_service=true`) nests the rest. Taxonomies are the
distinct `taxonomy` names of our terms (we keep no taxonomy table): the name is the id, a UUID in
documents, and either names one.
Ids are HSDS UUIDs (directory.catalog.hsds_ids); a request may name a record by either id.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import math

from flask import current_app, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from directory import db
from directory.catalog import geo, hsds, views
from directory.catalog.codes import CATEGORIES
from directory.catalog.export import to_hsds
from directory.catalog.geocode import default_geocoder
from directory.catalog.hsds_ids import native_id
from directory.catalog.models import (Address, Attribute, Location, Organization, Service, ServiceAtLocation,
                                      TaxonomyTerm)
from directory.catalog.search.nearby import all_within
from directory.catalog.search.query import build_query
from web.api import ApiError, bp
from web.api import _base_url as base_url, _now as now
from web.http_input import BadInput, strict_bool, whole_number

MAX_PER_PAGE = 100
HSDS_VERSION = "3.0"
HSDS_PROFILE = "https://openreferral.org/"
PAGING = ("page", "per_page", "format")


def accepts(*names: str):
    """The endpoint's query parameters; any other is a 400 (silently ignoring a filter returns too much)."""
    known = frozenset(names)

    def wrap(view):
        @functools.wraps(view)
        def checked(*args, **kwargs):
            unknown = sorted(set(request.args) - known)
            if unknown:
                raise BadInput(f"Unknown parameter '{unknown[0]}' here. Known: {', '.join(sorted(known)) or 'none'}.",
                               code="unknown_parameter")
            empty = sorted(name for name, value in request.args.items() if value == "" and name != "search")
            if empty:
                raise BadInput(f"{empty[0]} is empty: give it a value or leave it out.")
            if request.args.get("format", "json") not in ("json", "ndjson"):
                raise BadInput("format is json (pages) or ndjson (every result, one document a line).")
            return view(*args, **kwargs)
        checked.accepted_parameters = known
        return checked
    return wrap


def _flag(name: str) -> bool:
    return strict_bool(request.args.get(name), name)


def _page_args():
    return (whole_number(request.args.get("page"), "page", 1, 1),
            whole_number(request.args.get("per_page"), "per_page", 20, 1, MAX_PER_PAGE))


def _modified_after() -> dt.datetime | None:
    value = request.args.get("modified_after")
    if value in (None, ""):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput("modified_after must be an ISO 8601 date-time, e.g. 2024-05-01T00:00:00Z.") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)  # stored as naive UTC
    return moment


NDJSON_BATCH = 200


def _listing(session, stmt, page, per_page, render):
    """The answer of a list endpoint: an HSDS page (JSON), or with format=ndjson every result, one a
    line, streamed in batches (each renders its rows with one set of queries; memory stays flat).
    The stream keeps using the view's session after the view returns: a closed Session may be used
    again (SQLAlchemy 2), and the stream closes it when done."""
    if request.args.get("format") != "ndjson":
        return jsonify(_hsds_page(session, stmt, page, per_page, render))

    def lines():
        offset = 0
        try:
            while True:
                rows = session.scalars(stmt.limit(NDJSON_BATCH).offset(offset)).all()
                yield "".join(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n" for doc in render(rows))
                if len(rows) < NDJSON_BATCH:
                    return
                session.expunge_all()
                offset += NDJSON_BATCH
        finally:
            session.close()
    return current_app.response_class(lines(), mimetype="application/x-ndjson")


def _hsds_page(session, stmt, page, per_page, render):
    """HSDS 3.0 Page: total_items, total_pages, page_number, size, first_page, last_page, empty, contents."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    offset = (page - 1) * per_page  # past the end: no query (a 20-digit offset overflows the driver)
    rows = session.scalars(stmt.limit(per_page).offset(offset)).all() if offset < total else []
    contents = render(rows)
    pages = max(1, math.ceil(total / per_page))
    return {"total_items": total, "total_pages": pages, "page_number": page, "size": len(contents),
            "first_page": page == 1, "last_page": page >= pages, "empty": not contents, "contents": contents}


def _with_term(column, session):
    """Filters by taxonomy_term_id (either id) and taxonomy_id (the taxonomy's name: we keep no taxonomy table)."""
    clauses = []
    if request.args.get("taxonomy_term_id"):
        term = native_id(session, TaxonomyTerm, request.args["taxonomy_term_id"])
        clauses.append(column.in_(select(Attribute.link_id).where(Attribute.taxonomy_term_id == term)))
    if request.args.get("taxonomy_id"):
        name = _taxonomy_name(session, request.args["taxonomy_id"])
        clauses.append(column.in_(select(Attribute.link_id).join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
                                  .where(TaxonomyTerm.taxonomy == name)))
    return clauses


def _service_options():
    sal_location = selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location)
    return (selectinload(Service.organization), selectinload(Service.phones), selectinload(Service.schedules),
            selectinload(Service.languages),
            sal_location.selectinload(Location.addresses), sal_location.selectinload(Location.phones),
            sal_location.selectinload(Location.accessibility))


def render_services(session, rows, full=True):
    link_ids = [r.id for r in rows] + [sal.location_id for r in rows for sal in r.service_at_locations] if full else []
    attrs = hsds.attributes_by_link(session, link_ids) if full else {}
    return [to_hsds(hsds.service(r, attrs, full=full)) for r in rows]


def _search_clause(column):
    return column.ilike(f"%{request.args['search'][:100]}%") if request.args.get("search") else None


@bp.get("/")
@accepts()
def root():
    """HSDS 3.0's required root: the version, the profile, where the OpenAPI document is."""
    return jsonify({"version": HSDS_VERSION, "profile": HSDS_PROFILE,
                    "openapi_url": f"{base_url()}/api/v1/openapi.json"})


@bp.get("/services")
@accepts(*PAGING, "search", "taxonomy_term_id", "taxonomy_id", "organization_id", "modified_after", "minimal",
         "full", "category")
def services():
    page, per_page = _page_args()
    full, minimal = _flag("full"), _flag("minimal")
    if full and minimal:
        raise BadInput("Ask for minimal or full, not both.")
    since = _modified_after()
    with db.Session() as s:
        stmt = select(Service).order_by(Service.name, Service.id)
        if (clause := _search_clause(Service.name)) is not None:
            stmt = stmt.where(clause | _search_clause(Service.description))  # HSDS: full text search
        if request.args.get("organization_id"):
            stmt = stmt.where(Service.organization_id == native_id(s, Organization, request.args["organization_id"]))
        if request.args.get("category"):
            if request.args["category"] not in CATEGORIES:
                raise BadInput(f"Unknown category. Use one of: {', '.join(CATEGORIES)}.", code="unknown_category")
            stmt = stmt.where(Service.category == request.args["category"])
        if since is not None:
            stmt = stmt.where(Service.last_modified >= since)
        for clause in _with_term(Service.id, s):
            stmt = stmt.where(clause)
        if minimal:
            render = lambda rows: [to_hsds(_minimal(r)) for r in rows]  # noqa: E731
        else:
            stmt = stmt.options(*_service_options()) if full else stmt
            render = lambda rows: render_services(s, rows, full)  # noqa: E731
        return _listing(s, stmt, page, per_page, render)


def _minimal(svc: Service) -> dict:
    return {"id": svc.id, "last_modified": hsds.service(svc, full=False).get("last_modified")}


@bp.get("/services/<service_id>")
@accepts()
def service_detail(service_id):
    with db.Session() as s:
        service_id = native_id(s, Service, service_id)
        svc = views.load_service(s, service_id)
        if svc is None:
            raise ApiError(404, "not_found", f"No service with id '{service_id}'.")
        doc = render_services(s, [svc])[0]
        # Our reading of it for people and the bot: open now, next meeting, capacity (our ids).
        doc["signpost"] = views.service_detail(s, service_id, now(), base_url(), svc=svc)
        return jsonify(doc)


@bp.get("/organizations")
@accepts(*PAGING, "search", "full", "full_service")
def organizations():
    page, per_page = _page_args()
    full, full_service = _flag("full"), _flag("full_service")
    stmt = select(Organization).order_by(Organization.name, Organization.id)
    if (clause := _search_clause(Organization.name)) is not None:
        stmt = stmt.where(clause)
    with db.Session() as s:
        def render(rows):
            if not (full or full_service):
                return [to_hsds(hsds.organization(o)) for o in rows]
            return [_organization_with_services(s, o, full_service) for o in rows]
        return _listing(s, stmt, page, per_page, render)


def _organization_with_services(session, org, full_service: bool) -> dict:
    stmt = select(Service).where(Service.organization_id == org.id).order_by(Service.name, Service.id)
    svcs = session.scalars(stmt.options(*_service_options()) if full_service else stmt).all()
    return to_hsds(hsds.organization(org, None)) | {"services": render_services(session, svcs, full=full_service)}


@bp.get("/organizations/<org_id>")
@accepts("full_service")
def organization_detail(org_id):
    with db.Session() as s:
        org = s.get(Organization, native_id(s, Organization, org_id))
        if org is None:
            raise ApiError(404, "not_found", f"No organization with id '{org_id}'.")
        return jsonify(_organization_with_services(s, org, _flag("full_service")))


@bp.get("/service_at_locations")
@accepts(*PAGING, "search", "taxonomy_term_id", "taxonomy_id", "organization_id", "modified_after", "full",
         "postcode", "proximity")
def service_at_locations():
    page, per_page = _page_args()
    full, since = _flag("full"), _modified_after()
    stmt = (select(ServiceAtLocation).join(Location, Location.id == ServiceAtLocation.location_id)
            .join(Service, Service.id == ServiceAtLocation.service_id)
            .order_by(ServiceAtLocation.id)
            .options(selectinload(ServiceAtLocation.service),
                     selectinload(ServiceAtLocation.location).selectinload(Location.addresses),
                     selectinload(ServiceAtLocation.location).selectinload(Location.phones),
                     selectinload(ServiceAtLocation.location).selectinload(Location.accessibility)))
    if (clause := _search_clause(Service.name)) is not None:
        stmt = stmt.where(clause)
    if since is not None:
        stmt = stmt.where(Service.last_modified >= since)
    postcode = (request.args.get("postcode") or "").strip()
    proximity = request.args.get("proximity")
    if proximity not in (None, "") and not postcode:
        raise ApiError(400, "bad_request", "proximity needs a postcode to measure from.")
    with db.Session() as s:
        for clause in _with_term(ServiceAtLocation.service_id, s):
            stmt = stmt.where(clause)
        if request.args.get("organization_id"):
            stmt = stmt.where(Service.organization_id == native_id(s, Organization, request.args["organization_id"]))
        def render(rows):
            if not full:
                return [to_hsds(_sal_direct(r)) for r in rows]
            attrs = hsds.attributes_by_link(s, [r.location_id for r in rows])
            return [to_hsds(hsds.service_at_location(r, attrs)) for r in rows]
        if postcode and proximity not in (None, ""):
            # Within `proximity` metres of the postcode's centroid, nearest first; every match counts.
            try:
                metres = geo.strict_float(proximity)
            except ValueError:
                raise ApiError(400, "bad_request", "proximity must be a number of metres.") from None
            radius = geo.validate_radius(metres / 1000.0)
            q = build_query({"near": postcode, "radius_km": repr(radius), "limit": "100"}, default_geocoder())
            return _listing_of_ids(s, stmt, all_within(s, q), page, per_page, render)
        if postcode:
            stmt = stmt.where(ServiceAtLocation.location_id.in_(
                select(Address.location_id).where(Address.postal_code == postcode)))
        return _listing(s, stmt, page, per_page, render)


def _sal_direct(sal: ServiceAtLocation) -> dict:
    return {k: v for k, v in {"id": sal.id, "service_id": sal.service_id, "location_id": sal.location_id,
                              "description": sal.description}.items() if v is not None}


def _listing_of_ids(session, stmt, ids: list[str], page: int, per_page: int, render):
    """`_listing` for rows among `ids`, in the order of `ids` (nearest first), counting every one
    of them that the statement's other filters keep: checked in chunks, whatever their number."""
    kept: set[str] = set()
    only_ids = stmt.with_only_columns(ServiceAtLocation.id).order_by(None)
    for start in range(0, len(ids), 1000):
        kept.update(session.scalars(only_ids.where(ServiceAtLocation.id.in_(ids[start:start + 1000]))))
    ordered = [i for i in ids if i in kept]

    def rows_of(chunk):
        found = {r.id: r for r in session.scalars(stmt.where(ServiceAtLocation.id.in_(chunk)))} if chunk else {}
        return [found[i] for i in chunk if i in found]
    if request.args.get("format") == "ndjson":
        def lines():
            try:
                for start in range(0, len(ordered), NDJSON_BATCH):
                    yield "".join(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"
                                  for doc in render(rows_of(ordered[start:start + NDJSON_BATCH])))
                    session.expunge_all()
            finally:
                session.close()
        return current_app.response_class(lines(), mimetype="application/x-ndjson")
    contents = render(rows_of(ordered[(page - 1) * per_page:page * per_page]))
    pages = max(1, math.ceil(len(ordered) / per_page))
    return jsonify({"total_items": len(ordered), "total_pages": pages, "page_number": page, "size": len(contents),
                    "first_page": page == 1, "last_page": page >= pages, "empty": not contents, "contents": contents})


@bp.get("/service_at_locations/<sal_id>")
@accepts()
def service_at_location_detail(sal_id):
    with db.Session() as s:
        sal = s.get(ServiceAtLocation, native_id(s, ServiceAtLocation, sal_id))
        if sal is None:
            raise ApiError(404, "not_found", f"No service_at_location with id '{sal_id}'.")
        attrs = hsds.attributes_by_link(s, [sal.location_id, sal.service_id])
        return jsonify(to_hsds(hsds.service_at_location(sal, attrs)))


def _taxonomy_name(session, given: str) -> str:
    """A taxonomy named by its name or its HSDS UUID."""
    from directory.catalog.export import hsds_id
    names = session.scalars(select(TaxonomyTerm.taxonomy).distinct()).all()
    return next((n for n in names if n and given in (n, hsds_id(n))), given)


@bp.get("/taxonomies")
@accepts(*PAGING, "search")
def taxonomies():
    page, per_page = _page_args()
    names = select(TaxonomyTerm.taxonomy).where(TaxonomyTerm.taxonomy.is_not(None)).distinct()
    if (clause := _search_clause(TaxonomyTerm.taxonomy)) is not None:
        names = names.where(clause)
    with db.Session() as s:
        return _listing(s, names.order_by(TaxonomyTerm.taxonomy), page, per_page,
                        lambda rows: [to_hsds(hsds.taxonomy(n)) for n in rows])


@bp.get("/taxonomies/<taxonomy_id>")
@accepts()
def taxonomy_detail(taxonomy_id):
    with db.Session() as s:
        name = _taxonomy_name(s, taxonomy_id)
        if s.scalar(select(TaxonomyTerm.id).where(TaxonomyTerm.taxonomy == name).limit(1)) is None:
            raise ApiError(404, "not_found", f"No taxonomy with id '{taxonomy_id}'.")
        return jsonify(to_hsds(hsds.taxonomy(name)))


@bp.get("/taxonomy_terms")
@accepts(*PAGING, "search", "taxonomy_id", "top_only", "parent_id", "taxonomy")
def taxonomy_terms():
    page, per_page = _page_args()
    stmt = select(TaxonomyTerm).order_by(TaxonomyTerm.taxonomy, TaxonomyTerm.code, TaxonomyTerm.id)
    if (clause := _search_clause(TaxonomyTerm.name)) is not None:
        stmt = stmt.where(clause)
    with db.Session() as s:
        taxonomy = request.args.get("taxonomy_id") or request.args.get("taxonomy")
        if taxonomy:
            stmt = stmt.where(TaxonomyTerm.taxonomy == _taxonomy_name(s, taxonomy))
        if request.args.get("parent_id"):
            stmt = stmt.where(TaxonomyTerm.parent_id == native_id(s, TaxonomyTerm, request.args["parent_id"]))
        if _flag("top_only"):
            stmt = stmt.where(TaxonomyTerm.parent_id.is_(None))
        return _listing(s, stmt, page, per_page, lambda rows: [to_hsds(hsds.taxonomy_term(t)) for t in rows])


@bp.get("/taxonomy_terms/<term_id>")
@accepts()
def taxonomy_term_detail(term_id):
    with db.Session() as s:
        t = s.get(TaxonomyTerm, native_id(s, TaxonomyTerm, term_id))
        if t is None:
            raise ApiError(404, "not_found", f"No taxonomy term with id '{term_id}'.")
        return jsonify(to_hsds(hsds.taxonomy_term(t)))
