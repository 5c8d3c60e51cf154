"""Simulation unit tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from amigo_sdk.generated import model as m
from fastapi import APIRouter, Query
from fastapi.responses import Response

from pytest_amigo.contract import PERMISSION_UNIT_TEST
from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.routes.common import (
    V1,
    IdList,
    OptBool,
    SearchQuery,
    StoreDep,
    StrList,
    Token,
    data_of,
    no_content,
    ok,
    path_id,
    tag_values,
    underscore_id,
    unique,
    user_dep,
)

router = APIRouter(prefix=V1 + "/simulation/unit_test")
READ, WRITE = PERMISSION_UNIT_TEST, "Simulation:ModifySimulationUnitTest"
UnitTestId = Annotated[str, path_id("simulation_unit_test_id")]


def _filter(
    service_id: list[str], persona_id: list[str], scenario_id: list[str], metric_id: list[str]
) -> Callable[[dict[str, Any]], bool]:
    def keep(d: dict[str, Any]) -> bool:
        metrics = {c["metric_id"] for c in d["success_criterions"]}
        return (
            (not service_id or d["service_id"] in service_id)
            and (not persona_id or d["persona_id"] in persona_id)
            and (not scenario_id or d["scenario_id"] in scenario_id)
            and (not metric_id or bool(metrics & set(metric_id)))
        )

    return keep


@router.get("/", response_model=m.SimulationGetSimulationUnitTestsResponse)
async def list_unit_tests(
    store: StoreDep,
    user: Annotated[w.User, user_dep(READ)],
    id: IdList = [],  # noqa: B006
    limit: Annotated[int, Query(ge=0, le=500)] = 50,
    continuation_token: Token = 0,
    is_deleted: OptBool = None,
    service_id: IdList = [],  # noqa: B006
    persona_id: IdList = [],  # noqa: B006
    scenario_id: IdList = [],  # noqa: B006
    metric_id: IdList = [],  # noqa: B006
    creator: StrList = [],  # noqa: B006
    tag: StrList = [],  # noqa: B006
    sort_by: StrList = [],  # noqa: B006
) -> Response:
    docs = store.list_docs(
        store.unit_tests.values(), ids=id, is_deleted=is_deleted, creator=creator, tag=tag,
        sort_by=sort_by, extra=_filter(service_id, persona_id, scenario_id, metric_id),
    )  # fmt: skip
    chunk, more, nxt = store.page(docs, limit, continuation_token)
    filters = None
    if continuation_token == 0:
        filters = {
            "creators": unique([d["creator"] for d in docs]),
            "tags": tag_values(docs),
            "service_ids": sorted({d["service_id"] for d in docs}),
            "persona_ids": sorted({d["persona_id"] for d in docs}),
            "scenario_ids": sorted({d["scenario_id"] for d in docs}),
            "metric_ids": sorted({c["metric_id"] for d in docs for c in d["success_criterions"]}),
        }
    body = {
        "simulation_unit_tests": [store.public(d) for d in chunk],
        "has_more": more,
        "continuation_token": nxt,
        "filter_values": filters,
    }
    return ok(m.SimulationGetSimulationUnitTestsResponse, body)


@router.get("/search/", response_model=m.SimulationSearchSimulationUnitTestsResponse)
async def search_unit_tests(
    store: StoreDep,
    user: Annotated[w.User, user_dep(READ)],
    query: SearchQuery,
    creator: StrList = [],  # noqa: B006
    tag: StrList = [],  # noqa: B006
    service_id: IdList = [],  # noqa: B006
    persona_id: IdList = [],  # noqa: B006
    scenario_id: IdList = [],  # noqa: B006
    metric_id: IdList = [],  # noqa: B006
) -> Response:
    docs = store.list_docs(
        store.search(store.unit_tests.values(), query, top=10_000), ids=[], is_deleted=None,
        creator=creator, tag=tag, sort_by=[],
        extra=_filter(service_id, persona_id, scenario_id, metric_id),
    )[:50]  # fmt: skip
    body = {"simulation_unit_tests": [underscore_id(store.public(d)) for d in docs]}
    return ok(m.SimulationSearchSimulationUnitTestsResponse, body)


@router.post("/", status_code=201, response_model=m.SimulationCreateSimulationUnitTestResponse)
async def create_unit_test(
    store: StoreDep,
    user: Annotated[w.User, user_dep(WRITE)],
    body: m.SimulationCreateSimulationUnitTestRequest,
) -> Response:
    uid = store.create_unit_test(data_of(body), user)
    return ok(m.SimulationCreateSimulationUnitTestResponse, {"simulation_unit_test_id": uid}, 201)


@router.post("/{simulation_unit_test_id}/", status_code=204)
async def update_unit_test(
    store: StoreDep,
    user: Annotated[w.User, user_dep(WRITE)],
    simulation_unit_test_id: UnitTestId,
    body: m.SimulationUpdateSimulationUnitTestRequest,
) -> Response:
    data = {k: v for k, v in data_of(body).items() if v is not None}
    store.update_unit_test(simulation_unit_test_id, data, user)
    return no_content()


@router.delete("/{simulation_unit_test_id}/", status_code=204)
async def delete_unit_test(
    store: StoreDep,
    user: Annotated[w.User, user_dep(WRITE)],
    simulation_unit_test_id: UnitTestId,
) -> Response:
    store.delete_unit_test(simulation_unit_test_id, user)
    return no_content()
