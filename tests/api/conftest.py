"""Fixtures of the client tests that talk to an emulator over loopback HTTP: one emulator per
module, serving the module's ``WORLD``, and a client of its default user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_amigo.api import SimulationApi


@pytest.fixture(scope="module")
def emu(request: pytest.FixtureRequest) -> Iterator[Any]:
    emulator = pytest.importorskip("pytest_amigo.emulator")
    world = emulator.World.from_dict(request.module.WORLD)
    with emulator.Emulator(world, port=0) as running:
        yield running


@pytest.fixture
def api(emu: Any) -> Iterator[SimulationApi]:
    with SimulationApi(
        base_url=emu.base_url, organization_id=emu.organization_id, **emu.credentials
    ) as client:
        yield client
