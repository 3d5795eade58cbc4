"""What API clients send, read strictly: bearer tokens, JSON bodies, booleans, query strings.

Shared by the JSON API (/api/v1) and FHIR (/fhir). Each reader raises BadInput with a message
the client can act on; the blueprint turns it into its own error format (a JSON envelope, an
OperationOutcome).
"""
from __future__ import annotations

import hmac

from flask import Request

from directory.catalog.geo import strict_int


class BadInput(ValueError):
    def __init__(self, message: str, status: int = 400, code: str = "bad_request"):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def bearer_token(request: Request) -> str | None:
    """The token of `Authorization: Bearer <token>` (the scheme in any case, RFC 7235), or None."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def same_secret(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison that also takes non-ASCII input (compare_digest refuses non-ASCII str)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape"))


MAX_JSON_BYTES = 1_000_000  # a referral Bundle is a few KB


def json_body(request: Request):
    """The parsed JSON body, or BadInput: too big (413), not JSON, malformed, or nested too deeply to parse."""
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise BadInput(f"The body is too large (at most {MAX_JSON_BYTES:,} bytes).", status=413, code="too_large")
    request.max_content_length = MAX_JSON_BYTES  # a chunked body without a length stops there too
    try:
        body = request.get_json(silent=True, force=request.mimetype.endswith("+json"))
    except RecursionError:
        raise BadInput("The JSON body is nested too deeply.") from None
    if body is None:
        raise BadInput("Send a JSON body (Content-Type: application/json).")
    return body


TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


def strict_bool(value, name: str, default: bool = False) -> bool:
    """JSON true/false (or "true"/"false", "1"/"0", 1/0); anything else is refused, never read as truthy."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE + FALSE:
        return value.strip().lower() in TRUE
    raise BadInput(f"{name} must be true or false.")


def single_args(request: Request, repeatable: frozenset[str] = frozenset()) -> None:
    """Refuse a query parameter given twice (which one would count?), unless it is a list."""
    for name, values in request.args.lists():  # one pass: this runs before every API call
        if len(values) > 1 and name not in repeatable:
            raise BadInput(f"Give {name} once.")


def whole_number(value, name: str, default: int, lo: int, hi: int | None = None) -> int:
    if value in (None, ""):
        return default
    try:
        n = strict_int(value)
    except ValueError:
        raise BadInput(f"{name} must be a whole number.") from None
    if n < lo or (hi is not None and n > hi):
        raise BadInput(f"{name} must be {lo} or more" + (f" and at most {hi}." if hi is not None else "."))
    return n
