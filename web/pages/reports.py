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
from directory.catalog.codes import ATTRIBUTES, CATEGORIES, LANGUAGES
from directory.catalog.unknown_places import UNKNOWN_PLACE
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
    unknown_place = func.coalesce(SearchLog.filters, "").like(UNKNOWN_PLACE + "%")
    found_place = ~unknown_place
    gaps = [
        {"place": p or "(map point)", "category": CATEGORIES.get(c, "Any category"), "filters": filter_labels(f),
         "searches": n}
        for p, c, f, n in session.execute(select(place, SearchLog.category, SearchLog.filters, func.count())
                                          .where(*where, found_place, SearchLog.result_count == 0)
                                          .group_by(place, SearchLog.category, SearchLog.filters)
                                          .order_by(func.count().desc()).limit(TOP_PLACES))]
    unknown = [
        {"place": p or "(empty)", "category": CATEGORIES.get(c, "Any category"), "searches": n}
        for p, c, n in session.execute(select(SearchLog.place_label, SearchLog.category, func.count())
                                       .where(*where, unknown_place)
                                       .group_by(SearchLog.place_label, SearchLog.category)
                                       .order_by(func.count().desc()).limit(TOP_PLACES))]
    unknown_total = session.scalar(select(func.count()).where(*where, unknown_place)) or 0
    empty_with_filters = session.scalar(select(func.count()).where(
        *where, found_place, SearchLog.result_count == 0, SearchLog.filters.is_not(None))) or 0
    channels = dict(session.execute(select(SearchLog.channel, func.count()).where(*where).group_by(SearchLog.channel)).all())
    total = sum(r["searches"] for r in by_category)
    return {"by_category": by_category, "by_place": by_place, "gaps": gaps, "channels": channels, "total": total,
            "empty": sum(r["empty"] for r in by_category), "unknown": unknown, "unknown_total": unknown_total,
            "empty_with_filters": empty_with_filters}


FILTER_WORDS = {"vacancy": "has a free bed", "when:now": "open now", "when:today": "today",
                "when:tonight": "tonight"}


def filter_labels(filters: str | None) -> str:
    """'women,when:now,vacancy' -> 'Women only, open now, has a free bed'; '' when none."""
    out = []
    for code in (filters or "").split(","):
        code = code.strip()
        if not code or code == UNKNOWN_PLACE:
            continue
        if code in FILTER_WORDS:
            out.append(FILTER_WORDS[code])
        elif code.startswith("lang:"):
            out.append(LANGUAGES.get(code[5:], code[5:]))
        else:
            out.append(ATTRIBUTES.get(code, (code,))[0])
    return ", ".join(out)


def bar_chart_svg(rows: list[dict], width: int = 420, bar: int = 18, gap: int = 14, label_h: int = 20) -> Markup:
    """Horizontal bars: searches per category, the part that found nothing in a second colour. Each
    label sits above its bar, so the chart stays narrow and its words stay readable on a phone."""
    if not rows:
        return Markup("")
    biggest = max(r["searches"] for r in rows) or 1
    row_h = label_h + bar + gap
    height = len(rows) * row_h + 30
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'aria-label="Searches by category, and those that found nothing" xmlns="http://www.w3.org/2000/svg">']
    for i, r in enumerate(rows):
        y = 8 + i * row_h
        w_all = max(1, round(width * r["searches"] / biggest))
        w_empty = round(width * r["empty"] / biggest)
        parts.append(f'<text x="0" y="{y + 15}" class="chart-label">{escape(r["label"][:34])}</text>'
                     f'<text x="{width}" y="{y + 15}" text-anchor="end" class="chart-value">'
                     f'{r["searches"]} ({r["empty"]} none)</text>')
        parts.append(f'<rect x="0" y="{y + label_h}" width="{w_all}" height="{bar}" class="bar-found"><title>'
                     f'{r["searches"]} searches</title></rect>')
        if w_empty:
            parts.append(f'<rect x="0" y="{y + label_h}" width="{w_empty}" height="{bar}" class="bar-empty"><title>'
                         f'{r["empty"]} found nothing</title></rect>')
    legend_y = height - 8
    parts.append(f'<rect x="0" y="{legend_y - 12}" width="14" height="14" class="bar-found"/>'
                 f'<text x="20" y="{legend_y}" class="chart-label">searches</text>'
                 f'<rect x="120" y="{legend_y - 12}" width="14" height="14" class="bar-empty"/>'
                 f'<text x="140" y="{legend_y}" class="chart-label">found nothing</text>')
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
