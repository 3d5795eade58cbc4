"""'Report a problem with this listing': no login, CSRF, honeypot, minimum fill time, rate limit."""
from __future__ import annotations

import re
import time

from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from directory import db
from directory.staff.models import ProblemReport
from tests.web.conftest import KEPT_SERVICE
from web import create_app

URL = f"/services/{KEPT_SERVICE}/report"


def _stamp(app, seconds_ago: float) -> str:
    return URLSafeSerializer(app.secret_key, salt="report-form").dumps(time.time() - seconds_ago)


def _form(app, **overrides):
    form = {"kind": "phone", "message": "The number rings a laundromat.", "stamp": _stamp(app, 30), "website": ""}
    form.update(overrides)
    return form


def _reports():
    with db.Session() as s:
        return s.scalars(select(ProblemReport)).all()


def test_anyone_can_report_and_admins_see_it(app, signed_in):
    page = app.test_client().get(f"/services/{KEPT_SERVICE}").get_data(as_text=True)
    assert "Report a problem with this listing" in page and 'name="stamp"' in page
    response = app.test_client().post(URL, data=_form(app, contact="maria@example.org"), follow_redirects=True)
    assert response.status_code == 200 and "An admin will check this listing" in response.get_data(as_text=True)
    [report] = _reports()
    assert (report.kind, report.status, report.contact) == ("phone", "open", "maria@example.org")
    admin = signed_in("admin")
    assert "The number rings a laundromat." in admin.get("/admin").get_data(as_text=True)
    admin.post(f"/admin/reports/{report.id}", data={"status": "resolved"})
    assert _reports()[0].status == "resolved" and _reports()[0].resolved_by == "admin.demo@signpost.example"
    assert "The number rings a laundromat." not in admin.get("/admin").get_data(as_text=True)


def test_spam_is_refused(app):
    client = app.test_client()
    assert client.post(URL, data=_form(app, website="http://cheap-pills.example")).status_code == 400  # honeypot
    assert client.post(URL, data=_form(app, stamp=_stamp(app, 0.5))).status_code == 400  # too fast
    forged = URLSafeSerializer("another-key", salt="report-form").dumps(time.time() - 60)
    assert client.post(URL, data=_form(app, stamp=forged)).status_code == 400
    assert client.post(URL, data=_form(app, stamp="")).status_code == 400
    short = client.post(URL, data=_form(app, message="bad"))
    assert short.status_code == 400 and "at least a few words" in short.get_data(as_text=True)
    assert client.post("/services/no-such-service/report", data=_form(app)).status_code == 404
    assert _reports() == []


def test_reports_need_csrf_and_are_rate_limited(db_url):
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": True,
                      "RATELIMIT_ENABLED": True})
    client = app.test_client()
    assert client.post(URL, data=_form(app)).status_code == 400  # no CSRF token
    html = client.get(f"/services/{KEPT_SERVICE}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    codes = [client.post(URL, data=_form(app, csrf_token=token)).status_code for _ in range(6)]
    assert codes == [302] * 5 + [429]
    assert len(_reports()) == 5
