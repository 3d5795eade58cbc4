"""The directory's JSON API (/api/v1), as the action server sees it: a timeout, a service token,
and two kinds of failure, the person's (4xx, with a human message) and ours (unreachable)."""
from __future__ import annotations

import os
from typing import Any, Optional

import requests

DEFAULT_URL = "http://127.0.0.1:5000"
TIMEOUT = (2.0, 6.0)  # connect, read: an SMS reply should not hang on a slow directory


class DirectoryError(Exception):
    """The API answered 4xx: code and message come from its error envelope."""

    def __init__(self, code: str, message: str, status: int, suggestions: Optional[list] = None):
        super().__init__(f"{status} {code}")
        self.code, self.message, self.status = code, message, status
        self.suggestions = suggestions or []  # unknown_place: the nearest spellings ("Santa Ana, CA")


class DirectoryUnavailable(Exception):
    """No usable answer: connection refused, timeout, 5xx, not JSON."""


class DirectoryClient:
    def __init__(self, base_url: Optional[str] = None, token: Optional[str] = None,
                 timeout: tuple[float, float] = TIMEOUT, session: Optional[requests.Session] = None):
        self.base_url = (base_url or os.environ.get("SIGNPOST_API_URL") or DEFAULT_URL).rstrip("/")
        self.token = token if token is not None else os.environ.get("SIGNPOST_SERVICE_TOKEN", "")
        self.timeout = timeout
        self.session = session or requests.Session()

    def _request(self, method: str, path: str, **kw: Any) -> dict:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            resp = self.session.request(method, self.base_url + path, headers=headers,
                                        timeout=self.timeout, **kw)
        except requests.RequestException as exc:
            raise DirectoryUnavailable(type(exc).__name__) from exc
        if resp.status_code >= 500:
            raise DirectoryUnavailable(f"HTTP {resp.status_code}")
        try:
            body = resp.json()
        except ValueError as exc:
            raise DirectoryUnavailable("not JSON") from exc
        if resp.status_code >= 400:
            err = body.get("error") if isinstance(body, dict) else None
            err = err if isinstance(err, dict) else {}
            suggestions = err.get("suggestions") if isinstance(err.get("suggestions"), list) else []
            raise DirectoryError(str(err.get("code") or "bad_request"), str(err.get("message") or ""), resp.status_code,
                                 suggestions)
        if not isinstance(body, dict):  # every answer of /api/v1 is an object; anything else is unusable
            raise DirectoryUnavailable("not an object")
        return body

    def search(self, **params: Any) -> dict:
        """GET /api/v1/search; list params are sent comma-separated, None and empty dropped."""
        clean = {}
        for key, value in params.items():
            if value is None or value == [] or value == "" or value is False:
                continue
            if isinstance(value, (list, tuple)):
                value = ",".join(value)
            elif value is True:
                value = "true"
            clean[key] = value
        return self._request("GET", "/api/v1/search", params=clean)

    def service(self, service_id: str) -> dict:
        """GET /api/v1/services/{id}: the HSDS document; our flat reading of it (name, phone,
        hours_today, next_meeting, capacity...) sits under "signpost" when the API adds it."""
        body = self._request("GET", f"/api/v1/services/{service_id}")
        return {**body, **body["signpost"]} if isinstance(body.get("signpost"), dict) else body

    def create_referral(self, service_id: str, client_ref: str, share_with_provider: bool,
                        language: str) -> dict:
        body = self._request("POST", "/api/v1/referrals", json={
            "service_id": service_id, "client_ref": client_ref, "source": "bot",
            "share_with_provider": share_with_provider, "language": language})
        return body["referral"] if isinstance(body.get("referral"), dict) else body
