"""Editing imported listings (Miami 211, imported from ../shared/data in the set-up): only what
changed is checked, every field a problem report can be about is editable and audited, websites
without a scheme are absolute links, and the admin's queues and pickers work on 1,184 organizations."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from directory import db
from directory.catalog.models import Language, Metadata, Schedule, Service
from directory.staff import accounts, upkeep
from directory.staff.models import ListingEdit, OrganizationKeeper, ProblemReport

GIRL_SCOUTS = "miami-211-hsds:136"  # website 'www.girlscoutsfl.org' (no scheme), as 2,611 imported ones
SALVATION_ARMY = "miami-211-hsds:149"


@pytest.fixture
def db_url(real_db_url):
    return real_db_url


def _values(service_id) -> dict[str, str]:
    with db.Session() as s:
        return upkeep.field_values(upkeep.load_service(s, service_id))


def _audit(service_id) -> list[tuple[str, str, str]]:
    with db.Session() as s:
        rows = s.scalars(select(Metadata).where(Metadata.resource_id == service_id, Metadata.resource_type == "service")
                         .order_by(Metadata.last_action_date, Metadata.field_name))
        return [(m.field_name, m.previous_value, m.replacement_value) for m in rows]


def _form(values: dict[str, str], **changes) -> dict:
    """What the edit form posts: every field as shown, the features as ticked boxes."""
    data = {k: v for k, v in dict(values, **changes).items() if k != "attributes"}
    data["attributes_sent"] = "1"
    data["attributes"] = [c for c in dict(values, **changes)["attributes"].split(",") if c]
    return data


def test_saving_one_field_of_an_imported_listing_ignores_untouched_invalid_ones(app, signed_in):
    admin = signed_in("admin")
    with db.Session.begin() as s:  # as the importers stored websites before they gave them a scheme
        assert s.get(Service, GIRL_SCOUTS).url == "https://www.girlscoutsfl.org"
        s.get(Service, GIRL_SCOUTS).url = "www.girlscoutsfl.org"
    values = _values(GIRL_SCOUTS)
    assert values["url"] == "www.girlscoutsfl.org"
    response = admin.post(f"/services/{GIRL_SCOUTS}/edit", data=_form(values, hours="Mon-Fri 9am-5pm"))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _audit(GIRL_SCOUTS)[-1][0] == "hours"
    with db.Session() as s:
        rows = s.scalars(select(Schedule).where(Schedule.service_id == GIRL_SCOUTS)).all()
        assert [(r.byday, r.opens_at, r.closes_at) for r in rows] == [("MO,TU,WE,TH,FR", dt.time(9), dt.time(17))]
        assert s.get(Service, GIRL_SCOUTS).url == "www.girlscoutsfl.org"  # untouched, as imported
    # The website links out, never to a path inside Signpost.
    page = admin.get(f"/services/{GIRL_SCOUTS}").get_data(as_text=True)
    assert 'href="https://www.girlscoutsfl.org"' in page and 'href="www.girlscoutsfl.org"' not in page


def test_every_field_a_problem_report_can_be_about_is_editable_and_audited(app, signed_in):
    admin = signed_in("admin")
    values = _values(SALVATION_ARMY)
    changes = dict(phone="(305) 555-0142 x7", address="1907 NW 38th St, Miami, FL 33142",
                   url="salvationarmyflorida.org/miami", languages="Spanish, English, French",
                   attributes="men,walk_in", eligibility_description="Men 18 and over.",
                   hours="Mon, Wed 7pm-8pm\nSat 10am-2pm")
    response = admin.post(f"/services/{SALVATION_ARMY}/edit", data=_form(values, **changes))
    assert response.status_code == 302, response.get_data(as_text=True)
    after = _values(SALVATION_ARMY)
    assert after["phone"] == "(305) 555-0142 x7"
    assert after["address"] == "1907 NW 38th St, Miami, FL 33142"
    assert after["url"] == "https://salvationarmyflorida.org/miami"
    assert after["languages"] == "Spanish, English, French"
    assert after["attributes"] == "men,walk_in"
    assert after["eligibility_description"] == "Men 18 and over."
    assert after["hours"] == "SA 10:00-14:00\nMO,WE 19:00-20:00"
    audited = {field: (old, new) for field, old, new in _audit(SALVATION_ARMY)}
    assert set(audited) == set(changes)
    assert audited["phone"] == (values["phone"], "(305) 555-0142 x7")
    assert audited["address"][0] == values["address"] and audited["address"][1] == changes["address"]
    # Search and the API show the new facts at once.
    detail = app.test_client().get(f"/api/v1/services/{SALVATION_ARMY}").get_json()
    assert "555-0142" in str(detail)
    with db.Session() as s:
        assert {l.code for l in s.scalars(select(Language).where(Language.service_id == SALVATION_ARMY))} == \
            {"en", "es", "fr"}


@pytest.mark.parametrize("field,value,message", [
    ("phone", "call us", "write a phone number"),
    ("address", "somewhere in Miami", "street, city, state and ZIP"),
    ("languages", "English, Klingon", "is not a language we know"),
    ("hours", "Mon-Fri 9am-5pm\nevery other blue moon", "Line 2"),
    ("url", "not a website", "web address"),
])
def test_a_changed_field_is_checked(app, signed_in, field, value, message):
    admin = signed_in("admin")
    response = admin.post(f"/services/{SALVATION_ARMY}/edit", data=_form(_values(SALVATION_ARMY), **{field: value}))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _audit(SALVATION_ARMY) == []


def test_a_problem_report_opens_the_edit_beside_it_and_the_fix_closes_it(app, signed_in):
    with db.Session.begin() as s:
        report_id = upkeep.report_problem(s, SALVATION_ARMY, "phone", "The phone number is disconnected.", None).id
    admin = signed_in("admin")
    queue = admin.get("/admin").get_data(as_text=True)
    link = f"/services/{SALVATION_ARMY}/edit?report={report_id}"
    assert link in queue
    page = admin.get(link).get_data(as_text=True)
    assert "The phone number is disconnected." in page and 'name="phone"' in page
    data = _form(_values(SALVATION_ARMY), phone="305-555-0199")
    data.update(report=str(report_id), resolve_report="1")
    assert admin.post(f"/services/{SALVATION_ARMY}/edit", data=data).status_code == 302
    with db.Session() as s:
        report = s.get(ProblemReport, report_id)
        assert report.status == "resolved" and report.resolved_by == "admin.demo@signpost.example"
    assert _values(SALVATION_ARMY)["phone"] == "305-555-0199"


def test_moderation_queue_shows_old_and_new(app, signed_in):
    peer = signed_in("peer_worker")  # keeps no Miami organization: the edit goes to review
    old_phone = _values(SALVATION_ARMY)["phone"]
    assert peer.post(f"/services/{SALVATION_ARMY}/edit",
                     data=_form(_values(SALVATION_ARMY), phone="305-555-0111")).status_code == 302
    with db.Session() as s:
        edit = s.scalars(select(ListingEdit).where(ListingEdit.service_id == SALVATION_ARMY)).one()
        assert edit.change_dict == {"phone": "305-555-0111"}  # only what changed
    page = signed_in("admin").get("/admin").get_data(as_text=True)
    section = page[page.index('id="moderation"'):page.index('id="problems"')]
    assert old_phone in section and "305-555-0111" in section and "→" in section


def test_add_a_user_defaults_to_the_least_powerful_role(app, signed_in):
    page = signed_in("admin").get("/admin").get_data(as_text=True)
    form = page[page.index("Add a user"):]
    assert '<option value="peer_worker" selected>' in form
    assert '<option value="admin" selected>' not in form


def test_organization_picker_types_ahead_and_never_lists_every_organization(app, signed_in):
    admin = signed_in("admin")
    page = admin.get("/admin").get_data(as_text=True)
    assert "GIRL SCOUTS COUNCIL" not in page  # no dropdown of 1,184 names, nothing pre-set
    found = admin.get("/admin/organizations.json?q=salvation army").get_json()["items"]
    assert {"id": SALVATION_ARMY, "name": "SALVATION ARMY"} in found and len(found) <= 20
    assert found[0]["name"] == "SALVATION ARMY"  # names that start with it first
    with db.Session() as s:
        peer_id = accounts.get_by_email(s, "peer.demo@signpost.example").id
    # Part of a name: the server asks which one was meant.
    asked = admin.post("/admin/keepers", data={"user_id": peer_id, "organization": "salvation"})
    assert asked.status_code == 200 and "THE SALVATION ARMY OF COLLIER COUNTY" in asked.get_data(as_text=True)
    # The whole name, as the datalist fills it in: assigned.
    assert admin.post("/admin/keepers", data={"user_id": peer_id, "organization": "Salvation Army"}).status_code == 302
    with db.Session() as s:
        kept = set(s.scalars(select(OrganizationKeeper.organization_id).where(OrganizationKeeper.user_id == peer_id)))
    assert SALVATION_ARMY in kept
    # Now the peer worker edits that listing directly.
    peer = signed_in("peer_worker")
    assert peer.post(f"/services/{SALVATION_ARMY}/edit",
                     data=_form(_values(SALVATION_ARMY), alert="Closed Monday for the holiday.")).status_code == 302
    assert _values(SALVATION_ARMY)["alert"] == "Closed Monday for the holiday."


def test_a_new_zip_places_the_listing_at_that_zip(app, signed_in):
    admin = signed_in("admin")
    admin.post(f"/services/{GIRL_SCOUTS}/edit", data=_form(_values(GIRL_SCOUTS),
                                                           address="100 Biscayne Blvd, Miami, FL 33132"))
    with db.Session() as s:
        service = upkeep.load_service(s, GIRL_SCOUTS)
        location = service.service_at_locations[0].location
        assert location.latitude == pytest.approx(25.78, abs=0.05) and location.longitude == pytest.approx(-80.19, abs=0.05)
    found = app.test_client().get("/api/v1/search?near=33132&radius_km=3&limit=100").get_json()["items"]
    assert GIRL_SCOUTS in {i["service_id"] for i in found}


def test_peer_worker_sees_places_with_beds_first_and_can_count_a_211_shelters_beds(app, signed_in):
    with db.Session.begin() as s:
        peer = accounts.get_by_email(s, "peer.demo@signpost.example")
        accounts.assign_keeper(s, peer, SALVATION_ARMY, "admin.demo@signpost.example")
        shelters = [sid for sid, in s.execute(select(Service.id).where(
            Service.organization_id == SALVATION_ARMY, Service.category == "housing",
            Service.capacity_maximum.is_(None)))]
    assert shelters  # imported without a bed count
    client = signed_in("peer_worker")
    page = client.get("/my-listings").get_data(as_text=True)
    cards = page.split('<li class="card')[1:]
    with_beds = [i for i, card in enumerate(cards) if 'name="delta"' in card]
    assert with_beds and with_beds == list(range(len(with_beds)))  # places with beds come first
    assert any(f'id="s-{sid}"' in page for sid in shelters)
    assert "No bed count yet" in page
    response = client.post(f"/my-listings/{shelters[0]}/beds", data={"available": "3"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    card = html[html.index(f'id="s-{shelters[0]}"'):]
    card = card[:card.index("</li>")]
    assert "3 free, updated now." in card  # said in the card that was tapped, not off-screen at the top
    main = html[html.index("<main"):]
    assert main.index("3 free, updated now.") > main.index(f'id="s-{shelters[0]}"')


def test_only_admins_see_a_problem_report_beside_the_edit(app, signed_in):
    with db.Session.begin() as s:
        report_id = upkeep.report_problem(s, SALVATION_ARMY, "phone", "Wrong number, call me at 305-555-0000.",
                                          "reporter@example.org").id
    page = signed_in("peer_worker").get(f"/services/{SALVATION_ARMY}/edit?report={report_id}").get_data(as_text=True)
    assert "Wrong number" not in page and "reporter@example.org" not in page
