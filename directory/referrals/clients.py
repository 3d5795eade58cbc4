"""API clients: the clinics' systems that send referrals (FHIR), each with its own bearer token.

A token is shown once, when it is made; the table keeps its SHA-256 only (a random 256-bit token
needs no slow hash: nobody can guess one from its digest). A revoked client keeps its referrals.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from sqlalchemy import DateTime, String, select
from sqlalchemy.orm import Mapped, mapped_column

from directory.base import Base, new_id, utcnow

NAME_RE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")


class ApiClient(Base):
    __tablename__ = "api_client"
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    @property
    def source(self) -> str:
        """How its referrals name their source: fhir:<name>."""
        return f"fhir:{self.name}"


class ClientError(ValueError):
    pass


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def create_client(session, name: str) -> tuple[ApiClient, str]:
    """A new client and its token (shown once). The caller commits."""
    name = (name or "").strip().lower()
    if not NAME_RE.fullmatch(name):
        raise ClientError("A client's name is 1-40 lower-case letters, digits, '.', '_' or '-' (e.g. riverside-clinic).")
    if session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None:
        raise ClientError(f"There is already a client named '{name}'.")
    token = "sp_" + secrets.token_urlsafe(32)
    client = ApiClient(name=name, token_hash=_digest(token), created_at=utcnow())
    session.add(client)
    session.flush()
    return client, token


def revoke_client(session, name: str) -> ApiClient:
    client = session.scalar(select(ApiClient).where(ApiClient.name == (name or "").strip().lower()))
    if client is None:
        raise ClientError(f"No client named '{name}'.")
    if client.revoked_at is None:
        client.revoked_at = utcnow()
    return client


def client_for_token(session, token: str | None) -> ApiClient | None:
    """The active client this bearer token belongs to, or None."""
    if not token:
        return None
    return session.scalar(select(ApiClient).where(ApiClient.token_hash == _digest(token), ApiClient.revoked_at.is_(None)))
