"""Keeping listings true: peer workers' edits, the audit trail, the moderation and problem queues.

Every change to a listing writes one HSDS `metadata` row per field (who, when, field, old, new);
a change by someone who does not keep the listing becomes a `listing_edit` for an admin to
approve instead. After a change the listing's search entries are rebuilt in the same
transaction, so search and the API show it at once. Callers commit.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from directory.catalog import index  # module import: directory.models imports this module at its end
from directory.base import utcnow
from directory.catalog.models import Metadata, Schedule, Service, ServiceAtLocation
from directory.catalog.schedules import DAY_CODES
from directory.staff.models import ListingEdit
from directory.staff.models import ProblemReport

STALE_AFTER_DAYS = 90
MAX_BEDS = 9999
MAX_REPORT_LENGTH = 2000


class ListingError(ValueError):
    """Bad input, with the message to show next to the field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


PROBLEM_KINDS = {
    "closed": "It has closed or moved",
    "phone": "The phone number is wrong",
    "hours": "The hours or meeting times are wrong",
    "beds": "The bed count is wrong",
    "other": "Something else",
}

# HSDS 3.0 service status; only 'active' services are found by search.
STATUSES = {"active": "Open", "temporarily closed": "Temporarily closed", "inactive": "Not running now",
            "defunct": "Closed for good"}

# field -> (label, kind, max length). Kinds: text, line, url, email, int, hours, status.
EDITABLE_FIELDS: dict[str, tuple[str, str, int]] = {
    "name": ("Name", "line", 300),
    "status": ("Status", "status", 30),
    "description": ("Description", "text", 4000),
    "application_process": ("What to bring / how to get in", "text", 2000),
    "eligibility_description": ("Who can come (eligibility)", "text", 2000),
    "fees_description": ("Fees", "text", 1000),
    "alert": ("Alert (temporary notice)", "text", 1000),
    "url": ("Website", "url", 500),
    "email": ("E-mail", "email", 200),
    "capacity_available": ("Beds free", "int", 0),
    "capacity_maximum": ("Beds in total", "int", 0),
    "hours": ("Hours or meeting times", "hours", 2000),
}


# --- hours as text --------------------------------------------------------------------------
_HOURS_LINE = re.compile(r"^(?P<days>[A-Za-z][A-Za-z ,\-]*?)\s+(?P<times>24h|\d{1,2}:\d{2}\s*-\s*\d{1,2}:\d{2})$")


@dataclass(frozen=True)
class HoursLine:
    byday: str
    opens_at: dt.time
    closes_at: dt.time


def _day_code(token: str, line_no: int) -> int:
    code = token.strip()[:2].upper()
    if code not in DAY_CODES:
        raise ListingError(f"Line {line_no}: '{token.strip()}' is not a day (use MO TU WE TH FR SA SU).", "hours")
    return DAY_CODES.index(code)


def _clock(text: str, line_no: int) -> dt.time:
    h, m = (int(p) for p in text.strip().split(":"))
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ListingError(f"Line {line_no}: '{text.strip()}' is not a time of day (00:00 to 24:00).", "hours")
    return dt.time(0) if h == 24 else dt.time(h, m)


def parse_hours(text: str) -> list[HoursLine]:
    """'MO-FR 09:00-17:00', 'SA,SU 10:00-14:00', 'daily 24h', one per line; '22:00-02:00' runs past midnight."""
    out = []
    for line_no, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        m = _HOURS_LINE.match(line)
        if not m:
            raise ListingError(f"Line {line_no}: write days then times, e.g. 'MO-FR 09:00-17:00' or 'daily 24h'.", "hours")
        days: set[int] = set()
        for token in m["days"].replace(" ", ",").split(","):
            if not token:
                continue
            if token.lower() in ("daily", "every", "everyday"):
                days.update(range(7))
            elif "-" in token:
                first, last = (_day_code(t, line_no) for t in token.split("-", 1))
                span = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
                days.update(span)
            else:
                days.add(_day_code(token, line_no))
        if m["times"] == "24h":
            opens, closes = dt.time(0), dt.time(0)
        else:
            start, end = m["times"].split("-")
            opens, closes = _clock(start, line_no), _clock(end, line_no)
            if opens == closes:
                raise ListingError(f"Line {line_no}: the start and end are the same; for all day write '24h'.", "hours")
        out.append(HoursLine(",".join(DAY_CODES[d] for d in sorted(days)), opens, closes))
    return out


def days_text(byday: str | None) -> str:
    codes = [c for c in (byday or ",".join(DAY_CODES)).split(",") if c in DAY_CODES]
    idx = sorted(DAY_CODES.index(c) for c in codes)
    if idx == list(range(7)):
        return "daily"
    runs, start = [], None
    for i, d in enumerate(idx):
        if start is None:
            start = d
        if i + 1 == len(idx) or idx[i + 1] != d + 1:
            runs.append(DAY_CODES[start] if start == d else
                        f"{DAY_CODES[start]}-{DAY_CODES[d]}" if d - start >= 2 else f"{DAY_CODES[start]},{DAY_CODES[d]}")
            start = None
    return ",".join(runs)


def hours_text(schedules) -> str:
    lines = []
    for s in sorted(schedules, key=lambda s: (s.opens_at or dt.time(0), s.byday or "")):
        if s.opens_at in (None, dt.time(0)) and s.closes_at in (None, dt.time(0)):
            times = "24h"
        else:
            times = f"{s.opens_at:%H:%M}-{(s.closes_at or s.opens_at):%H:%M}"
        lines.append(f"{days_text(s.byday)} {times}")
    return "\n".join(lines)


# --- reading --------------------------------------------------------------------------------
def load_service(session, service_id: str) -> Service | None:
    return session.scalars(select(Service).where(Service.id == service_id).options(
        selectinload(Service.organization), selectinload(Service.schedules),
        selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location))).first()


def field_values(service: Service) -> dict[str, str]:
    """The editable fields as the strings a form shows."""
    out = {}
    for name, (_label, kind, _max) in EDITABLE_FIELDS.items():
        if kind == "hours":
            out[name] = hours_text(service.schedules)
        else:
            value = getattr(service, name)
            out[name] = "" if value is None else str(value)
    return out


def is_stale(service: Service, today: dt.date) -> bool:
    return service.assured_date is None or (today - service.assured_date).days > STALE_AFTER_DAYS


def listings_of(session, organization_ids, today: dt.date) -> list[Service]:
    """Services of these organizations, not verified for 90 days first, then by name."""
    if not organization_ids:
        return []
    rows = session.scalars(select(Service).where(Service.organization_id.in_(list(organization_ids)))
                           .options(selectinload(Service.organization))).all()
    return sorted(rows, key=lambda s: (not is_stale(s, today), s.assured_date or dt.date.min, s.name))


def history(session, service_id: str, limit: int = 200) -> list[Metadata]:
    return list(session.scalars(select(Metadata).where(Metadata.resource_type == "service",
                                                       Metadata.resource_id == service_id)
                                .order_by(Metadata.last_action_date.desc(), Metadata.id).limit(limit)))


# --- validating -----------------------------------------------------------------------------
def clean_changes(raw: dict) -> dict[str, str | int | None]:
    """Validate submitted fields into typed values (None clears). Raises ListingError naming the field."""
    clean: dict = {}
    for name, value in raw.items():
        if name not in EDITABLE_FIELDS:
            continue
        label, kind, max_len = EDITABLE_FIELDS[name]
        value = (value or "").replace("\r\n", "\n").strip()
        if kind == "int":
            if value == "":
                clean[name] = None
                continue
            if not re.fullmatch(r"\d{1,4}", value):
                raise ListingError(f"{label}: enter a whole number from 0 to {MAX_BEDS}.", name)
            clean[name] = int(value)
            continue
        if len(value) > max_len:
            raise ListingError(f"{label}: at most {max_len} characters.", name)
        if kind == "line" and not value:
            raise ListingError(f"{label} cannot be empty.", name)
        if kind == "url" and value and not re.fullmatch(r"https?://[^\s]+\.[^\s]+", value):
            raise ListingError(f"{label}: start with http:// or https://.", name)
        if kind == "email" and value and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ListingError(f"{label}: that is not an e-mail address.", name)
        if kind == "hours":
            parse_hours(value)  # raises with the line that is wrong
        if kind == "status" and value not in STATUSES:
            raise ListingError(f"{label}: choose one of {', '.join(STATUSES.values())}.", name)
        clean[name] = value or None
    available, maximum = clean.get("capacity_available"), clean.get("capacity_maximum")
    if available is not None and maximum is not None and available > maximum:
        raise ListingError("Beds free cannot be more than beds in total.", "capacity_available")
    return clean


# --- changing -------------------------------------------------------------------------------
def _audit(session, service_id: str, field: str, old, new, by: str, action: str = "update",
           at: dt.datetime | None = None) -> None:
    session.add(Metadata(resource_id=service_id, resource_type="service", last_action_date=at or utcnow(),
                         last_action_type=action, field_name=field,
                         previous_value="" if old is None else str(old),
                         replacement_value="" if new is None else str(new), updated_by=by[:200]))


def _replace_hours(session, service: Service, text: str | None) -> None:
    tz = next((sal.location.timezone for sal in service.service_at_locations if sal.location.timezone), None)
    session.execute(delete(Schedule).where(Schedule.service_id == service.id))
    session.execute(delete(Schedule).where(Schedule.service_at_location_id.in_(
        [sal.id for sal in service.service_at_locations])))
    session.expire(service, ["schedules"])
    for line in parse_hours(text or ""):
        session.add(Schedule(service_id=service.id, freq="WEEKLY", byday=line.byday, opens_at=line.opens_at,
                             closes_at=line.closes_at, timezone=tz))


def apply_changes(session, service: Service, clean: dict, by: str, now: dt.datetime | None = None) -> list[str]:
    """Write the changed fields with one audit row each; rebuild search. Returns the fields changed."""
    at = now or utcnow()
    before = field_values(service)
    changed = []
    for name, value in clean.items():
        old = before[name]
        new = "" if value is None else str(value)
        if old == new:
            continue
        changed.append(name)
        if name == "hours":
            _replace_hours(session, service, value)
        else:
            setattr(service, name, value)
        _audit(session, service.id, name, old, new, by, at=at)
        if name == "capacity_available":
            service.capacity_updated_at, service.capacity_updated_by = at, by
    if changed:
        service.last_modified = at
        session.flush()
        index.reindex_services(session, [service.id])
    return changed


def set_available_beds(session, service: Service, available: int, by: str) -> bool:
    """The one-tap bed count. Returns False when nothing changed."""
    if not 0 <= available <= MAX_BEDS:
        raise ListingError(f"Beds free must be between 0 and {MAX_BEDS}.", "capacity_available")
    if service.capacity_maximum is not None and available > service.capacity_maximum:
        raise ListingError(f"Beds free cannot be more than the {service.capacity_maximum} beds in total.",
                           "capacity_available")
    if service.capacity_available == available:
        # Confirming the same count still tells people it is current.
        service.capacity_updated_at, service.capacity_updated_by = utcnow(), by
        return False
    return bool(apply_changes(session, service, {"capacity_available": available}, by))


def confirm_accurate(session, service: Service, by: str, today: dt.date) -> None:
    """"Still accurate": the listing was checked today by `by` (HSDS assured_date/assurer_email)."""
    _audit(session, service.id, "assured_date", service.assured_date, today.isoformat(), by, action="verify")
    service.assured_date, service.assurer_email = today, by


# --- moderation -----------------------------------------------------------------------------
def propose_edit(session, service: Service, clean: dict, by: str) -> ListingEdit | None:
    before = field_values(service)
    changes = {k: v for k, v in clean.items() if before[k] != ("" if v is None else str(v))}
    if not changes:
        return None
    edit = ListingEdit(service_id=service.id, proposed_by=by, changes=json.dumps(changes), status="pending")
    session.add(edit)
    session.flush()
    return edit


def pending_edits(session) -> list[ListingEdit]:
    return list(session.scalars(select(ListingEdit).where(ListingEdit.status == "pending")
                                .options(selectinload(ListingEdit.service)).order_by(ListingEdit.proposed_at)))


def review_edit(session, edit_id: int, approve: bool, reviewer: str) -> ListingEdit:
    edit = session.get(ListingEdit, edit_id)
    if edit is None or edit.status != "pending":
        raise ListingError("That edit is no longer waiting for review.")
    if approve:
        service = load_service(session, edit.service_id)
        clean = clean_changes({k: "" if v is None else str(v) for k, v in edit.change_dict.items()})
        apply_changes(session, service, clean, f"{edit.proposed_by} (approved by {reviewer})")
    edit.status = "approved" if approve else "rejected"
    edit.reviewed_by, edit.reviewed_at = reviewer, utcnow()
    return edit


# --- problem reports ------------------------------------------------------------------------
def report_problem(session, service_id: str, kind: str, message: str, contact: str | None) -> ProblemReport:
    if session.get(Service, service_id) is None:
        raise ListingError("No such listing.")
    if kind not in PROBLEM_KINDS:
        raise ListingError("Choose what is wrong.", "kind")
    message = (message or "").strip()
    if len(message) < 5:
        raise ListingError("Tell us briefly what is wrong (at least a few words).", "message")
    if len(message) > MAX_REPORT_LENGTH:
        raise ListingError(f"Keep it under {MAX_REPORT_LENGTH} characters.", "message")
    report = ProblemReport(service_id=service_id, kind=kind, message=message,
                           contact=(contact or "").strip()[:200] or None, status="open")
    session.add(report)
    session.flush()
    return report


def open_reports(session) -> list[ProblemReport]:
    return list(session.scalars(select(ProblemReport).where(ProblemReport.status == "open")
                                .options(selectinload(ProblemReport.service)).order_by(ProblemReport.created_at)))


def close_report(session, report_id: int, status: str, by: str) -> ProblemReport:
    report = session.get(ProblemReport, report_id)
    if report is None or report.status != "open":
        raise ListingError("That report is already closed.")
    if status not in ("resolved", "dismissed"):
        raise ListingError("Close a report as resolved or dismissed.")
    report.status, report.resolved_by, report.resolved_at = status, by, utcnow()
    return report
