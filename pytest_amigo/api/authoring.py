"""Authoring operations: personas, scenarios, unit tests and unit test sets (search, create,
update, delete, versions) and metric metadata. Answers are validated with the SDK's generated
models; bodies are plain dicts or the SDK's request models (see docs/sdk-notes.md section 4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Unpack

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

from pytest_amigo.api.core import ApiCore, Body, M, _body
from pytest_amigo.api.paging import Listing, params_of
from pytest_amigo.api.queries import ListQuery, TaggedQuery, tagged_params

__all__ = ["AuthoringOperations"]


@dataclass(frozen=True)
class _Kind:
    """An authored resource as its operations name it: ``create-<noun>``, ``update-<noun>``,
    ... with the object's id in the path parameter ``id_name``."""

    noun: str
    id_name: str

    def op(self, verb: str, suffix: str = "") -> str:
        return f"{verb}-{self.noun}{suffix}"

    def key(self, suffix: str) -> str:
        """An answer's key: the noun in snake case and ``suffix`` (``simulation_personas``)."""
        return self.noun.replace("-", "_") + suffix

    def path(self, oid: str) -> dict[str, str]:
        return {self.id_name: oid}


_SET = _Kind("simulation-unit-test-set", "simulation_unit_test_set_id")
_UNIT_TEST = _Kind("simulation-unit-test", "simulation_unit_test_id")
_PERSONA = _Kind("simulation-persona", "simulation_persona_id")
_SCENARIO = _Kind("simulation-scenario", "simulation_scenario_id")

_VersionCreated = (
    SimulationCreateSimulationPersonaVersionResponse
    | SimulationCreateSimulationScenarioVersionResponse
)


class AuthoringOperations(ApiCore):
    """Create and maintain what runs are made of (see the module docstring)."""

    # -- what every authored resource does alike ---------------------------------------------

    def _search(self, kind: _Kind, model: type[M], params: dict[str, Any]) -> list[Any]:
        """``search-<noun>s``: the answer's list is ``<noun, in snake case>s``."""
        return list(getattr(self._get(kind.op("search", "s"), model, params=params), kind.key("s")))

    def _create(self, kind: _Kind, model: type[M], body: Body) -> M:
        return self._get(kind.op("create"), model, json=_body(body))

    def _update(self, kind: _Kind, oid: str, body: Body) -> None:
        self._send(kind.op("update"), path=kind.path(oid), json=_body(body))

    def _delete(self, kind: _Kind, oid: str) -> None:
        self._send(kind.op("delete"), path=kind.path(oid))

    def _create_version(
        self, kind: _Kind, model: type[_VersionCreated], oid: str, body: Body, version: int | None
    ) -> int:
        resp = self._get(
            kind.op("create", "-version"),
            model,
            path=kind.path(oid),
            params=params_of(version=version),
            json=_body(body),
        )
        return resp.version

    def _list_versions(
        self,
        kind: _Kind,
        model: type[M],
        oid: str,
        version: str | None,
        sort_by: Sequence[str],
    ) -> list[Any]:
        """``get-<noun>-versions``: the answer's list is ``<noun, in snake case>_versions``."""
        return self._list(
            kind.op("get", "-versions"),
            model,
            kind.key("_versions"),
            params_of(version=version, sort_by=sort_by),
            page_max=10,
            path=kind.path(oid),
        )

    # -- unit test sets ------------------------------------------------------------------------

    def search_unit_test_sets(
        self, query: str, *, unit_test_ids: Sequence[str] = (), **filters: Unpack[TaggedQuery]
    ) -> list[SimulationUnitTestSet]:
        """Sets whose name holds ``query``; filters: ``creators``, ``tags`` (:class:`TaggedQuery`)
        and the unit tests they run."""
        params = params_of(query=query, **tagged_params(filters), unit_test_id=unit_test_ids)
        return self._search(_SET, SimulationSearchSimulationUnitTestSetResponse, params)

    def create_unit_test_set(self, body: Body) -> str:
        resp = self._create(_SET, SimulationCreateSimulationUnitTestSetResponse, body)
        return resp.simulation_unit_test_set_id

    def update_unit_test_set(self, set_id: str, body: Body) -> None:
        self._update(_SET, set_id, body)

    def delete_unit_test_set(self, set_id: str) -> None:
        self._delete(_SET, set_id)

    # -- unit tests ----------------------------------------------------------------------------

    def search_unit_tests(
        self,
        query: str,
        *,
        service_ids: Sequence[str] = (),
        persona_ids: Sequence[str] = (),
        scenario_ids: Sequence[str] = (),
        metric_ids: Sequence[str] = (),
        **filters: Unpack[TaggedQuery],
    ) -> list[SimulationUnitTest]:
        """Unit tests whose name holds ``query``; filters: ``creators``, ``tags``
        (:class:`TaggedQuery`) and what the unit tests refer to."""
        params = params_of(
            query=query,
            **tagged_params(filters),
            service_id=service_ids,
            persona_id=persona_ids,
            scenario_id=scenario_ids,
            metric_id=metric_ids,
        )
        return self._search(_UNIT_TEST, SimulationSearchSimulationUnitTestsResponse, params)

    def create_unit_test(self, body: Body) -> str:
        resp = self._create(_UNIT_TEST, SimulationCreateSimulationUnitTestResponse, body)
        return resp.simulation_unit_test_id

    def update_unit_test(self, unit_test_id: str, body: Body) -> None:
        self._update(_UNIT_TEST, unit_test_id, body)

    def delete_unit_test(self, unit_test_id: str) -> None:
        self._delete(_UNIT_TEST, unit_test_id)

    # -- personas ------------------------------------------------------------------------------

    def list_personas(
        self, *, roles: Sequence[str] = (), **query: Unpack[ListQuery]
    ) -> list[SimulationPersonaInstance]:
        """Personas; ``query``: ``ids``, ``is_deleted``, ``creators``, ``tags``, ``sort_by``,
        ``limit`` (:class:`ListQuery`); ``roles``: only personas of these roles."""
        listing = Listing(
            "get-simulation-personas",
            SimulationGetSimulationPersonasResponse,
            "simulation_personas",
            50,
        )
        return self._list_resource(listing, query, role=roles)

    def search_personas(
        self, query: str, *, roles: Sequence[str] = (), **filters: Unpack[TaggedQuery]
    ) -> list[SimulationPersonaInstance]:
        """Personas whose name holds ``query``; filters: their ``roles``, ``creators``, ``tags``
        (:class:`TaggedQuery`)."""
        params = params_of(query=query, role=roles, **tagged_params(filters))
        return self._search(_PERSONA, SimulationSearchSimulationPersonasResponse, params)

    def create_persona(self, body: Body) -> str:
        resp = self._create(_PERSONA, SimulationCreateSimulationPersonaResponse, body)
        return resp.simulation_persona_id

    def update_persona(self, persona_id: str, body: Body) -> None:
        self._update(_PERSONA, persona_id, body)

    def delete_persona(self, persona_id: str) -> None:
        self._delete(_PERSONA, persona_id)

    def list_persona_versions(
        self, persona_id: str, *, version: str | None = None, sort_by: Sequence[str] = ()
    ) -> list[SimulationPersonaVersion]:
        return self._list_versions(
            _PERSONA, SimulationGetSimulationPersonaVersionsResponse, persona_id, version, sort_by
        )

    def create_persona_version(
        self, persona_id: str, body: Body, *, version: int | None = None
    ) -> int:
        return self._create_version(
            _PERSONA, SimulationCreateSimulationPersonaVersionResponse, persona_id, body, version
        )

    # -- scenarios -----------------------------------------------------------------------------

    def list_scenarios(self, **query: Unpack[ListQuery]) -> list[SimulationScenarioInstance]:
        """Scenarios; ``query``: ``ids``, ``is_deleted``, ``creators``, ``tags``, ``sort_by``,
        ``limit`` (:class:`ListQuery`)."""
        listing = Listing(
            "get-simulation-scenarios",
            SimulationGetSimulationScenariosResponse,
            "simulation_scenarios",
            200,
        )
        return self._list_resource(listing, query)

    def search_scenarios(
        self, query: str, **filters: Unpack[TaggedQuery]
    ) -> list[SimulationScenarioInstance]:
        """Scenarios whose name holds ``query``; filters: ``creators``, ``tags``
        (:class:`TaggedQuery`)."""
        params = params_of(query=query, **tagged_params(filters))
        return self._search(_SCENARIO, SimulationSearchSimulationScenariosResponse, params)

    def create_scenario(self, body: Body) -> str:
        resp = self._create(_SCENARIO, SimulationCreateSimulationScenarioResponse, body)
        return resp.simulation_scenario_id

    def update_scenario(self, scenario_id: str, body: Body) -> None:
        self._update(_SCENARIO, scenario_id, body)

    def delete_scenario(self, scenario_id: str) -> None:
        self._delete(_SCENARIO, scenario_id)

    def list_scenario_versions(
        self, scenario_id: str, *, version: str | None = None, sort_by: Sequence[str] = ()
    ) -> list[SimulationScenarioVersion]:
        return self._list_versions(
            _SCENARIO,
            SimulationGetSimulationScenarioVersionsResponse,
            scenario_id,
            version,
            sort_by,
        )

    def create_scenario_version(
        self, scenario_id: str, body: Body, *, version: int | None = None
    ) -> int:
        return self._create_version(
            _SCENARIO, SimulationCreateSimulationScenarioVersionResponse, scenario_id, body, version
        )

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
