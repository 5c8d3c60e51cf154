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
sign-in bypasses that client (see docs/sdk-notes.md), so
:class:`~pytest_amigo.api.paced_client.PacedHttpClient` overrides ``_ensure_token`` to pace, retry
and refresh it in time. Paging and id chunks: :mod:`.paging`.

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
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
import pydantic
from amigo_sdk.config import AmigoConfig
from amigo_sdk.errors import RateLimitError, SDKInternalError
from pydantic_core import to_jsonable_python

from pytest_amigo.api.endpoints import ENDPOINTS
from pytest_amigo.api.paced_client import PacedHttpClient, TokenCache
from pytest_amigo.api.pacing import Pacer
from pytest_amigo.api.paging import PagedReads

__all__ = ["ApiCore", "Body", "ConfigurationError", "TokenCache"]

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


def _date(value: str | None) -> dt.datetime | None:
    """An HTTP ``Date`` header as an aware time; None when absent or unreadable."""
    try:
        found = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    return found if found is None or found.tzinfo is not None else found.replace(tzinfo=dt.UTC)


def _when(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


# -- the API -----------------------------------------------------------------------------------


class ApiCore(PagedReads):
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
        self._server_clock: tuple[dt.datetime, float] | None = None  # (Date, monotonic then)
        extra: dict[str, Any] = {} if transport is None else {"transport": transport}
        self._http = PacedHttpClient(
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

    def server_now(self) -> dt.datetime | None:
        """The server's time now, from the ``Date`` of its last answer (None before any answer
        with one): what ages on the server (``created_at``) are measured against, since this
        machine's clock may be wrong."""
        with self._count_lock:
            found = self._server_clock
        if found is None:
            return None
        date, then = found
        return date + dt.timedelta(seconds=time.monotonic() - then)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
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
        date = _date(response.headers.get("date"))
        with self._count_lock:
            self._status[response.status_code] += 1
            if date is not None:
                self._server_clock = (date, time.monotonic())
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
