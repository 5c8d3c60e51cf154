"""Traffic layer of the emulator: rate limits, fault injection, request log, admin endpoints.

:class:`TrafficMiddleware` is a pure ASGI middleware wrapped around the emulator's FastAPI app.
It only looks at requests; the app never knows it is there.

Rate limits
    Enforced for documented endpoints only (``pytest_amigo.api.endpoints.match``), per
    organization (the ``{organization}`` segment of ``/v1/{organization}/...``) and per
    operation id, in fixed windows of ``TrafficPolicy.window`` seconds starting at
    ``floor(now / window) * window``. The limit is the documented per-minute figure unless
    ``TrafficPolicy.limits`` overrides it for that operation id. Every response of a documented
    endpoint carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``
    (integer epoch seconds, the window end rounded up). Past the limit the answer is ``429``
    ``{"detail": "You have exceeded the rate limit of N requests per minute for this endpoint."}``
    with ``Retry-After`` (whole seconds until the window ends, at least 1); the request does not
    reach the app. With rate limits switched off nothing is counted and no ``X-RateLimit-*``
    header is added. Undocumented paths (``/_emulator/...``, ``/_presigned/...``, ``/docs``,
    ``/openapi.json``, ...) are never limited nor counted.

Faults (:class:`FaultPlan`)
    Applied to documented endpoints only (or only to the operation ids in ``only``), in this
    order:

    1. ``maintenance`` (absolute ``[start, end)`` epoch windows; ``maintenance_for`` adds a window
       starting now): ``503 {"detail": "The service is under temporary maintenance."}`` with
       ``Retry-After`` until the window ends. Not counted against the rate limit.
    2. ``burst_429``: the next N requests answer ``429`` with ``Retry-After: 1``. Not counted
       against the rate limit.
    3. The rate limit itself (above): counts the request.
    4. ``error_rate``: that fraction of requests answer a random ``500``/``502``/``503`` without
       reaching the app.
    5. ``latency``: seconds slept before the app is called.
    6. ``drop_rate``: that fraction of requests reach the app (its side effects happen), but
       the connection is cut mid-response: the response head declares a ``Content-Length``
       larger than the body actually sent, and the middleware returns early. Over a real
       socket the client sees an incomplete read (``httpx.RemoteProtocolError``). A body-less
       status (1xx, 204, 304) is sent as ``200`` so that the truncation is visible.

    ``processed_errors`` / ``processed_drops`` (counted down per matching request, before the
    random draws of 4 and 6): the request reaches the app (its state changes happen), then the
    answer is replaced by ``503 {"detail": "Service Unavailable"}``, or the connection is
    aborted before any byte of an answer (through ``transport_for``, set by the server; without
    it, a head promising a body that never comes).

    ``drop_fields`` / ``add_fields`` (response-shape drift): JSON answers of the app lose those
    keys at any depth and gain those keys in every object.

    Random draws come from ``random.Random(seed)``, re-seeded whenever a plan is installed
    (``middleware.faults = plan`` or ``POST /_emulator/faults``), so runs are reproducible.

Request log (:class:`RequestLog`)
    Every request except ``/_emulator/...`` is recorded as
    ``{"t", "method", "path", "operation_id", "status", "fault"}`` (``operation_id`` is null for
    undocumented paths; ``fault`` is null or one of ``maintenance``, ``burst_429``,
    ``rate_limit``, ``error``, ``drop``, ``processed_error``, ``processed_drop``), with a total,
    counts per operation id, counts per status and the number of ``429`` answers (real or
    injected).

Admin endpoints (answered by the middleware itself, JSON; never logged, limited nor faulted)
    ``GET /_emulator/requests``
        ``{"total": n, "by_endpoint": {operation_id: n}, "status_counts": {"200": n},
        "rate_limited": n, "log": [the last 1000 entries, oldest first]}``
    ``DELETE /_emulator/requests``
        Clears the log and all counters (``204``).
    ``GET /_emulator/faults``
        The current plan: ``{"maintenance": [[start, end]], "maintenance_for": 0.0,
        "error_rate": 0.0, "latency": 0.0, "drop_rate": 0.0, "burst_429": 0, "only": [],
        "seed": 0, "processed_errors": 0, "processed_drops": 0, "drop_fields": [],
        "add_fields": {}}`` (the counts are what is left).
    ``POST /_emulator/faults``
        Body: a JSON object with any of the fields above; it replaces the whole plan (missing
        fields take their defaults) and answers the new plan. Unknown fields, wrong types, rates
        outside 0..1, negative durations, reversed windows or unknown operation ids in ``only``
        answer ``422`` ``{"detail": [{"loc": ["body", field], "msg": ..., "type": ...}]}``.
    ``DELETE /_emulator/faults``
        Back to no faults (``204``).
    ``GET /_emulator/rate_limits``
        ``{"enabled": bool, "window": seconds, "limits": {operation_id: n}}`` (overrides only).
    ``POST /_emulator/rate_limits``
        Body ``{"enabled": bool, "window": seconds, "limits": {operation_id: n}}``, every field
        optional; changes the policy at run time, resets the rate-limit counters and answers
        like the ``GET``. Bad input answers ``422`` as above.

    Other ``/_emulator/...`` paths are passed to the app untouched.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from pytest_amigo.api.endpoints import ENDPOINTS, Endpoint, match

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ADMIN_PREFIX = "/_emulator/"
LOG_VIEW_SIZE = 1000
"""How many log entries ``GET /_emulator/requests`` returns (the most recent ones)."""

MAINTENANCE_DETAIL = "The service is under temporary maintenance."
_ERROR_DETAILS: dict[int, str] = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
_BODYLESS = frozenset({204, 304})


def rate_limit_detail(limit: int) -> str:
    return f"You have exceeded the rate limit of {limit} requests per minute for this endpoint."


@dataclass
class TrafficPolicy:
    rate_limits: bool = True
    """Enforce the documented per-minute limits."""
    window: float = 60.0
    """Rate-limit window length in real seconds (tests shorten it)."""
    limits: dict[str, int] = field(default_factory=dict)
    """Overrides of the documented limit, per operation id."""

    def limit_for(self, endpoint: Endpoint) -> int:
        return self.limits.get(endpoint.operation_id, endpoint.per_minute)


@dataclass
class FaultPlan:
    maintenance: list[tuple[float, float]] = field(default_factory=list)
    """Absolute ``(start, end)`` epoch windows answering 503."""
    maintenance_for: float = 0.0
    """Convenience: a maintenance window of this many seconds starting when the plan is set."""
    error_rate: float = 0.0
    """Fraction (0..1) of requests answering a random 500/502/503."""
    latency: float = 0.0
    """Seconds added before the app answers."""
    drop_rate: float = 0.0
    """Fraction (0..1) of requests whose connection is cut mid-response."""
    burst_429: int = 0
    """The next N requests answer 429 with ``Retry-After: 1``."""
    only: list[str] = field(default_factory=list)
    """Operation ids the faults apply to; empty means every documented endpoint."""
    seed: int = 0
    """Seed of the random draws (error_rate, drop_rate)."""
    processed_errors: int = 0
    """The next N requests are processed by the app, then answered 503."""
    processed_drops: int = 0
    """The next N requests are processed by the app, then the connection is closed unanswered."""
    drop_fields: list[str] = field(default_factory=list)
    """Keys removed at any depth from JSON answers (response-shape drift)."""
    add_fields: dict[str, Any] = field(default_factory=dict)
    """Keys added to every JSON object of JSON answers (fields a newer API might add)."""

    @property
    def drifts(self) -> bool:
        return bool(self.drop_fields or self.add_fields)

    def applies_to(self, endpoint: Endpoint) -> bool:
        return not self.only or endpoint.operation_id in self.only

    def maintenance_end(self, now: float) -> float | None:
        """End of the maintenance covering ``now`` (the latest if windows overlap), if any."""
        ends = [end for start, end in self.maintenance if start <= now < end]
        return max(ends) if ends else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["maintenance"] = [[start, end] for start, end in self.maintenance]
        return data


class FaultPlanError(ValueError):
    """Invalid fault plan or rate-limit settings; ``errors`` are FastAPI-style entries."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in errors))
        self.errors = errors


def _error(name: str, msg: str, kind: str = "value_error") -> dict[str, Any]:
    return {"loc": ["body", name], "msg": msg, "type": kind}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_fault_plan(data: Any) -> FaultPlan:
    """Validate a JSON object into a :class:`FaultPlan`; raise :class:`FaultPlanError`."""
    if not isinstance(data, dict):
        raise FaultPlanError([_error("body", "expected a JSON object", "type_error")])
    errors: list[dict[str, Any]] = []
    known = {f.name for f in fields(FaultPlan)}
    for name in sorted(set(data) - known):
        errors.append(
            _error(name, f"unknown field; allowed: {', '.join(sorted(known))}", "extra_forbidden")
        )
    kwargs: dict[str, Any] = {}

    if "maintenance" in data:
        windows: list[tuple[float, float]] = []
        raw = data["maintenance"]
        if not isinstance(raw, list):
            errors.append(_error("maintenance", "expected a list of [start, end] pairs"))
        else:
            for item in raw:
                if (
                    not isinstance(item, list | tuple)
                    or len(item) != 2
                    or not all(_is_number(v) for v in item)
                ):
                    errors.append(
                        _error("maintenance", f"expected [start, end] epoch seconds, got {item!r}")
                    )
                elif item[1] <= item[0]:
                    errors.append(_error("maintenance", f"window {item!r} ends before it starts"))
                else:
                    windows.append((float(item[0]), float(item[1])))
        kwargs["maintenance"] = windows

    for name in ("maintenance_for", "latency"):
        if name in data:
            value = data[name]
            if not _is_number(value) or value < 0:
                errors.append(_error(name, f"expected a number of seconds >= 0, got {value!r}"))
            else:
                kwargs[name] = float(value)

    for name in ("error_rate", "drop_rate"):
        if name in data:
            value = data[name]
            if not _is_number(value) or not 0 <= value <= 1:
                errors.append(_error(name, f"expected a fraction between 0 and 1, got {value!r}"))
            else:
                kwargs[name] = float(value)

    for name in ("burst_429", "processed_errors", "processed_drops"):
        if name in data:
            value = data[name]
            if not _is_int(value) or value < 0:
                errors.append(_error(name, f"expected an integer >= 0, got {value!r}"))
            else:
                kwargs[name] = value

    if "drop_fields" in data:
        value = data["drop_fields"]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            errors.append(_error("drop_fields", "expected a list of field names"))
        else:
            kwargs["drop_fields"] = list(value)

    if "add_fields" in data:
        value = data["add_fields"]
        if not isinstance(value, dict) or not all(isinstance(k, str) and k for k in value):
            errors.append(_error("add_fields", "expected an object {field name: value}"))
        else:
            try:
                kwargs["add_fields"] = json.loads(json.dumps(value))
            except (TypeError, ValueError):
                errors.append(_error("add_fields", "values must be JSON values"))

    if "only" in data:
        value = data["only"]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append(_error("only", "expected a list of operation ids"))
        else:
            unknown = [v for v in value if v not in ENDPOINTS]
            if unknown:
                errors.append(_error("only", f"unknown operation ids: {', '.join(unknown)}"))
            else:
                kwargs["only"] = list(value)

    if "seed" in data:
        value = data["seed"]
        if not _is_int(value):
            errors.append(_error("seed", f"expected an integer, got {value!r}"))
        else:
            kwargs["seed"] = value

    if errors:
        raise FaultPlanError(errors)
    return FaultPlan(**kwargs)


@dataclass(frozen=True)
class LogEntry:
    t: float
    method: str
    path: str
    operation_id: str | None
    status: int
    fault: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """What reached the emulator: entries (bounded) and counters (unbounded). Thread-safe."""

    def __init__(self, maxlen: int = 10_000) -> None:
        self._lock = threading.Lock()
        self.entries: deque[LogEntry] = deque(maxlen=maxlen)
        self.total = 0
        self.by_endpoint: Counter[str] = Counter()
        self.status_counts: Counter[int] = Counter()
        self.rate_limited = 0

    def record(self, entry: LogEntry) -> None:
        with self._lock:
            self.entries.append(entry)
            self.total += 1
            if entry.operation_id is not None:
                self.by_endpoint[entry.operation_id] += 1
            self.status_counts[entry.status] += 1
            if entry.status == 429:
                self.rate_limited += 1

    def reset(self) -> None:
        with self._lock:
            self.entries.clear()
            self.total = 0
            self.by_endpoint.clear()
            self.status_counts.clear()
            self.rate_limited = 0

    def count(self, operation_id: str | None = None) -> int:
        """Requests seen in total, or for one operation id."""
        with self._lock:
            return self.total if operation_id is None else self.by_endpoint[operation_id]

    def snapshot(self, last: int = LOG_VIEW_SIZE) -> dict[str, Any]:
        with self._lock:
            tail = list(self.entries)[-last:] if last > 0 else []
            return {
                "total": self.total,
                "by_endpoint": dict(self.by_endpoint),
                "status_counts": {str(k): v for k, v in sorted(self.status_counts.items())},
                "rate_limited": self.rate_limited,
                "log": [e.to_json() for e in tail],
            }


@dataclass
class _Window:
    start: float
    count: int = 0


def _organization(path: str) -> str:
    # Only called for documented endpoints, all of shape /v1/{organization}/...
    return path.split("/", 3)[2]


class TrafficMiddleware:
    """ASGI middleware adding rate limits, faults, a request log and ``/_emulator`` admin."""

    def __init__(
        self, app: ASGIApp, policy: TrafficPolicy, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.app = app
        self.policy = policy
        self.clock = clock
        self.log = RequestLog()
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}
        self._faults = FaultPlan()
        self._rng = random.Random(0)
        self.transport_for: Callable[[Scope], Any] | None = None
        """The server's hook to find a request's transport (to close it unanswered)."""

    async def _hang_up(self, scope: Scope, send: Send) -> None:
        """Close the connection without sending any answer."""
        transport = self.transport_for(scope) if self.transport_for is not None else None
        if transport is not None:
            transport.abort()
            for _ in range(3):  # let the server see the connection gone before we return
                await asyncio.sleep(0)
            return
        # No transport at hand (another server): a head promising a body that never comes.
        start = {"type": "http.response.start", "status": 503, "headers": []}
        await send(_truncating_start(start, 1024))
        await send({"type": "http.response.body", "body": b"", "more_body": True})

    # -- faults -----------------------------------------------------------------------------

    @property
    def faults(self) -> FaultPlan:
        return self._faults

    @faults.setter
    def faults(self, plan: FaultPlan) -> None:
        with self._lock:
            self._faults = plan
            self._rng = random.Random(plan.seed)
            self._anchor_maintenance()

    def _anchor_maintenance(self) -> None:
        """Turn ``maintenance_for`` into an absolute window starting now (lock held)."""
        plan = self._faults
        if plan.maintenance_for > 0:
            now = self.clock()
            plan.maintenance.append((now, now + plan.maintenance_for))
            plan.maintenance_for = 0.0

    def reset_rate_limits(self) -> None:
        with self._lock:
            self._windows.clear()

    # -- rate limits ------------------------------------------------------------------------

    def _window_bounds(self, now: float) -> tuple[float, float]:
        window = self.policy.window
        start = math.floor(now / window) * window
        return start, start + window

    def _rate_headers(self, limit: int, remaining: int, end: float) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-ratelimit-limit", str(limit).encode()),
            (b"x-ratelimit-remaining", str(max(0, remaining)).encode()),
            (b"x-ratelimit-reset", str(math.ceil(end)).encode()),
        ]

    def _rate(
        self, endpoint: Endpoint, org: str, now: float, *, consume: bool
    ) -> tuple[bool, list[tuple[bytes, bytes]], float]:
        """(allowed, headers, window end); counts the request when ``consume``. Lock held."""
        limit = self.policy.limit_for(endpoint)
        start, end = self._window_bounds(now)
        key = (org, endpoint.operation_id)
        state = self._windows.get(key)
        if state is None or state.start != start:
            state = self._windows[key] = _Window(start)
        allowed = True
        if consume:
            if state.count >= limit:
                allowed = False
            else:
                state.count += 1
        return allowed, self._rate_headers(limit, limit - state.count, end), end

    # -- ASGI -------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"].upper()
        if path.startswith(ADMIN_PREFIX):
            if not await self._admin(path, method, receive, send):
                await self.app(scope, receive, send)
            return

        endpoint = match(method, path)
        if endpoint is None:
            status = await self._forward(scope, receive, send, [], drop=False)
            self.log.record(LogEntry(self.clock(), method, path, None, status))
            return

        org = _organization(path)
        now = self.clock()
        retry_after: float | None = None
        with self._lock:
            plan = self._faults
            self._anchor_maintenance()
            faulty = plan.applies_to(endpoint)
            limiting = self.policy.rate_limits
            headers: list[tuple[bytes, bytes]] = []
            fault: str | None = None
            status = 0
            if faulty and (m_end := plan.maintenance_end(now)) is not None:
                fault, status, retry_after = "maintenance", 503, m_end - now
            elif faulty and plan.burst_429 > 0:
                plan.burst_429 -= 1
                fault, status, retry_after = "burst_429", 429, 1.0
            if limiting:
                allowed, headers, end = self._rate(endpoint, org, now, consume=fault is None)
                if not allowed:
                    fault, status, retry_after = "rate_limit", 429, end - now
            error = drop = False
            processed: str | None = None
            if fault is None and faulty:
                if plan.processed_errors > 0:
                    plan.processed_errors -= 1
                    processed = fault = "processed_error"
                elif plan.processed_drops > 0:
                    plan.processed_drops -= 1
                    processed = fault = "processed_drop"
                else:
                    if plan.error_rate > 0 and self._rng.random() < plan.error_rate:
                        error = True
                        status = self._rng.choice(sorted(_ERROR_DETAILS))
                        fault = "error"
                    if not error and plan.drop_rate > 0 and self._rng.random() < plan.drop_rate:
                        drop = True
                        fault = "drop"
            latency = plan.latency if faulty else 0.0
            drift = plan if faulty and plan.drifts else None

        if fault in ("maintenance", "burst_429", "rate_limit"):
            assert retry_after is not None
            if fault == "maintenance":
                detail = MAINTENANCE_DETAIL
            else:
                detail = rate_limit_detail(self.policy.limit_for(endpoint))
            headers = [*headers, (b"retry-after", str(max(1, math.ceil(retry_after))).encode())]
            await _send_json(send, status, {"detail": detail}, headers)
        else:
            if latency > 0:
                await asyncio.sleep(latency)
            if error:
                await _send_json(send, status, {"detail": _ERROR_DETAILS[status]}, headers)
            elif processed is not None:
                # The app does the work (state changes happen); its answer never reaches the client.
                status = await self._forward(scope, receive, _discard, [], drop=False)
                if processed == "processed_error":
                    status = 503
                    await _send_json(send, status, {"detail": _ERROR_DETAILS[503]}, headers)
                else:
                    await self._hang_up(scope, send)
            else:
                status = await self._forward(scope, receive, send, headers, drop=drop, drift=drift)
        self.log.record(LogEntry(self.clock(), method, path, endpoint.operation_id, status, fault))

    async def _forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        extra: list[tuple[bytes, bytes]],
        *,
        drop: bool,
        drift: FaultPlan | None = None,
    ) -> int:
        """Call the app, adding ``extra`` headers (unless the app set them); returns the status."""
        status = 500
        started = False
        dropped = False
        held: Message | None = None
        declared: int | None = None

        async def wrapped(message: Message) -> None:
            nonlocal status, started, dropped, held, declared
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                present = {bytes(k).lower() for k, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
                if drop:
                    for k, v in headers:
                        if bytes(k).lower() == b"content-length":
                            declared = int(v)
                    held = message
                    return
                await send(message)
            elif message["type"] == "http.response.body" and drop:
                if dropped:
                    return
                body: bytes = message.get("body", b"")
                assert held is not None
                await send(_truncating_start(held, max(declared or 0, len(body)) + 1024))
                await send(
                    {
                        "type": "http.response.body",
                        "body": body[: len(body) // 2],
                        "more_body": True,
                    }
                )
                dropped = True
            else:
                await send(message)

        app = self.app if drift is None else _Drift(self.app, drift)
        await app(scope, receive, wrapped)
        if drop and not dropped and held is not None:
            # The app sent no body message at all: cut the connection after the head.
            await send(_truncating_start(held, 1024))
            await send({"type": "http.response.body", "body": b"", "more_body": True})
        return status if started else 500

    # -- admin ------------------------------------------------------------------------------

    async def _admin(self, path: str, method: str, receive: Receive, send: Send) -> bool:
        """Answer an admin request; False when the path is not one of ours."""
        name = path[len(ADMIN_PREFIX) :].rstrip("/")
        allowed = {
            "requests": ("GET", "DELETE"),
            "faults": ("GET", "POST", "DELETE"),
            "rate_limits": ("GET", "POST"),
        }.get(name)
        if allowed is None:
            return False
        if method not in allowed:
            await _send_json(
                send,
                405,
                {"detail": "Method Not Allowed"},
                [(b"allow", ", ".join(allowed).encode())],
            )
            return True

        if name == "requests":
            if method == "GET":
                await _send_json(send, 200, self.log.snapshot())
            else:
                self.log.reset()
                await _send_empty(send, 204)
        elif name == "faults":
            if method == "GET":
                await _send_json(send, 200, self._faults.to_json())
            elif method == "DELETE":
                self.faults = FaultPlan()
                await _send_empty(send, 204)
            else:
                try:
                    plan = parse_fault_plan(await _read_json(receive))
                except FaultPlanError as exc:
                    await _send_json(send, 422, {"detail": exc.errors})
                    return True
                self.faults = plan
                await _send_json(send, 200, plan.to_json())
        else:
            if method == "POST":
                try:
                    self._set_rate_limits(await _read_json(receive))
                except FaultPlanError as exc:
                    await _send_json(send, 422, {"detail": exc.errors})
                    return True
            await _send_json(
                send,
                200,
                {
                    "enabled": self.policy.rate_limits,
                    "window": self.policy.window,
                    "limits": dict(self.policy.limits),
                },
            )
        return True

    def _set_rate_limits(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise FaultPlanError([_error("body", "expected a JSON object", "type_error")])
        errors: list[dict[str, Any]] = []
        known = ("enabled", "window", "limits")
        for name in sorted(set(data) - set(known)):
            errors.append(
                _error(name, f"unknown field; allowed: {', '.join(known)}", "extra_forbidden")
            )
        enabled = data.get("enabled", self.policy.rate_limits)
        if not isinstance(enabled, bool):
            errors.append(_error("enabled", f"expected true or false, got {enabled!r}"))
        window = data.get("window", self.policy.window)
        if not _is_number(window) or window <= 0:
            errors.append(_error("window", f"expected a number of seconds > 0, got {window!r}"))
        limits = data.get("limits", self.policy.limits)
        if not isinstance(limits, dict) or not all(
            isinstance(k, str) and _is_int(v) and v >= 0 for k, v in limits.items()
        ):
            errors.append(_error("limits", "expected an object {operation_id: integer >= 0}"))
        elif unknown := [k for k in limits if k not in ENDPOINTS]:
            errors.append(_error("limits", f"unknown operation ids: {', '.join(unknown)}"))
        if errors:
            raise FaultPlanError(errors)
        with self._lock:
            self.policy.rate_limits = enabled
            self.policy.window = float(window)
            self.policy.limits = dict(limits)
            self._windows.clear()


async def _discard(message: Message) -> None:
    return None


class _Drift:
    """Wraps the app: JSON answers lose ``drop_fields`` and gain ``add_fields`` at every depth."""

    def __init__(self, app: ASGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.drop = frozenset(plan.drop_fields)
        self.add = dict(plan.add_fields)

    def reshape(self, value: Any) -> Any:
        if isinstance(value, dict):
            out = {k: self.reshape(v) for k, v in value.items() if k not in self.drop}
            for k, v in self.add.items():
                out.setdefault(k, json.loads(json.dumps(v)))
            return out
        if isinstance(value, list):
            return [self.reshape(v) for v in value]
        return value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def reshaping(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                found = {bytes(k).lower(): bytes(v) for k, v in message.get("headers", [])}
                if found.get(b"content-type", b"").startswith(b"application/json"):
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                raw = b"".join(chunks)
                try:
                    body = json.dumps(self.reshape(json.loads(raw))).encode()
                except ValueError:
                    body = raw
                headers = [
                    (k, v)
                    for k, v in start.get("headers", [])
                    if bytes(k).lower() != b"content-length"
                ]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, reshaping)


def _truncating_start(start: Message, length: int) -> Message:
    """The response head with a ``Content-Length`` of ``length`` (more than will be sent)."""
    headers = [(k, v) for k, v in start.get("headers", []) if bytes(k).lower() != b"content-length"]
    headers.append((b"content-length", str(length).encode()))
    status = start["status"]
    if status in _BODYLESS or status < 200:
        status = 200  # a body-less status would let the client see a complete response
    return {**start, "status": status, "headers": headers}


async def _read_json(receive: Receive) -> Any:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise FaultPlanError([_error("body", f"invalid JSON: {exc}", "json_invalid")]) from exc


async def _send_json(
    send: Send, status: int, payload: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_empty(send: Send, status: int) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b""})
