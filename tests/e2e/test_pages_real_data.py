"""Each role's main tasks on the real data sets (Miami 211, both Meeting Guide feeds, SAMHSA, imported
from ../shared/data in the set-up), in headless Chromium at desktop and phone sizes. On every page:
axe-core (node_modules/axe-core, injected by Selenium) finds nothing critical or serious, and a
390 px phone never scrolls sideways."""
from __future__ import annotations

from pathlib import Path

import pytest

from directory import db
from directory.staff import accounts, upkeep
from tests.e2e.test_browser import sign_in, submit_and_wait

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}
SALVATION_ARMY = "miami-211-hsds:149"
GIRL_SCOUTS = "miami-211-hsds:136"

# Every element wider than the page that is not inside a box that scrolls or clips it.
OVERFLOWING = """
var width = document.documentElement.clientWidth, out = [];
document.querySelectorAll('body *').forEach(function (e) {
  var r = e.getBoundingClientRect();
  if (r.width === 0 || r.right <= width + 1) return;
  for (var p = e.parentElement; p; p = p.parentElement) {
    var x = getComputedStyle(p).overflowX;
    if (x === 'auto' || x === 'scroll' || x === 'hidden') return;
  }
  out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + String(e.className).split(' ')[0]);
});
return {scroll: document.documentElement.scrollWidth, width: width, wide: out.slice(0, 5)};
"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        pytest.skip("node_modules/axe-core missing: run `make node-tools` (npm ci)")
    return AXE.read_text()


def check_page(driver, axe_source, what: str) -> None:
    """axe-core on the page as it is now: 0 critical or serious violations; no sideways scroll."""
    driver.execute_script(axe_source)
    violations = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(function (r) {"
        "  done(r.violations.filter(function (v) { return v.impact === 'critical' || v.impact === 'serious'; })"
        "    .map(function (v) { return v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(function (n) {"
        "      return n.target.join(' '); }).join(' | '); })); });")
    assert violations == [], f"{what}: {violations}"
    layout = settled_layout(driver)
    assert layout["scroll"] <= layout["width"] and not layout["wide"], f"{what} scrolls sideways: {layout}"


def settled_layout(driver, seconds: float = 3.0) -> dict:
    """OVERFLOWING once the page fits, or its last reading after `seconds`: just after a window
    resize Chromium can report the old layout's scroll width for a moment (a busy machine made CI
    see 446 px of scroll at 375 px with no element wider), while a page that does not fit never does."""
    import time
    deadline = time.monotonic() + seconds
    while True:
        layout = driver.execute_script(OVERFLOWING)
        if (layout["scroll"] <= layout["width"] and not layout["wide"]) or time.monotonic() > deadline:
            return layout
        time.sleep(0.1)


def check_at_both_sizes(driver, axe_source, base, path: str) -> None:
    for size, (w, h) in SIZES.items():
        driver.set_window_size(w, h)
        driver.get(base + path)
        check_page(driver, axe_source, f"{path} ({size})")


def test_case_manager_finds_listings_in_the_real_data(real_live_server, browser, axe_source, screenshot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    base = real_live_server.base_url
    browser.get(base + "/login")
    check_page(browser, axe_source, "/login (desktop)")
    browser.set_window_size(390, 844)
    check_page(browser, axe_source, "/login (phone)")
    browser.set_window_size(1280, 900)
    sign_in(browser, base, "case.demo@signpost.example")

    # A keyword and a need, in Miami.
    browser.find_element(By.ID, "near").send_keys("33142")
    browser.find_element(By.ID, "q").send_keys("shelter")
    Select(browser.find_element(By.ID, "category")).select_by_value("housing")
    # Meeting types are for support groups only (filters.js follows the need).
    browser.find_element(By.CSS_SELECTOR, ".search-form details summary").click()
    groups = {f.find_element(By.TAG_NAME, "legend").get_attribute("textContent"): f.is_displayed()
              for f in browser.find_elements(By.CSS_SELECTOR, "fieldset.attributes")}
    assert groups["Meeting type"] is False and groups["Housing"] is True and groups["Cost"] is True
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.search-form button[type=submit]"))
    summary = browser.find_element(By.CSS_SELECTOR, ".summary").text
    assert "near Miami, FL 33142" in summary and "for “shelter”" in summary
    results = browser.find_elements(By.CSS_SELECTOR, "#results .result")
    assert results and all("Shelter" in r.text or "shelter" in r.text.lower() for r in results[:3])
    text = browser.find_element(By.ID, "results").text
    assert "MIAMI CENTRAL" not in text and "· None" not in text and "Last verified: never" not in text
    assert "From Miami 211, " in text
    # Numbered pins that match the list, named after their listing.
    pinned = browser.find_elements(By.CSS_SELECTOR, "#results .result[data-lat]")
    markers = browser.find_elements(By.CSS_SELECTOR, "#map .pin-marker")
    assert len(markers) == len(pinned) > 0
    first = pinned[0]
    number, name = first.get_attribute("data-number"), first.get_attribute("data-name")
    assert markers[0].text == number and markers[0].get_attribute("aria-label").startswith(f"{number}. {name}")
    check_page(browser, axe_source, "search results (desktop)")
    screenshot(browser, "search", height=1000)
    browser.set_window_size(390, 844)
    check_page(browser, axe_source, "search results (phone)")

    # Support groups: meeting times in words, never "Closed now"; the feed's placeholder is not a name.
    browser.set_window_size(1280, 900)
    browser.get(base + "/search?near=Santa+Ana,+CA&category=support_group")
    text = browser.find_element(By.ID, "results").text
    assert "Closed now" not in text and "Meeting Guide feed" not in text and "listed by oc-aa.org" in text
    check_page(browser, axe_source, "support groups (desktop)")

    # An imported listing: its website links out, the handout prints today's date.
    browser.get(base + f"/services/{GIRL_SCOUTS}")
    link = browser.find_element(By.PARTIAL_LINK_TEXT, "girlscoutsfl.org")
    assert link.get_attribute("href") == "https://www.girlscoutsfl.org/"
    for path in (f"/services/{SALVATION_ARMY}", f"/services/{SALVATION_ARMY}/history", "/services/mg-oc:40-minutes-to-freedom",
                 "/referrals", "/reports/needs", "/account", "/account/totp", "/logout", "/search", "/no-such-page"):
        check_at_both_sizes(browser, axe_source, base, path)
    browser.set_window_size(1280, 900)
    browser.get(base + f"/services/{SALVATION_ARMY}")
    screenshot(browser, "listing")

    # The skip link is the first stop of the keyboard and lands on the content.
    browser.get(base + "/search")
    from selenium.webdriver.common.keys import Keys
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    active = browser.switch_to.active_element
    assert active.text == "Skip to content"


def test_peer_worker_fixes_an_imported_listing_from_a_phone(real_live_server, browser, axe_source, screenshot):
    from selenium.webdriver.common.by import By
    base = real_live_server.base_url
    with db.Session.begin() as s:
        peer = accounts.get_by_email(s, "peer.demo@signpost.example")
        accounts.assign_keeper(s, peer, SALVATION_ARMY, "admin.demo@signpost.example")
    browser.set_window_size(390, 844)
    sign_in(browser, base, "peer.demo@signpost.example")
    check_page(browser, axe_source, "/my-listings (phone)")
    screenshot(browser, "my-listings-phone", width=390)
    browser.get(base + f"/services/{SALVATION_ARMY}/edit")
    check_page(browser, axe_source, "edit (phone)")
    phone = browser.find_element(By.ID, "phone")
    phone.clear()
    phone.send_keys("(305) 555-0142")
    hours = browser.find_element(By.ID, "hours")
    hours.clear()
    hours.send_keys("Mon-Fri 9am-5pm")
    browser.find_element(By.CSS_SELECTOR, "input[name=attributes][value=walk_in]").click()
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form[action$='/edit'] button[type=submit]"))
    flash = browser.find_element(By.CSS_SELECTOR, ".flash.success").text
    assert "Saved" in flash and "phone" in flash and "hours" in flash and "features" in flash
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "(305) 555-0142" in page and "Mon–Fri: 9:00 am–5:00 pm" in page
    check_page(browser, axe_source, "listing after the edit (phone)")
    with db.Session() as s:
        values = upkeep.field_values(upkeep.load_service(s, SALVATION_ARMY))
    assert values["phone"] == "(305) 555-0142" and values["hours"] == "MO-FR 09:00-17:00"
    assert "walk_in" in values["attributes"].split(",")
    for path in ("/my-listings", "/search", "/admin", f"/services/{GIRL_SCOUTS}/edit"):  # /admin: the 403 page
        check_at_both_sizes(browser, axe_source, base, path)


def test_admin_works_through_the_queues(real_live_server, browser, axe_source, screenshot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    base = real_live_server.base_url
    with db.Session.begin() as s:
        upkeep.report_problem(s, SALVATION_ARMY, "phone", "The phone number is disconnected.", None)
        upkeep.propose_edit(s, upkeep.load_service(s, GIRL_SCOUTS), {"phone": "305-555-0177", "hours": "MO-FR 09:00-17:00"},
                            "peer.demo@signpost.example")
    sign_in(browser, base, "admin.demo@signpost.example")
    browser.get(base + "/admin")
    queue = browser.find_element(By.ID, "moderation").text
    assert "Girl Scouts Council of Tropical Florida, Inc." in queue and "→" in queue and "305-555-0177" in queue
    check_at_both_sizes(browser, axe_source, base, "/admin")
    browser.set_window_size(1280, 900)
    browser.get(base + "/admin")
    screenshot(browser, "admin")

    # A problem report opens the edit with the report beside it; saving closes it.
    submit_and_wait(browser, browser.find_element(By.LINK_TEXT, "Fix the listing"))
    assert "The phone number is disconnected." in browser.find_element(By.CSS_SELECTOR, ".report-beside").text
    check_page(browser, axe_source, "edit beside a report (desktop)")
    browser.set_window_size(390, 844)
    check_page(browser, axe_source, "edit beside a report (phone)")
    browser.set_window_size(1280, 900)
    phone = browser.find_element(By.ID, "phone")
    phone.clear()
    phone.send_keys("305-555-0199")
    submit_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form[action$='/edit'] button[type=submit]"))
    assert "closed as fixed" in browser.find_element(By.CSS_SELECTOR, ".flash.success").text

    # The organization picker types ahead; nothing is pre-set.
    browser.get(base + "/admin#keepers")
    picker = browser.find_element(By.CSS_SELECTOR, "input[name=organization]")
    assert picker.get_attribute("value") == ""
    picker.send_keys("salvation")
    datalist = browser.find_element(By.ID, picker.get_attribute("list"))
    WebDriverWait(browser, 10).until(lambda d: datalist.find_elements(By.TAG_NAME, "option"))
    names = [o.get_attribute("value") for o in datalist.find_elements(By.TAG_NAME, "option")]
    assert "SALVATION ARMY" in names and len(names) <= 20
    picker.clear()
    picker.send_keys("SALVATION ARMY")
    submit_and_wait(browser, picker.find_element(By.XPATH, "./following-sibling::button"))
    assert "now keeps the listings of SALVATION ARMY" in browser.find_element(By.CSS_SELECTOR, ".flash.success").text

    # Removing asks first, on a page of its own.
    remove = browser.find_element(By.XPATH, "//section[@id='keepers']//li[contains(., 'SALVATION ARMY')]//button")
    submit_and_wait(browser, remove)
    assert "Stop peer.demo@signpost.example keeping SALVATION ARMY?" in browser.find_element(By.TAG_NAME, "h1").text
    check_page(browser, axe_source, "confirm removal (desktop)")
    browser.set_window_size(390, 844)
    check_page(browser, axe_source, "confirm removal (phone)")
    submit_and_wait(browser, browser.find_element(By.XPATH, "//button[text()='Yes, remove']"))
    assert "Assignment removed." in browser.find_element(By.CSS_SELECTOR, ".flash.success").text

    # The second-factor reminder goes away for the session.
    assert browser.find_elements(By.CSS_SELECTOR, ".reminder")
    submit_and_wait(browser, browser.find_element(By.XPATH, "//button[text()='Not now']"))
    assert not browser.find_elements(By.CSS_SELECTOR, ".reminder")
    with db.Session.begin() as s:
        from directory.referrals.operations import create_referral
        referral_id = create_referral(s, service_id=SALVATION_ARMY, source="web", client_phone="+17142025555",
                                      created_by="admin.demo@signpost.example", language="en").id
    for path in ("/referrals", f"/referrals/{referral_id}", "/reports/needs", f"/services/{SALVATION_ARMY}/history",
                 "/admin/access-log"):
        check_at_both_sizes(browser, axe_source, base, path)
    assert "admin.demo@signpost.example" in browser.find_element(By.TAG_NAME, "table").text  # the trail, above


def test_second_factor_sign_in_page(real_live_server, browser, axe_source):
    from selenium.webdriver.common.by import By
    base = real_live_server.base_url
    with db.Session.begin() as s:
        user = accounts.get_by_email(s, "case.demo@signpost.example")
        accounts.set_totp_secret(user, accounts.new_totp_secret())
    sign_in(browser, base, "case.demo@signpost.example")
    assert browser.current_url.endswith("/login/totp")
    assert browser.find_element(By.ID, "code")
    for size, (w, h) in SIZES.items():
        browser.set_window_size(w, h)
        check_page(browser, axe_source, f"/login/totp ({size})")
