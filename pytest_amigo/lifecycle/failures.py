"""How API failures are classified and worded (transient or not, advice, no secrets)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from amigo_sdk.errors import AmigoError, SDKInternalError

# amigo-sdk raises its typed errors for HTTP answers but lets transport errors through as httpx's.
API_ERRORS = (AmigoError, httpx.HTTPError)
FAILURES = (*API_ERRORS, OSError, RuntimeError)


def dump(model: Any) -> dict[str, Any]:
    """A run or evaluation as plain JSON (the client returns dicts; models are accepted)."""
    return model.model_dump(mode="json") if hasattr(model, "model_dump") else dict(model)


def transient(exc: BaseException) -> bool:
    """Worth retrying: transport errors, 408, 429 and 5xx. Not: other 4xx, unreadable answers."""
    if isinstance(exc, httpx.TransportError):
        return True
    status = getattr(exc, "status_code", None)
    if isinstance(exc, SDKInternalError) and (status is None or status < 300):
        return False  # an answer we could not read: the same answer will come again
    if status is None:
        return True
    return status in (408, 429) or status >= 500


def parse_time(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def describe(exc: BaseException, doing: str) -> str:
    """A one-line, secret-free account of an API failure and what to do about it."""
    status = getattr(exc, "status_code", None)
    text = str(exc).strip() or type(exc).__name__
    advice = {
        401: "check AMIGO_API_KEY, AMIGO_API_KEY_ID and AMIGO_USER_ID",
        403: "grant the missing permission to the API key's user",
        404: "check the id and AMIGO_ORGANIZATION_ID",
        429: "the organization's rate limit was hit; retry later",
        503: "Amigo is under maintenance; retry later",
    }.get(status or 0)
    return f"could not {doing}: {text}" + (f" ({advice})" if advice else "")
