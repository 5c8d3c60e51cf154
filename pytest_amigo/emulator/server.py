"""Run the emulator on 127.0.0.1 in a background thread: ``with Emulator(world) as emu: ...``."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from pytest_amigo.emulator.app import build_asgi
from pytest_amigo.emulator.store import Store
from pytest_amigo.emulator.world import World

_START_TIMEOUT = 15.0


def _protocol(registry: dict[tuple[str, int], Any]) -> type[H11Protocol]:
    """uvicorn's h11 protocol, recording each connection's transport by client address.

    The traffic middleware uses it to close a connection without any answer
    (``processed_drops``): ASGI itself has no way to say "hang up".
    """

    class Protocol(H11Protocol):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            if self.client is not None:
                registry[(self.client[0], self.client[1])] = transport

        def connection_lost(self, exc: Exception | None) -> None:
            if self.client is not None:
                registry.pop((self.client[0], self.client[1]), None)
            super().connection_lost(exc)

    return Protocol


class Emulator:
    """A running emulator: uvicorn in a daemon thread, serving ``world`` on 127.0.0.1.

    ``overrides`` replace ``[emulator]`` options of the world (``speed=50``, ``token_ttl=2``,
    ``rate_limits=False``, ...). The server starts on construction (or on ``__enter__``) and
    stops on ``stop()`` / ``__exit__``.
    """

    def __init__(self, world: World | str | Path, port: int = 0, **overrides: Any) -> None:
        if not isinstance(world, World):
            world = World.from_toml(world)
        if overrides:
            world = world.with_options(**overrides)
        self.world = world
        self.asgi, self.app = build_asgi(world)
        self.store: Store = self.app.state.store
        self.middleware = self.asgi if self.asgi is not self.app else None
        transports: dict[tuple[str, int], Any] = {}
        if self.middleware is not None:
            self.middleware.transport_for = lambda scope: transports.get(
                tuple(scope.get("client") or ())
            )
        config = uvicorn.Config(
            self.asgi,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            http=_protocol(transports),
            date_header=False,  # the app's Date is in world time (app.WorldDate)
            # An emulator stops within a second: requests still in flight (a held answer, a
            # hung-up client) are cut, instead of holding every test's teardown up to 10 s.
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="amigo-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the Amigo emulator did not start on port {port}")
            time.sleep(0.01)
        sockets = [s for server in self._server.servers for s in server.sockets]
        self.port: int = sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"

    @property
    def organization_id(self) -> str:
        return self.world.options.organization

    @property
    def credentials(self) -> dict[str, str]:
        """The first user's ``{api_key, api_key_id, user_id}``."""
        return self.world.users[0].credentials()

    def user(self, user_id: str | None = None) -> dict[str, str]:
        for u in self.world.users:
            if user_id is None or u.user_id == user_id:
                return u.credentials()
        raise KeyError(f"no user {user_id!r} in the world")

    def env(self, user_id: str | None = None) -> dict[str, str]:
        """AMIGO_* environment variables that point amigo-sdk (and pytest-amigo) here."""
        c = self.user(user_id)
        return {
            "AMIGO_API_KEY": c["api_key"],
            "AMIGO_API_KEY_ID": c["api_key_id"],
            "AMIGO_USER_ID": c["user_id"],
            "AMIGO_ORGANIZATION_ID": self.organization_id,
            "AMIGO_BASE_URL": self.base_url,
        }

    def advance(self, seconds: float) -> float:
        """Move the world clock forward by ``seconds`` world seconds; returns the world time."""
        with self.store.lock:
            return self.store.clock.advance(seconds)

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, **kwargs)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.should_exit = True
            self._thread.join(timeout=10)
        shutil.rmtree(self.app.state.workdir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
