"""/search: find resources near a ZIP, city or address, with filters, a list and a map."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template, request, url_for

from directory import db
from directory.catalog.geo import InvalidQuery
from directory.catalog.geocode import PlaceNotFound, default_geocoder
from directory.catalog.search.query import build_query
from directory.catalog.search.log import log_search
from directory.catalog.search.results import find
from directory.catalog.unknown_places import log_unknown_place, search_filters
from directory.catalog.codes import ATTRIBUTES
from web.auth import roles_required
from web.pages import present

bp = Blueprint("search", __name__)
PAGE_SIZE = 20
RADIUS_CHOICES = [("8", "5 miles"), ("16", "10 miles"), ("40", "25 miles"), ("80", "50 miles")]
# Only what the form offers goes to the query: no stray parameters.
FORM_FIELDS = ("near", "category", "fellowship", "when", "open_now", "has_vacancy", "radius_km", "offset", "q")
# When it should start: any time keeps the nearest first; the others order meetings by their start.
WHEN_CHOICES = [("", "Any time (nearest first)"), ("now", "Starting soon"), ("today", "Later today"),
                ("tonight", "Tonight")]
FELLOWSHIP_CHOICES = [("aa", "AA"), ("na", "NA"), ("al-anon", "Al-Anon"), ("ca", "CA"), ("smart", "SMART Recovery")]
# Which groups of filters (directory/catalog/codes.py ATTRIBUTES) fit which need; '' is "any need".
FILTER_GROUPS = [  # (heading, attribute groups, needs it fits)
    ("Who it is for", ("gender", "population"), None),
    ("Meeting type", ("meeting",), ("support_group",)),
    ("Format", ("format",), ("support_group", "treatment", "")),
    ("Recovery", ("recovery",), ("support_group", "treatment", "sober_living", "")),
    ("Cost", ("cost",), None),
    ("Getting in", ("access",), None),
    ("Housing", ("housing",), ("sober_living", "housing")),
]
BED_NEEDS = ("", "sober_living", "housing", "treatment")


def filter_groups(category: str) -> list[tuple[str, list[tuple[str, str]], bool]]:
    """(heading, [(code, label)], fits the chosen need, the needs it fits as 'a,b' or '' for all)
    for the form; groups that do not fit are hidden (static/js/filters.js follows the need)."""
    out = []
    for heading, groups, needs in FILTER_GROUPS:
        options = [(code, label) for code, (label, group) in ATTRIBUTES.items() if group in groups]
        out.append((heading, options, needs is None or category in needs, ",".join(needs) if needs else "*"))
    return out


def fitting_attributes(category: str, chosen: list[str]) -> list[str]:
    """The chosen filters that fit the need: a meeting type ticked before switching to housing
    would otherwise empty the list for no visible reason."""
    fits = {code for _h, options, fit, _n in filter_groups(category) if fit for code, _l in options}
    return [c for c in chosen if c in fits]


@bp.get("/search")
@roles_required("case_manager", "admin", "peer_worker")
def search_page():
    args = request.args
    form = {k: args.get(k, "") for k in FORM_FIELDS}
    form["attributes"] = fitting_attributes(form["category"], args.getlist("attributes"))
    if form["category"] not in BED_NEEDS:
        form["has_vacancy"] = ""
    form["radius_km"] = form["radius_km"] or "40"
    if form["when"] not in {value for value, _label in WHEN_CHOICES}:
        form["when"] = ""
    items, result, error = [], None, None
    if form["near"].strip():
        params = {k: v for k, v in form.items() if k != "attributes"}
        params["attributes"] = form["attributes"]
        params["limit"] = str(PAGE_SIZE)
        try:
            query = build_query(params, default_geocoder())
        except PlaceNotFound as exc:
            error = str(exc)
            if current_app.config.get("LOG_SEARCHES", True) and not form["offset"]:
                with db.Session.begin() as s:  # the clearest gap of all: the needs report counts them
                    log_unknown_place(s, form["near"], "web", form["category"] or None, search_filters(request.args))
        except InvalidQuery as exc:
            error = str(exc)
        else:
            now = dt.datetime.now(dt.timezone.utc)
            with db.Session() as s:
                result = find(s, query, now)  # one result per weekly group (directory/catalog/search/results.py)
                items = present.describe(s, result.items)
                if current_app.config.get("LOG_SEARCHES", True) and query.offset == 0:
                    log_search(s, query, "web", len(items))
                    s.commit()
    prev_url = next_url = None
    if result is not None:
        offset = result.query.offset
        if offset > 0:
            prev_url = _page_url(max(0, offset - PAGE_SIZE))
        if result.has_more:
            next_url = _page_url(offset + PAGE_SIZE)
    return render_template("search.html", form=form, items=items, result=result, error=error,
                           radius_choices=RADIUS_CHOICES, fellowship_choices=FELLOWSHIP_CHOICES, when_choices=WHEN_CHOICES,
                           prev_url=prev_url, next_url=next_url,
                           filter_groups=filter_groups(form["category"]), bed_needs=BED_NEEDS)


def _page_url(offset: int) -> str:
    args = request.args.to_dict(flat=False)
    args["offset"] = [str(offset)]
    return url_for("search.search_page", **args)
