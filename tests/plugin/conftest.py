"""Fixtures of the plugin tests: one emulator per module, a pytester project wired to it.

Every test drives a fresh ``pytest`` subprocess (``pytester.runpytest_subprocess``) whose
environment carries the AMIGO_* variables of the module's emulator; the emulator runs in this
process, so tests can look at its store (runs created) and its request log directly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pytest_amigo.emulator import Emulator
from support.plugin import WORLD, AmigoProject


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(WORLD) as emulator:
        yield emulator


@pytest.fixture
def amigo(
    pytester: pytest.Pytester, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AmigoProject]:
    for key in list(os.environ):
        if key.startswith("AMIGO_"):
            monkeypatch.delenv(key)
    project = AmigoProject(pytester, emu, monkeypatch)
    try:
        yield project
    finally:
        project.admin.close()
        emu.advance(10_000_000)  # no run of this test stays unfinished for the next one
