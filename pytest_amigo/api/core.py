"""The plumbing shared by every Amigo operation: configuration, the paced SDK client, paging.

Built on the official ``amigo-sdk``: :class:`~amigo_sdk.config.AmigoConfig` (``AMIGO_*`` env
vars and ``.env``), :class:`~amigo_sdk.http_client.AmigoHttpClient` (API-key sign-in, token
refresh, retries, typed errors) and the SDK's generated pydantic models. The operations live in
:mod:`.runs` (what a pytest session needs) and :mod:`.authoring` (personas, scenarios, unit
tests, sets, metrics); :class:`~pytest_amigo.api.client.SimulationApi` has both.

Pacing: every HTTP request this client sends -- including the SDK's own retries -- passes an
httpx *request* event hook that calls ``pacer.acquire(operation_id)``, and every response (2xx or
not, including 429s the SDK retries) passes a *response* hook that calls ``pacer.observe`` (which
also honours ``Retry-After``). The operation id travels in the request's ``extensions``. The SDK's
sign-in bypasses that client (see docs/sdk-notes.md), so :class:`_PacedHttpClient` overrides
``_ensure_token`` to pace, retry and refresh it in time.

429s: the SDK retries them (``Retry-After`` honoured) up to ``retries`` attempts; when they are
spent and the pacer still holds the operation (the server said when its budget comes back:
``Retry-After`` or ``X-RateLimit-Remaining: 0`` with a reset), the request is sent again after
the hold, for up to ``rate_limit_patience`` seconds in all. Organizations shared by several
sessions thus absorb their 429s instead of failing on them.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar
from urllib.parse import quote

import httpx
import pydantic
from amigo_sdk.auth import sign_in_with_api_key
from amigo_sdk.config import AmigoConfig
from amigo_sdk.errors import AuthenticationError, RateLimitError, SDKInternalError
from amigo_sdk.generated.model import UserSignInWithApiKeyResponse
from amigo_sdk.http_client import AmigoHttpClient
from pydantic_core import to_jsonable_python

from pytest_amigo.api.endpoints import ENDPOINTS
from pytest_amigo.api.pacing import Pacer, parse_retry_after
from pytest_amigo.api.shapes import Lenient, PageShape, ResponseShapeError, validate_shape
from pytest_amigo.api.tokens import SessionToken, is_due, is_usable, sign_in_delay, stamped

__all__ = ["ApiCore", "Body", "ConfigurationError", "TokenCache"]

SIGN_IN = "sign-in-with-api-key"
ID_CHUNK = 50
"""At most this many ids per list request (keeps URLs short; the API pages within a chunk)."""
_EXT = "pytest_amigo.operation"
_IMPATIENT = "pytest_amigo.impatient"


class _Refused(Exception):
    """A 429 to a request sent with ``patient=False``: raised from the response hook, through
    the SDK's retry loop (which would otherwise sleep ``Retry-After`` and send it again)."""


_ENV_NAMES = {
    "api_key": "AMIGO_API_KEY",
    "api_key_id": "AMIGO_API_KEY_ID",
    "user_id": "AMIGO_USER_ID",
    "organization_id": "AMIGO_ORGANIZATION_ID",
    "base_url": "AMIGO_BASE_URL",
}

M = TypeVar("M", bound=pydantic.BaseModel)
Body = pydantic.BaseModel | Mapping[str, Any]


class ConfigurationError(ValueError):
    """Amigo settings are missing or invalid (message names variables, never values)."""


# -- helpers -----------------------------------------------------------------------------------


def _load_config(overrides: Mapping[str, str]) -> AmigoConfig:
    try:
        cfg = AmigoConfig(**overrides)
    except pydantic.ValidationError as exc:
        missing: list[str] = []
        invalid: list[str] = []
        for err in exc.errors(include_input=False, include_url=False):
            field = str(err["loc"][0]) if err.get("loc") else "?"
            name = _ENV_NAMES.get(field, field)
            if err.get("type") == "missing":
                missing.append(name)
            else:
                invalid.append(f"{name} ({err.get('msg', 'invalid')})")
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if invalid:
            parts.append("invalid " + ", ".join(invalid))
        raise ConfigurationError(
            "Amigo configuration incomplete: "
            + "; ".join(parts or ["invalid settings"])
            + ". Set them in the environment or a .env file (or pass them explicitly)."
        ) from None
    if cfg.base_url.endswith("/"):
        cfg = cfg.model_copy(update={"base_url": cfg.base_url.rstrip("/")})
    return cfg


def _body(body: Body | None) -> Any:
    if body is None:
        return {}
    if isinstance(body, pydantic.BaseModel):
        return body.model_dump(mode="json", exclude_unset=True, by_alias=True)
    return to_jsonable_python(dict(body))


def _bool(value: bool | None) -> str | None:
    return None if value is None else ("true" if value else "false")


def _when(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _params(**values: Any) -> dict[str, Any]:
    """Drop ``None`` and empty sequences; sequences become lists (repeated query keys)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = _bool(value)
        elif isinstance(value, str | int | float):
            out[key] = value
        elif isinstance(value, Iterable):
            items = [str(v) for v in value]
            if items:
                out[key] = items
        else:
            out[key] = str(value)
    return out


def _chunks(ids: Sequence[str], size: int = ID_CHUNK) -> list[list[str]]:
    unique = list(dict.fromkeys(ids))
    return [unique[i : i + size] for i in range(0, len(unique), size)]


def _item_id(item: Any) -> Any:
    if isinstance(item, Mapping):
        value = item.get("id")
        return value if isinstance(value, str) else id(item)
    value = getattr(item, "id", None) or getattr(item, "field_id", None)
    value = getattr(value, "root", value)  # generated RootModel string types
    return value if isinstance(value, str) else id(item)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- the paced SDK client ----------------------------------------------------------------------


class TokenCache(Protocol):
    """Where processes of one session share a sign-in (sign-in is limited to 5/min/org).

    ``hold(timeout=0)`` yields False instead of waiting when another process holds the cache.
    Optionally ``sign_ins()`` returns the epoch times of the session's recent sign-ins (every
    process), so the sign-in budget is paced across processes, not per process.
    """

    def hold(self, timeout: float = -1) -> AbstractContextManager[bool]: ...

    def load(self) -> UserSignInWithApiKeyResponse | None: ...

    def store(self, token: UserSignInWithApiKeyResponse) -> None: ...


class _PacedHttpClient(AmigoHttpClient):
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


# -- the API -----------------------------------------------------------------------------------


class ApiCore:
    """Configuration, the paced SDK client, request counts and paging; no operation of its own
    (the operations are mixins on top: :mod:`.runs`, :mod:`.authoring`)."""

    def __init__(
        self,
        config: AmigoConfig | None = None,
        *,
        pacer: Pacer | None = None,
        timeout: float = 30.0,
        retries: int = 5,
        transport: httpx.BaseTransport | None = None,
        token_cache: TokenCache | None = None,
        rate_limit_patience: float = 300.0,
        **config_overrides: str,
    ) -> None:
        """``config`` or ``AmigoConfig(**config_overrides)`` (env vars, ``.env``); ``transport``
        replaces httpx's network transport for API calls (tests; sign-in is unaffected);
        ``rate_limit_patience``: seconds a request keeps being retried on 429 while the server
        says when to come back (see the module docstring)."""
        if config is None:
            config = _load_config(config_overrides)
        elif config_overrides:
            config = config.model_copy(update=dict(config_overrides))
        if config.base_url.endswith("/"):
            config = config.model_copy(update={"base_url": config.base_url.rstrip("/")})
        self._cfg = config
        self._timeout = timeout
        self._rate_limit_patience = max(0.0, rate_limit_patience)
        self._pacer = pacer if pacer is not None else Pacer()
        self._counts: Counter[str] = Counter()
        self._status: Counter[int] = Counter()
        self._count_lock = threading.Lock()
        extra: dict[str, Any] = {} if transport is None else {"transport": transport}
        self._http = _PacedHttpClient(
            config,
            pacer=self._pacer,
            on_send=self._count,
            token_cache=token_cache,
            retry_max_attempts=max(1, retries),
            retry_max_delay_seconds=60.0,
            retry_on_methods={"GET", "DELETE"},
            timeout=timeout,
            event_hooks={"request": [self._on_request], "response": [self._on_response]},
            **extra,
        )

    # -- plumbing ------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(organization_id={self.organization_id!r}, "
            f"base_url={self.base_url!r})"
        )

    @property
    def organization_id(self) -> str:
        return self._cfg.organization_id

    @property
    def user_id(self) -> str:
        """The user the API key signs in as (runs it creates have this creator)."""
        return self._cfg.user_id

    @property
    def base_url(self) -> str:
        return self._cfg.base_url

    @property
    def pacer(self) -> Pacer:
        return self._pacer

    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in reports: the API key and the current id token."""
        values = [self._cfg.api_key]
        token = self._http.current_token
        if token:
            values.append(token)
        return tuple(v for v in values if v)

    def request_counts(self) -> dict[str, int]:
        """Requests sent by this client per operation id (every attempt, sign-ins included)."""
        with self._count_lock:
            return dict(self._counts)

    def status_counts(self) -> dict[int, int]:
        """Responses received by this client per HTTP status (sign-in excluded)."""
        with self._count_lock:
            return dict(self._status)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def would_wait(self, op_id: str) -> float:
        """Seconds a request to ``op_id`` would wait now for the pacer (0: it would go at once)."""
        return self._pacer.delay(op_id)

    def _count(self, op_id: str) -> None:
        with self._count_lock:
            self._counts[op_id] += 1

    def _on_request(self, request: httpx.Request) -> None:
        op_id = request.extensions.get(_EXT)
        if isinstance(op_id, str):
            self._pacer.acquire(op_id)
            self._count(op_id)

    def _on_response(self, response: httpx.Response) -> None:
        with self._count_lock:
            self._status[response.status_code] += 1
        op_id = response.request.extensions.get(_EXT)
        if isinstance(op_id, str):
            # observe() also holds the key for Retry-After (429/503).
            self._pacer.observe(op_id, response.headers)
        if response.status_code == 429 and response.request.extensions.get(_IMPATIENT):
            response.close()
            raise _Refused(op_id)

    def _send(
        self,
        op_id: str,
        *,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        patient: bool = True,
    ) -> httpx.Response:
        """Send one request. A 429 is sent again while the server says when and the session's
        ``rate_limit_patience`` lasts; ``patient=False``: raised at once (to try again later)."""
        endpoint = ENDPOINTS[op_id]
        values = {k: quote(str(v), safe="") for k, v in (path or {}).items()}
        url = endpoint.full_path.format(
            organization=quote(self._cfg.organization_id, safe=""), **values
        )
        kwargs: dict[str, Any] = {"extensions": {_EXT: op_id, _IMPATIENT: not patient}}
        if params:
            kwargs["params"] = dict(params)
        if json is not None:
            kwargs["json"] = json
        started = time.monotonic()
        while True:
            try:
                return self._http.request(endpoint.method, url, **kwargs)
            except _Refused:
                raise RateLimitError(
                    f"{op_id}: HTTP 429, the rate limit is spent (not waited for)", status_code=429
                ) from None
            except RateLimitError:
                # The SDK's attempts are spent. A 429 is never processed, so sending again is
                # safe (POST too); do so while the server said when (the pacer holds op_id).
                # (An impatient request never gets here: its 429 is _Refused, above.)
                waited = time.monotonic() - started
                if waited >= self._rate_limit_patience or self._pacer.delay(op_id) <= 0:
                    raise

    def _get(
        self,
        op_id: str,
        model: type[M],
        *,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        patient: bool = True,
    ) -> M:
        resp = self._send(op_id, path=path, params=params, json=json, patient=patient)
        try:
            return model.model_validate_json(resp.content)
        except TypeError as exc:  # e.g. generated RootModel dict keys (unhashable)
            raise SDKInternalError(
                f"{op_id}: HTTP {resp.status_code} answer could not be read as "
                f"{model.__name__}: {type(exc).__name__}: {exc}",
                status_code=resp.status_code,
            ) from None
        except pydantic.ValidationError as exc:
            errors = exc.errors(include_input=False, include_url=False)
            summary = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in errors[:3]
            )
            more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
            raise SDKInternalError(
                f"{op_id}: HTTP {resp.status_code} answer does not match {model.__name__}: "
                f"{summary}{more}",
                status_code=resp.status_code,
            ) from None

    def _lenient_page(
        self,
        op_id: str,
        field: str,
        shape: Lenient,
        *,
        path: Mapping[str, str] | None,
        params: Mapping[str, Any],
    ) -> tuple[list[Any], bool, Any]:
        """One page read leniently: items (as sent, or as ``shape.item``), has_more, token."""
        resp = self._send(op_id, path=path, params=params)
        status = resp.status_code
        try:
            data = resp.json()
        except ValueError:
            raise ResponseShapeError(op_id, status, "<root>", "not a JSON document") from None
        page = validate_shape(PageShape, data, operation=op_id, status_code=status)
        items = data.get(field)
        if not isinstance(items, list):
            problem = "required field missing" if field not in data else "not a list"
            raise ResponseShapeError(op_id, status, field, problem)
        if page.has_more and page.continuation_token is None:
            raise ResponseShapeError(
                op_id, status, "continuation_token", "null while has_more is true"
            )
        out: list[Any] = []
        for index, item in enumerate(items):
            checked = validate_shape(
                shape.item, item, operation=op_id, status_code=status, prefix=(field, index)
            )
            out.append(item if shape.as_sent else checked)
        return out, page.has_more, page.continuation_token

    def _pages(
        self,
        op_id: str,
        model: type[pydantic.BaseModel] | Lenient,
        field: str,
        params: Mapping[str, Any],
        *,
        page_max: int,
        limit: int | None = None,
        path: Mapping[str, str] | None = None,
    ) -> list[Any]:
        out: list[Any] = []
        token: Any = None
        seen: set[str] = set()
        while True:
            if limit is not None and len(out) >= limit:
                return out[:limit]
            page_size = page_max if limit is None else max(1, min(page_max, limit - len(out)))
            query = {**params, "limit": page_size}
            if token is not None:
                query["continuation_token"] = token
            if isinstance(model, Lenient):
                items, has_more, token = self._lenient_page(
                    op_id, field, model, path=path, params=query
                )
            else:
                page = self._get(op_id, model, path=path, params=query)
                items = getattr(page, field)
                has_more = bool(getattr(page, "has_more", False))
                token = getattr(page, "continuation_token", None)
            out.extend(items)
            if not has_more or token is None:
                return out if limit is None else out[:limit]
            if str(token) in seen:
                raise SDKInternalError(f"{op_id}: continuation_token {token!r} repeated")
            seen.add(str(token))

    def _list(
        self,
        op_id: str,
        model: type[pydantic.BaseModel] | Lenient,
        field: str,
        params: Mapping[str, Any],
        *,
        page_max: int,
        id_key: str = "id",
        ids: Sequence[str] = (),
        limit: int | None = None,
        id_chunk: int = ID_CHUNK,
    ) -> list[Any]:
        """Page through results; more than ``id_chunk`` ids -> one paged listing per chunk.

        Chunks keep URLs short (~27 bytes per repeated id); where a page holds more items than
        ``ID_CHUNK`` ids, callers pass a larger chunk so one request answers one chunk."""
        if limit is not None and limit <= 0:
            return []
        base = _params(**params)
        if not ids:
            return self._pages(op_id, model, field, base, page_max=page_max, limit=limit)
        out: list[Any] = []
        seen: set[Any] = set()
        for chunk in _chunks(ids, id_chunk):
            remaining = None if limit is None else limit - len(out)
            if remaining is not None and remaining <= 0:
                break
            for item in self._pages(
                op_id, model, field, {**base, id_key: chunk}, page_max=page_max, limit=remaining
            ):
                key = _item_id(item)
                if key not in seen:
                    seen.add(key)
                    out.append(item)
        return out if limit is None else out[:limit]
