"""FHIR R4 shapes of our rows, after the HL7 SDOH Clinical Care IG's referral resources.

Roles: the IG's Referral Source hosts the Task and the recipient polls it; a clinic without a FHIR
server of its own cannot, so here the clinic sends the Task to us (the IG's "direct" submission)
and polls it here, as a light participant would. We claim no IG profile: the shapes follow the
IG's resources (Task with focus ServiceRequest, SDOH category, Consent, the capacity extension).

Pure functions from rows to FHIR JSON (dicts); web/fhir.py parses what clinics send with the
fhir.resources models and answers with these. Resource ids: a listing's HSDS UUID (our ids may
hold ':' which FHIR ids may not; requests may name either), a referral's id for its Task and
ServiceRequest (one referral, one Task).

The Task follows the referral, read at read time from its status:
sent -> requested, delivered -> received, accepted -> accepted (in-progress once the follow-up
asked the person), full -> rejected (statusReason), connected -> completed, not_connected and
failed -> failed (statusReason); an open referral whose text to the patient was blocked (they had
texted STOP) -> failed too: nothing will reach them.
"""
from __future__ import annotations

import datetime as dt

from directory.catalog.export import hsds_id
from directory.catalog.models import Location, Organization, Service
from directory.referrals.models import Referral

FHIR_VERSION = "4.0.1"
SDOH_CATEGORY = {"system": "http://hl7.org/fhir/us/core/CodeSystem/us-core-category", "code": "sdoh",
                 "display": "SDOH"}
SDOH_IG = "http://hl7.org/fhir/us/sdoh-clinicalcare"
NEED_SYSTEM = "https://signpost.example.org/fhir/CodeSystem/need-category"
CATEGORY_DISPLAY = {"support_group": "Support group", "sober_living": "Sober living", "housing": "Housing",
                    "transportation": "Transportation", "treatment": "Treatment"}

TASK_STATUS = {"sent": "requested", "delivered": "received", "accepted": "accepted", "full": "rejected",
               "connected": "completed", "not_connected": "failed", "failed": "failed"}
STATUS_REASON = {"full": "The provider has no room now (replied FULL).",
                 "failed": "The text to the patient could not be delivered."}
FINAL_TASK_STATUSES = ("rejected", "completed", "failed")


def instant(moment: dt.datetime | None) -> str | None:
    """A FHIR instant (UTC, with its zone) from our naive-UTC columns."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def fhir_id(native: str) -> str:
    return hsds_id(native)


def _clean(d: dict) -> dict:
    return {k: v for k, v in d.items() if v not in (None, [], {}, "")}


OPTED_OUT_REASON = "The patient has opted out of texts from us (STOP): the referral could not be sent."


def task_status(referral: Referral, follow_up_asked: bool = False, opted_out: bool = False) -> tuple[str, str | None]:
    """(Task.status, statusReason text) for the referral's status now."""
    if opted_out and referral.status in ("sent", "delivered"):
        return "failed", OPTED_OUT_REASON
    status = TASK_STATUS.get(referral.status, "requested")
    if status == "accepted" and follow_up_asked:
        status = "in-progress"
    reason = STATUS_REASON.get(referral.status)
    if referral.status == "not_connected":
        reason = f"The patient was not connected ({referral.outcome_note or 'not connected'})."
    return status, reason


def task(referral: Referral, follow_up_asked: bool = False, opted_out: bool = False) -> dict:
    status, reason = task_status(referral, follow_up_asked, opted_out)
    return _clean({
        "resourceType": "Task", "id": referral.id,
        "meta": {"lastUpdated": instant(referral.updated_at or referral.created_at)},
        "identifier": [{"system": "https://signpost.example.org/referral-code", "value": referral.code}],
        "status": status,
        "statusReason": {"text": reason} if reason and status in ("rejected", "failed") else None,
        "businessStatus": {"text": referral.status},
        "intent": "order", "priority": "routine",
        "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]},
        "focus": {"reference": f"ServiceRequest/{referral.id}"},
        "for": {"reference": f"Patient/{referral.id}"},
        "authoredOn": instant(referral.created_at),
        "lastModified": instant(referral.updated_at or referral.created_at),
        "owner": {"reference": f"HealthcareService/{fhir_id(referral.service_id)}"},
        "output": ([{"type": {"text": "outcome"}, "valueString": referral.outcome_note}]
                   if referral.outcome_note else None),
    })


def service_request(referral: Referral, category: str | None) -> dict:
    return _clean({
        "resourceType": "ServiceRequest", "id": referral.id,
        "meta": {"lastUpdated": instant(referral.updated_at or referral.created_at)},
        "status": "completed" if TASK_STATUS.get(referral.status) in FINAL_TASK_STATUSES else "active",
        "intent": "order",
        "category": [{"coding": [SDOH_CATEGORY]}],
        "code": ({"coding": [{"system": NEED_SYSTEM, "code": category, "display": CATEGORY_DISPLAY.get(category, category)}]}
                 if category else None),
        "subject": {"reference": f"Patient/{referral.id}"},
        "performer": [{"reference": f"HealthcareService/{fhir_id(referral.service_id)}"}],
        "authoredOn": instant(referral.created_at),
    })


def _telecom(phones) -> list[dict]:
    return [{"system": "phone", "value": p.number, "use": "work"} for p in phones if p.number]


def _address(loc: Location) -> list[dict]:
    out = []
    for a in loc.addresses:
        out.append(_clean({"use": "work", "type": "physical" if (a.address_type or "physical") == "physical" else "postal",
                           "line": [v for v in (a.address_1, a.address_2) if v], "city": a.city,
                           "state": a.state_province, "postalCode": a.postal_code, "country": a.country}))
    return out


def healthcare_service(svc: Service) -> dict:
    capacity = None
    if svc.capacity_available is not None:
        # The IG's capacity status extension: whether the service can take someone now, and the count.
        unit = svc.capacity_unit or "beds"
        of = f" of {svc.capacity_maximum}" if svc.capacity_maximum is not None else ""
        capacity = [{"url": f"{SDOH_IG}/StructureDefinition/SDOHCC-ExtensionHealthcareServiceCapacityStatus",
                     "extension": [
                         {"url": "capacityStatus", "valueCodeableConcept": {
                             "text": "available" if svc.capacity_available > 0 else "no capacity"}},
                         {"url": "capacityNotes",
                          "valueString": f"{svc.capacity_available}{of} {unit} free"
                                         + (f" (updated {instant(svc.capacity_updated_at)})" if svc.capacity_updated_at else "")}]}]
    return _clean({
        "resourceType": "HealthcareService", "id": fhir_id(svc.id),
        "meta": {"lastUpdated": instant(svc.last_modified)},
        "extension": capacity,
        "identifier": [{"system": "https://signpost.example.org/service-id", "value": svc.id}],
        "active": (svc.status or "active") == "active",
        "providedBy": {"reference": f"Organization/{fhir_id(svc.organization_id)}",
                       "display": svc.organization.name if svc.organization else None} if svc.organization_id else None,
        "category": [{"coding": [SDOH_CATEGORY]}],
        "type": ([{"coding": [{"system": NEED_SYSTEM, "code": svc.category,
                               "display": CATEGORY_DISPLAY.get(svc.category, svc.category)}]}] if svc.category else None),
        "name": svc.name,
        "comment": svc.description,
        "location": [{"reference": f"Location/{fhir_id(sal.location_id)}"} for sal in svc.service_at_locations],
        "telecom": _telecom(svc.phones),
        "eligibility": [{"comment": svc.eligibility_description}] if svc.eligibility_description else None,
    })


def organization(org: Organization) -> dict:
    return _clean({
        "resourceType": "Organization", "id": fhir_id(org.id),
        "identifier": [{"system": "https://signpost.example.org/organization-id", "value": org.id}],
        "active": True, "name": org.name, "alias": [org.alternate_name] if org.alternate_name else None,
        "telecom": [t for t in ([{"system": "email", "value": org.email}] if org.email else [])
                    + ([{"system": "url", "value": org.website}] if org.website else [])],
    })


def location(loc: Location) -> dict:
    addresses = _address(loc)
    return _clean({
        "resourceType": "Location", "id": fhir_id(loc.id),
        "identifier": [{"system": "https://signpost.example.org/location-id", "value": loc.id}],
        "status": "active", "name": loc.name,
        "mode": "instance",
        "address": addresses[0] if addresses else None,
        "telecom": _telecom(loc.phones) + ([{"system": "url", "value": loc.url}] if loc.url else []),
        "position": ({"latitude": loc.latitude, "longitude": loc.longitude}
                     if loc.latitude is not None and loc.longitude is not None else None),
        "managingOrganization": {"reference": f"Organization/{fhir_id(loc.organization_id)}"} if loc.organization_id else None,
    })


def capability_statement(base_url: str, now: dt.datetime) -> dict:
    read = [{"code": "read"}]
    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": instant(now), "kind": "instance",
        "publisher": "Signpost",
        "software": {"name": "Signpost"},
        "implementation": {"description": "Signpost's referral directory: clinics send referral Tasks (with "
                                          "their ServiceRequest, Patient and Consent, after HL7 SDOH Clinical "
                                          "Care) and poll them here; listings as HealthcareService",
                           "url": f"{base_url}/fhir"},
        "fhirVersion": FHIR_VERSION, "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "security": {"description": "Each client's own bearer token (Authorization: Bearer <token>), "
                                        "from `flask --app web api-clients create NAME`."},
            "resource": [
                {"type": "HealthcareService", "interaction": read},
                {"type": "Organization", "interaction": read},
                {"type": "Location", "interaction": read},
                {"type": "ServiceRequest", "interaction": read},
                {"type": "Task", "interaction": read + [{"code": "create"}, {"code": "search-type"}],
                 "searchParam": [{"name": "_lastUpdated", "type": "date"}, {"name": "_count", "type": "number"}]},
            ],
            "interaction": [{"code": "transaction"}],
        }],
    }
