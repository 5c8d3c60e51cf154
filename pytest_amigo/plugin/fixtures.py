"""The plugin's fixtures: results of marker-parametrized tests, and the bundled emulator.

Light to import (the entry point imports it): what a fixture needs is imported when it runs.

``amigo_emulator`` / ``amigo_emulator_factory`` need the ``emulator`` extra.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_amigo.domain import UnitTestRef
    from pytest_amigo.emulator import Emulator, World
    from pytest_amigo.plugin.amigo_result import AmigoResult
    from pytest_amigo.plugin.runner import ItemRunner

RUNNER = "amigo-runner"


@pytest.fixture(scope="session")
def amigo_emulator_factory() -> Iterator[Callable[..., Emulator]]:
    """Start emulators: ``amigo_emulator_factory(world, **options)``; all stop at the end."""
    from pytest_amigo.emulator import Emulator

    started: list[Emulator] = []

    def start(world: World | str | Path | None = None, **options: Any) -> Emulator:
        if world is None:
            world = Path(__file__).parent.parent / "emulator" / "default_world.toml"
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


@pytest.fixture
def amigo_unit_test(request: pytest.FixtureRequest) -> UnitTestRef:
    """The unit test this parametrized test reports (set by the amigo_set marker)."""
    from pytest_amigo.domain import UnitTestRef

    ref = getattr(request, "param", None)
    if not isinstance(ref, UnitTestRef):
        pytest.fail("amigo_unit_test is only available to tests marked amigo_set", pytrace=False)
    return ref


@pytest.fixture
def amigo_result(request: pytest.FixtureRequest, amigo_unit_test: UnitTestRef) -> AmigoResult:
    """The outcome of this unit test once its results are in (an error outcome errors here).

    With ``enforce_verdict=True`` (default) a failed verdict also fails the test after its body;
    your own assertions add to it.
    """
    from pytest_amigo.plugin.amigo_result import AmigoError

    runner: ItemRunner = request.config.pluginmanager.get_plugin(RUNNER)  # type: ignore[assignment]
    result = runner.resolve(request.node, amigo_unit_test)
    if result.outcome == "error":
        raise AmigoError(result)
    return result
