"""Peer workers keep listings true: beds, "still accurate", edits, moderation, the audit trail."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from directory import db
from directory.staff import upkeep
from directory.staff.models import ListingEdit
from directory.staff.upkeep import ListingError
from directory.catalog.models import Metadata, Schedule, Service
from tests.web.conftest import KEPT_SERVICE, OTHER_SERVICE


def _service(service_id) -> Service:
    with db.Session() as s:
        return s.get(Service, service_id)


def _audit(service_id) -> list[Metadata]:
    with db.Session() as s:
        return list(s.scalars(select(Metadata).where(Metadata.resource_id == service_id).order_by(Metadata.last_action_date)))


def _search_beds(client, service_id):
    items = client.get("/api/v1/search?near=92701&category=sober_living&limit=50").get_json()["items"]
    return next(i["capacity"]["available"] for i in items if i["service_id"] == service_id)


def test_lowering_beds_shows_in_search_and_api_at_once(app, signed_in):
    peer, api = signed_in("peer_worker"), app.test_client()
    before = _search_beds(api, KEPT_SERVICE)
    assert before == 2
    assert peer.post(f"/my-listings/{KEPT_SERVICE}/beds", data={"delta": "-1"}).status_code == 302
    assert _search_beds(api, KEPT_SERVICE) == 1
    assert api.get(f"/api/v1/services/{KEPT_SERVICE}").get_json()["signpost"]["capacity"]["available"] == 1
    peer.post(f"/my-listings/{KEPT_SERVICE}/beds", data={"available": "0"})
    vacancies = api.get("/api/v1/search?near=92701&category=sober_living&has_vacancy=true").get_json()["items"]
    assert KEPT_SERVICE not in {i["service_id"] for i in vacancies}  # the search index changed too
    page = signed_in("case_manager").get("/search?near=92701&category=sober_living").get_data(as_text=True)
    assert "Full · updated just now" in page
    audit = [(m.field_name, m.previous_value, m.replacement_value, m.updated_by) for m in _audit(KEPT_SERVICE)]
    assert audit == [("capacity_available", "2", "1", "peer.demo@signpost.example"),
                     ("capacity_available", "1", "0", "peer.demo@signpost.example")]


def test_bed_count_is_validated(app, signed_in):
    peer = signed_in("peer_worker")
    for bad in ("-3", "lots", "99"):  # 99 is over the 8 beds in total
        peer.post(f"/my-listings/{KEPT_SERVICE}/beds", data={"available": bad})
        assert _service(KEPT_SERVICE).capacity_available == 2, bad
    page = peer.post(f"/my-listings/{KEPT_SERVICE}/beds", data={"available": "99"}, follow_redirects=True)
    assert "cannot be more than the 8 beds in total" in page.get_data(as_text=True)


def test_still_accurate_sets_the_verified_date(app, signed_in):
    peer = signed_in("peer_worker")
    assert _service(KEPT_SERVICE).assured_date != dt.date.today()
    peer.post(f"/my-listings/{KEPT_SERVICE}/verify")
    svc = _service(KEPT_SERVICE)
    assert svc.assured_date == dt.date.today() and svc.assurer_email == "peer.demo@signpost.example"
    assert _audit(KEPT_SERVICE)[-1].last_action_type == "verify"


def test_stale_listings_are_flagged_and_first(app, signed_in):
    with db.Session.begin() as s:
        s.get(Service, KEPT_SERVICE).assured_date = dt.date.today() - dt.timedelta(days=120)
    page = signed_in("peer_worker").get("/my-listings").get_data(as_text=True)
    assert page.count("Not verified for over 90 days") == 1
    results = signed_in("case_manager").get("/search?near=92701&category=sober_living").get_data(as_text=True)
    assert results.count("over 90 days ago: call first") == 1  # flagged in search results too
    first_card = page.index('<li class="card')
    assert page.index("Harbor House Women") < page.index("Second Chance", first_card)
    assert page[first_card:].startswith('<li class="card stale-card"')


def test_keeper_edits_hours_and_details_with_audit(app, signed_in):
    peer = signed_in("peer_worker")
    form = {"name": "Harbor House Women's Sober Living", "application_process": "Bring ID and your meds list.",
            "hours": "MO-FR 09:00-17:00\nSA 10:00-12:00", "capacity_available": "2", "capacity_maximum": "8"}
    assert peer.post(f"/services/{KEPT_SERVICE}/edit", data=form).status_code == 302
    svc = _service(KEPT_SERVICE)
    assert svc.application_process == "Bring ID and your meds list."
    with db.Session() as s:
        rows = s.scalars(select(Schedule).where(Schedule.service_id == KEPT_SERVICE)).all()
        assert sorted((r.byday, r.opens_at, r.closes_at, r.timezone) for r in rows) == [
            ("MO,TU,WE,TH,FR", dt.time(9), dt.time(17), "America/Los_Angeles"),
            ("SA", dt.time(10), dt.time(12), "America/Los_Angeles")]
    changed = {m.field_name: (m.previous_value, m.replacement_value) for m in _audit(KEPT_SERVICE)}
    assert changed["hours"] == ("daily 24h", "MO-FR 09:00-17:00\nSA 10:00-12:00")
    assert set(changed) == {"hours", "application_process"}  # fields the form left out stay as they were
    detail = app.test_client().get(f"/api/v1/services/{KEPT_SERVICE}").get_json()["signpost"]
    assert detail["locations"][0]["schedules"][0]["byday"] in ("MO,TU,WE,TH,FR", "SA")
    history = peer.get(f"/services/{KEPT_SERVICE}/history").get_data(as_text=True)
    assert "MO-FR 09:00-17:00" in history and "peer.demo@signpost.example" in history


def test_invalid_edits_say_what_is_wrong(app, signed_in):
    peer = signed_in("peer_worker")
    values = upkeep.field_values(upkeep.load_service(db.Session(), KEPT_SERVICE))
    for field, value, message in [("hours", "Mondays at nine", "Line 1"), ("hours", "MO 25:00-26:00", "not a time"),
                                  ("url", "not a website", "web address"), ("url", "javascript:alert(1)", "web address"), ("name", "", "cannot be empty"),
                                  ("capacity_available", "12", "more than beds in total")]:
        response = peer.post(f"/services/{KEPT_SERVICE}/edit", data=dict(values, **{field: value}))
        assert response.status_code == 400 and message in response.get_data(as_text=True), field
    assert _audit(KEPT_SERVICE) == []


def test_edits_to_listings_not_kept_go_to_moderation(app, signed_in):
    peer, admin = signed_in("peer_worker"), signed_in("admin")
    with db.Session() as s:
        values = upkeep.field_values(upkeep.load_service(s, OTHER_SERVICE))
    values["fees_description"] = "$140 a week."
    response = peer.post(f"/services/{OTHER_SERVICE}/edit", data=values, follow_redirects=True)
    assert "went to an admin for review" in response.get_data(as_text=True)
    assert _service(OTHER_SERVICE).fees_description == "$160 a week."  # unchanged until approved
    with db.Session() as s:
        edit = s.scalars(select(ListingEdit)).one()
        assert edit.change_dict == {"fees_description": "$140 a week."} and edit.status == "pending"
    assert "$140 a week." in admin.get("/admin").get_data(as_text=True)
    admin.post(f"/admin/edits/{edit.id}", data={"decision": "approve"})
    assert _service(OTHER_SERVICE).fees_description == "$140 a week."
    audit = _audit(OTHER_SERVICE)
    assert [(m.field_name, m.previous_value, m.replacement_value) for m in audit] == [
        ("fees_description", "$160 a week.", "$140 a week.")]
    assert audit[0].updated_by == "peer.demo@signpost.example (approved by admin.demo@signpost.example)"
    assert admin.post(f"/admin/edits/{edit.id}", data={"decision": "approve"}, follow_redirects=True).status_code == 200


def test_admin_assigns_keepers(app, signed_in, users):
    admin, peer = signed_in("admin"), signed_in("peer_worker")
    with db.Session() as s:
        from directory.staff import accounts
        peer_id = accounts.get_by_email(s, users["peer_worker"]).id
        org_id = s.get(Service, OTHER_SERVICE).organization_id
    assert peer.post(f"/my-listings/{OTHER_SERVICE}/beds", data={"available": "3"}).status_code == 403
    admin.post("/admin/keepers", data={"user_id": peer_id, "organization_id": org_id})
    assert peer.post(f"/my-listings/{OTHER_SERVICE}/beds", data={"available": "3"}).status_code == 302
    assert _service(OTHER_SERVICE).capacity_available == 3
    asked = admin.post("/admin/keepers", data={"user_id": peer_id, "organization_id": org_id, "action": "remove"})
    assert "Yes, remove" in asked.get_data(as_text=True)  # a removal asks first
    assert peer.post(f"/my-listings/{OTHER_SERVICE}/beds", data={"available": "4"}).status_code == 302
    admin.post("/admin/keepers", data={"user_id": peer_id, "organization_id": org_id, "action": "remove",
                                       "confirmed": "1"})
    assert peer.post(f"/my-listings/{OTHER_SERVICE}/beds", data={"available": "5"}).status_code == 403


@pytest.mark.parametrize("text,expected", [
    ("MO-FR 09:00-17:00", [("MO,TU,WE,TH,FR", dt.time(9), dt.time(17))]),
    ("daily 24h", [("MO,TU,WE,TH,FR,SA,SU", dt.time(0), dt.time(0))]),
    ("Tue, Thu 19:30-20:30", [("TU,TH", dt.time(19, 30), dt.time(20, 30))]),
    ("FR-MO 22:00-02:00", [("MO,FR,SA,SU", dt.time(22), dt.time(2))]),  # wraps the week and midnight
])
def test_hours_text_round_trip(text, expected):
    lines = upkeep.parse_hours(text)
    assert [(l.byday, l.opens_at, l.closes_at) for l in lines] == expected
    rows = [Schedule(byday=l.byday, opens_at=l.opens_at, closes_at=l.closes_at) for l in lines]
    assert upkeep.parse_hours(upkeep.hours_text(rows)) == lines


def test_hours_errors_name_the_line():
    with pytest.raises(ListingError, match="Line 2"):
        upkeep.parse_hours("MO 09:00-10:00\nXX 09:00-10:00")
    with pytest.raises(ListingError, match="same"):
        upkeep.parse_hours("MO 09:00-09:00")


def test_a_closed_listing_leaves_search_at_once(app, signed_in):
    admin, api = signed_in("admin"), app.test_client()
    assert admin.post(f"/services/{OTHER_SERVICE}/edit", data={"status": "closed"}).status_code == 400
    assert admin.post(f"/services/{OTHER_SERVICE}/edit", data={"status": "defunct"}).status_code == 302
    items = api.get("/api/v1/search?near=92701&category=sober_living&limit=50").get_json()["items"]
    assert OTHER_SERVICE not in {i["service_id"] for i in items}
    assert [(m.field_name, m.previous_value, m.replacement_value) for m in _audit(OTHER_SERVICE)] == [
        ("status", "active", "defunct")]
    assert "Closed for good" in admin.get(f"/services/{OTHER_SERVICE}/edit").get_data(as_text=True)
