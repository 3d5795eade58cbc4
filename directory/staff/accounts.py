"""People who sign in to the web (admins, case managers, peer workers) and who keeps which listings.

Passwords: argon2id hashes (argon2-cffi), at least 12 characters and not a common password
(zxcvbn's list of the 30,000 most common, also with trailing digits and symbols stripped, so
"Password2024!" is refused). TOTP secrets for the second factor live here too; the last accepted
time step is kept so a code cannot be replayed. Framework-free: web/auth.py does the sessions.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from directory.catalog.models import Organization
from directory.people import phones
from directory.staff.models import OrganizationKeeper
from directory.staff.models import User

ROLES = {
    "admin": "Admin",
    "case_manager": "Case manager",
    "peer_worker": "Peer worker",
}
# Roles that must use a second factor (enforced in production, offered in development).
TOTP_ROLES = ("admin", "case_manager")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # argon2 takes any length; this only stops abuse

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (t=3, 64 MiB, p=4)
# Verified against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_dummy_hash: str | None = None


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the hasher (tests use argon2's cheapest profile; stored hashes carry their own parameters)."""
    global _hasher, _dummy_hash
    _hasher, _dummy_hash = hasher, None


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:  # made on first use: importing the models must stay cheap
        _dummy_hash = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))
    return _dummy_hash


class AccountError(ValueError):
    """A message a person can act on ("Password is too short ...")."""


# --- passwords ------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS
    return frozenset(FREQUENCY_LISTS["passwords"])


_TRAILING_JUNK = re.compile(r"[\d\W_]+$")


def password_problems(password: str, email: str = "") -> list[str]:
    """What is wrong with a new password, as sentences; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"Use at least {MIN_PASSWORD_LENGTH} characters (a few unrelated words work well).")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"Use at most {MAX_PASSWORD_LENGTH} characters.")
    lowered = password.lower()
    stripped = _TRAILING_JUNK.sub("", lowered)
    if lowered in common_passwords() or (len(stripped) >= 4 and stripped in common_passwords()):
        problems.append("That password is on a list of common passwords; choose another.")
    elif len(set(lowered)) <= 3:
        problems.append("That password repeats too few characters; choose another.")
    local = email.split("@")[0].lower()
    if len(local) >= 4 and local in lowered:
        problems.append("Do not put your e-mail name in your password.")
    return problems


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User | None, password: str) -> bool:
    """True when it matches; takes as long for an unknown user. Rehashes when parameters changed."""
    try:
        _hasher.verify(user.password_hash if user else _dummy(), password)
    except (VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def generate_password() -> str:
    """Four groups of 8 random characters (about 190 bits), easy to read out: 'k7mqx2pa-...'."""
    return "-".join(secrets.token_urlsafe(6).lower().replace("_", "x").replace("-", "y") for _ in range(4))


# --- users ----------------------------------------------------------------------------------
def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email) or len(email) > 200:
        raise AccountError(f"'{email}' is not an e-mail address.")
    return email


def get_by_email(session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == (email or "").strip().lower())).first()


def create_user(session, email: str, role: str, password: str) -> User:
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"Unknown role '{role}'. Use one of: {', '.join(ROLES)}.")
    problems = password_problems(password, email)
    if problems:
        raise AccountError(" ".join(problems))
    if get_by_email(session, email):
        raise AccountError(f"There is already a user {email}.")
    user = User(email=email, role=role, password_hash=hash_password(password), active=True, session_epoch=0)
    session.add(user)
    session.flush()
    return user


def set_password(session, user: User, password: str) -> None:
    problems = password_problems(password, user.email)
    if problems:
        raise AccountError(" ".join(problems))
    user.password_hash = hash_password(password)
    user.session_epoch = (user.session_epoch or 0) + 1


def set_role(user: User, role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"Unknown role '{role}'.")
    user.role = role
    user.session_epoch = (user.session_epoch or 0) + 1


def set_active(user: User, active: bool) -> None:
    user.active = active
    user.session_epoch = (user.session_epoch or 0) + 1


def list_users(session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.email)))


# --- keepers --------------------------------------------------------------------------------
def kept_organization_ids(session, user_id: str) -> set[str]:
    return set(session.scalars(select(OrganizationKeeper.organization_id).where(OrganizationKeeper.user_id == user_id)))


def assign_keeper(session, user: User, organization_id: str, assigned_by: str) -> None:
    if user.role != "peer_worker":
        raise AccountError(f"{user.email} is not a peer worker; only peer workers keep listings.")
    if session.get(Organization, organization_id) is None:
        raise AccountError("No such organization.")
    exists = session.scalars(select(OrganizationKeeper).where(
        OrganizationKeeper.user_id == user.id, OrganizationKeeper.organization_id == organization_id)).first()
    if not exists:
        session.add(OrganizationKeeper(user_id=user.id, organization_id=organization_id, assigned_by=assigned_by))


def unassign_keeper(session, user_id: str, organization_id: str) -> None:
    row = session.scalars(select(OrganizationKeeper).where(
        OrganizationKeeper.user_id == user_id, OrganizationKeeper.organization_id == organization_id)).first()
    if row:
        session.delete(row)


# --- TOTP -----------------------------------------------------------------------------------
TOTP_ISSUER = "Signpost"


def new_totp_secret() -> str:
    import pyotp
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    import pyotp
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def accepted_totp_step(secret: str, code: str, last_step: int | None, now: dt.datetime | None = None) -> int | None:
    """The time step the code belongs to (this one or a neighbour), or None. Never one already used."""
    import pyotp
    code = re.sub(r"\s", "", code or "")
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    when = now or dt.datetime.now(dt.timezone.utc)
    step = totp.timecode(when)
    for candidate in (step, step - 1, step + 1):
        if last_step is not None and candidate <= last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def set_totp_secret(user: User, secret: str | None) -> None:
    """Keep the TOTP secret encrypted at rest, with the phone numbers' keys (PHONE_ENCRYPTION_KEY,
    MultiFernet: newest key first, older ones still read). None turns the second factor off."""
    user.totp_secret = phones.encrypt_text(secret) if secret else None


def totp_secret_of(user: User) -> str | None:
    """The secret in clear, for checking a code. A value from before encryption (the migration
    encrypts them; a restored backup might not) is read as it is."""
    stored = user.totp_secret
    if not stored:
        return None
    if not phones.is_token(stored):
        return stored
    secret = phones.decrypt_text(stored)
    if secret is None:
        raise phones.KeyMissing("A TOTP secret cannot be decrypted: is a key missing from PHONE_ENCRYPTION_KEY?")
    return secret


def verify_totp(user: User, code: str, now: dt.datetime | None = None) -> bool:
    secret = totp_secret_of(user)
    if not secret:
        return False
    step = accepted_totp_step(secret, code, user.totp_last_step, now)
    if step is None:
        return False
    user.totp_last_step = step
    # Sealed again with the newest key (after a rotation), or sealed at last if it was in clear.
    user.totp_secret = phones.rotate_token(user.totp_secret) if phones.is_token(user.totp_secret) \
        else phones.encrypt_text(secret)
    return True


# --- demo users (development only) ------------------------------------------------------------
DEMO_PASSWORD = "recovery-demo-2026"
DEMO_USERS = [
    ("admin.demo@signpost.example", "admin"),
    ("case.demo@signpost.example", "case_manager"),
    ("peer.demo@signpost.example", "peer_worker"),
]
# The demo peer worker keeps these demo organizations (see directory/catalog/demo.py).
DEMO_KEPT_ORGANIZATIONS = ["Harbor House Recovery (demo)", "Second Chance Shelter (demo)",
                           "Hope Harbor KC (demo)", "Santa Ana Fellowship Hall (demo)"]


def ensure_demo_users(session) -> list[tuple[str, str, str]]:
    """Create the demo users (or reset their password and role). Returns [(email, role, password)]."""
    from directory.catalog.taxonomy import stable_id
    for email, role in DEMO_USERS:
        user = get_by_email(session, email)
        if user is None:
            user = create_user(session, email, role, DEMO_PASSWORD)
        else:
            user.password_hash, user.role, user.active = hash_password(DEMO_PASSWORD), role, True
        if role == "peer_worker":
            for name in DEMO_KEPT_ORGANIZATIONS:
                org_id = stable_id("demo-org", name)
                if session.get(Organization, org_id) is not None:
                    assign_keeper(session, user, org_id, "demo")
    session.flush()
    return [(email, role, DEMO_PASSWORD) for email, role in DEMO_USERS]
