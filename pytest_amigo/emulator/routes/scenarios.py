"""Simulation scenarios and their versions."""

from __future__ import annotations

from typing import Any

from amigo_sdk.generated import model as m

from pytest_amigo.emulator.routes.common import (
    ScenarioIn,
    ScenarioVersionIn,
    TagsUpdateIn,
    dict_tag_values,
    tag_changes,
    unique,
)
from pytest_amigo.emulator.routes.resource import (
    CREATOR,
    ID,
    IS_DELETED,
    SORT_BY,
    TAG,
    TOKEN,
    Resource,
    Versions,
    page_limit,
    resource_router,
)
from pytest_amigo.emulator.store import Store


def _filter_values(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"creators": unique([d["creator"] for d in docs]), "tags": dict_tag_values(docs)}


SCENARIOS = Resource(
    path="/simulation/scenario",
    name="scenario",
    names="scenarios",
    key="simulation_scenarios",
    read="Simulation:GetSimulationScenario",
    write="Simulation:ModifySimulationScenario",
    docs=lambda store, user: store.scenarios.values(),
    list_model=m.SimulationGetSimulationScenariosResponse,
    list_query=(ID, page_limit(200, 50), TOKEN, IS_DELETED, CREATOR, TAG, SORT_BY),
    filter_values=_filter_values,
    id_name="simulation_scenario_id",
    search_model=m.SimulationSearchSimulationScenariosResponse,
    search_query=(CREATOR, TAG),
    create_body=ScenarioIn,
    create_model=m.SimulationCreateSimulationScenarioResponse,
    create=Store.create_scenario,
    update_body=TagsUpdateIn,
    changes=tag_changes,
    update=Store.update_scenario,
    delete=Store.delete_scenario,
    versions=Versions(
        key="simulation_scenario_versions",
        body=ScenarioVersionIn,
        create_model=m.SimulationCreateSimulationScenarioVersionResponse,
        list_model=m.SimulationGetSimulationScenarioVersionsResponse,
        create=Store.create_scenario_version,
        items=Store.scenario_version_list,
    ),
)
router = resource_router(SCENARIOS)
