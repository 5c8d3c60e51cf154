"""Simulation scenarios and their versions."""

from __future__ import annotations

from typing import Any

from amigo_sdk.generated import model as m

from pytest_amigo.emulator.routes import resource as r
from pytest_amigo.emulator.routes.common import (
    ScenarioIn,
    ScenarioVersionIn,
    TagsUpdateIn,
    dict_tag_values,
    tag_changes,
    unique,
)
from pytest_amigo.emulator.store import Store


def _filter_values(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"creators": unique([d["creator"] for d in docs]), "tags": dict_tag_values(docs)}


SCENARIOS = r.Resource(
    r.simulation("scenario"),
    docs=lambda store, user: store.scenarios.values(),
    list_model=m.SimulationGetSimulationScenariosResponse,
    list_query=r.list_query(200, 50),
    filter_values=_filter_values,
    search=r.Search("/search", m.SimulationSearchSimulationScenariosResponse, (r.CREATOR, r.TAG)),
    create=r.Create(
        ScenarioIn, m.SimulationCreateSimulationScenarioResponse, Store.create_scenario
    ),
    update=r.Update(TagsUpdateIn, tag_changes, Store.update_scenario),
    delete=Store.delete_scenario,
    versions=r.Versions(
        key="simulation_scenario_versions",
        body=ScenarioVersionIn,
        create_model=m.SimulationCreateSimulationScenarioVersionResponse,
        list_model=m.SimulationGetSimulationScenarioVersionsResponse,
        create=Store.create_scenario_version,
        items=Store.scenario_version_list,
    ),
)
router = r.resource_router(SCENARIOS)
