"""The actions never crash on what the search API may answer (issue 18: `"total": null` crashed
flow.search, Rasa dropped its events and the person got silence).

Pure functions only (flow.py, messages.py) with a stand-in client: every field of the search
answer and of each listing absent, null, or of another type."""
from __future__ import annotations

import copy

import pytest

from bot.actions import flow, messages

MEETING = {
    "service_id": "svc-1", "name": "Hope Group", "organization": "Orange County Intergroup",
    "category": "support_group", "distance_km": 0.8, "latitude": 33.75, "longitude": -117.87,
    "address": "1 Main St, Santa Ana, CA 92701", "phone": "(714) 555-0100",
    "attributes": ["women", "aa"], "languages": ["en", "es"], "open_now": False, "hours_today": "7:00 pm - 8:00 pm",
    "next_meeting": {"label": "Tonight 7:00 pm", "starts_at": "2026-12-06T19:00:00-08:00"},
    "capacity": None, "url": "http://x/services/svc-1",
}
HOUSE = {**MEETING, "service_id": "svc-2", "name": "Harbor House", "category": "sober_living", "next_meeting": None,
         "capacity": {"available": 2, "maximum": 8, "unit": "beds", "updated_at": "2026-12-01"},
         "open_now": True, "hours_today": "9:00 am - 5:00 pm"}
ITEM_FIELDS = list(MEETING) + ["capacity.available", "capacity.maximum", "capacity.unit", "capacity.updated_at",
                               "next_meeting.label"]
META = {"limit": 10, "offset": 0, "returned": 10, "has_more": True, "next_offset": 10, "total": None,
        "radius_km": 25.0, "origin": {"lat": 33.7, "lon": -117.8, "label": "Santa Ana, CA 92701", "precision": "zip"},
        "filters": {}}
ANSWER_FIELDS = ["items", "_meta", "_meta.total", "_meta.has_more", "_meta.origin", "_meta.origin.label",
                 "_meta.returned", "_meta.next_offset"]
ODD_VALUES = [None, "", "n/a", 0, -1, [], {}, True, 1e400]


def _edit(obj: dict, path: str, value, remove: bool) -> dict:
    """A deep copy of obj with the dotted field removed or set (no-op where a parent is not an object)."""
    out = copy.deepcopy(obj)
    *parents, last = path.split(".")
    target = out
    for key in parents:
        target = target.get(key) if isinstance(target, dict) else None
    if isinstance(target, dict):
        if remove:
            target.pop(last, None)
        else:
            target[last] = value
    return out


def _items(n: int, base: dict) -> list[dict]:
    return [{**copy.deepcopy(base), "service_id": f"svc-{i}", "name": f"{base['name']} {i}"} for i in range(n)]


class StandIn:
    """The DirectoryClient's three calls, answering whatever the test says."""

    def __init__(self, answer, detail=None):
        self.answer, self.detail, self.calls = answer, detail, []

    def search(self, **params):
        self.calls.append(params)
        return copy.deepcopy(self.answer(params) if callable(self.answer) else self.answer)

    def service(self, service_id):
        return copy.deepcopy(self.detail)

    def create_referral(self, *args, **kwargs):
        return None


def _state(need="support_group", lang="en", **kw) -> flow.State:
    return flow.State(need=need, location="92701", lang=lang, prefs_asked=[need], **kw)


def _says_something(reply: flow.Reply) -> str:
    assert reply.texts and all(isinstance(t, str) and t.strip() for t in reply.texts)
    return "\n".join(reply.texts)


# --- the crash ---------------------------------------------------------------------------
def test_total_null_in_a_dense_area_lists_three_and_offers_more():
    body = {"items": _items(10, MEETING), "_meta": META}
    reply = flow.search(_state(), StandIn(body))
    text = _says_something(reply)
    assert text.count("\n1. ") + text.startswith("1. ") == 1 and "3. Hope Group 2" in text and "MORE" in text
    assert reply.slots["shown"] == ["svc-0", "svc-1", "svc-2"] and reply.slots["last_search"]["total"] is None


def test_total_null_then_more_pages_on_until_the_api_says_no_more():
    pages = {0: _items(10, MEETING), 3: _items(3, MEETING), 6: _items(1, MEETING)}

    def answer(params):
        return {"items": pages.get(params.get("offset", 0), []), "_meta": {**META, "has_more": params["offset"] < 6}}
    client = StandIn(answer)
    first = flow.search(_state(), client)
    s = _state(**{k: v for k, v in first.slots.items() if k in ("shown", "last_search")})
    second = flow.more(s, client)
    assert "MORE" in _says_something(second)
    s.shown = second.slots["shown"]
    third = flow.more(s, client)
    assert "MORE" not in _says_something(third)


# --- every field of a listing absent, null or odd --------------------------------------------------
@pytest.mark.parametrize("base", [MEETING, HOUSE], ids=["meeting", "sober_living"])
@pytest.mark.parametrize("field", ITEM_FIELDS)
@pytest.mark.parametrize("how", ["absent"] + [repr(v) for v in ODD_VALUES])
def test_a_listing_with_a_field_absent_null_or_odd_is_still_answered(base, field, how):
    value = None if how == "absent" else ODD_VALUES[[repr(v) for v in ODD_VALUES].index(how)]
    items = [_edit(i, field, value, remove=how == "absent") for i in _items(10, base)]
    need = base["category"]
    for lang in ("en", "es"):
        body = {"items": items, "_meta": META}
        text = _says_something(flow.search(_state(need, lang), StandIn(body)))
        assert "1. " in text or "no " in text.lower()  # a list, or (service id unusable) an honest no
        # The pure formatters on their own.
        assert messages.results_message(items[:3], need, "Santa Ana", lang)
        assert all(isinstance(messages.fact(i, need, lang), str) for i in items)
        detail = messages.detail_message(items[0], lang, "2026-12-06")
        assert detail.endswith(messages.t("offer_referral", lang))


@pytest.mark.parametrize("field", ITEM_FIELDS)
def test_choosing_a_listing_whose_detail_lacks_a_field_shows_what_there_is(field):
    detail = _edit(HOUSE, field, None, remove=True)
    s = flow.State(need="sober_living", location="92701", shown=["svc-2"], awaiting="results",
                   last_search={"params": {}, "place": "Santa Ana", "total": 1})
    reply = flow.choose(s, StandIn({}, detail), 1)
    assert "YES or NO" in _says_something(reply) and reply.slots["awaiting"] == "referral"


@pytest.mark.parametrize("detail", [None, [], "oops", {}, {"name": None, "phone": None}])
def test_choosing_when_the_detail_is_no_object_still_answers(detail):
    s = flow.State(need="treatment", location="92701", shown=["svc-2"], awaiting="results")
    _says_something(flow.choose(s, StandIn({}, detail), 1))


def test_a_listing_without_a_name_is_shown_by_its_organization_or_as_unnamed():
    items = [{**MEETING, "name": None}, {**MEETING, "service_id": "b", "name": "", "organization": None}]
    lines = messages.result_lines(items, "support_group", "en")
    assert lines[0].startswith("1. Orange County Intergroup - ") and lines[1].startswith("2. (no name) - ")


def test_items_without_a_service_id_are_left_out_the_rest_listed():
    items = [{**MEETING, "service_id": None}, "junk", None, {**MEETING, "service_id": "ok"}]
    got, meta, total = flow.search_answer({"items": items, "_meta": META})
    assert [i["service_id"] for i in got] == ["ok"] and total is None and meta == META


# --- every field of the answer itself absent, null or odd -------------------------------------------
@pytest.mark.parametrize("field", ANSWER_FIELDS)
@pytest.mark.parametrize("how", ["absent"] + [repr(v) for v in ODD_VALUES])
def test_an_answer_with_a_field_absent_null_or_odd_is_still_answered(field, how):
    value = None if how == "absent" else ODD_VALUES[[repr(v) for v in ODD_VALUES].index(how)]
    body = _edit({"items": _items(5, MEETING), "_meta": META}, field, value, remove=how == "absent")
    for lang in ("en", "es"):
        reply = flow.search(_state(lang=lang), StandIn(body))
        _says_something(reply)
        if reply.slots.get("last_search"):
            s = _state(lang=lang, shown=reply.slots["shown"], last_search=reply.slots["last_search"])
            _says_something(flow.more(s, StandIn(body)))


@pytest.mark.parametrize("body", [None, [], "oops", 42, {}, {"items": None}, {"items": {}}, {"items": "x"},
                                  {"items": [], "_meta": None}, {"_meta": {"total": 0}}])
def test_an_answer_that_is_no_list_of_items_is_no_results(body):
    text = _says_something(flow.search(_state(), StandIn(body)))
    assert "I found no" in text


@pytest.mark.parametrize("total,has_more,expected", [
    (None, True, True), (None, None, True), (None, False, True),  # 5 came back, 3 shown
    (5, None, True), (3, True, False), ("7", None, True), (-1, None, True)])
def test_more_is_offered_from_the_count_else_from_what_came_back(total, has_more, expected):
    meta = {**META, "total": total, "has_more": has_more}
    text = _says_something(flow.search(_state(), StandIn({"items": _items(5, MEETING), "_meta": meta})))
    assert ("MORE" in text) is expected


@pytest.mark.parametrize("total,has_more", [(3, None), (3, True), (None, False), (None, None), ("3", False)])
def test_three_results_and_nothing_more_offer_no_more(total, has_more):
    meta = {**META, "total": total, "has_more": has_more}
    text = _says_something(flow.search(_state(), StandIn({"items": _items(3, MEETING), "_meta": meta})))
    assert "MORE" not in text


def test_the_listing_reader_is_idempotent_and_keeps_unknown_fields():
    item = {**HOUSE, "days": "Mon, Wed, Fri", "distance_km": "1.5", "capacity": {"available": "3", "unit": []}}
    once = messages.listing(item)
    assert once == messages.listing(once)
    assert once["days"] == "Mon, Wed, Fri" and once["distance_km"] == 1.5
    assert once["capacity"]["available"] == 3 and once["capacity"]["unit"] is None
