"""People's phone numbers: normalised to E.164, kept once (encrypted), known elsewhere by a pseudonym.

- `PHONE_ENCRYPTION_KEY`: Fernet key(s), comma-separated, newest first (MultiFernet, so keys can
  be rotated). Generate one with
  `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
- `PSEUDONYM_KEY`: any long random string; the pseudonym is HMAC-SHA256(key, E.164). Changing it
  starts every conversation afresh (Rasa sees new senders).
In development both fall back to keys derived from fixed strings, which protect nothing: production
(`SIGNPOST_ENV=production`) refuses to start without real keys.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
from functools import lru_cache

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from phonenumbers import timezone as phone_timezone

from directory.people.models import Person
from directory.base import utcnow
from directory.settings import DEV_PHONE_KEY_SEED, DEV_PSEUDONYM_KEY, is_production

PSEUDONYM_PREFIX = "pseudonym:"  # how an outbox row addresses a person


class KeyMissing(RuntimeError):
    pass


def _fernet() -> MultiFernet:
    keys = os.environ.get("PHONE_ENCRYPTION_KEY")
    if not keys:
        if is_production():
            raise KeyMissing("PHONE_ENCRYPTION_KEY is not set. Generate one with: python -c \"from "
                             "cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\"")
        keys = base64.urlsafe_b64encode(hashlib.sha256(DEV_PHONE_KEY_SEED).digest()).decode()
    return _fernet_for(keys)


@lru_cache(maxsize=8)
def _fernet_for(keys: str) -> MultiFernet:
    try:
        return MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
    except ValueError as exc:
        raise KeyMissing("PHONE_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), "
                         "comma-separated, newest first.") from exc


def _pseudonym_key() -> bytes:
    key = os.environ.get("PSEUDONYM_KEY")
    if not key:
        if is_production():
            raise KeyMissing("PSEUDONYM_KEY is not set. Set it to a long random string, e.g. "
                             "python -c \"import secrets; print(secrets.token_hex(32))\"")
        key = DEV_PSEUDONYM_KEY
    return key.encode()


def check_keys() -> None:
    """Raise KeyMissing now rather than on the first text (called at start-up)."""
    _fernet()
    _pseudonym_key()


def normalize(raw: str | None, region: str = "US") -> str | None:
    """E.164 ('+15415550123') for a plausible number, else None (texts from carriers, listings' phones)."""
    if not raw or len(raw) > 40:
        return None
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return _e164(number)


def checked(raw: str | None, region: str = "US") -> str:
    """E.164 for a number a person typed into a form, which must exist; ValueError says what to fix."""
    raw = (raw or "").strip()
    if not raw:
        raise ValueError("Enter your client's mobile number.")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise ValueError("That is not a phone number. Enter 10 digits, e.g. (714) 555-0123.") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("That number does not exist. Check the digits (10 digits for a US number).")
    return _e164(number)


def _e164(number) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def pseudonym(e164: str) -> str:
    return hmac.new(_pseudonym_key(), e164.encode(), hashlib.sha256).hexdigest()[:32]


def encrypt(e164: str) -> str:
    return encrypt_text(e164)


def decrypt(token: str) -> str | None:
    return decrypt_text(token)


# The same keys protect other small secrets kept at rest (staff TOTP secrets: directory/staff/accounts.py).
def encrypt_text(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt_text(token: str) -> str | None:
    """The text, whichever of PHONE_ENCRYPTION_KEY's keys sealed it; None if none did."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def is_token(value: str | None) -> bool:
    """A Fernet token (version byte 0x80: 'gAAAAA...'), not a value kept in clear."""
    return bool(value) and value.startswith("gAAAAA")


def rotate_token(token: str) -> str:
    """The token sealed again with the newest key (MultiFernet.rotate), after a key rotation."""
    return _fernet().rotate(token.encode()).decode()


def mask(e164: str | None, dots: str = "•••") -> str:
    """What staff may see of a number: the last four digits only."""
    return "" if not e164 else dots + e164[-4:]


def _timezone_of(e164: str) -> str | None:
    try:
        zones = phone_timezone.time_zones_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return None
    # Several zones (e.g. a whole-country answer) say nothing about where the person is.
    return zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else None


def find(session, pseudonym_: str) -> Person | None:
    return session.query(Person).filter(Person.pseudonym == pseudonym_).one_or_none()


def upsert(session, e164: str, now: dt.datetime | None = None) -> Person:
    """The person with this number, created (number encrypted) the first time; last seen now."""
    ref = pseudonym(e164)
    person = find(session, ref)
    if person is None:
        person = Person(pseudonym=ref, phone_encrypted=encrypt(e164), timezone=_timezone_of(e164))
        session.add(person)
    elif person.phone_encrypted is None:  # purged earlier, texting again
        person.phone_encrypted = encrypt(e164)
    person.last_seen_at = now or utcnow()
    session.flush()
    return person


def phone_of(person: Person | None) -> str | None:
    if person is None or not person.phone_encrypted:
        return None
    return decrypt(person.phone_encrypted)


def address_of(pseudonym_: str) -> str:
    """The outbox address of a person: their pseudonym, never their number."""
    return PSEUDONYM_PREFIX + pseudonym_


def resolve(session, to: str) -> tuple[str | None, Person | None]:
    """(E.164 to send to, the person) for an outbox address; a plain number is a provider's."""
    if to.startswith(PSEUDONYM_PREFIX):
        person = find(session, to[len(PSEUDONYM_PREFIX):])
        return phone_of(person), person
    e164 = normalize(to)
    person = find(session, pseudonym(e164)) if e164 else None
    return e164, person


def set_opt_out(person: Person, opted_out: bool, now: dt.datetime | None = None) -> bool:
    """Record STOP or START; True when it changed something (so the confirmation goes once)."""
    if person.opted_out == opted_out:
        return False
    person.opted_out = opted_out
    person.opted_out_at = (now or utcnow()) if opted_out else None
    return True
