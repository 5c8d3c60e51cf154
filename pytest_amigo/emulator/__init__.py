"""A local emulator of the Amigo simulation API (FastAPI + uvicorn on 127.0.0.1).

``World`` describes the emulated organization (TOML or dict); ``Emulator`` serves it::

    with Emulator(World.from_toml("world.toml")) as emu:
        os.environ.update(emu.env())

Needs the ``emulator`` extra: ``pip install pytest-amigo[emulator]``.
"""

from __future__ import annotations

try:
    import fastapi  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "The Amigo emulator needs FastAPI and uvicorn: install pytest-amigo[emulator]"
    ) from exc

from pytest_amigo.emulator.server import Emulator
from pytest_amigo.emulator.world import World, WorldError, derive_id

__all__ = ["Emulator", "World", "WorldError", "derive_id"]
