"""Simulation unit test sets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from amigo_sdk.generated import model as m
from fastapi import APIRouter, Query
from fastapi.responses import Response

from pytest_amigo.contract import PERMISSION_SET
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

router = APIRouter(prefix=V1 + "/simulation/unit_test_set")
READ, WRITE = PERMISSION_SET, "Simulation:ModifySimulationUnitTestSet"
SetId = Annotated[str, path_id("simulation_unit_test_set_id")]


def _filter(unit_test_id: list[str]) -> Callable[[dict[str, Any]], bool]:
    return lambda d: (
        not unit_test_id or any(r["unit_test_id"] in unit_test_id for r in d["unit_test_runs"])
    )


def _visible(store: Any, user: w.User) -> Any:
    """The sets ``user`` may list: none with ``hidden = ["sets"]``."""
    return [] if "sets" in user.hidden else store.sets.values()


@router.get("/", response_model=m.SimulationGetSimulationUnitTestSetsResponse)
async def list_sets(
    store: StoreDep,
    user: Annotated[w.User, user_dep(READ)],
    id: IdList = [],  # noqa: B006
    limit: Annotated[int, Query(ge=0, le=20)] = 20,
    continuation_token: Token = 0,
    is_deleted: OptBool = None,
    unit_test_id: IdList = [],  # noqa: B006
    creator: StrList = [],  # noqa: B006
    tag: StrList = [],  # noqa: B006
    sort_by: StrList = [],  # noqa: B006
) -> Response:
    docs = store.list_docs(
        _visible(store, user), ids=id, is_deleted=is_deleted, creator=creator, tag=tag,
        sort_by=sort_by, extra=_filter(unit_test_id),
    )  # fmt: skip
    chunk, more, nxt = store.page(docs, limit, continuation_token)
    filters = None
    if continuation_token == 0:
        filters = {
            "creators": unique([d["creator"] for d in docs]),
            "unit_test_ids": sorted({r["unit_test_id"] for d in docs for r in d["unit_test_runs"]}),
            "tags": tag_values(docs),
        }
    body = {
        "simulation_unit_test_sets": [store.public(d) for d in chunk],
        "has_more": more,
        "continuation_token": nxt,
        "filter_values": filters,
    }
    return ok(m.SimulationGetSimulationUnitTestSetsResponse, body)


@router.get("/search/", response_model=m.SimulationSearchSimulationUnitTestSetResponse)
async def search_sets(
    store: StoreDep,
    user: Annotated[w.User, user_dep(READ)],
    query: SearchQuery,
    creator: StrList = [],  # noqa: B006
    tag: StrList = [],  # noqa: B006
    unit_test_id: IdList = [],  # noqa: B006
) -> Response:
    docs = store.list_docs(
        store.search(_visible(store, user), query, top=10_000), ids=[], is_deleted=None,
        creator=creator, tag=tag, sort_by=[], extra=_filter(unit_test_id),
    )[:50]  # fmt: skip
    body = {"simulation_unit_test_sets": [underscore_id(store.public(d)) for d in docs]}
    return ok(m.SimulationSearchSimulationUnitTestSetResponse, body)


@router.post("/", status_code=201, response_model=m.SimulationCreateSimulationUnitTestSetResponse)
async def create_set(
    store: StoreDep,
    user: Annotated[w.User, user_dep(WRITE)],
    body: m.SimulationCreateSimulationUnitTestSetRequest,
) -> Response:
    sid = store.create_set(data_of(body), user)
    return ok(
        m.SimulationCreateSimulationUnitTestSetResponse, {"simulation_unit_test_set_id": sid}, 201
    )


@router.post("/{simulation_unit_test_set_id}", status_code=204)
async def update_set(
    store: StoreDep,
    user: Annotated[w.User, user_dep(WRITE)],
    simulation_unit_test_set_id: SetId,
    body: m.SimulationUpdateSimulationUnitTestSetRequest,
) -> Response:
    data = data_of(body)
    changes: dict[str, Any] = {}
    if body.name is not None:
        changes["name"] = data["name"]
    if not isinstance(body.description, m.FieldNotSet):
        changes["description"] = data["description"]
    if body.unit_test_runs is not None:
        changes["unit_test_runs"] = data["unit_test_runs"]
    if body.tags is not None:
        changes["tags"] = data["tags"]
    store.update_set(simulation_unit_test_set_id, changes, user)
    return no_content()


@router.delete("/{simulation_unit_test_set_id}", status_code=204)
async def delete_set(
    store: StoreDep,
    user: Annotated[w.User, user_dep(WRITE)],
    simulation_unit_test_set_id: SetId,
) -> Response:
    store.delete_set(simulation_unit_test_set_id, user)
    return no_content()
