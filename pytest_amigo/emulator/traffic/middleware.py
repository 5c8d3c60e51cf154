"""The traffic middleware: decides per request (faults, rate limit), answers, logs."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

from pytest_amigo.api.endpoints import Endpoint, match
from pytest_amigo.emulator.traffic.admin import answer_admin
from pytest_amigo.emulator.traffic.asgi import (
    ADMIN_PREFIX,
    ASGIApp,
    Receive,
    Scope,
    Send,
    discard,
    held,
    send_json,
    truncating_start,
)
from pytest_amigo.emulator.traffic.control import TrafficControl
from pytest_amigo.emulator.traffic.faults import ERROR_DETAILS, MAINTENANCE_DETAIL, Decision
from pytest_amigo.emulator.traffic.forwarding import forward
from pytest_amigo.emulator.traffic.log import LogEntry
from pytest_amigo.emulator.traffic.rate_limits import TrafficPolicy, rate_limit_detail


def _organization(path: str) -> str:
    # Only called for documented endpoints, all of shape /v1/{organization}/...
    return path.split("/", 3)[2]


class TrafficMiddleware(TrafficControl):
    """ASGI middleware adding rate limits, faults, a request log and ``/_emulator`` admin."""

    def __init__(
        self, app: ASGIApp, policy: TrafficPolicy, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(policy, clock=clock)
        self.app = app
        self.transport_for: Callable[[Scope], Any] | None = None
        """The server's hook to find a request's transport (to close it unanswered)."""

    # -- ASGI -------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"].upper()
        if path.startswith(ADMIN_PREFIX):
            if not await answer_admin(self, path, method, receive, send):
                await self.app(scope, receive, send)
            return
        endpoint = match(method, path)
        if endpoint is None:
            status = await forward(self.app, scope, receive, send, [], drop=False)
            self.log.record(LogEntry(self.clock(), method, path, None, status))
            return
        decision = self.decide(endpoint, _organization(path), self.clock())
        status = await self._answer(decision, endpoint, scope, receive, send)
        self.log.record(
            LogEntry(self.clock(), method, path, endpoint.operation_id, status, decision.fault)
        )

    async def _answer(
        self, d: Decision, endpoint: Endpoint, scope: Scope, receive: Receive, send: Send
    ) -> int:
        """Answer as decided; returns the status sent (or the app's, for processed faults)."""
        if d.refused:
            assert d.retry_after is not None
            if d.fault == "maintenance":
                detail = MAINTENANCE_DETAIL
            else:
                detail = rate_limit_detail(self.policy.limit_for(endpoint))
            retry = (b"retry-after", str(max(1, math.ceil(d.retry_after))).encode())
            await send_json(send, d.status, {"detail": detail}, [*d.headers, retry])
            return d.status
        if d.latency > 0:
            await asyncio.sleep(d.latency)
        if d.error:
            await send_json(send, d.status, {"detail": ERROR_DETAILS[d.status]}, d.headers)
            return d.status
        if d.processed is not None:
            # The app does the work (state changes happen); its answer never reaches the client.
            status = await forward(self.app, scope, receive, discard, [], drop=False)
            if d.processed == "processed_error":
                await send_json(send, 503, {"detail": ERROR_DETAILS[503]}, d.headers)
                return 503
            await self._hang_up(scope, send)
            return status
        if d.answer_latency > 0:
            send = held(send, d.answer_latency)
        return await forward(self.app, scope, receive, send, d.headers, drop=d.drop, drift=d.drift)

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
        await send(truncating_start(start, 1024))
        await send({"type": "http.response.body", "body": b"", "more_body": True})
