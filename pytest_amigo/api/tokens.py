"""When to refresh the Amigo id token (pure rules; the client applies them).

amigo-sdk refreshes 5 minutes before ``expires_at`` (``http_client.py:85-88``): with a token
that lives 5 minutes or less it signs in before *every* request, spends the documented
5-a-minute sign-in budget in five requests and then stalls. Here a token is refreshed
``min(5 minutes, half its life)`` before it expires, where its life is ``expires_at`` minus the
time it was obtained (``obtained_at``, recorded at sign-in and kept in the shared cache), and a
refresh that is merely *due* never waits for the sign-in budget while the token in hand is
still *usable* (valid for a little while longer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from amigo_sdk.generated.model import UserSignInWithApiKeyResponse
from pydantic import AwareDatetime

__all__ = [
    "REFRESH_MARGIN",
    "SessionToken",
    "is_due",
    "is_usable",
    "sign_in_delay",
    "stamped",
]

REFRESH_MARGIN = dt.timedelta(minutes=5)
"""amigo-sdk's refresh margin; ours is this or half the token's life, whichever is shorter."""
USABLE_GUARD = dt.timedelta(seconds=30)
"""A token is used only while more than min(this, a tenth of its life) remains (latency, skew)."""


class SessionToken(UserSignInWithApiKeyResponse):
    """The SDK's sign-in answer plus when it was obtained (UTC, taken before the request)."""

    obtained_at: AwareDatetime | None = None


def stamped(token: UserSignInWithApiKeyResponse | None, now: dt.datetime) -> SessionToken | None:
    """``token`` as a :class:`SessionToken`; an unknown ``obtained_at`` counts as ``now`` (its
    life is then at least what remains, so it is refreshed no later than halfway)."""
    if token is None:
        return None
    if isinstance(token, SessionToken) and token.obtained_at is not None:
        return token
    return SessionToken(id_token=token.id_token, expires_at=token.expires_at, obtained_at=now)


def _life(token: SessionToken) -> dt.timedelta:
    obtained = token.obtained_at or token.expires_at
    return max(dt.timedelta(0), token.expires_at - obtained)


def refresh_at(token: SessionToken) -> dt.datetime:
    """When a refresh becomes due: ``min(5 min, life / 2)`` before expiry."""
    return token.expires_at - min(REFRESH_MARGIN, _life(token) / 2)


def is_due(token: SessionToken | None, now: dt.datetime) -> bool:
    """A new token should be fetched (there is none, or the refresh point has passed)."""
    return token is None or now >= refresh_at(token)


def is_usable(token: SessionToken | None, now: dt.datetime) -> bool:
    """The token may still be sent (it expires later than a small guard from now)."""
    if token is None:
        return False
    return now < token.expires_at - min(USABLE_GUARD, _life(token) / 10)


def sign_in_delay(history: Iterable[float], *, now: float, limit: int, window: float) -> float:
    """Seconds until one more sign-in keeps at most ``limit`` sign-ins (epoch ``history``, any
    process of the session) within any ``window`` seconds; 0 when one may go out now."""
    recent = sorted(t for t in history if t > now - window)
    if len(recent) < limit:
        return 0.0
    return max(0.0, recent[len(recent) - limit] + window - now)
