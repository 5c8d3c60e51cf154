"""Authoring operations: personas, scenarios, unit tests and unit test sets (search, create,
update, delete, versions) and metric metadata. Answers are validated with the SDK's generated
models; bodies are plain dicts or the SDK's request models (see docs/sdk-notes.md section 4).
"""

from __future__ import annotations

from collections.abc import Sequence

from amigo_sdk.generated.model import (
    MetricGetMetricsResponse,
    MetricInstance,
    SimulationCreateSimulationPersonaResponse,
    SimulationCreateSimulationPersonaVersionResponse,
    SimulationCreateSimulationScenarioResponse,
    SimulationCreateSimulationScenarioVersionResponse,
    SimulationCreateSimulationUnitTestResponse,
    SimulationCreateSimulationUnitTestSetResponse,
    SimulationGetSimulationPersonasResponse,
    SimulationGetSimulationPersonaVersionsResponse,
    SimulationGetSimulationScenariosResponse,
    SimulationGetSimulationScenarioVersionsResponse,
    SimulationPersonaInstance,
    SimulationPersonaVersion,
    SimulationScenarioInstance,
    SimulationScenarioVersion,
    SimulationSearchSimulationPersonasResponse,
    SimulationSearchSimulationScenariosResponse,
    SimulationSearchSimulationUnitTestSetResponse,
    SimulationSearchSimulationUnitTestsResponse,
    SimulationUnitTest,
    SimulationUnitTestSet,
)

from pytest_amigo.api.core import ApiCore, Body, _body
from pytest_amigo.api.paging import params_of

__all__ = ["AuthoringOperations"]


class AuthoringOperations(ApiCore):
    """Create and maintain what runs are made of (see the module docstring)."""

    # -- unit test sets ------------------------------------------------------------------------

    def search_unit_test_sets(
        self,
        query: str,
        *,
        creators: Sequence[str] = (),
        tags: Sequence[str] = (),
        unit_test_ids: Sequence[str] = (),
    ) -> list[SimulationUnitTestSet]:
        resp = self._get(
            "search-simulation-unit-test-sets",
            SimulationSearchSimulationUnitTestSetResponse,
            params=params_of(query=query, creator=creators, tag=tags, unit_test_id=unit_test_ids),
        )
        return list(resp.simulation_unit_test_sets)

    def create_unit_test_set(self, body: Body) -> str:
        resp = self._get(
            "create-simulation-unit-test-set",
            SimulationCreateSimulationUnitTestSetResponse,
            json=_body(body),
        )
        return resp.simulation_unit_test_set_id

    def update_unit_test_set(self, set_id: str, body: Body) -> None:
        self._send(
            "update-simulation-unit-test-set",
            path={"simulation_unit_test_set_id": set_id},
            json=_body(body),
        )

    def delete_unit_test_set(self, set_id: str) -> None:
        self._send("delete-simulation-unit-test-set", path={"simulation_unit_test_set_id": set_id})

    # -- unit tests ----------------------------------------------------------------------------

    def search_unit_tests(
        self,
        query: str,
        *,
        creators: Sequence[str] = (),
        tags: Sequence[str] = (),
        service_ids: Sequence[str] = (),
        persona_ids: Sequence[str] = (),
        scenario_ids: Sequence[str] = (),
        metric_ids: Sequence[str] = (),
    ) -> list[SimulationUnitTest]:
        resp = self._get(
            "search-simulation-unit-tests",
            SimulationSearchSimulationUnitTestsResponse,
            params=params_of(
                query=query,
                creator=creators,
                tag=tags,
                service_id=service_ids,
                persona_id=persona_ids,
                scenario_id=scenario_ids,
                metric_id=metric_ids,
            ),
        )
        return list(resp.simulation_unit_tests)

    def create_unit_test(self, body: Body) -> str:
        resp = self._get(
            "create-simulation-unit-test",
            SimulationCreateSimulationUnitTestResponse,
            json=_body(body),
        )
        return resp.simulation_unit_test_id

    def update_unit_test(self, unit_test_id: str, body: Body) -> None:
        self._send(
            "update-simulation-unit-test",
            path={"simulation_unit_test_id": unit_test_id},
            json=_body(body),
        )

    def delete_unit_test(self, unit_test_id: str) -> None:
        self._send("delete-simulation-unit-test", path={"simulation_unit_test_id": unit_test_id})

    # -- personas ------------------------------------------------------------------------------

    def list_personas(
        self,
        *,
        ids: Sequence[str] = (),
        is_deleted: bool | None = None,
        roles: Sequence[str] = (),
        creators: Sequence[str] = (),
        tags: Sequence[str] = (),
        sort_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[SimulationPersonaInstance]:
        return self._list(
            "get-simulation-personas",
            SimulationGetSimulationPersonasResponse,
            "simulation_personas",
            {
                "is_deleted": is_deleted,
                "role": roles,
                "creator": creators,
                "tag": tags,
                "sort_by": sort_by,
            },
            page_max=50,
            ids=ids,
            limit=limit,
        )

    def search_personas(
        self,
        query: str,
        *,
        roles: Sequence[str] = (),
        creators: Sequence[str] = (),
        tags: Sequence[str] = (),
    ) -> list[SimulationPersonaInstance]:
        resp = self._get(
            "search-simulation-personas",
            SimulationSearchSimulationPersonasResponse,
            params=params_of(query=query, role=roles, creator=creators, tag=tags),
        )
        return list(resp.simulation_personas)

    def create_persona(self, body: Body) -> str:
        resp = self._get(
            "create-simulation-persona",
            SimulationCreateSimulationPersonaResponse,
            json=_body(body),
        )
        return resp.simulation_persona_id

    def update_persona(self, persona_id: str, body: Body) -> None:
        self._send(
            "update-simulation-persona",
            path={"simulation_persona_id": persona_id},
            json=_body(body),
        )

    def delete_persona(self, persona_id: str) -> None:
        self._send("delete-simulation-persona", path={"simulation_persona_id": persona_id})

    def list_persona_versions(
        self, persona_id: str, *, version: str | None = None, sort_by: Sequence[str] = ()
    ) -> list[SimulationPersonaVersion]:
        return self._list(
            "get-simulation-persona-versions",
            SimulationGetSimulationPersonaVersionsResponse,
            "simulation_persona_versions",
            params_of(version=version, sort_by=sort_by),
            page_max=10,
            path={"simulation_persona_id": persona_id},
        )

    def create_persona_version(
        self, persona_id: str, body: Body, *, version: int | None = None
    ) -> int:
        resp = self._get(
            "create-simulation-persona-version",
            SimulationCreateSimulationPersonaVersionResponse,
            path={"simulation_persona_id": persona_id},
            params=params_of(version=version),
            json=_body(body),
        )
        return resp.version

    # -- scenarios -----------------------------------------------------------------------------

    def list_scenarios(
        self,
        *,
        ids: Sequence[str] = (),
        is_deleted: bool | None = None,
        creators: Sequence[str] = (),
        tags: Sequence[str] = (),
        sort_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[SimulationScenarioInstance]:
        return self._list(
            "get-simulation-scenarios",
            SimulationGetSimulationScenariosResponse,
            "simulation_scenarios",
            {"is_deleted": is_deleted, "creator": creators, "tag": tags, "sort_by": sort_by},
            page_max=200,
            ids=ids,
            limit=limit,
        )

    def search_scenarios(
        self, query: str, *, creators: Sequence[str] = (), tags: Sequence[str] = ()
    ) -> list[SimulationScenarioInstance]:
        resp = self._get(
            "search-simulation-scenarios",
            SimulationSearchSimulationScenariosResponse,
            params=params_of(query=query, creator=creators, tag=tags),
        )
        return list(resp.simulation_scenarios)

    def create_scenario(self, body: Body) -> str:
        resp = self._get(
            "create-simulation-scenario",
            SimulationCreateSimulationScenarioResponse,
            json=_body(body),
        )
        return resp.simulation_scenario_id

    def update_scenario(self, scenario_id: str, body: Body) -> None:
        self._send(
            "update-simulation-scenario",
            path={"simulation_scenario_id": scenario_id},
            json=_body(body),
        )

    def delete_scenario(self, scenario_id: str) -> None:
        self._send("delete-simulation-scenario", path={"simulation_scenario_id": scenario_id})

    def list_scenario_versions(
        self, scenario_id: str, *, version: str | None = None, sort_by: Sequence[str] = ()
    ) -> list[SimulationScenarioVersion]:
        return self._list(
            "get-simulation-scenario-versions",
            SimulationGetSimulationScenarioVersionsResponse,
            "simulation_scenario_versions",
            params_of(version=version, sort_by=sort_by),
            page_max=10,
            path={"simulation_scenario_id": scenario_id},
        )

    def create_scenario_version(
        self, scenario_id: str, body: Body, *, version: int | None = None
    ) -> int:
        resp = self._get(
            "create-simulation-scenario-version",
            SimulationCreateSimulationScenarioVersionResponse,
            path={"simulation_scenario_id": scenario_id},
            params=params_of(version=version),
            json=_body(body),
        )
        return resp.version

    # -- metrics -------------------------------------------------------------------------------

    def list_metrics(
        self,
        *,
        ids: Sequence[str] = (),
        types: Sequence[str] = (),
        is_deleted: bool | None = None,
    ) -> list[MetricInstance]:
        """Metric metadata. The API defaults ``is_deleted`` to false; pass ``True``/``None``
        explicitly as needed (``None`` = server default)."""
        return self._list(
            "get-metrics",
            MetricGetMetricsResponse,
            "metrics",
            {"type": types, "is_deleted": is_deleted},
            page_max=50,
            ids=ids,
        )
