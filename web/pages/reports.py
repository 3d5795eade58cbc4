"""/reports/needs: what people searched for, where, and where nothing was found.

Read from `search_log` (web, API and bot searches; category, ZIP and result count only, no
personal data). The chart is SVG drawn on the server: no script, nothing for the CSP to allow.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from markupsafe import Markup, escape
from sqlalchemy import case, func, select

from directory import db
from directory.catalog.models import SearchLog
from directory.catalog.search import log as search_log
from directory.base import utcnow
from directory.catalog.codes import CATEGORIES
from web.auth import roles_required

bp = Blueprint("reports", __name__)
SHORT_LABELS = {"support_group": "Support groups", "sober_living": "Sober living", "housing": "Housing",
                "transportation": "Rides and transport", "treatment": "Treatment"}
PERIODS = {"7": "Last 7 days", "30": "Last 30 days", "90": "Last 90 days", "365": "Last year"}
TOP_PLACES = 15


def needs_and_gaps(session, since: dt.datetime, channel: str | None = None) -> dict:
    search_log.buffer.flush()  # this process's latest searches too (other processes write theirs within a second)
    empty = func.sum(case((SearchLog.result_count == 0, 1), else_=0))
    where = [SearchLog.created_at >= since]
    if channel:
        where.append(SearchLog.channel == channel)
    by_category = [
        {"category": c or "any", "label": SHORT_LABELS.get(c, "Any need"), "searches": n, "empty": e or 0}
        for c, n, e in session.execute(select(SearchLog.category, func.count(), empty).where(*where)
                                       .group_by(SearchLog.category).order_by(func.count().desc()))]
    place = func.coalesce(SearchLog.place_label, SearchLog.postal_code)
    by_place = [
        {"place": p or "(map point)", "searches": n, "empty": e or 0}
        for p, n, e in session.execute(select(place, func.count(), empty).where(*where).group_by(place)
                                       .order_by(empty.desc(), func.count().desc()).limit(TOP_PLACES))]
    gaps = [
        {"place": p or "(map point)", "category": CATEGORIES.get(c, "Any category"), "searches": n}
        for p, c, n in session.execute(select(place, SearchLog.category, func.count())
                                       .where(*where, SearchLog.result_count == 0)
                                       .group_by(place, SearchLog.category)
                                       .order_by(func.count().desc()).limit(TOP_PLACES))]
    channels = dict(session.execute(select(SearchLog.channel, func.count()).where(*where).group_by(SearchLog.channel)).all())
    total = sum(r["searches"] for r in by_category)
    return {"by_category": by_category, "by_place": by_place, "gaps": gaps, "channels": channels, "total": total,
            "empty": sum(r["empty"] for r in by_category)}


def bar_chart_svg(rows: list[dict], width: int = 640, bar: int = 22, gap: int = 10, label_w: int = 170) -> Markup:
    """Horizontal bars: searches per category, the part that found nothing in a second colour."""
    if not rows:
        return Markup("")
    biggest = max(r["searches"] for r in rows) or 1
    plot = width - label_w - 110  # room for the value after the longest bar
    height = len(rows) * (bar + gap) + gap + 24
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'aria-label="Searches by category, and those that found nothing" xmlns="http://www.w3.org/2000/svg">']
    for i, r in enumerate(rows):
        y = gap + i * (bar + gap)
        w_all = max(1, round(plot * r["searches"] / biggest))
        w_empty = round(plot * r["empty"] / biggest)
        parts.append(f'<text x="{label_w - 8}" y="{y + bar * 0.7:.0f}" text-anchor="end" class="chart-label">'
                     f'{escape(r["label"][:24])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w_all}" height="{bar}" class="bar-found"><title>'
                     f'{r["searches"]} searches</title></rect>')
        if w_empty:
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w_empty}" height="{bar}" class="bar-empty"><title>'
                         f'{r["empty"]} found nothing</title></rect>')
        parts.append(f'<text x="{label_w + w_all + 6}" y="{y + bar * 0.7:.0f}" class="chart-value">'
                     f'{r["searches"]} ({r["empty"]} none)</text>')
    legend_y = height - 8
    parts.append(f'<rect x="{label_w}" y="{legend_y - 10}" width="12" height="12" class="bar-found"/>'
                 f'<text x="{label_w + 18}" y="{legend_y}" class="chart-label">searches</text>'
                 f'<rect x="{label_w + 110}" y="{legend_y - 10}" width="12" height="12" class="bar-empty"/>'
                 f'<text x="{label_w + 128}" y="{legend_y}" class="chart-label">found nothing</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


@bp.get("/reports/needs")
@roles_required("case_manager", "admin")
def needs():
    period = request.args.get("period", "30")
    if period not in PERIODS:
        period = "30"
    channel = request.args.get("channel", "")
    if channel not in ("web", "api", "bot"):
        channel = ""
    with db.Session() as s:
        data = needs_and_gaps(s, utcnow() - dt.timedelta(days=int(period)), channel or None)
    return render_template("needs.html", data=data, chart=bar_chart_svg(data["by_category"]), period=period,
                           periods=PERIODS, channel=channel)
