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


def _authored(
    noun: str, path: str, item: str, search: str, *, create: int, get: int, find: int, change: int
) -> tuple[Endpoint, ...]:
    """The five operations of an authored resource, named as the contract names them:
    ``create-<noun>`` and ``get-<noun>s`` at ``path``, ``search-<noun>s`` at ``path + search``,
    ``update-<noun>`` and ``delete-<noun>`` at ``path + item``; ``find`` is the search's
    limit, ``change`` that of update and delete."""
    return (
        Endpoint(f"create-{noun}", "POST", path, create),
        Endpoint(f"get-{noun}s", "GET", path, get),
        Endpoint(f"search-{noun}s", "GET", path + search, find),
        Endpoint(f"update-{noun}", "POST", path + item, change),
        Endpoint(f"delete-{noun}", "DELETE", path + item, change),
    )


def _versions(noun: str, item_path: str, *, create: int, get: int) -> tuple[Endpoint, ...]:
    """``create-<noun>-version`` and ``get-<noun>-versions`` at ``item_path + "version/"``."""
    return (
        Endpoint(f"create-{noun}-version", "POST", item_path + "version/", create),
        Endpoint(f"get-{noun}-versions", "GET", item_path + "version/", get),
    )


_PERSONA = "/simulation/persona/{simulation_persona_id}/"
_SCENARIO = "/simulation/scenario/{simulation_scenario_id}/"
_RUN = "/simulation/unit_test_set_run/"

_TABLE: tuple[Endpoint, ...] = (
    Endpoint("sign-in-with-api-key", "POST", "/user/signin_with_api_key", 5),
    *_authored(
        "simulation-persona",
        "/simulation/persona/",
        "{simulation_persona_id}/",
        "search",
        create=100,
        get=50,
        find=50,
        change=100,
    ),
    *_versions("simulation-persona", _PERSONA, create=100, get=50),
    *_authored(
        "simulation-scenario",
        "/simulation/scenario/",
        "{simulation_scenario_id}/",
        "search",
        create=500,
        get=200,
        find=50,
        change=500,
    ),
    *_versions("simulation-scenario", _SCENARIO, create=500, get=500),
    *_authored(
        "simulation-unit-test",
        "/simulation/unit_test/",
        "{simulation_unit_test_id}/",
        "search/",
        create=500,
        get=200,
        find=50,
        change=500,
    ),
    # the one item path without a trailing slash, as in the contract
    *_authored(
        "simulation-unit-test-set",
        "/simulation/unit_test_set/",
        "{simulation_unit_test_set_id}",
        "search/",
        create=50,
        get=50,
        find=50,
        change=50,
    ),
    Endpoint("get-simulation-unit-test-set-runs", "GET", _RUN, 50),
    Endpoint("create-simulation-unit-test-set-run", "POST", _RUN, 20),
    Endpoint(
        "cancel-simulation-unit-test-set-run",
        "DELETE",
        _RUN + "{simulation_unit_test_set_run_id}/",
        10,
    ),
    Endpoint(
        "get-simulation-unit-test-set-run-artifacts",
        "GET",
        _RUN + "{simulation_unit_test_set_run_id}/artifacts/",
        100,
    ),
    Endpoint("get-metrics", "GET", "/metric/", 20),
    # what a run would simulate, read before creating it (lifecycle/fingerprint.py)
    Endpoint("get-services", "GET", "/service/", 50),
    Endpoint("get-agent-versions", "GET", "/organization/agent/{agent_id}/version", 20),
    Endpoint(
        "get-service-hierarchical-state-machine-versions",
        "GET",
        "/organization/service_hierarchical_state_machine/"
        "{service_hierarchical_state_machine_id}/version",
        20,
    ),
    Endpoint("get-metric-versions", "GET", "/metric/{metric_id}/version", 60),
    Endpoint("get-metric-evaluation-results", "GET", "/metric/metric_evaluation_result", 10),
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
