"""In-memory state of the emulated organization, and runs that execute on a world clock.

Everything the API returns is computed from here. Documents are kept in their API ("instance")
shape so list endpoints return them as they are. A run is planned when it is created (see
``plan``: per unit test, a few variants and how session ``k`` picks one; nothing per session);
what a caller sees at world time ``t`` is derived from that plan, so advancing the clock is all
it takes to make progress.

:class:`Store` is composed of one part per resource, sharing :class:`~.state.StoreState`:
``auth`` (tokens, permissions), ``catalog`` (personas, scenarios), ``unit_tests`` (unit tests,
sets), ``planning`` and ``runs`` (runs), ``evaluations`` and ``tool_invocations`` (what
finished sessions produced), ``listing`` (filters, sort, pages) and ``documents`` (API-shaped
documents, the world's seed). Each public method the routes call takes the lock itself.
"""

from __future__ import annotations

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.errors import ApiError
from pytest_amigo.emulator.planned_runs import PlannedSession, PlannedUnitTest, Run
from pytest_amigo.emulator.store.auth import Auth
from pytest_amigo.emulator.store.clock import Clock, iso
from pytest_amigo.emulator.store.evaluations import EvaluationRef, Evaluations
from pytest_amigo.emulator.store.listing import Listing, sorted_docs
from pytest_amigo.emulator.store.personas_scenarios import Personas, Scenarios
from pytest_amigo.emulator.store.runs import Runs
from pytest_amigo.emulator.store.tool_invocations import ToolInvocations
from pytest_amigo.emulator.store.unit_tests import UnitTests, UnitTestSets

__all__ = [
    "ApiError",
    "Clock",
    "EvaluationRef",
    "PlannedSession",
    "PlannedUnitTest",
    "Run",
    "Store",
    "iso",
    "sorted_docs",
]


class Store(
    Auth,
    Personas,
    Scenarios,
    UnitTests,
    UnitTestSets,
    Runs,
    Evaluations,
    ToolInvocations,
    Listing,
):
    """The emulated organization: every service rule the routes call."""

    def __init__(self, world: w.World) -> None:
        super().__init__(world)
        self._seed()
