"""FHIR R4 under /fhir for clinics' systems (after HL7 SDOH Clinical Care's referral resources).

A clinic's system (an API client with its own token, `flask --app web api-clients create NAME`)
sends a transaction Bundle (Patient, ServiceRequest with performer = HealthcareService/<id>, Task
with focus = the ServiceRequest, Consent where given) to POST /fhir, or a Task with the others
contained to POST /fhir/Task; we make a referral (directory.referrals.operations.create_referral,
source fhir:<client>), text the patient in their language and the provider when consent allows,
and the clinic polls the Task (GET /fhir/Task/{id}, GET /fhir/Task?_lastUpdated=gt<instant>),
which follows the referral's status. What arrives is parsed with the fhir.resources R4B models.
Errors are OperationOutcome with a 4xx; each client sees only its own referrals.
"""
from __future__ import annotations

import datetime as dt
import json

from flask import Blueprint, current_app, g, request
from pydantic import ValidationError
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from directory import db
from directory.catalog.hsds_ids import native_id
from directory.catalog.models import Location, Organization, Service
from directory.people import phones
from directory.people.models import OutboundMessage
from directory.referrals import fhir as shapes
from directory.referrals.clients import client_for_token
from directory.referrals.models import Referral
from web.http_input import BadInput, bearer_token, json_body, single_args, whole_number

bp = Blueprint("fhir", __name__, url_prefix="/fhir")
FHIR_JSON = "application/fhir+json"
MAX_COUNT = 100
REFERRAL_RESOURCES = ("Patient", "ServiceRequest", "Task", "Consent")


class FhirError(Exception):
    """An OperationOutcome issue: `code` from FHIR's issue-type value set (invalid, not-found, ...)."""

    def __init__(self, status: int, code: str, message: str, expression: str | None = None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.expression, self.headers = status, code, message, expression, headers


def resource_response(resource: dict, status: int = 200, headers=None):
    body = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
    # Referrals are about patients: no shared cache keeps them.
    return current_app.response_class(body, status=status, mimetype=FHIR_JSON,
                                      headers={"Cache-Control": "no-store", **(headers or {})})


def outcome_response(status: int, code: str, message: str, expression: str | None = None, headers=None):
    issue = {"severity": "error" if status < 500 else "fatal", "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = [expression]
    return resource_response({"resourceType": "OperationOutcome", "issue": [issue]}, status, headers)


HTTP_ISSUE = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
              406: "not-supported", 409: "conflict", 413: "too-costly", 415: "not-supported", 422: "processing",
              429: "throttled"}
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="signpost-fhir"'}


def http_outcome(exc: HTTPException):
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return outcome_response(exc.code or 400, HTTP_ISSUE.get(exc.code or 400, "processing"),
                            exc.description or exc.name, headers=headers)


@bp.errorhandler(FhirError)
def _fhir_error(exc: FhirError):
    return outcome_response(exc.status, exc.code, exc.message, exc.expression, exc.headers)


@bp.errorhandler(BadInput)
def _bad_input(exc: BadInput):
    return outcome_response(exc.status, "invalid", exc.message)


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException):
    return http_outcome(exc)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    current_app.logger.exception("FHIR error on %s", request.path)  # path only: no query, no body
    return outcome_response(500, "exception", "Something went wrong on our side. Try again in a minute.")


@bp.before_request
def _authenticate():
    single_args(request, frozenset({"_lastUpdated"}))  # a range: gt... and lt...
    if request.endpoint == "fhir.metadata":
        return
    with db.Session() as s:
        client = client_for_token(s, bearer_token(request))
        if client is None:
            raise FhirError(401, "login", "Send your client token as 'Authorization: Bearer <token>'.", headers=CHALLENGE)
        g.fhir_client = (client.id, client.name, client.source)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _base() -> str:
    return request.url_root.rstrip("/") + "/fhir"


# --- reads ------------------------------------------------------------------------------------
@bp.get("/metadata")
def metadata():
    return resource_response(shapes.capability_statement(request.url_root.rstrip("/"), _now()))


def _read(model, resource_type: str, given_id: str, shape):
    """One listing table's row as a FHIR resource (by our id or its HSDS UUID), or a 404 OperationOutcome."""
    with db.Session() as s:
        row = s.get(model, native_id(s, model, given_id))
        if row is None:
            raise FhirError(404, "not-found", f"No {resource_type} with id '{given_id}'.")
        return resource_response(shape(row))


@bp.get("/HealthcareService/<service_id>")
def healthcare_service(service_id):
    return _read(Service, "HealthcareService", service_id, shapes.healthcare_service)


@bp.get("/Organization/<org_id>")
def organization(org_id):
    return _read(Organization, "Organization", org_id, shapes.organization)


@bp.get("/Location/<loc_id>")
def location(loc_id):
    return _read(Location, "Location", loc_id, shapes.location)


def _own_referral(s, referral_id: str) -> Referral:
    referral = s.get(Referral, referral_id)
    if referral is None or referral.api_client_id != g.fhir_client[0]:  # another client's: as if absent
        raise FhirError(404, "not-found", f"No Task with id '{referral_id}' for this client.")
    return referral


def _texts(s, referral_ids) -> tuple[set[str], set[str]]:
    """(referrals whose follow-up went out: in progress until the person answers,
    referrals whose text to the person was blocked by their STOP)."""
    asked, blocked = set(), set()
    if referral_ids:
        for rid, kind, status in s.execute(select(OutboundMessage.referral_id, OutboundMessage.kind, OutboundMessage.status)
                                           .where(OutboundMessage.referral_id.in_(list(referral_ids)),
                                                  OutboundMessage.kind.in_(("follow_up", "referral")))):
            if kind == "follow_up":
                asked.add(rid)
            elif status == "blocked":
                blocked.add(rid)
    return asked, blocked


def _tasks(s, referrals) -> list[dict]:
    asked, blocked = _texts(s, [r.id for r in referrals])
    return [shapes.task(r, r.id in asked, r.id in blocked) for r in referrals]


def _task(s, referral: Referral) -> dict:
    return _tasks(s, [referral])[0]


@bp.get("/Task/<task_id>")
def read_task(task_id):
    with db.Session() as s:
        referral = _own_referral(s, task_id)
        return resource_response(_task(s, referral))


@bp.get("/ServiceRequest/<request_id>")
def read_service_request(request_id):
    with db.Session() as s:
        referral = _own_referral(s, request_id)
        return resource_response(shapes.service_request(referral, referral.service.category))


PREFIXES = {"gt": "__gt__", "ge": "__ge__", "lt": "__lt__", "le": "__le__", "eq": None}


def _last_updated_filters(values: list[str]):
    clauses = []
    for value in values:
        prefix, moment = (value[:2], value[2:]) if value[:2] in PREFIXES else ("eq", value)
        try:
            parsed = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            raise FhirError(400, "invalid", "_lastUpdated takes a prefix and an instant, e.g. gt2024-05-01T00:00:00Z.",
                            "_lastUpdated") from None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
        column = Referral.updated_at
        clauses.append(column == parsed if prefix == "eq" else getattr(column, PREFIXES[prefix])(parsed))
    return clauses


@bp.get("/Task")
def search_tasks():
    unknown = sorted(set(request.args) - {"_lastUpdated", "_count", "_offset"})
    if unknown:
        raise FhirError(400, "not-supported", f"Search parameter '{unknown[0]}' is not supported "
                        "(use _lastUpdated, _count, _offset).", unknown[0])
    count = whole_number(request.args.get("_count"), "_count", 20, 1, MAX_COUNT)
    offset = whole_number(request.args.get("_offset"), "_offset", 0, 0, 10**9)
    stmt = select(Referral).where(Referral.api_client_id == g.fhir_client[0])
    for clause in _last_updated_filters(request.args.getlist("_lastUpdated")):
        stmt = stmt.where(clause)
    with db.Session() as s:
        total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = s.scalars(stmt.order_by(Referral.updated_at, Referral.id).limit(count).offset(offset)).all() \
            if offset < total else []
        tasks = _tasks(s, rows)
        query = "&".join(f"_lastUpdated={v}" for v in request.args.getlist("_lastUpdated"))
        link = lambda at: f"{_base()}/Task?{query + '&' if query else ''}_count={count}&_offset={at}"  # noqa: E731
        links = [{"relation": "self", "url": link(offset)}]
        if offset + count < total:
            links.append({"relation": "next", "url": link(offset + count)})
        if offset > 0:
            links.append({"relation": "previous", "url": link(max(0, offset - count))})
        return resource_response({
            "resourceType": "Bundle", "type": "searchset", "total": total, "link": links,
            "meta": {"lastUpdated": shapes.instant(_now())},
            "entry": [{"fullUrl": f"{_base()}/Task/{t['id']}", "resource": t,
                       "search": {"mode": "match"}} for t in tasks]})


# --- referrals in -----------------------------------------------------------------------------
def _parse(model_path: str, body: dict):
    """Validate with the fhir.resources R4B model; a 400 OperationOutcome naming the first problems."""
    import importlib
    module, name = model_path.rsplit(".", 1)
    model = getattr(importlib.import_module(f"fhir.resources.R4B.{module}"), name)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise FhirError(400, "structure", f"Not a valid {name}: {problems}") from None
    except (ValueError, TypeError, KeyError) as exc:
        raise FhirError(400, "structure", f"Not a valid {name}: {str(exc)[:300]}") from None


def _body(resource_type: str) -> dict:
    mimetype = request.mimetype
    if mimetype not in (FHIR_JSON, "application/json", "application/json+fhir"):
        raise FhirError(415, "not-supported", f"Send {FHIR_JSON}.")
    body = json_body(request)
    if not isinstance(body, dict) or body.get("resourceType") != resource_type:
        raise FhirError(400, "invalid", f"Send a {resource_type} resource.", "resourceType")
    return body


@bp.post("", strict_slashes=False)
def transaction():
    bundle = _parse("bundle.Bundle", _body("Bundle"))
    if bundle.type != "transaction":
        raise FhirError(400, "invalid", "Send a transaction Bundle (type 'transaction').", "Bundle.type")
    resources, order = {}, []
    for i, entry in enumerate(bundle.entry or []):
        res = entry.resource
        if res is None:
            raise FhirError(400, "invalid", "Each entry needs a resource.", f"Bundle.entry[{i}]")
        kind = res.get_resource_type()
        if kind not in REFERRAL_RESOURCES:
            raise FhirError(422, "not-supported", f"A referral Bundle holds {', '.join(REFERRAL_RESOURCES)}, not {kind}.",
                            f"Bundle.entry[{i}]")
        if entry.request is None or entry.request.method != "POST":
            raise FhirError(422, "not-supported", "Each entry is created: request.method POST.", f"Bundle.entry[{i}].request")
        for key in filter(None, (entry.fullUrl, f"{kind}/{res.id}" if res.id else None)):
            resources[key] = res
        order.append(kind)
    tasks = [r for r in resources.values() if r.get_resource_type() == "Task"]
    if len({id(t) for t in tasks}) != 1:
        raise FhirError(422, "invalid", "A referral Bundle holds exactly one Task.", "Bundle.entry")
    referral_id, new = _refer(tasks[0], resources)
    with db.Session() as s:
        referral = s.get(Referral, referral_id)
        modified = shapes.instant(referral.created_at)
    entries = [{"response": {"status": "201 Created" if new else "200 OK", "location": f"{kind}/{referral_id}/_history/1",
                             "etag": 'W/"1"', "lastModified": modified}} for kind in order]
    return resource_response({"resourceType": "Bundle", "type": "transaction-response", "entry": entries}, 200)


@bp.post("/Task")
def create_task():
    task = _parse("task.Task", _body("Task"))
    resources = {f"#{c.id}": c for c in (task.contained or []) if c.id}
    referral_id, new = _refer(task, resources)
    with db.Session() as s:
        referral = s.get(Referral, referral_id)
        doc = _task(s, referral)
    return resource_response(doc, 201 if new else 200, {"Location": f"{_base()}/Task/{referral_id}/_history/1", "ETag": 'W/"1"'})


def _resolve(resources: dict, reference, kind: str, where: str):
    ref = getattr(reference, "reference", None) if reference is not None else None
    if not ref:
        raise FhirError(422, "required", f"{where} must reference the {kind}.", where)
    found = resources.get(ref)
    if found is None or found.get_resource_type() != kind:
        raise FhirError(422, "not-found", f"{where} ('{ref}') is not a {kind} sent with it.", where)
    return found


def _phone_of(patient) -> str:
    telecom = [t for t in (patient.telecom or []) if t and t.value and t.system in ("sms", "phone")]
    telecom.sort(key=lambda t: (t.system != "sms", t.use != "mobile"))  # a texting number first
    for t in telecom:
        e164 = phones.normalize(t.value)
        if e164:
            return e164
    raise FhirError(422, "required", "The Patient needs a phone number we can text (telecom with system sms or phone).",
                    "Patient.telecom")


def _language_of(patient) -> str:
    comms = sorted((c for c in patient.communication or [] if c is not None), key=lambda c: not c.preferred)
    for c in comms:
        language = getattr(c, "language", None)
        if language is None:
            continue
        codes = [cd.code for cd in (language.coding or []) if cd and cd.code] + ([language.text] if language.text else [])
        for code in codes:
            tag = code.strip().lower()
            if tag.startswith("es") or tag.startswith("span"):
                return "es"
            if tag.startswith("en"):
                return "en"
    return "en"


def _consents(resources: dict) -> bool:
    """Sharing with the provider only on an active Consent that permits it."""
    for res in {id(r): r for r in resources.values()}.values():
        if res.get_resource_type() == "Consent" and res.status == "active":
            provision = getattr(res, "provision", None)
            if provision is None or provision.type in (None, "permit"):
                return True
    return False


def _refer(task, resources: dict) -> tuple[str, bool]:
    """The referral the Task asks for: (its id, the Task's and ServiceRequest's; whether it is new).
    A Task whose identifier this client sent before is that referral again: a retry texts nobody twice."""
    try:
        performer, phone, language, share = _read_request(task, resources)
        external = next((f"{i.system or ''}|{i.value}"[:300] for i in (task.identifier or []) if i and i.value), None)
    except (AttributeError, TypeError) as exc:  # the models leave cardinalities to us: a missing element
        raise FhirError(422, "invalid", f"The referral is missing a required element ({type(exc).__name__}).") from None
    if external:
        with db.Session() as s:
            known = s.scalar(select(Referral.id).where(Referral.api_client_id == g.fhir_client[0],
                                                       Referral.external_ref == external))
        if known:
            return known, False
    return _make_referral(performer, phone, language, share, external), True


def _read_request(task, resources: dict):
    """(performer reference, the patient's number, language, consent to share) from the resources."""
    if task.status != "requested":
        raise FhirError(422, "invalid", "A new referral Task has status 'requested'.", "Task.status")
    if task.intent not in ("order", "plan", "proposal"):
        raise FhirError(422, "invalid", "Task.intent is order.", "Task.intent")
    sr = _resolve(resources, task.focus, "ServiceRequest", "Task.focus")
    codes = {(cd.system, cd.code) for cat in (sr.category or []) if cat for cd in (cat.coding or []) if cd}
    if not any(code == "sdoh" for _, code in codes):
        raise FhirError(422, "required", "ServiceRequest.category must hold the SDOH category "
                        "(http://hl7.org/fhir/us/core/CodeSystem/us-core-category#sdoh).", "ServiceRequest.category")
    performers = [p.reference for p in (sr.performer or []) if p and p.reference]
    if len(performers) != 1 or not performers[0].startswith("HealthcareService/"):
        raise FhirError(422, "required", "ServiceRequest.performer must be one HealthcareService/<service id>.",
                        "ServiceRequest.performer")
    patient = _resolve(resources, sr.subject, "Patient", "ServiceRequest.subject")
    return performers[0], _phone_of(patient), _language_of(patient), _consents(resources)


def _make_referral(performer: str, phone: str, language: str, share: bool, external: str | None) -> str:
    from directory.referrals.operations import ReferralError, create_referral
    performers = [performer]
    client_id, client_name, source = g.fhir_client
    try:
        with db.Session.begin() as s:
            service_id = native_id(s, Service, performers[0].split("/", 1)[1])
            if s.get(Service, service_id) is None:
                raise FhirError(422, "not-found", f"No HealthcareService '{performers[0]}' in the directory.",
                                "ServiceRequest.performer")
            referral = create_referral(s, service_id=service_id, source=source, client_phone=phone,
                                       created_by=source, share_with_provider=share, language=language)
            referral.api_client_id, referral.external_ref = client_id, external
            person = phones.find(s, referral.client_ref)
            if person is not None:
                person.language = language  # follow-ups in the patient's language too
            current_app.logger.info("FHIR referral %s from client %s", referral.id, client_name)
            return referral.id
    except ReferralError as exc:
        raise FhirError(422, "processing", str(exc)) from None
