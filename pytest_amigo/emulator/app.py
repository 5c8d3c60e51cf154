"""The emulator's FastAPI app, served from a :class:`~pytest_amigo.emulator.store.Store`.

``create_app(world)`` builds the app: one router per resource of the contract
(``pytest_amigo.emulator.routes``), the admin and download routes, and the single mapping of the
store's typed errors (``errors.STATUS``) to answers. ``build_asgi(world)`` wraps it in the
traffic middleware (rate limits, faults, request log) and is what the server runs. Every answer
body is checked against amigo-sdk's generated models of the contract before it is sent.
"""

from __future__ import annotations

import tempfile
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.errors import ApiError, status_of
from pytest_amigo.emulator.routes import ROUTERS
from pytest_amigo.emulator.store import Store


class WorldDate:
    """Every answer of the app carries a ``Date`` in world time, as a real server's carries its
    own clock's: a client measures the age of a document (``created_at``) against it, so an
    advanced world clock ages documents for clients as it does for the store."""

    def __init__(self, app: Any, store: Store) -> None:
        self.app, self.store = app, store

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def dated(message: Any) -> None:
            if message["type"] == "http.response.start":
                now = self.store.clock.at(self.store.now())
                headers = [(k, v) for k, v in message.get("headers", []) if bytes(k) != b"date"]
                headers.append((b"date", format_datetime(now, usegmt=True).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, dated)


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse({"detail": exc.detail}, status_code=status_of(exc))


def create_app(world: w.World, store: Store | None = None) -> FastAPI:
    app = FastAPI(
        title="Amigo API emulator (pytest-amigo)",
        version="1.0.0",
        docs_url="/_emulator/docs",
        redoc_url=None,
        openapi_url="/_emulator/openapi.json",
    )
    app.state.store = store or Store(world)
    app.state.workdir = Path(tempfile.mkdtemp(prefix="amigo-emulator-"))
    app.state.zips = {}
    app.add_exception_handler(ApiError, _api_error)
    app.add_middleware(WorldDate, store=app.state.store)
    for router in ROUTERS:
        # the routers carry their full paths (prefix included); adding their routes flat keeps
        # app.routes a plain table of APIRoute (as the contract tests read it)
        app.router.routes.extend(router.routes)
    return app


def build_asgi(world: w.World) -> tuple[Any, FastAPI]:
    """The FastAPI app wrapped in the traffic middleware: (asgi app to serve, fastapi app)."""
    app = create_app(world)
    try:
        from pytest_amigo.emulator.traffic import TrafficMiddleware, TrafficPolicy
    except ImportError:  # pragma: no cover - traffic layer not installed
        return app, app
    from pytest_amigo.emulator.traffic import parse_fault_plan

    policy = TrafficPolicy(
        rate_limits=world.options.rate_limits, window=world.options.rate_limit_window
    )
    middleware = TrafficMiddleware(app, policy)
    if world.faults:
        middleware.faults = parse_fault_plan(world.faults)
    return middleware, app
