"""Scale and lifecycle tests: pytest-amigo in a subprocess against an emulator in this process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_amigo.emulator import Emulator, World
from support.scale import Harness


@pytest.fixture
def harness_for(tmp_path: Path) -> Iterator[Any]:
    started: list[Emulator] = []

    def make(w: World) -> Harness:
        emu = Emulator(w)
        started.append(emu)
        return Harness(emu, tmp_path)

    yield make
    for emu in started:
        emu.stop()
