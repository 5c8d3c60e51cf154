"""Fixtures for the emulator tests: real loopback HTTP, answers checked against the contract."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openapi_core import OpenAPI

from pytest_amigo.emulator import Emulator, World
from support.contract import load_contract
from support.emulator import HOST, WORLDS, Api


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    return load_contract()


@pytest.fixture(scope="session")
def contract() -> OpenAPI:
    data = load_contract()
    data["servers"] = [{"url": HOST}]
    # The contract discriminates InvocationStatus on a *boolean* property ("succeeded", mapping
    # keys "True"/"False"), which openapi-core cannot resolve. Its oneOf alone still pins every
    # field, so validate without the discriminator.
    data["components"]["schemas"]["InvocationStatus"].pop("discriminator", None)
    return OpenAPI.from_dict(data)


@pytest.fixture(scope="session")
def world() -> World:
    return World.from_toml(WORLDS / "basic.toml")


@pytest.fixture(scope="module")
def emu(world: World) -> Iterator[Emulator]:
    with Emulator(world) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def api(emu: Emulator, contract: OpenAPI) -> Api:
    return Api(emu, contract)


@pytest.fixture(autouse=True)
def _finish_runs(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test, push the clock far ahead so no run stays unfinished (one run per set)."""
    yield
    if "emu" in request.fixturenames:
        request.getfixturevalue("emu").advance(100_000)
