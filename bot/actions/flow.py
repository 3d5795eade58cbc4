"""The conversation's decisions, free of Rasa: given the slots and a directory client, what to
say and which slots change. Actions are thin wrappers around these functions."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional

from . import crisis
from .directory_api import DirectoryClient, DirectoryError, DirectoryUnavailable
from .messages import (PREF_QUESTIONS, detail_message, filters_text, listing, no_results_message, results_message, t,
                       unmatched_header)
from .parsing import FELLOWSHIPS, MENU

log = logging.getLogger(__name__)

RADIUS_KM = 25.0        # about 15 miles: a bus ride
WIDE_RADIUS_KM = 80.0   # the one widening (about 50 miles)
PAGE = 3                # three best matches per SMS
PROBE = 10              # enough results to see whether a preference changes the top 3

# Which preference questions can matter for each need (asked at most once per need).
PREF_GROUPS = {
    "support_group": ["gender", "format", "spanish"],
    "sober_living": ["gender", "mat", "cost"],
    "housing": ["kids", "gender", "spanish"],
    "transportation": ["cost", "spanish"],
    "treatment": ["mat", "cost", "spanish"],
}
# A plain "yes" to a single question applies this filter.
PREF_YES = {"mat": ("attributes", "mat_friendly"), "kids": ("attributes", "families_with_children"),
            "cost": ("attributes", "free"), "spanish": ("language_pref", "es"), "format": ("attributes", "online")}


@dataclass
class State:
    """The slots the flow reads (domain.yml names)."""
    need: Optional[str] = None
    location: Optional[str] = None
    attributes: list = field(default_factory=list)
    when: Optional[str] = None
    language_pref: Optional[str] = None
    vacancy: bool = False
    lang: str = "en"
    awaiting: Optional[str] = None
    prefs_asked: list = field(default_factory=list)
    shown: list = field(default_factory=list)
    last_search: Optional[dict] = None
    selected: Optional[str] = None
    harm_reduction: bool = False

    @classmethod
    def from_slots(cls, slots: dict) -> "State":
        names = cls.__dataclass_fields__
        values = {k: v for k, v in slots.items() if k in names and v is not None}
        values["lang"] = values.get("lang") if values.get("lang") in ("en", "es") else "en"
        return cls(**values)


@dataclass
class Reply:
    texts: list = field(default_factory=list)
    slots: dict = field(default_factory=dict)


def search_answer(body: Any) -> tuple[list, dict, Optional[int]]:
    """The search API's answer as the flow reads it, whatever came back: the items that can be
    listed (objects with a service id, each field in its type: messages.listing), `_meta` as a
    dict, and `total` as a count or None when unknown (the API says null when a search stopped
    before the full radius, with more matches than the page)."""
    body = body if isinstance(body, dict) else {}
    raw = body.get("items")
    items = [i for i in (listing(r) for r in (raw if isinstance(raw, list) else [])) if i and i["service_id"]]
    meta = body.get("_meta") if isinstance(body.get("_meta"), dict) else {}
    total = meta.get("total")
    total = total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else None
    return items, meta, total


def _place_label(meta: dict, fallback: Optional[str]) -> str:
    origin = meta.get("origin")
    label = origin.get("label") if isinstance(origin, dict) else None
    return label if isinstance(label, str) and label.strip() else (fallback or "")


def _more_after(shown_until: int, returned: int, page_full: bool, total: Optional[int], meta: dict) -> bool:
    """Are there more results after the first `shown_until`? The count when the API gave one,
    else its has_more, else whether more came back than were shown (or the page was full)."""
    if total is not None:
        return total > shown_until
    if returned > shown_until or meta.get("has_more") is True:
        return True
    return page_full and meta.get("has_more") is not False


def _attrs(item: dict) -> set:
    return set(item.get("attributes") or [])


def group_matters(group: str, items: list, lang: str) -> bool:
    """Would the answer to this question change the three listings shown?"""
    top = items[:PAGE]
    if group == "gender":
        return any(_attrs(i) & {"women", "men"} for i in top)
    if group == "format":
        return len({"online" in _attrs(i) for i in top}) > 1
    if group == "spanish":
        return lang == "es" and any("es" in (i.get("languages") or []) for i in items) and \
            not all("es" in (i.get("languages") or []) for i in top)
    code = {"mat": "mat_friendly", "kids": "families_with_children"}.get(group)
    codes = {code} if code else {"free", "sliding_scale"}
    return any(_attrs(i) & codes for i in items) and not all(_attrs(i) & codes for i in top)


def prefs_question(groups: list, lang: str) -> str:
    questions = PREF_QUESTIONS.get(lang, PREF_QUESTIONS["en"])
    return " ".join([t("prefs_intro", lang)] + [questions[g] for g in groups] + [t("prefs_outro", lang)])


def _search_params(s: State) -> dict:
    """The API's search parameters. A fellowship ('AA meeting') goes as `fellowship`, which the API
    answers honestly when the feed does not record it, not as an attribute no meeting may carry."""
    attributes = list(s.attributes or [])
    fellowships = [FELLOWSHIPS[a] for a in attributes if a in FELLOWSHIPS] if s.need == "support_group" else []
    params = {
        "near": s.location, "category": s.need, "radius_km": RADIUS_KM,
        "attributes": [a for a in attributes if not (fellowships and a in FELLOWSHIPS)],
        "language": s.language_pref, "when": s.when,
        "has_vacancy": bool(s.vacancy) and s.need in ("sober_living", "housing"),
    }
    if fellowships:
        params["fellowship"] = fellowships
    return params


def _unreachable(s: State, exc: Exception) -> Reply:
    log.warning("directory unavailable: %s", exc)  # no message text, no ids
    return Reply([t("unreachable", s.lang)])


def ask_location(s: State) -> Reply:
    return Reply([t("ask_location", s.lang)], {"awaiting": "location"})


def search(s: State, client: DirectoryClient, skip_prefs: bool = False) -> Reply:
    """Find the best three for the need near the place; widen once; ask a preference first
    only when it would change these three and was not asked for this need yet."""
    if s.harm_reduction and s.need == "treatment":
        return harm_reduction(s, client)
    lang = s.lang
    if not s.need:
        return Reply([t("menu", lang)], {"awaiting": "menu"})
    if not s.location:
        return ask_location(s)
    params = _search_params(s)
    widened = None
    try:
        body = client.search(**params, limit=PROBE, offset=0)
        if not search_answer(body)[0]:
            params["radius_km"] = WIDE_RADIUS_KM
            body = client.search(**params, limit=PROBE, offset=0)
            widened = (RADIUS_KM, WIDE_RADIUS_KM)
    except DirectoryError as exc:
        if exc.code == "unknown_place":
            suggested = [x for x in (exc.suggestions or []) if isinstance(x, str)][:3]
            if suggested:  # "Did you mean Santa Ana, CA?": YES takes the first
                msg = t("did_you_mean", lang, place=s.location, options=_or(suggested, lang))
            else:
                msg = exc.message if lang == "en" and exc.message else t("unknown_place", lang, place=s.location)
            return Reply([msg], {"location": None, "awaiting": "location", "shown": [],
                                 "last_search": {"suggested": suggested} if suggested else None})
        log.warning("directory refused a search: %s", exc.code)
        return Reply([t("unreachable", lang)])
    except DirectoryUnavailable as exc:
        return _unreachable(s, exc)

    items, meta, total = search_answer(body)
    place = _place_label(meta, s.location)
    has_filters = bool(s.attributes or s.when or s.language_pref or params["has_vacancy"])
    # Nothing fit; these are the next best, and the text says so ("Nothing starts tonight near ...").
    unmatched = unmatched_header(meta.get("fellowship_unmatched") is True, meta.get("when_unmatched") is True,
                                 params.get("fellowship") or [], s.when, place, lang)
    if not items:
        filters = filters_text(s.attributes or [], s.when, s.language_pref, lang)
        return Reply([no_results_message(s.need, place, lang, WIDE_RADIUS_KM, has_filters, filters)],
                     {"awaiting": "nofilters" if has_filters else None, "shown": [], "last_search": None})

    if not skip_prefs and not has_filters and not unmatched and s.need not in (s.prefs_asked or []):
        groups = [g for g in PREF_GROUPS.get(s.need, []) if group_matters(g, items, lang)][:2]
        if groups:
            return Reply([prefs_question(groups, lang)], {
                "awaiting": "prefs", "prefs_asked": list(s.prefs_asked or []) + [s.need],
                "last_search": {"pending": groups}, "shown": []})

    page = items[:PAGE]
    has_more = _more_after(len(page), len(items), False, total, meta)
    return Reply([results_message(page, s.need, place, lang, 1, widened, has_more=has_more, intro=unmatched)], {
        "awaiting": "results", "shown": [i["service_id"] for i in page], "selected": None,
        "last_search": {"params": params, "place": place, "total": total},
    })


def harm_reduction(s: State, client: DirectoryClient) -> Reply:
    """Naloxone, test strips, syringe services, learning to respond: the nearest places at once (no
    preference question), then one line on where else to get naloxone and what to do in an overdose."""
    # "free narcan" asks for free naloxone, not for free treatment: cost is no filter here.
    attributes = [a for a in (s.attributes or []) if a not in ("free", "sliding_scale")]
    reply = search(State(**{**s.__dict__, "harm_reduction": False, "attributes": attributes}), client, skip_prefs=True)
    line = "overdose_line" if reply.slots.get("awaiting") == "results" else "overdose_line_nothing"
    return Reply(reply.texts + [t(line, s.lang)], reply.slots)


def _or(options: list, lang: str) -> str:
    word = " o " if lang == "es" else " or "
    return options[0] if len(options) == 1 else ", ".join(options[:-1]) + word + options[-1]


def more(s: State, client: DirectoryClient) -> Reply:
    ls = s.last_search or {}
    if not ls.get("params") or not s.shown:
        return Reply([t("nothing_to_show", s.lang)])
    offset = len(s.shown)
    try:
        body = client.search(**ls["params"], limit=PAGE, offset=offset)
    except DirectoryError as exc:
        log.warning("directory refused a search: %s", exc.code)
        return Reply([t("unreachable", s.lang)])
    except DirectoryUnavailable as exc:
        return _unreachable(s, exc)
    items, meta, total = search_answer(body)
    if not items:
        return Reply([t("no_more", s.lang, r=round(ls["params"]["radius_km"] * 0.621371))])
    known = ls.get("total") if isinstance(ls.get("total"), int) else total
    has_more = _more_after(offset + len(items), offset + len(items), len(items) >= PAGE, known, meta)
    return Reply([results_message(items, s.need, ls.get("place", ""), s.lang, offset + 1, header=False,
                                  has_more=has_more)],
                 {"shown": list(s.shown) + [i["service_id"] for i in items], "awaiting": "results"})


def new_request(need: str) -> dict:
    """Slots to clear when someone asks for a different kind of help."""
    return {"need": need, "attributes": [], "when": None, "language_pref": None, "vacancy": False,
            "shown": [], "last_search": None, "selected": None, "harm_reduction": False}


def choose(s: State, client: DirectoryClient, number: Optional[int]) -> Reply:
    shown = s.shown or []
    if number is not None and 1 <= number <= len(MENU) and (s.awaiting == "menu" or not shown):
        need = MENU[str(number)]
        changes = new_request(need)
        s2 = State(**{**s.__dict__, **changes})
        reply = search(s2, client)
        return Reply(reply.texts, {**changes, "awaiting": None, **reply.slots})
    if number is not None and 1 <= number <= len(shown):
        service_id = shown[number - 1]
        try:
            item = client.service(service_id)
        except DirectoryError as exc:
            log.warning("directory refused a service: %s", exc.code)
            return Reply([t("unreachable", s.lang)])
        except DirectoryUnavailable as exc:
            return _unreachable(s, exc)
        item = listing(item) or {}
        today = datetime.now(timezone.utc).date().isoformat()
        ls = dict(s.last_search or {})
        ls["selected_name"], ls["selected_phone"] = item.get("name"), item.get("phone")
        return Reply([detail_message(item, s.lang, today)],
                     {"selected": service_id, "awaiting": "referral", "last_search": ls})
    if shown:
        return Reply([t("bad_number", s.lang, first=1, last=len(shown))])
    return Reply([t("bad_number_none", s.lang)])


def yes_no(s: State, client: DirectoryClient, yes: bool, client_ref: str) -> Reply:
    lang, awaiting = s.lang, s.awaiting
    if awaiting == "crisis":
        # Not safe: keep asking, so a second "no" repeats 911/988 rather than closing the topic.
        return Reply([crisis.safe_reply(lang) if yes else crisis.unsafe_reply(lang)],
                     {"awaiting": None if yes else "crisis"})
    if awaiting == "referral" and s.selected:
        ls = s.last_search or {}
        if not yes:
            return Reply([t("referral_declined", lang)], {"awaiting": "results"})
        try:
            ref = client.create_referral(s.selected, client_ref, True, lang)
        except (DirectoryError, DirectoryUnavailable) as exc:
            log.warning("referral failed: %s", getattr(exc, "code", type(exc).__name__))
            return Reply([t("referral_failed", lang, phone=ls.get("selected_phone") or "211")])
        ref = ref if isinstance(ref, dict) else {}
        return Reply([t("referral_done", lang, name=ls.get("selected_name") or "", code=ref.get("code") or ref.get("id", ""))],
                     {"awaiting": None})
    if awaiting == "location" and (s.last_search or {}).get("suggested"):
        if not yes:
            return ask_location(s)
        place = s.last_search["suggested"][0]
        s2 = State(**{**s.__dict__, "location": place, "last_search": None})
        reply = search(s2, client)
        return Reply(reply.texts, {"location": place, **reply.slots})
    if awaiting == "prefs":
        changes: dict[str, Any] = {}
        pending = (s.last_search or {}).get("pending") or []
        if yes and len(pending) == 1 and pending[0] in PREF_YES:
            slot, value = PREF_YES[pending[0]]
            changes = {slot: list(s.attributes or []) + [value]} if slot == "attributes" else {slot: value}
        s2 = State(**{**s.__dict__, **changes})
        reply = search(s2, client, skip_prefs=True)
        return Reply(reply.texts, {**changes, **reply.slots})
    if awaiting == "nofilters":
        changes = {"attributes": [], "when": None, "language_pref": None, "vacancy": False}
        s2 = State(**{**s.__dict__, **changes})
        reply = search(s2, client, skip_prefs=True)
        return Reply(reply.texts, {**changes, **reply.slots})
    if awaiting == "results":
        return Reply([t("results_yes" if yes else "no_nothing", lang)])
    return Reply([t("yes_nothing" if yes else "no_nothing", lang)])
