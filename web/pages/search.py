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
from web.auth import roles_required

bp = Blueprint("search", __name__)
PAGE_SIZE = 20
RADIUS_CHOICES = [("8", "5 miles"), ("16", "10 miles"), ("40", "25 miles"), ("80", "50 miles")]
# Only what the form offers goes to the query: no stray parameters.
FORM_FIELDS = ("near", "category", "fellowship", "open_now", "has_vacancy", "radius_km", "offset", "q")
FELLOWSHIP_CHOICES = [("aa", "AA"), ("na", "NA"), ("al-anon", "Al-Anon"), ("ca", "CA"), ("smart", "SMART Recovery")]


@bp.get("/search")
@roles_required("case_manager", "admin", "peer_worker")
def search_page():
    args = request.args
    form = {k: args.get(k, "") for k in FORM_FIELDS}
    form["attributes"] = args.getlist("attributes")
    form["radius_km"] = form["radius_km"] or "40"
    items, result, error = [], None, None
    if form["near"].strip():
        params = {k: v for k, v in form.items() if k != "attributes"}
        params["attributes"] = form["attributes"]
        params["limit"] = str(PAGE_SIZE)
        try:
            query = build_query(params, default_geocoder())
        except (InvalidQuery, PlaceNotFound) as exc:
            error = str(exc)
        else:
            now = dt.datetime.now(dt.timezone.utc)
            with db.Session() as s:
                result = find(s, query, now)  # one result per weekly group (directory/catalog/search/results.py)
                items = result.items
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
                           radius_choices=RADIUS_CHOICES, fellowship_choices=FELLOWSHIP_CHOICES, prev_url=prev_url, next_url=next_url)


def _page_url(offset: int) -> str:
    args = request.args.to_dict(flat=False)
    args["offset"] = [str(offset)]
    return url_for("search.search_page", **args)
