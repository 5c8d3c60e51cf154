"""The SDK's HTTP client with its sign-in paced, retried and refreshed in time.

The SDK signs in through ``amigo_sdk.auth.sign_in_with_api_key`` outside the client's hooks (see
docs/sdk-notes.md): :class:`PacedHttpClient` overrides ``_ensure_token`` so that sign-ins are paced
(5 per minute per organization, shared by every process of a session through a
:class:`TokenCache`), retried on 429/503 and transport errors, and refreshed before the token's
life runs out (:mod:`.tokens`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any, Protocol

import httpx
from amigo_sdk.auth import sign_in_with_api_key
from amigo_sdk.config import AmigoConfig
from amigo_sdk.errors import AuthenticationError
from amigo_sdk.generated.model import UserSignInWithApiKeyResponse
from amigo_sdk.http_client import AmigoHttpClient

from pytest_amigo.api.endpoints import ENDPOINTS
from pytest_amigo.api.pacing import Pacer, parse_retry_after
from pytest_amigo.api.tokens import SessionToken, is_due, is_usable, sign_in_delay, stamped

SIGN_IN = "sign-in-with-api-key"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TokenCache(Protocol):
    """Where processes of one session share a sign-in (sign-in is limited to 5/min/org).

    ``hold(timeout=0)`` yields False instead of waiting when another process holds the cache.
    Optionally ``sign_ins()`` returns the epoch times of the session's recent sign-ins (every
    process), so the sign-in budget is paced across processes, not per process.
    """

    def hold(self, timeout: float = -1) -> AbstractContextManager[bool]: ...

    def load(self) -> UserSignInWithApiKeyResponse | None: ...

    def store(self, token: UserSignInWithApiKeyResponse) -> None: ...


class PacedHttpClient(AmigoHttpClient):
    """AmigoHttpClient whose lazy sign-in is paced, retried on 429/503 and refreshed in time.

    The SDK signs in through ``amigo_sdk.auth.sign_in_with_api_key`` with its own fresh
    ``httpx.Client`` (no retries, no hooks, 5 s default timeout) and turns *any* failure into
    ``AuthenticationError("API-key exchange failed")``; it refreshes 5 minutes before expiry, so
    a shorter-lived token means a sign-in before every request. This override keeps the SDK's
    lock and its sign-in-again on a 401, and:

    * refreshes ``min(5 min, half the token's life)`` before expiry (:mod:`.tokens`);
    * paces sign-in (documented limit: 5/min, shared by every process of a session through the
      token cache), and never waits for that budget while the token in hand is still usable:
      a refresh that is merely early is skipped, not waited for;
    * honours ``Retry-After`` on 429/503, retries transport errors (bounded) and reports
      401/404 clearly without any secret.
    """

    def __init__(
        self,
        cfg: AmigoConfig,
        *,
        pacer: Pacer,
        on_send: Any,
        token_cache: TokenCache | None = None,
        sign_in_attempts: int = 5,
        **kwargs: Any,
    ) -> None:
        super().__init__(cfg, **kwargs)
        self._token_cache = token_cache
        self._pacer = pacer
        self._on_send = on_send
        self._sign_in_attempts = max(1, sign_in_attempts)
        self._issued: str | None = None  # the id token last handed out (the SDK drops it on 401)
        self._recheck_at = 0.0  # monotonic: a due refresh was put off until then

    @property
    def current_token(self) -> str | None:
        return None if self._token is None else self._token.id_token

    def _ensure_token(self) -> str:
        with self._token_lock:
            now = _utcnow()
            # The SDK sets _token to None after a 401: the token we handed out was refused.
            rejected = self._issued if self._token is None else None
            token = stamped(self._token, now)
            if token is not None and (
                not is_due(token, now)
                or (is_usable(token, now) and time.monotonic() < self._recheck_at)
            ):
                return self._use(token)
            return self._use(self._refresh(token, rejected, now))

    def _use(self, token: SessionToken) -> str:
        self._token = token
        self._issued = token.id_token
        return token.id_token

    def _refresh(
        self, in_hand: SessionToken | None, rejected: str | None, now: dt.datetime
    ) -> SessionToken:
        cache = self._token_cache
        if cache is None:
            return self._renew(in_hand, now, ())
        usable = is_usable(in_hand, now)
        with cache.hold(timeout=0 if usable else -1) as held:
            if not held and in_hand is not None:  # another process is signing in right now
                self._recheck_at = time.monotonic() + 0.5
                return in_hand
            cached = stamped(cache.load(), now)
            if cached is not None and cached.id_token != rejected:
                if not is_due(cached, now):
                    return cached  # another process refreshed it
                if in_hand is None or cached.expires_at > in_hand.expires_at:
                    in_hand = cached
            sign_ins = getattr(cache, "sign_ins", None)
            fresh = self._renew(in_hand, now, sign_ins() if callable(sign_ins) else ())
            if fresh is not in_hand:
                cache.store(fresh)
            return fresh

    def _renew(
        self, in_hand: SessionToken | None, now: dt.datetime, history: Iterable[float]
    ) -> SessionToken:
        """A new token, unless the sign-in budget is spent and ``in_hand`` is still usable."""
        limit = self._pacer.limit(SIGN_IN) or ENDPOINTS[SIGN_IN].per_minute
        window = self._pacer.window + self._pacer.margin
        shared = sign_in_delay(history, now=time.time(), limit=limit, window=window)
        wait = max(self._pacer.delay(SIGN_IN), shared)
        if wait > 0 and in_hand is not None and is_usable(in_hand, now):
            self._recheck_at = time.monotonic() + wait
            return in_hand
        self._pacer.hold(SIGN_IN, shared)  # other processes' sign-ins count too
        return self._sign_in(in_hand)

    def _put_off(self, in_hand: SessionToken | None, seconds: float) -> SessionToken | None:
        """``in_hand`` if it is still usable (the refresh is retried ``seconds`` later)."""
        if in_hand is None or not is_usable(in_hand, _utcnow()):
            return None
        self._recheck_at = time.monotonic() + max(1.0, seconds)
        return in_hand

    def _sign_in(self, in_hand: SessionToken | None = None) -> SessionToken:
        """Sign in, paced; a 429/503 or transport error is retried, unless ``in_hand`` is still
        usable: then it is kept and the refresh tried again later."""
        cfg = self._cfg
        org = cfg.organization_id
        for attempt in range(1, self._sign_in_attempts + 1):
            last = attempt == self._sign_in_attempts
            backoff = min(30.0, 1.0 * 2 ** (attempt - 1))
            self._pacer.acquire(SIGN_IN)
            self._on_send(SIGN_IN)
            started = _utcnow()
            try:
                answer = sign_in_with_api_key(cfg)
                return SessionToken(
                    id_token=answer.id_token, expires_at=answer.expires_at, obtained_at=started
                )
            except AuthenticationError as exc:
                cause = exc.__cause__
                if not isinstance(cause, httpx.HTTPStatusError):
                    raise AuthenticationError(
                        f"Amigo sign-in failed for organization {org}: the answer of "
                        f"{cfg.base_url} could not be parsed as a sign-in response"
                    ) from None
                status = cause.response.status_code
                self._pacer.observe(SIGN_IN, cause.response.headers)
                if status in (429, 503):
                    wait = parse_retry_after(cause.response.headers.get("retry-after"))
                    self._pacer.hold(SIGN_IN, backoff if wait is None else wait)
                    kept = self._put_off(in_hand, backoff if wait is None else wait)
                    if kept is not None:
                        return kept
                    if not last:
                        continue
                raise AuthenticationError(
                    _sign_in_message(status, org), status_code=status
                ) from None
            except httpx.TransportError as exc:
                kept = self._put_off(in_hand, backoff)
                if kept is not None:
                    return kept
                if not last:
                    self._pacer.hold(SIGN_IN, backoff)
                    continue
                raise AuthenticationError(
                    f"Amigo sign-in failed for organization {org}: cannot reach "
                    f"{cfg.base_url} ({type(exc).__name__})"
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover


def _sign_in_message(status: int, org: str) -> str:
    if status == 401:
        return (
            f"Amigo sign-in failed (HTTP 401): check AMIGO_API_KEY, AMIGO_API_KEY_ID and "
            f"AMIGO_USER_ID for organization {org}"
        )
    if status == 404:
        return (
            f"Amigo sign-in failed (HTTP 404): organization {org} not found (AMIGO_ORGANIZATION_ID)"
        )
    if status in (429, 503):
        return f"Amigo sign-in failed (HTTP {status}): still refused after retries"
    return f"Amigo sign-in failed (HTTP {status}) for organization {org}"
