"""Simulation scenarios and their versions."""

from __future__ import annotations

from typing import Annotated

from amigo_sdk.generated import model as m
from fastapi import APIRouter, Query
from fastapi.responses import Response

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.routes.common import (
    V1,
    IdList,
    OptBool,
    ScenarioIn,
    ScenarioVersionIn,
    SearchQuery,
    StoreDep,
    StrList,
    TagsUpdateIn,
    Token,
    data_of,
    no_content,
    ok,
    path_id,
    unique,
    user_dep,
    versions_of,
)

router = APIRouter(prefix=V1 + "/simulation/scenario")
READ, WRITE = "Simulation:GetSimulationScenario", "Simulation:ModifySimulationScenario"
ScenarioId = Annotated[str, path_id("simulation_scenario_id")]


@router.get("/", response_model=m.SimulationGetSimulationScenariosResponse)
async def list_scenarios(
    store: StoreDep,
    user: Annotated[w.User, user_dep(READ)],
    id: IdList = [],  # noqa: B006
    limit: Annotated[int, Query(ge=0, le=200)] = 50,
    continuation_token: Token = 0,
    is_deleted: OptBool = None,
    creator: StrList = [],  # noqa: B006
    tag: StrList = [],  # noqa: B006
    sort_by: StrList = [],  # noqa: B006
) -> Response:
    docs = store.list_docs(
        store.scenarios.values(), ids=id, is_deleted=is_deleted, creator=creator, tag=tag,
        sort_by=sort_by,
    )  # fmt: skip
    chunk, more, nxt = store.page(docs, limit, continuation_token)
    filters = None
    if continuation_token == 0:
        filters = {
            "creators": unique([d["creator"] for d in docs]),
            "tags": sorted({f"{k}:{v or ''}" for d in docs for k, v in d["tags"].items()}),
        }
    body = {
        "simulation_scenarios": [store.public(d) for d in chunk],
        "has_more": more,
        "continuation_token": nxt,
        "filter_values": filters,
    }
    return ok(m.SimulationGetSimulationScenariosResponse, body)


@router.get("/search", response_model=m.SimulationSearchSimulationScenariosResponse)
async def search_scenarios(
    store: StoreDep,
    user: Annotated[w.User, user_dep(READ)],
    query: SearchQuery,
    creator: StrList = [],  # noqa: B006
    tag: StrList = [],  # noqa: B006
) -> Response:
    docs = store.list_docs(
        store.search(store.scenarios.values(), query, top=10_000), ids=[], is_deleted=None,
        creator=creator, tag=tag, sort_by=[],
    )[:50]  # fmt: skip
    body = {"simulation_scenarios": [store.public(d) for d in docs]}
    return ok(m.SimulationSearchSimulationScenariosResponse, body)


@router.post("/", status_code=201, response_model=m.SimulationCreateSimulationScenarioResponse)
async def create_scenario(
    store: StoreDep, user: Annotated[w.User, user_dep(WRITE)], body: ScenarioIn
) -> Response:
    sid = store.create_scenario(data_of(body), user)
    return ok(m.SimulationCreateSimulationScenarioResponse, {"simulation_scenario_id": sid}, 201)


@router.post("/{simulation_scenario_id}/", status_code=204)
async def update_scenario(
    store: StoreDep,
    user: Annotated[w.User, user_dep(WRITE)],
    simulation_scenario_id: ScenarioId,
    body: TagsUpdateIn,
) -> Response:
    tags = data_of(body)["tags"] if body.tags is not None else None
    store.update_scenario(simulation_scenario_id, tags, user)
    return no_content()


@router.delete("/{simulation_scenario_id}/", status_code=204)
async def delete_scenario(
    store: StoreDep,
    user: Annotated[w.User, user_dep(WRITE)],
    simulation_scenario_id: ScenarioId,
) -> Response:
    store.delete_scenario(simulation_scenario_id, user)
    return no_content()


@router.post(
    "/{simulation_scenario_id}/version/",
    status_code=201,
    response_model=m.SimulationCreateSimulationScenarioVersionResponse,
)
async def create_scenario_version(
    store: StoreDep,
    user: Annotated[w.User, user_dep(WRITE)],
    simulation_scenario_id: ScenarioId,
    body: ScenarioVersionIn,
    version: Annotated[int | None, Query(gt=1)] = None,
) -> Response:
    number = store.create_scenario_version(simulation_scenario_id, data_of(body), version, user)
    return ok(m.SimulationCreateSimulationScenarioVersionResponse, {"version": number}, 201)


@router.get(
    "/{simulation_scenario_id}/version/",
    response_model=m.SimulationGetSimulationScenarioVersionsResponse,
)
async def list_scenario_versions(
    store: StoreDep,
    user: Annotated[w.User, user_dep(READ)],
    simulation_scenario_id: ScenarioId,
    version: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(gt=0, le=10)] = 10,
    continuation_token: Token = 0,
    sort_by: StrList = [],  # noqa: B006
) -> Response:
    items = versions_of(store.scenario_version_list(simulation_scenario_id), version, sort_by)
    chunk, more, nxt = store.page(items, limit, continuation_token)
    body = {"simulation_scenario_versions": chunk, "has_more": more, "continuation_token": nxt}
    return ok(m.SimulationGetSimulationScenarioVersionsResponse, body)
