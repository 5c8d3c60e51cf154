"""Fixtures that start the bundled emulator for a test session (needs the ``emulator`` extra)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .emulator import Emulator, World


@pytest.fixture(scope="session")
def amigo_emulator_factory() -> Iterator[Callable[..., Emulator]]:
    """Start emulators: ``amigo_emulator_factory(world, **options)``; all stop at the end."""
    from .emulator import Emulator

    started: list[Emulator] = []

    def start(world: World | str | Path | None = None, **options: Any) -> Emulator:
        if world is None:
            world = Path(__file__).parent / "emulator" / "default_world.toml"
        emulator = Emulator(world, **options)
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture(scope="session")
def amigo_emulator(amigo_emulator_factory: Callable[..., Emulator]) -> Emulator:
    """The emulator serving the bundled demo world, started once per session."""
    return amigo_emulator_factory()
