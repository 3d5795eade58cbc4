"""The JSON API under /api/v1: geo search, HSDS-style reads, referrals, and its OpenAPI document.

Every error is `{"error": {"code", "message"}}` with a 4xx status (5xx only when the server
itself fails, and then without details). Pagination is capped.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import orjson

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.sansio.utils import get_current_url

from directory import db
from directory.catalog.geo import InvalidQuery
from directory.catalog.geocode import PlaceNotFound, default_geocoder
from directory.catalog.search.query import build_query
from directory.catalog.search.results import find
from web.http_input import BadInput, bearer_token, json_body, same_secret, single_args, strict_bool
from directory.catalog.search import log as search_log
from web.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def error_response(status: int, code: str, message: str, headers=None, **extra):
    return jsonify({"error": {"code": code, "message": message, **extra}}), status, headers or {}


def http_error_headers(exc: HTTPException) -> dict:
    """What the HTTP error itself says beside its page: Allow on a 405, WWW-Authenticate on a 401."""
    return {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}


UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="signpost"'}


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.status, exc.code, exc.message, exc.headers)


@bp.errorhandler(BadInput)
def _bad_input(exc: BadInput):
    return error_response(exc.status, exc.code, exc.message)


# Lists a client may repeat (attributes=a&attributes=b); any other parameter given twice is refused.
REPEATABLE_ARGS = frozenset({"attributes", "fellowship"})  # the bot sends a list of each


@bp.before_request
def _one_value_per_parameter():
    single_args(request, REPEATABLE_ARGS)


@bp.errorhandler(InvalidQuery)
def _invalid(exc: InvalidQuery):
    return error_response(400, exc.code, str(exc))


@bp.errorhandler(PlaceNotFound)
def _unknown_place(exc: PlaceNotFound):
    if request.endpoint == "api.search_endpoint" and current_app.config["LOG_SEARCHES"]:
        from directory.catalog.unknown_places import log_unknown_place, search_filters
        with db.Session.begin() as s:  # counted in the needs-and-gaps report
            log_unknown_place(s, request.args.get("near"), "bot" if _is_service_call() else "api",
                              request.args.get("category"), search_filters(request.args))
    # suggestions: the nearest spellings of a city we know ("Santa Ana, CA"), maybe none.
    return error_response(422, "unknown_place", str(exc), suggestions=exc.suggestions)


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException):
    return error_response(exc.code or 400, (exc.name or "error").lower().replace(" ", "_"), exc.description or exc.name,
                          http_error_headers(exc))


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    current_app.logger.exception("API error on %s", request.path)  # path only: no query, no body
    return error_response(500, "internal_error", "Something went wrong on our side. Try again in a minute.")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _base_url() -> str:
    return _url_root(request.scheme, request.host, request.root_path)


@lru_cache(maxsize=64)  # werkzeug works it out afresh for each request (a few % of a search)
def _url_root(scheme: str, host: str, root_path: str) -> str:
    return get_current_url(scheme, host, root_path).rstrip("/")


# --- search ---------------------------------------------------------------------------------
@bp.get("/search")
def search_endpoint():
    query = build_query(request.args, default_geocoder())
    now = _now()
    with db.engine().connect() as conn:  # read-only: a Connection, not a Session (see search())
        answer = find(conn, query, now, _base_url())  # one result per weekly group, honest fallbacks
        items = answer.items
    if current_app.config["LOG_SEARCHES"] and query.offset == 0:
        search_log.record(query, "bot" if _is_service_call() else "api", len(items))
    meta = {
        "limit": query.limit, "offset": query.offset, "returned": len(items), "has_more": answer.has_more,
        "next_offset": query.offset + query.limit if answer.has_more else None, "total": answer.total,
        "radius_km": query.radius_km,
        # Set when nothing fits and the items are the next best, never to be read as matches: no
        # meeting starts in `when`'s window (the next ones, soonest first); no meeting of the
        # fellowship asked for within the radius (meetings whose fellowship is not recorded).
        "when_unmatched": answer.when_unmatched, "fellowship_unmatched": answer.fellowship_unmatched,
        "origin": {"lat": query.origin.lat, "lon": query.origin.lon,
                   "label": query.place.label if query.place else None,
                   "precision": query.place.precision if query.place else "point"},
        "filters": {"category": query.category, "attributes": list(query.attributes),
                    "fellowship": list(query.fellowship),
                    "language": query.language, "when": query.when, "has_vacancy": query.has_vacancy, "q": query.q},
    }
    # orjson: the same JSON (sorted keys, like jsonify) in a fifth of the time; this is the hot path.
    return current_app.response_class(orjson.dumps({"items": items, "_meta": meta}, option=orjson.OPT_SORT_KEYS),
                                      mimetype="application/json")


def _is_service_call() -> bool:
    return same_secret(bearer_token(request), current_app.config.get("SERVICE_TOKEN"))


# --- HSDS 3.0 reads: web/hsds_api.py (registered on this blueprint) ---------------------------


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(_base_url()))


# --- referrals ------------------------------------------------------------------------------
@bp.post("/referrals")
def create_referral():
    from directory.referrals.operations import ReferralError, create_referral as make
    if not _is_service_call():
        raise ApiError(401, "unauthorized", "Send the service token as 'Authorization: Bearer <token>'.", UNAUTHORIZED)
    body = json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "Send a JSON object with service_id and client_ref.")
    service_id = body.get("service_id")
    if not isinstance(service_id, str) or not service_id:
        raise ApiError(400, "bad_request", "service_id is required.")
    client_ref = body.get("client_ref")
    if not isinstance(client_ref, str) or not 1 <= len(client_ref) <= 100:
        raise ApiError(400, "bad_request", "client_ref (the person's pseudonym) is required: a string of at most 100 characters.")
    language = body.get("language", "en")
    if language not in ("en", "es"):
        raise ApiError(400, "bad_request", "language must be 'en' or 'es'.")
    source = body.get("source", "bot")
    if not isinstance(source, str) or not 1 <= len(source) <= 20:
        raise ApiError(400, "bad_request", "source must be a short name such as 'bot'.")
    share = strict_bool(body.get("share_with_provider"), "share_with_provider")
    try:
        with db.Session.begin() as s:
            from directory.catalog.hsds_ids import native_id
            from directory.catalog.models import Service
            service_id = native_id(s, Service, service_id)  # our id or its HSDS UUID
            ref = make(s, service_id=service_id, source=source, client_ref=client_ref, created_by="bot",
                       share_with_provider=share, language=language)
            from directory.people.models import OutboundMessage
            sms = s.scalars(select(OutboundMessage).where(OutboundMessage.referral_id == ref.id)).first()
            out = {"id": ref.id, "status": ref.status, "code": ref.code, "service_id": ref.service_id,
                   "sms_body": sms.body if sms else None}
    except ReferralError as exc:
        raise ApiError(404 if exc.code == "not_found" else 400, exc.code, str(exc)) from None
    return jsonify({"referral": out}), 201
