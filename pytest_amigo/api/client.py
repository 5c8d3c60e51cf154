"""SimulationApi: typed access to Amigo's simulation, metric and tool-invocation operations.

Built on the official ``amigo-sdk``: :class:`~amigo_sdk.config.AmigoConfig` (``AMIGO_*`` env
vars and ``.env``), :class:`~amigo_sdk.http_client.AmigoHttpClient` (API-key sign-in, token
refresh, retries, typed errors) and the SDK's generated pydantic models for every answer. The SDK
has no simulation resource; this module is that thin layer.

Pacing: every HTTP request this client sends -- including the SDK's own retries -- passes an
httpx *request* event hook that calls ``pacer.acquire(operation_id)``, and every response (2xx or
not, including 429s the SDK retries) passes a *response* hook that calls ``pacer.observe`` (which
also honours ``Retry-After``). The operation id travels in the request's ``extensions``. The SDK's
sign-in bypasses that client (see docs/sdk-notes.md), so :class:`_PacedHttpClient` overrides
``_ensure_token`` to pace and retry it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import httpx
import pydantic
from amigo_sdk.auth import sign_in_with_api_key
from amigo_sdk.config import AmigoConfig
from amigo_sdk.errors import AuthenticationError, SDKInternalError
from amigo_sdk.generated.model import (
    MetricGetMetricsResponse,
    MetricInstance,
    SimulationCreateSimulationPersonaResponse,
    SimulationCreateSimulationPersonaVersionResponse,
    SimulationCreateSimulationScenarioResponse,
    SimulationCreateSimulationScenarioVersionResponse,
    SimulationCreateSimulationUnitTestResponse,
    SimulationCreateSimulationUnitTestSetResponse,
    SimulationCreateSimulationUnitTestSetRunResponse,
    SimulationGetSimulationPersonasResponse,
    SimulationGetSimulationPersonaVersionsResponse,
    SimulationGetSimulationScenariosResponse,
    SimulationGetSimulationScenarioVersionsResponse,
    SimulationGetSimulationUnitTestSetRunArtifactsResponse,
    SimulationPersonaInstance,
    SimulationPersonaVersion,
    SimulationScenarioInstance,
    SimulationScenarioVersion,
    SimulationSearchSimulationPersonasResponse,
    SimulationSearchSimulationScenariosResponse,
    SimulationSearchSimulationUnitTestSetResponse,
    SimulationSearchSimulationUnitTestsResponse,
    SimulationUnitTest,
    SimulationUnitTestSet,
    ToolGetToolInvocationsResponse,
    ToolInvocationInstance,
    UserSignInWithApiKeyResponse,
)
from amigo_sdk.http_client import AmigoHttpClient
from pydantic_core import to_jsonable_python

from pytest_amigo.api.download import fetch_presigned
from pytest_amigo.api.endpoints import ENDPOINTS
from pytest_amigo.api.pacing import Pacer, parse_retry_after
from pytest_amigo.api.shapes import (
    EvaluationResultShape,
    Lenient,
    PageShape,
    ResponseShapeError,
    RunShape,
    UnitTestDefinition,
    UnitTestSetDefinition,
    validate_shape,
)
from pytest_amigo.api.tokens import SessionToken, is_due, is_usable, sign_in_delay, stamped

__all__ = ["ConfigurationError", "SimulationApi"]

SIGN_IN = "sign-in-with-api-key"
ID_CHUNK = 50
"""At most this many ids per list request (keeps URLs short; the API pages within a chunk)."""
_EXT = "pytest_amigo.operation"
_ENV_NAMES = {
    "api_key": "AMIGO_API_KEY",
    "api_key_id": "AMIGO_API_KEY_ID",
    "user_id": "AMIGO_USER_ID",
    "organization_id": "AMIGO_ORGANIZATION_ID",
    "base_url": "AMIGO_BASE_URL",
}

M = TypeVar("M", bound=pydantic.BaseModel)
_RUNS = Lenient(RunShape, as_sent=True)
_EVALUATIONS = Lenient(EvaluationResultShape, as_sent=True)
_SETS = Lenient(UnitTestSetDefinition)
_UNIT_TESTS = Lenient(UnitTestDefinition)
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
        return self._sign_in()

    def _sign_in(self) -> SessionToken:
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
                if status in (429, 503) and not last:
                    wait = parse_retry_after(cause.response.headers.get("retry-after"))
                    self._pacer.hold(SIGN_IN, backoff if wait is None else wait)
                    continue
                raise AuthenticationError(
                    _sign_in_message(status, org), status_code=status
                ) from None
            except httpx.TransportError as exc:
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


class SimulationApi:
    """Typed, paced access to the Amigo operations pytest-amigo uses (see endpoints.py)."""

    def __init__(
        self,
        config: AmigoConfig | None = None,
        *,
        pacer: Pacer | None = None,
        timeout: float = 30.0,
        retries: int = 5,
        transport: httpx.BaseTransport | None = None,
        token_cache: TokenCache | None = None,
        **config_overrides: str,
    ) -> None:
        """``config`` or ``AmigoConfig(**config_overrides)`` (env vars, ``.env``); ``transport``
        replaces httpx's network transport for API calls (tests; sign-in is unaffected)."""
        if config is None:
            config = _load_config(config_overrides)
        elif config_overrides:
            config = config.model_copy(update=dict(config_overrides))
        if config.base_url.endswith("/"):
            config = config.model_copy(update={"base_url": config.base_url.rstrip("/")})
        self._cfg = config
        self._timeout = timeout
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
            f"SimulationApi(organization_id={self.organization_id!r}, base_url={self.base_url!r})"
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

    def __enter__(self) -> SimulationApi:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

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

    def _send(
        self,
        op_id: str,
        *,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        endpoint = ENDPOINTS[op_id]
        values = {k: quote(str(v), safe="") for k, v in (path or {}).items()}
        url = endpoint.full_path.format(
            organization=quote(self._cfg.organization_id, safe=""), **values
        )
        kwargs: dict[str, Any] = {"extensions": {_EXT: op_id}}
        if params:
            kwargs["params"] = dict(params)
        if json is not None:
            kwargs["json"] = json
        return self._http.request(endpoint.method, url, **kwargs)

    def _get(
        self,
        op_id: str,
        model: type[M],
        *,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> M:
        resp = self._send(op_id, path=path, params=params, json=json)
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

    # -- runs ----------------------------------------------------------------------------------

    def create_run(self, set_id: str) -> str:
        """Start a run of a unit test set; ``ConflictError`` if this user has one unfinished."""
        resp = self._get(
            "create-simulation-unit-test-set-run",
            SimulationCreateSimulationUnitTestSetRunResponse,
            json={"simulation_unit_test_set_id": set_id},
        )
        return resp.simulation_unit_test_set_run_id

    def list_runs(
        self,
        *,
        ids: Sequence[str] = (),
        set_ids: Sequence[str] = (),
        creators: Sequence[str] = (),
        is_completed: bool | None = None,
        failed_metrics: bool | None = None,
        errored: bool | None = None,
        created_after: dt.datetime | None = None,
        created_before: dt.datetime | None = None,
        sort_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Runs as the JSON objects sent (unknown fields kept, nothing added).

        Only what pytest-amigo reads is checked (:class:`~pytest_amigo.api.shapes.RunShape`:
        ids, ``is_completed``, ``errored``, ``artifacts_generated``, the spec and result lists);
        a missing or mistyped one raises :class:`ResponseShapeError` (not transient). The inner
        structure of specs and results is left to the verdict, which reports it per unit test."""
        return self._list(
            "get-simulation-unit-test-set-runs",
            _RUNS,
            "simulation_unit_test_set_runs",
            {
                "simulation_unit_test_set_id": set_ids,
                "creator": creators,
                "is_completed": is_completed,
                "failed_metrics": failed_metrics,
                "errored": errored,
                "created_after": _when(created_after),
                "created_before": _when(created_before),
                "sort_by": sort_by,
            },
            page_max=50,
            ids=ids,
            limit=limit,
        )

    def cancel_run(self, run_id: str) -> None:
        """Cancel a run; ``ConflictError`` when it is already finished."""
        self._send(
            "cancel-simulation-unit-test-set-run", path={"simulation_unit_test_set_run_id": run_id}
        )

    def get_artifacts(self, run_id: str) -> SimulationGetSimulationUnitTestSetRunArtifactsResponse:
        """Presigned URL of the run's artifacts; ``BadRequestError`` until they are generated."""
        return self._get(
            "get-simulation-unit-test-set-run-artifacts",
            SimulationGetSimulationUnitTestSetRunArtifactsResponse,
            path={"simulation_unit_test_set_run_id": run_id},
        )

    def download_artifacts(self, run_id: str, dest: Path) -> Path:
        """Fetch the artifacts to ``dest`` (a directory -> ``dest/<run_id>.zip``)."""
        dest = Path(dest)
        if dest.is_dir():
            dest = dest / f"{run_id}.zip"
        artifacts = self.get_artifacts(run_id)
        return fetch_presigned(artifacts.presigned_url, dest, timeout=max(60.0, self._timeout))

    # -- unit test sets ------------------------------------------------------------------------

    def list_unit_test_sets(
        self,
        *,
        ids: Sequence[str] = (),
        is_deleted: bool | None = None,
        unit_test_ids: Sequence[str] = (),
        creators: Sequence[str] = (),
        tags: Sequence[str] = (),
        sort_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[UnitTestSetDefinition]:
        """Set definitions, read leniently: only id, name, description, is_deleted and
        ``unit_test_runs[{unit_test_id, run_count}]`` are checked; other fields are kept in
        ``model_extra`` unchecked. The API leaves out sets the caller may not read."""
        return self._list(
            "get-simulation-unit-test-sets",
            _SETS,
            "simulation_unit_test_sets",
            {
                "is_deleted": is_deleted,
                "unit_test_id": unit_test_ids,
                "creator": creators,
                "tag": tags,
                "sort_by": sort_by,
            },
            page_max=20,
            ids=ids,
            limit=limit,
            id_chunk=20,
        )

    def search_unit_test_sets(
        self,
        query: str,
        *,
        creators: Sequence[str] = (),
        tags: Sequence[str] = (),
        unit_test_ids: Sequence[str] = (),
    ) -> list[SimulationUnitTestSet]:
        resp = self._get(
            "search-simulation-unit-test-sets",
            SimulationSearchSimulationUnitTestSetResponse,
            params=_params(query=query, creator=creators, tag=tags, unit_test_id=unit_test_ids),
        )
        return list(resp.simulation_unit_test_sets)

    def create_unit_test_set(self, body: Body) -> str:
        resp = self._get(
            "create-simulation-unit-test-set",
            SimulationCreateSimulationUnitTestSetResponse,
            json=_body(body),
        )
        return resp.simulation_unit_test_set_id

    def update_unit_test_set(self, set_id: str, body: Body) -> None:
        self._send(
            "update-simulation-unit-test-set",
            path={"simulation_unit_test_set_id": set_id},
            json=_body(body),
        )

    def delete_unit_test_set(self, set_id: str) -> None:
        self._send("delete-simulation-unit-test-set", path={"simulation_unit_test_set_id": set_id})

    # -- unit tests ----------------------------------------------------------------------------

    def list_unit_tests(
        self,
        *,
        ids: Sequence[str] = (),
        is_deleted: bool | None = None,
        service_ids: Sequence[str] = (),
        persona_ids: Sequence[str] = (),
        scenario_ids: Sequence[str] = (),
        metric_ids: Sequence[str] = (),
        creators: Sequence[str] = (),
        tags: Sequence[str] = (),
        sort_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[UnitTestDefinition]:
        """Unit test definitions, read leniently: only id, name, description and
        ``success_criterions[{name, metric_id, criterion}]`` are checked; other fields are kept
        in ``model_extra`` unchecked."""
        return self._list(
            "get-simulation-unit-tests",
            _UNIT_TESTS,
            "simulation_unit_tests",
            {
                "is_deleted": is_deleted,
                "service_id": service_ids,
                "persona_id": persona_ids,
                "scenario_id": scenario_ids,
                "metric_id": metric_ids,
                "creator": creators,
                "tag": tags,
                "sort_by": sort_by,
            },
            page_max=500,
            ids=ids,
            limit=limit,
            id_chunk=200,
        )

    def search_unit_tests(
        self,
        query: str,
        *,
        creators: Sequence[str] = (),
        tags: Sequence[str] = (),
        service_ids: Sequence[str] = (),
        persona_ids: Sequence[str] = (),
        scenario_ids: Sequence[str] = (),
        metric_ids: Sequence[str] = (),
    ) -> list[SimulationUnitTest]:
        resp = self._get(
            "search-simulation-unit-tests",
            SimulationSearchSimulationUnitTestsResponse,
            params=_params(
                query=query,
                creator=creators,
                tag=tags,
                service_id=service_ids,
                persona_id=persona_ids,
                scenario_id=scenario_ids,
                metric_id=metric_ids,
            ),
        )
        return list(resp.simulation_unit_tests)

    def create_unit_test(self, body: Body) -> str:
        resp = self._get(
            "create-simulation-unit-test",
            SimulationCreateSimulationUnitTestResponse,
            json=_body(body),
        )
        return resp.simulation_unit_test_id

    def update_unit_test(self, unit_test_id: str, body: Body) -> None:
        self._send(
            "update-simulation-unit-test",
            path={"simulation_unit_test_id": unit_test_id},
            json=_body(body),
        )

    def delete_unit_test(self, unit_test_id: str) -> None:
        self._send("delete-simulation-unit-test", path={"simulation_unit_test_id": unit_test_id})

    # -- personas ------------------------------------------------------------------------------

    def list_personas(
        self,
        *,
        ids: Sequence[str] = (),
        is_deleted: bool | None = None,
        roles: Sequence[str] = (),
        creators: Sequence[str] = (),
        tags: Sequence[str] = (),
        sort_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[SimulationPersonaInstance]:
        return self._list(
            "get-simulation-personas",
            SimulationGetSimulationPersonasResponse,
            "simulation_personas",
            {
                "is_deleted": is_deleted,
                "role": roles,
                "creator": creators,
                "tag": tags,
                "sort_by": sort_by,
            },
            page_max=50,
            ids=ids,
            limit=limit,
        )

    def search_personas(
        self,
        query: str,
        *,
        roles: Sequence[str] = (),
        creators: Sequence[str] = (),
        tags: Sequence[str] = (),
    ) -> list[SimulationPersonaInstance]:
        resp = self._get(
            "search-simulation-personas",
            SimulationSearchSimulationPersonasResponse,
            params=_params(query=query, role=roles, creator=creators, tag=tags),
        )
        return list(resp.simulation_personas)

    def create_persona(self, body: Body) -> str:
        resp = self._get(
            "create-simulation-persona",
            SimulationCreateSimulationPersonaResponse,
            json=_body(body),
        )
        return resp.simulation_persona_id

    def update_persona(self, persona_id: str, body: Body) -> None:
        self._send(
            "update-simulation-persona",
            path={"simulation_persona_id": persona_id},
            json=_body(body),
        )

    def delete_persona(self, persona_id: str) -> None:
        self._send("delete-simulation-persona", path={"simulation_persona_id": persona_id})

    def list_persona_versions(
        self, persona_id: str, *, version: str | None = None, sort_by: Sequence[str] = ()
    ) -> list[SimulationPersonaVersion]:
        return self._pages(
            "get-simulation-persona-versions",
            SimulationGetSimulationPersonaVersionsResponse,
            "simulation_persona_versions",
            _params(version=version, sort_by=sort_by),
            page_max=10,
            path={"simulation_persona_id": persona_id},
        )

    def create_persona_version(
        self, persona_id: str, body: Body, *, version: int | None = None
    ) -> int:
        resp = self._get(
            "create-simulation-persona-version",
            SimulationCreateSimulationPersonaVersionResponse,
            path={"simulation_persona_id": persona_id},
            params=_params(version=version),
            json=_body(body),
        )
        return resp.version

    # -- scenarios -----------------------------------------------------------------------------

    def list_scenarios(
        self,
        *,
        ids: Sequence[str] = (),
        is_deleted: bool | None = None,
        creators: Sequence[str] = (),
        tags: Sequence[str] = (),
        sort_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[SimulationScenarioInstance]:
        return self._list(
            "get-simulation-scenarios",
            SimulationGetSimulationScenariosResponse,
            "simulation_scenarios",
            {"is_deleted": is_deleted, "creator": creators, "tag": tags, "sort_by": sort_by},
            page_max=200,
            ids=ids,
            limit=limit,
        )

    def search_scenarios(
        self, query: str, *, creators: Sequence[str] = (), tags: Sequence[str] = ()
    ) -> list[SimulationScenarioInstance]:
        resp = self._get(
            "search-simulation-scenarios",
            SimulationSearchSimulationScenariosResponse,
            params=_params(query=query, creator=creators, tag=tags),
        )
        return list(resp.simulation_scenarios)

    def create_scenario(self, body: Body) -> str:
        resp = self._get(
            "create-simulation-scenario",
            SimulationCreateSimulationScenarioResponse,
            json=_body(body),
        )
        return resp.simulation_scenario_id

    def update_scenario(self, scenario_id: str, body: Body) -> None:
        self._send(
            "update-simulation-scenario",
            path={"simulation_scenario_id": scenario_id},
            json=_body(body),
        )

    def delete_scenario(self, scenario_id: str) -> None:
        self._send("delete-simulation-scenario", path={"simulation_scenario_id": scenario_id})

    def list_scenario_versions(
        self, scenario_id: str, *, version: str | None = None, sort_by: Sequence[str] = ()
    ) -> list[SimulationScenarioVersion]:
        return self._pages(
            "get-simulation-scenario-versions",
            SimulationGetSimulationScenarioVersionsResponse,
            "simulation_scenario_versions",
            _params(version=version, sort_by=sort_by),
            page_max=10,
            path={"simulation_scenario_id": scenario_id},
        )

    def create_scenario_version(
        self, scenario_id: str, body: Body, *, version: int | None = None
    ) -> int:
        resp = self._get(
            "create-simulation-scenario-version",
            SimulationCreateSimulationScenarioVersionResponse,
            path={"simulation_scenario_id": scenario_id},
            params=_params(version=version),
            json=_body(body),
        )
        return resp.version

    # -- metrics and tool invocations ------------------------------------------------------------

    def list_metrics(
        self,
        *,
        ids: Sequence[str] = (),
        types: Sequence[str] = (),
        is_deleted: bool | None = None,
    ) -> list[MetricInstance]:
        """Metric metadata. The API defaults ``is_deleted`` to false; pass ``True``/``None``
        explicitly as needed (``None`` = server default)."""
        return self._list(
            "get-metrics",
            MetricGetMetricsResponse,
            "metrics",
            {"type": types, "is_deleted": is_deleted},
            page_max=50,
            ids=ids,
        )

    def list_metric_evaluation_results(
        self,
        *,
        run_ids: Sequence[str] = (),
        source_types: Sequence[str] | None = None,
        metric_ids: Sequence[str] = (),
        timestamp_after: dt.datetime | None = None,
        limit_per_page: int = 500,
    ) -> list[dict[str, Any]]:
        """Evaluation results as the JSON objects sent; only ``id`` (a string) is checked,
        ``result``, ``justification``, ``metric_id``, ``source``, ``created_at`` are optional.

        ``source_types`` defaults to ``("simulation",)`` when ``run_ids`` are given, else no
        filter. ``timestamp_after`` keeps results evaluated at or after it (inclusive, per the
        contract), so a caller can fetch only what is new. Endpoint limit is 10/min: prefer
        few, large pages."""
        if source_types is None:
            source_types = ("simulation",) if run_ids else ()
        return self._list(
            "get-metric-evaluation-results",
            _EVALUATIONS,
            "metric_evaluation_results",
            {
                "source_type": source_types,
                "metric_id": metric_ids,
                "timestamp_after": _when(timestamp_after),
            },
            page_max=max(1, min(500, limit_per_page)),
            id_key="simulation_unit_test_set_run_id",
            ids=run_ids,
        )

    def list_tool_invocations(
        self,
        *,
        run_ids: Sequence[str] = (),
        succeeded: bool | None = None,
        tool_ids: Sequence[str] = (),
        source_types: Sequence[str] = (),
    ) -> list[ToolInvocationInstance]:
        return self._list(
            "get-tool-invocations",
            ToolGetToolInvocationsResponse,
            "tool_invocations",
            {"succeeded": succeeded, "tool_id": tool_ids, "invocation_source_type": source_types},
            page_max=100,
            id_key="simulation_unit_test_set_run_id",
            ids=run_ids,
        )
