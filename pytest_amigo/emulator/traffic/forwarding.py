"""Passing a request to the app: extra headers, a connection cut mid-answer, response drift."""

from __future__ import annotations

from pytest_amigo.emulator.traffic.asgi import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    truncating_start,
)
from pytest_amigo.emulator.traffic.drift import Drift
from pytest_amigo.emulator.traffic.faults import FaultPlan


async def forward(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    extra: list[tuple[bytes, bytes]],
    *,
    drop: bool,
    drift: FaultPlan | None = None,
) -> int:
    """Call ``app``, adding ``extra`` headers (unless the app set them); returns the status."""
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
            await send(truncating_start(held, max(declared or 0, len(body)) + 1024))
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

    target = app if drift is None else Drift(app, drift)
    await target(scope, receive, wrapped)
    if drop and not dropped and held is not None:
        # The app sent no body message at all: cut the connection after the head.
        await send(truncating_start(held, 1024))
        await send({"type": "http.response.body", "body": b"", "more_body": True})
    return status if started else 500
