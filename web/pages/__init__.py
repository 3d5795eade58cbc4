"""The web pages for case managers, peer workers and admins (server-rendered, work without JS).

Each module owns one blueprint; `init_app` wires them, the security layer (web/auth.py) and the
template helpers into the app.
"""
from __future__ import annotations

import datetime as dt
import re

from directory.staff.accounts import ROLES
from directory.staff.upkeep import STATUSES
from directory.catalog.codes import ATTRIBUTES, CATEGORIES, LANGUAGES


def init_app(app) -> None:
    from web import auth
    from web.pages import account, admin, listings, peer, present, referrals, reports, search

    auth.init_app(app)
    for module in (account, search, listings, peer, referrals, reports, admin):
        app.register_blueprint(module.bp)
    app.jinja_env.filters.update(ago=ago, day=day, miles=miles, vacancy=vacancy, schedule_line=schedule_line,
                                 unverified=unverified, weburl=weburl, readable=present.readable)
    app.jinja_env.globals.update(CATEGORIES=CATEGORIES, ATTRIBUTES=ATTRIBUTES, LANGUAGES=LANGUAGES, ROLES=ROLES,
                                 LISTING_STATUSES=STATUSES)
    _error_pages(app)


ERROR_PAGES = {
    404: ("Page not found", "There is no page at this address. The listing may have been removed, or the link "
                            "may be cut short."),
    405: ("Not that way", "This page cannot be opened like that. Go back and use the page's own buttons."),
}


def _error_pages(app) -> None:
    from flask import request

    def page_or_json(exc):
        if request.path.startswith("/api/"):  # the API's JSON envelope, with Allow on a 405
            from web.api import error_response, http_error_headers
            return error_response(exc.code, (exc.name or "error").lower().replace(" ", "_"), exc.description or exc.name,
                                  http_error_headers(exc))
        if request.path == "/fhir" or request.path.startswith("/fhir/"):
            from web.fhir import http_outcome
            return http_outcome(exc)
        if request.path.startswith("/sms/"):
            return exc
        from web.auth import error_page
        return error_page(exc.code, *ERROR_PAGES[exc.code])

    for code in ERROR_PAGES:
        app.register_error_handler(code, page_or_json)


def _utc(value) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(0))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def ago(value, now: dt.datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', '2 days ago'."""
    when = _utc(value)
    if when is None:
        return "never"
    seconds = ((now or dt.datetime.now(dt.timezone.utc)) - when).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return "1 day ago" if days == 1 else f"{days} days ago"


def day(value) -> str:
    when = _utc(value)
    return "never" if when is None else f"{when:%b} {when.day}, {when.year}"


def unverified(last_verified) -> bool:
    """Not verified within directory.staff.upkeep.STALE_AFTER_DAYS (or never)."""
    from directory.staff.upkeep import STALE_AFTER_DAYS
    when = _utc(last_verified)
    return when is None or (dt.datetime.now(dt.timezone.utc) - when).days > STALE_AFTER_DAYS


def weburl(value) -> str:
    """An absolute link for a stored website: 'www.example.org' (2,611 of Miami 211's) would
    otherwise be a path inside Signpost. Schemes other than http(s) are not linked ('')."""
    from directory.staff.upkeep import web_address
    return web_address(value) or ""


def miles(km) -> str:
    if km is None:
        return ""
    mi = km / 1.609344
    return f"{mi:.1f} mi" if mi < 10 else f"{mi:.0f} mi"


def vacancy(capacity: dict | None) -> str:
    """'2 beds free · updated 3 h ago', 'Full · updated 1 day ago', or ''."""
    if not capacity or capacity.get("available") is None:
        return ""
    n, unit = capacity["available"], capacity.get("unit") or "beds"
    singular = unit[:-1] if unit.endswith("s") else unit
    head = "Full" if n == 0 else f"{n} {singular if n == 1 else unit} free"
    return f"{head} · updated {ago(capacity.get('updated_at'))}"


DAY_NAMES = {"MO": "Mon", "TU": "Tue", "WE": "Wed", "TH": "Thu", "FR": "Fri", "SA": "Sat", "SU": "Sun"}


def schedule_line(schedule: dict) -> str:
    """{'byday': 'MO,TU,WE,TH,FR', 'opens_at': '09:00', 'closes_at': '17:00'} -> 'Mon–Fri 9:00 am–5:00 pm'."""
    from directory.staff.upkeep import days_text
    from directory.catalog.schedules import clock
    codes = days_text(schedule.get("byday"))  # 'MO-FR', 'TU,TH', 'daily'
    days = "Every day" if codes == "daily" else re.sub(r"[A-Z]{2}", lambda m: DAY_NAMES[m.group()], codes)
    days = days.replace("-", "–").replace(",", ", ")
    opens, closes = schedule.get("opens_at"), schedule.get("closes_at")
    if opens in (None, "00:00") and closes in (None, "00:00"):
        return f"{days}: open 24 hours"
    start = clock(dt.time.fromisoformat(opens))
    end = clock(dt.time.fromisoformat(closes)) if closes else None
    return f"{days}: {start}–{end}" if end else f"{days}: from {start}"
