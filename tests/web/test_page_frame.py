"""The frame around every page: styled 404 and 403 with a way back, the skip link, the
dismissible second-factor reminder, tables that scroll in their own box."""
from __future__ import annotations


def test_404_is_a_styled_page_with_a_way_back(app, signed_in):
    client = signed_in("case_manager")
    response = client.get("/no-such-page", headers={"Referer": "http://localhost/search?near=92701"})
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "signpost.css" in page and "Page not found" in page
    assert 'href="/search?near=92701"' in page and "Search the directory" in page
    assert client.get("/services/no-such-listing").status_code == 404
    # Outside the site, no way "back" is offered; signed out, the way is to sign in.
    page = app.test_client().get("/nope", headers={"Referer": "https://evil.example/x"}).get_data(as_text=True)
    assert "evil.example" not in page and "Sign in" in page
    # The API keeps its JSON errors.
    api = app.test_client().get("/api/v1/nope")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"


def test_403_is_a_styled_page_with_a_way_back(app, signed_in):
    response = signed_in("peer_worker").get("/admin")
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "Not allowed" in page and "signpost.css" in page
    assert "Go to your start page" in page


def test_skip_link_goes_to_the_content(app, signed_in):
    page = signed_in("case_manager").get("/search").get_data(as_text=True)
    assert page.index('href="#content"') < page.index('<nav aria-label="Main"')
    assert '<main id="content"' in page


def test_second_factor_reminder_can_be_dismissed_for_the_session(app, signed_in):
    client = signed_in("case_manager")
    assert "set up a second factor" in client.get("/search").get_data(as_text=True)
    response = client.post("/account/totp-reminder", data={"next": "/referrals"})
    assert response.status_code == 302 and response.location == "/referrals"
    assert "set up a second factor" not in client.get("/search").get_data(as_text=True)
    assert "set up a second factor" in signed_in("case_manager").get("/search").get_data(as_text=True)  # a new session
    assert client.post("/account/totp-reminder", data={"next": "https://evil.example"}).location == "/search"


def test_wide_tables_scroll_in_a_focusable_box(app, signed_in):
    for path in ("/referrals", "/admin"):
        page = signed_in("admin").get(path).get_data(as_text=True)
        assert '<div class="table-scroll" role="region"' in page and 'tabindex="0"' in page, path
