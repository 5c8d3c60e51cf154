"""The Amigo operations pytest-amigo uses: exact paths and documented per-minute rate limits.

One table serves the client (pacing) and the emulator (enforcement), so both read the same
documented figures. Paths are relative to ``/v1/{organization}`` and keep the contract's
trailing slashes exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    operation_id: str
    method: str
    path: str
    """Path template below ``/v1/{organization}``, trailing slash exactly as in the contract."""
    per_minute: int
    """Documented rate limit: requests per minute per organization for this endpoint."""

    @property
    def full_path(self) -> str:
        return "/v1/{organization}" + self.path

    @property
    def key(self) -> str:
        """Stable name used for pacing buckets and the emulator's counters."""
        return self.operation_id


_TABLE: tuple[Endpoint, ...] = (
    Endpoint("sign-in-with-api-key", "POST", "/user/signin_with_api_key", 5),
    # personas
    Endpoint("create-simulation-persona", "POST", "/simulation/persona/", 100),
    Endpoint("get-simulation-personas", "GET", "/simulation/persona/", 50),
    Endpoint("search-simulation-personas", "GET", "/simulation/persona/search", 50),
    Endpoint(
        "update-simulation-persona", "POST", "/simulation/persona/{simulation_persona_id}/", 100
    ),
    Endpoint(
        "delete-simulation-persona", "DELETE", "/simulation/persona/{simulation_persona_id}/", 100
    ),
    Endpoint(
        "create-simulation-persona-version",
        "POST",
        "/simulation/persona/{simulation_persona_id}/version/",
        100,
    ),
    Endpoint(
        "get-simulation-persona-versions",
        "GET",
        "/simulation/persona/{simulation_persona_id}/version/",
        50,
    ),
    # scenarios
    Endpoint("create-simulation-scenario", "POST", "/simulation/scenario/", 500),
    Endpoint("get-simulation-scenarios", "GET", "/simulation/scenario/", 200),
    Endpoint("search-simulation-scenarios", "GET", "/simulation/scenario/search", 50),
    Endpoint(
        "update-simulation-scenario", "POST", "/simulation/scenario/{simulation_scenario_id}/", 500
    ),
    Endpoint(
        "delete-simulation-scenario",
        "DELETE",
        "/simulation/scenario/{simulation_scenario_id}/",
        500,
    ),
    Endpoint(
        "create-simulation-scenario-version",
        "POST",
        "/simulation/scenario/{simulation_scenario_id}/version/",
        500,
    ),
    Endpoint(
        "get-simulation-scenario-versions",
        "GET",
        "/simulation/scenario/{simulation_scenario_id}/version/",
        500,
    ),
    # unit tests
    Endpoint("create-simulation-unit-test", "POST", "/simulation/unit_test/", 500),
    Endpoint("get-simulation-unit-tests", "GET", "/simulation/unit_test/", 200),
    Endpoint("search-simulation-unit-tests", "GET", "/simulation/unit_test/search/", 50),
    Endpoint(
        "update-simulation-unit-test",
        "POST",
        "/simulation/unit_test/{simulation_unit_test_id}/",
        500,
    ),
    Endpoint(
        "delete-simulation-unit-test",
        "DELETE",
        "/simulation/unit_test/{simulation_unit_test_id}/",
        500,
    ),
    # unit test sets
    Endpoint("get-simulation-unit-test-sets", "GET", "/simulation/unit_test_set/", 50),
    Endpoint("create-simulation-unit-test-set", "POST", "/simulation/unit_test_set/", 50),
    Endpoint("search-simulation-unit-test-sets", "GET", "/simulation/unit_test_set/search/", 50),
    Endpoint(
        "update-simulation-unit-test-set",
        "POST",
        "/simulation/unit_test_set/{simulation_unit_test_set_id}",
        50,
    ),
    Endpoint(
        "delete-simulation-unit-test-set",
        "DELETE",
        "/simulation/unit_test_set/{simulation_unit_test_set_id}",
        50,
    ),
    # runs
    Endpoint("get-simulation-unit-test-set-runs", "GET", "/simulation/unit_test_set_run/", 50),
    Endpoint("create-simulation-unit-test-set-run", "POST", "/simulation/unit_test_set_run/", 20),
    Endpoint(
        "cancel-simulation-unit-test-set-run",
        "DELETE",
        "/simulation/unit_test_set_run/{simulation_unit_test_set_run_id}/",
        10,
    ),
    Endpoint(
        "get-simulation-unit-test-set-run-artifacts",
        "GET",
        "/simulation/unit_test_set_run/{simulation_unit_test_set_run_id}/artifacts/",
        100,
    ),
    # metrics
    Endpoint("get-metrics", "GET", "/metric/", 20),
    Endpoint("get-metric-evaluation-results", "GET", "/metric/metric_evaluation_result", 10),
    # tool invocations
    Endpoint("get-tool-invocations", "GET", "/tool/invocation", 50),
)

ENDPOINTS: dict[str, Endpoint] = {e.operation_id: e for e in _TABLE}

_PATTERNS: tuple[tuple[Endpoint, re.Pattern[str]], ...] = tuple(
    (
        e,
        re.compile("^/v1/[^/]+" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(e.path)) + "$"),
    )
    for e in _TABLE
)


def match(method: str, path: str) -> Endpoint | None:
    """The documented endpoint a concrete request path belongs to, if any."""
    method = method.upper()
    for endpoint, pattern in _PATTERNS:
        if endpoint.method == method and pattern.match(path):
            return endpoint
    return None
