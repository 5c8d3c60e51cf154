"""Reads of what a run is made of, before creating it: services (their version sets), and the
latest version of an agent, a state machine, a persona, a scenario or a metric.

Each is one paced request (``version=latest`` answers one version), read leniently
(:mod:`.shapes`): only the fields a prediction uses are checked. Caching and counting per
pytest session is :class:`~pytest_amigo.lifecycle.fingerprint.RunInputsReader`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pytest_amigo.api.core import ApiCore
from pytest_amigo.api.paging import params_of
from pytest_amigo.api.shapes import Lenient, ServiceDefinition, VersionNumber

__all__ = ["VERSIONED", "VersionReads", "Versioned"]

Versioned = Literal["agent", "state_machine", "persona", "scenario", "metric"]

VERSIONED: dict[Versioned, tuple[str, str, str]] = {
    "agent": ("get-agent-versions", "agent_id", "agent_versions"),
    "state_machine": (
        "get-service-hierarchical-state-machine-versions",
        "service_hierarchical_state_machine_id",
        "state_machine_versions",
    ),
    "persona": (
        "get-simulation-persona-versions",
        "simulation_persona_id",
        "simulation_persona_versions",
    ),
    "scenario": (
        "get-simulation-scenario-versions",
        "simulation_scenario_id",
        "simulation_scenario_versions",
    ),
    "metric": ("get-metric-versions", "metric_id", "metric_versions"),
}
"""Per kind: the version list's operation id, its path parameter and its answer's key."""

_SERVICES = Lenient(ServiceDefinition)
_VERSION = Lenient(VersionNumber)


class VersionReads(ApiCore):
    """Services and latest versions (see the module docstring)."""

    def list_services(self, *, ids: Sequence[str] = ()) -> list[ServiceDefinition]:
        """Services (all, or these ids); a service the caller may not read is left out, as
        the list does for ``Service:GetService``."""
        return self._list("get-services", _SERVICES, "services", {}, page_max=20, ids=ids)

    def latest_version(self, kind: Versioned, owner_id: str) -> int | None:
        """The latest version number of ``kind`` ``owner_id`` (None: it has no version)."""
        op_id, path_name, key = VERSIONED[kind]
        found = self._list(
            op_id,
            _VERSION,
            key,
            params_of(version="latest"),
            page_max=10,
            limit=10,
            path={path_name: owner_id},
        )
        return max((v.version for v in found), default=None)
