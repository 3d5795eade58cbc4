"""Account security: TOTP secrets encrypted at rest with the phone numbers' keys (rotation included,
and the migration that encrypts existing ones), and the trail of who opened or exported which
referral, shown and exported to admins and kept ACCESS_LOG_RETENTION_DAYS."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from directory import db
from directory.base import utcnow
from directory.people import phones
from directory.referrals import access_log
from directory.referrals.models import ReferralAccess
from directory.staff import accounts
from directory.staff.models import User
from tests.web.conftest import KEPT_SERVICE


# --- TOTP secrets ---------------------------------------------------------------------------
def _enrol(client) -> str:
    page = client.get("/account/totp").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    assert client.post("/account/totp", data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    return secret


def _stored(email) -> str:
    with db.Session() as s:
        return accounts.get_by_email(s, email).totp_secret


def test_totp_secrets_are_encrypted_at_rest(app, users, signed_in):
    secret = _enrol(signed_in("case_manager"))
    stored = _stored(users["case_manager"])
    assert stored != secret and secret not in stored and phones.is_token(stored)
    assert phones.decrypt_text(stored) == secret
    with db.Session() as s:
        user = accounts.get_by_email(s, users["case_manager"])
        assert accounts.totp_secret_of(user) == secret
        assert accounts.verify_totp(user, pyotp.TOTP(secret).at(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30)))


def test_a_rotated_key_still_reads_the_secret_and_seals_it_again(app, users, monkeypatch):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("PHONE_ENCRYPTION_KEY", old_key)
    secret = accounts.new_totp_secret()
    with db.Session.begin() as s:
        accounts.set_totp_secret(accounts.get_by_email(s, users["admin"]), secret)
    sealed_with_old = _stored(users["admin"])
    monkeypatch.setenv("PHONE_ENCRYPTION_KEY", f"{new_key},{old_key}")  # newest first
    with db.Session.begin() as s:
        user = accounts.get_by_email(s, users["admin"])
        assert accounts.verify_totp(user, pyotp.TOTP(secret).now())
    resealed = _stored(users["admin"])
    assert resealed != sealed_with_old
    assert Fernet(new_key.encode()).decrypt(resealed.encode()).decode() == secret  # the new key alone reads it
    monkeypatch.setenv("PHONE_ENCRYPTION_KEY", new_key)  # the old key can go now
    with db.Session() as s:
        assert accounts.totp_secret_of(accounts.get_by_email(s, users["admin"])) == secret


def test_the_migration_encrypts_existing_secrets(tmp_path):
    from alembic import command
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db.configure(url)
    command.upgrade(db.alembic_config(url), "0006")
    with db.engine().begin() as conn:
        conn.execute(text("INSERT INTO app_user (id, email, role, password_hash, active, totp_secret, session_epoch, "
                          "created_at) VALUES ('u1', 'a@example.org', 'admin', 'x', 1, 'JBSWY3DPEHPK3PXP', 0, "
                          "'2026-01-01 00:00:00')"))
    db.upgrade(url)
    with db.Session() as s:
        user = s.get(User, "u1")
        assert phones.is_token(user.totp_secret) and accounts.totp_secret_of(user) == "JBSWY3DPEHPK3PXP"
        assert s.execute(text("SELECT count(*) FROM referral_access")).scalar() == 0
    db.engine().dispose()


# --- the referral access trail --------------------------------------------------------------
def _send_referral(client) -> None:
    response = client.post(f"/services/{KEPT_SERVICE}/text", data={"phone": "714-202-5555", "language": "en"})
    assert response.status_code == 302


def _trail() -> list[tuple[str, str, str]]:
    with db.Session() as s:
        return [(a.user_email, a.action, a.referral_id) for a in
                s.scalars(select(ReferralAccess).order_by(ReferralAccess.id))]


def test_who_listed_opened_or_exported_a_referral_is_recorded(app, users, signed_in):
    case = signed_in("case_manager")
    _send_referral(case)
    assert _trail() == []
    page = case.get("/referrals").get_data(as_text=True)
    referral_id = re.search(r'href="/referrals/([0-9a-f-]{36})"', page).group(1)  # not rates.csv
    detail = case.get(f"/referrals/{referral_id}")
    assert detail.status_code == 200 and "Harbor House" in detail.get_data(as_text=True)
    assert case.get("/referrals.csv").status_code == 200
    email = users["case_manager"]
    assert _trail() == [(email, "list", referral_id), (email, "view", referral_id), (email, "export", referral_id)]
    with db.Session() as s:
        assert all(a.remote_addr == "127.0.0.1" for a in s.scalars(select(ReferralAccess)))

    # Admins see and export it; nobody else does.
    admin = signed_in("admin")
    log_page = admin.get(f"/admin/access-log?referral={referral_id}").get_data(as_text=True)
    assert email in log_page and "Opened" in log_page and "Exported (CSV)" in log_page
    exported = list(csv.reader(io.StringIO(admin.get("/admin/access-log.csv?period=").get_data(as_text=True))))
    assert exported[0] == ["at_utc", "user_email", "action", "referral_id", "remote_addr"]
    assert {(r[1], r[2], r[3]) for r in exported[1:]} >= {(email, "view", referral_id), (email, "export", referral_id)}
    assert case.get("/admin/access-log").status_code == 403
    assert signed_in("peer_worker").get("/admin/access-log.csv").status_code == 403
    # Someone else's referral is not theirs to open (and opening nothing is not recorded).
    other = app.test_client()
    from tests.web.conftest import login
    with db.Session.begin() as s:
        accounts.create_user(s, "case2@example.org", "case_manager", "harbor-lantern-orbit-47")
    login(other, "case2@example.org", "harbor-lantern-orbit-47")
    assert other.get(f"/referrals/{referral_id}").status_code == 404
    assert len(_trail()) == 3 + 0  # the admin's list was not of /referrals; the 404 left nothing


def test_the_trail_is_kept_for_the_configured_time(app, monkeypatch):
    from directory.settings import settings_from_env
    from directory.texting import retention
    with db.Session.begin() as s:
        access_log.record(s, None, "old@example.org", "view", ["r-old"], at=utcnow() - dt.timedelta(days=40))
        access_log.record(s, None, "new@example.org", "view", ["r-new"], at=utcnow() - dt.timedelta(days=2))
    monkeypatch.setenv("ACCESS_LOG_RETENTION_DAYS", "30")
    counts = retention.purge_expired(settings_from_env())
    assert counts["referral_accesses_deleted"] == 1
    assert [r[2] for r in _trail()] == ["r-new"]


def test_unknown_access_actions_are_refused(app):
    with db.Session() as s, pytest.raises(ValueError):
        access_log.record(s, None, "x@example.org", "peek", ["r1"])
