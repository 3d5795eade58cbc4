"""The search page asks when a meeting should start: the choice reaches the search (meetings then
come soonest first) and stays chosen on the page."""
from __future__ import annotations

from directory import db
from directory.catalog.models import SearchLog


def test_the_start_time_choice_reaches_the_search_and_stays_chosen(signed_in):
    case = signed_in("case_manager")
    page = case.get("/search?near=92701&category=support_group&when=tonight").get_data(as_text=True)
    assert '<option value="tonight" selected>Tonight</option>' in page
    with db.Session() as s:
        assert "when:tonight" in s.query(SearchLog).order_by(SearchLog.id.desc()).first().filters


def test_an_unknown_start_time_is_any_time(signed_in):
    case = signed_in("case_manager")
    page = case.get("/search?near=92701&category=support_group&when=yesterday")
    assert page.status_code == 200
    assert '<option value="" selected>Any time (nearest first)</option>' in page.get_data(as_text=True)
