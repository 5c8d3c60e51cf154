"""Serve amigo-world.toml with the bundled emulator unless AMIGO_BASE_URL points elsewhere.

With AMIGO_BASE_URL (and AMIGO_API_KEY, AMIGO_API_KEY_ID, AMIGO_USER_ID,
AMIGO_ORGANIZATION_ID) set, this file does nothing and the tests talk to that server:
the real Amigo API in CI, or an emulator you started yourself (python -m pytest_amigo.emulator).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).parent
WORLD = HERE / "amigo-world.toml"
DEFAULT_JUNIT = "reports/amigo-junit.xml"  # as in addopts


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # The addopts report path is relative to where pytest runs; keep it inside this project
    # even when the run starts from elsewhere (pytest example_project).
    if getattr(config.option, "xmlpath", None) == DEFAULT_JUNIT:
        config.option.xmlpath = str(HERE / DEFAULT_JUNIT)

    if os.environ.get("AMIGO_BASE_URL"):
        return  # real Amigo, or an emulator started outside pytest
    if hasattr(config, "workerinput"):
        return  # xdist worker: the controller's emulator env was inherited at spawn
    from pytest_amigo.emulator import Emulator

    emulator = Emulator(WORLD)
    added = emulator.env()
    os.environ.update(added)

    def stop() -> None:
        emulator.stop()
        for key in added:
            os.environ.pop(key, None)

    config.add_cleanup(stop)
