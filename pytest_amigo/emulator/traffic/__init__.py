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
    5. ``latency``: seconds slept before the app is called; ``answer_latency``: seconds an
       answer is held after the app made it (its state changes have happened: a client
       interrupted meanwhile never learns what it created).
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
        "error_rate": 0.0, "latency": 0.0, "answer_latency": 0.0, "drop_rate": 0.0,
        "burst_429": 0, "only": [], "seed": 0, "processed_errors": 0, "processed_drops": 0,
        "drop_fields": [], "add_fields": {}}`` (the counts are what is left).
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

from pytest_amigo.emulator.traffic.asgi import ADMIN_PREFIX, ASGIApp, Message, Receive, Scope, Send
from pytest_amigo.emulator.traffic.control import TrafficControl
from pytest_amigo.emulator.traffic.faults import (
    ERROR_DETAILS,
    MAINTENANCE_DETAIL,
    Decision,
    FaultInjector,
    FaultPlan,
    parse_fault_plan,
)
from pytest_amigo.emulator.traffic.log import LOG_VIEW_SIZE, LogEntry, RequestLog
from pytest_amigo.emulator.traffic.middleware import TrafficMiddleware
from pytest_amigo.emulator.traffic.rate_limits import RateLimiter, TrafficPolicy, rate_limit_detail
from pytest_amigo.emulator.traffic.validation import FaultPlanError

__all__ = [
    "ADMIN_PREFIX",
    "ERROR_DETAILS",
    "LOG_VIEW_SIZE",
    "MAINTENANCE_DETAIL",
    "ASGIApp",
    "Decision",
    "FaultInjector",
    "FaultPlan",
    "FaultPlanError",
    "LogEntry",
    "Message",
    "RateLimiter",
    "Receive",
    "RequestLog",
    "Scope",
    "Send",
    "TrafficControl",
    "TrafficMiddleware",
    "TrafficPolicy",
    "parse_fault_plan",
    "rate_limit_detail",
]
