"""SimulationApi keeps every method it had; the operations are split by audience (run
operations for the plugin, authoring operations, the reads of what a run is made of) on one
shared core."""

from __future__ import annotations

import inspect

from pytest_amigo.api import SimulationApi
from pytest_amigo.api.authoring import AuthoringOperations
from pytest_amigo.api.core import ApiCore
from pytest_amigo.api.runs import RunOperations
from pytest_amigo.api.versions import VersionReads

PLUMBING = {
    "base_url",
    "close",
    "organization_id",
    "pacer",
    "request_counts",
    "secrets",
    "server_now",
    "status_counts",
    "user_id",
    "would_wait",
}
RUN_OPERATIONS = {
    "cancel_run",
    "create_run",
    "download_artifacts",
    "get_artifacts",
    "list_metric_evaluation_results",
    "list_runs",
    "list_tool_invocations",
    "list_unit_test_sets",
    "list_unit_tests",
}
AUTHORING_OPERATIONS = {
    "create_persona",
    "create_persona_version",
    "create_scenario",
    "create_scenario_version",
    "create_unit_test",
    "create_unit_test_set",
    "delete_persona",
    "delete_scenario",
    "delete_unit_test",
    "delete_unit_test_set",
    "list_metrics",
    "list_persona_versions",
    "list_personas",
    "list_scenario_versions",
    "list_scenarios",
    "search_personas",
    "search_scenarios",
    "search_unit_test_sets",
    "search_unit_tests",
    "update_persona",
    "update_scenario",
    "update_unit_test",
    "update_unit_test_set",
}

VERSION_READS = {"latest_version", "list_services"}


def _public(cls: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls) if not name.startswith("_")}


def test_simulation_api_keeps_every_method() -> None:
    expected = PLUMBING | RUN_OPERATIONS | AUTHORING_OPERATIONS | VERSION_READS
    assert _public(SimulationApi) == expected
    assert issubclass(SimulationApi, RunOperations)
    assert issubclass(SimulationApi, AuthoringOperations)
    assert issubclass(SimulationApi, VersionReads)


def test_operations_are_split_by_audience() -> None:
    assert _public(ApiCore) == PLUMBING
    assert _public(RunOperations) - PLUMBING == RUN_OPERATIONS
    assert _public(AuthoringOperations) - PLUMBING == AUTHORING_OPERATIONS
    assert _public(VersionReads) - PLUMBING == VERSION_READS
