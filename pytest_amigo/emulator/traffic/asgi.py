"""ASGI plumbing of the traffic layer: message types and answers the middleware sends itself."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pytest_amigo.emulator.traffic.validation import FaultPlanError, error

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ADMIN_PREFIX = "/_emulator/"
_BODYLESS = frozenset({204, 304})


async def discard(message: Message) -> None:
    return None


def held(send: Send, seconds: float) -> Send:
    """``send``, with the answer's head held ``seconds`` first (the app has done its work)."""

    async def send_held(message: Message) -> None:
        if message["type"] == "http.response.start":
            await asyncio.sleep(seconds)
        await send(message)

    return send_held


def truncating_start(start: Message, length: int) -> Message:
    """The response head with a ``Content-Length`` of ``length`` (more than will be sent)."""
    headers = [(k, v) for k, v in start.get("headers", []) if bytes(k).lower() != b"content-length"]
    headers.append((b"content-length", str(length).encode()))
    status = start["status"]
    if status in _BODYLESS or status < 200:
        status = 200  # a body-less status would let the client see a complete response
    return {**start, "status": status, "headers": headers}


async def read_json(receive: Receive) -> Any:
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
        raise FaultPlanError([error("body", f"invalid JSON: {exc}", "json_invalid")]) from exc


async def send_json(
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


async def send_empty(send: Send, status: int) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b""})
