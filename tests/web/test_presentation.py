"""How listings read: pure helpers (web/pages/present.py), then the search and listing pages on the
real data sets (Miami 211, Meeting Guide, SAMHSA, imported in the set-up)."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from directory.catalog import geocode
from web.pages import day, present


@pytest.mark.parametrize("name,expected", [
    ("SALVATION ARMY", "Salvation Army"),
    ("GIRL SCOUTS COUNCIL OF TROPICAL FLORIDA, INC.", "Girl Scouts Council of Tropical Florida, Inc."),
    ("ST. MATTHEW'S HOUSE, INC.", "St. Matthew's House, Inc."),
    ("O'QUINN PARK", "O'Quinn Park"),
    ("U.S. IMMIGRATION AND CUSTOMS ENFORCEMENT", "U.S. Immigration and Customs Enforcement"),
    ("CENTER FOR HIV/AIDS (MIAMI)", "Center for HIV/AIDS (Miami)"),
    ("MIAMI-DADE COUNTY PUBLIC SCHOOLS", "Miami-Dade County Public Schools"),
    ("PrEP AND nPEP SERVICES", "PrEP AND nPEP SERVICES"),  # mixed case is the owner's: left alone
    ("40 Minutes to Freedom", "40 Minutes to Freedom"),
])
def test_names_in_capitals_read_in_ordinary_case(name, expected):
    assert present.readable(name) == expected


def test_the_services_own_name_comes_first():
    assert present.service_title("MIAMI CENTRAL", "MIAMI BRIDGE - YOUTH SHELTER - MIAMI CENTRAL") == \
        ("Youth Shelter", "Miami Central")
    assert present.service_title("DETOX", "GUIDANCE/CARE-CENTER - DETOX") == ("Detox", None)
    assert present.service_title("Harbor House", None) == ("Harbor House", None)


def test_organizations_and_categories_read_as_names():
    assert present.organization_label("Meeting Guide feed (mg-oc)", ["aa"], "oc-aa.org") == \
        "Alcoholics Anonymous · listed by oc-aa.org"
    assert present.organization_label("Meeting Guide feed (mg-kc)", []) == "Recovery meeting"
    assert present.organization_label("CAMILLUS HOUSE, INC.") == "Camillus House, Inc."
    assert present.category_label(None) == "Other services"
    assert present.category_label("housing") == "Housing and shelter"


def test_meetings_say_when_they_start_not_closed():
    assert present.meeting_when({"open_now": True}) == "Meeting now"
    assert present.meeting_when({"open_now": False, "next_meeting": {"label": "Today 7:00 pm"}}) == "Starts 7:00 pm"
    assert present.meeting_when({"open_now": False, "next_meeting": {"label": "Thu 6:00 pm"}}) == \
        "Next meeting: Thu 6:00 pm"
    assert present.meeting_when({"open_now": None}) is None


def test_a_place_on_its_zip_centre_is_near_that_zip():
    centre = geocode.zip_place("33142")
    assert present.zip_centre("1907 NW 38th Street, Miami, FL 33142", centre.lat, centre.lon) == "33142"
    assert present.zip_centre("1907 NW 38th Street, Miami, FL 33142", centre.lat + 0.01, centre.lon) is None
    assert present.zip_centre(None, centre.lat, centre.lon) is None


def test_sources():
    assert present.source_label("miami-211-hsds:149") == "Miami 211"
    assert present.source_label("mg-oc:x", "https://oc-aa.org/meetings/x/") == "oc-aa.org"
    assert present.source_label("samhsa:abc") == "SAMHSA FindTreatment"
    assert present.source_label("5f0c7c1e-demo-uuid") is None


# --- the pages on the real data ---------------------------------------------------------------
@pytest.fixture
def db_url(real_db_url):
    return real_db_url


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_miami_results_read_as_people_need_them(app, signed_in):
    page = signed_in("case_manager").get("/search?near=33142&category=housing").get_data(as_text=True)
    text = _text(page)
    assert "Youth Shelter at Miami Central" in text  # not 'MIAMI CENTRAL'
    assert "MIAMI CENTRAL" not in page
    assert "near 33142" in text  # placed at the ZIP's centre: no false distance
    assert "From Miami 211, " in text and "Last verified: never" not in text
    assert re.search(r"Results 1–20 near Miami, FL 33142", text)
    # Numbered like the map's pins.
    assert 'data-number="1"' in page and '<span class="pin" aria-hidden="true">1</span>' in page


def test_every_listing_has_a_category(app, signed_in):
    text = _text(signed_in("case_manager").get("/search?near=33130&radius_km=8").get_data(as_text=True))
    assert "Other services" in text and "· None" not in text


def test_meetings_read_as_meetings(app, signed_in):
    page = signed_in("case_manager").get("/search?near=92701&category=support_group").get_data(as_text=True)
    text = _text(page)
    assert "Meeting Guide feed" not in text and "listed by oc-aa.org" in text
    assert "Closed now" not in text
    assert "Next meeting:" in text or "Starts " in text
    assert "From oc-aa.org, " in text


def test_the_form_has_a_keyword_box_and_filters_that_fit_the_need(app, signed_in):
    client = signed_in("case_manager")
    housing = client.get("/search?near=33142&category=housing&attributes=big_book&attributes=pets_allowed")
    page = housing.get_data(as_text=True)
    assert 'id="q" name="q"' in page
    meeting_types = page[page.index("<legend>Meeting type</legend>") - 120:page.index("<legend>Meeting type</legend>")]
    assert "hidden disabled" in meeting_types  # meeting types are for support groups only
    assert 'value="big_book" checked' not in page and 'value="pets_allowed" checked' in page
    found = _text(client.get("/search?near=33142&radius_km=16&q=shelter").get_data(as_text=True))
    assert "for “shelter”" in found and "Shelter" in found


def test_listing_page_of_an_imported_listing(app, signed_in):
    text = _text(signed_in("case_manager").get("/services/miami-211-hsds:149").get_data(as_text=True))
    assert "Salvation Army" in text and "SALVATION ARMY" not in text
    assert "centre of ZIP 33142" in text and "From Miami 211, " in text

    meeting = _text(signed_in("case_manager").get("/services/mg-oc:40-minutes-to-freedom").get_data(as_text=True))
    today = day(dt.datetime.now(dt.timezone.utc))
    assert f"printed {today}" in meeting and "printed Aug 29, 2023" not in meeting  # the handout's date is today


def test_online_meetings_have_no_distance_and_no_pin(app, signed_in):
    page = signed_in("case_manager").get("/search?near=92683&category=support_group&q=zoom").get_data(as_text=True)
    items = page.split('<li class="result"')[1:]
    online = [i for i in items if '<span>Online</span>' in i]
    assert online
    for item in online:
        assert "data-lat" not in item.split(">")[0]  # not on the map
        assert " mi<" not in item
