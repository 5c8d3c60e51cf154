"""Response-shape drift: JSON answers lose ``drop_fields`` and gain ``add_fields``."""

from __future__ import annotations

import json
from typing import Any

from pytest_amigo.emulator.traffic.asgi import ASGIApp, Message, Receive, Scope, Send
from pytest_amigo.emulator.traffic.faults import FaultPlan


class Drift:
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
