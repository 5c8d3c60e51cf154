"""Simulation unit test set runs: list, create, cancel, artifacts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from amigo_sdk.generated import model as m
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from pytest_amigo.contract import PERMISSION_RUN
from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.routes.common import (
    V1,
    IdList,
    OptBool,
    StoreDep,
    StrList,
    Token,
    no_content,
    ok,
    page_body,
    path_id,
    unique,
    user_dep,
)
from pytest_amigo.emulator.store import sorted_docs

router = APIRouter(prefix=V1 + "/simulation/unit_test_set_run")
READ = PERMISSION_RUN
RunId = Annotated[str, path_id("simulation_unit_test_set_run_id")]

# The routes that may walk every session of a run are plain functions: FastAPI runs them in
# its thread pool, so the event loop keeps answering while a huge run is listed.


@router.get("/", response_model=m.SimulationGetSimulationUnitTestSetRunsResponse)
def list_runs(
    store: StoreDep,
    user: Annotated[w.User, user_dep(READ)],
    id: IdList = [],  # noqa: B006
    limit: Annotated[int, Query(ge=0, le=50)] = 50,
    continuation_token: Token = 0,
    creator: StrList = [],  # noqa: B006
    sort_by: StrList = [],  # noqa: B006
    simulation_unit_test_set_id: IdList = [],  # noqa: B006
    is_completed: OptBool = None,
    failed_metrics: OptBool = None,
    errored: OptBool = None,
    created_after: Annotated[datetime | None, Query()] = None,
    created_before: Annotated[datetime | None, Query()] = None,
) -> Response:
    instances = store.list_runs(
        user,
        ids=id,
        set_ids=simulation_unit_test_set_id,
        creators=creator,
        created_after=created_after,
        created_before=created_before,
        is_completed=is_completed,
        failed_metrics=failed_metrics,
        errored=errored,
    )
    instances = sorted_docs(instances, sort_by, {"created_at"})
    chunk, more, nxt = store.page(instances, limit, continuation_token)
    filters = None
    if continuation_token == 0:
        filters = {
            "creators": unique([i["creator"] for i in instances]),
            "simulation_unit_test_set_ids": sorted(
                {i["simulation_unit_test_set_id"] for i in instances}
            ),
            "tags": [],
        }
    body = page_body("simulation_unit_test_set_runs", chunk, more, nxt, filter_values=filters)
    return ok(m.SimulationGetSimulationUnitTestSetRunsResponse, body)


@router.post(
    "/", status_code=201, response_model=m.SimulationCreateSimulationUnitTestSetRunResponse
)
def create_run(
    store: StoreDep,
    user: Annotated[w.User, user_dep("Simulation:CreateSimulationUnitTestSetRun")],
    body: m.SimulationCreateSimulationUnitTestSetRunRequest,
) -> Response:
    rid = store.create_run(body.simulation_unit_test_set_id, user)
    return ok(
        m.SimulationCreateSimulationUnitTestSetRunResponse,
        {"simulation_unit_test_set_run_id": rid},
        201,
    )


@router.delete("/{simulation_unit_test_set_run_id}/", status_code=204)
async def cancel_run(
    store: StoreDep,
    user: Annotated[w.User, user_dep("Simulation:CancelSimulationUnitTestSetRun")],
    simulation_unit_test_set_run_id: RunId,
) -> Response:
    store.cancel_run(simulation_unit_test_set_run_id)
    return no_content()


@router.get(
    "/{simulation_unit_test_set_run_id}/artifacts/",
    response_model=m.SimulationGetSimulationUnitTestSetRunArtifactsResponse,
)
def run_artifacts(
    request: Request,
    store: StoreDep,
    user: Annotated[w.User, user_dep(READ)],
    simulation_unit_test_set_run_id: RunId,
) -> Response:
    path, expires = store.artifacts_link(simulation_unit_test_set_run_id)
    base = str(request.base_url).rstrip("/")
    body = {"presigned_url": base + path, "url_expires_at": expires}
    return ok(m.SimulationGetSimulationUnitTestSetRunArtifactsResponse, body)
