"""A local emulator of the Amigo simulation API (FastAPI + uvicorn on 127.0.0.1).

``World`` describes the emulated organization (TOML or dict); ``Emulator`` serves it::

    with Emulator(World.from_toml("world.toml")) as emu:
        os.environ.update(emu.env())

Needs the ``emulator`` extra: ``pip install 'pytest-amigo[emulator]'``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_amigo.emulator.world import World, WorldError, derive_id

if TYPE_CHECKING:
    from pytest_amigo.emulator.server import Emulator

__all__ = ["Emulator", "World", "WorldError", "derive_id"]


def __getattr__(name: str) -> Any:
    # Emulator is imported on first use, so that ``World`` and ``python -m pytest_amigo.emulator``
    # (which says what to install) work without the extra.
    if name != "Emulator":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "The Amigo emulator needs FastAPI and uvicorn: pip install 'pytest-amigo[emulator]'"
        ) from exc
    from pytest_amigo.emulator.server import Emulator

    return Emulator
