"""Services and the version lists of what a run is made of: agents, state machines, metrics.

Read-only: the world declares services, their version sets (a ``null`` number is the latest
version) and how many versions their agent and state machine have; metrics have one version.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from amigo_sdk.generated import model as m
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.routes import resource as r
from pytest_amigo.emulator.routes.common import (
    V1,
    IdList,
    OptBool,
    StoreDep,
    StrList,
    Token,
    current_user,
    ok,
    page_body,
    path_id,
    versions_of,
)
from pytest_amigo.emulator.store import Store, sorted_docs

router = APIRouter()


@router.get(V1 + "/service/", response_model=m.ServiceGetServicesResponse)
async def list_services(
    store: StoreDep,
    user: Annotated[w.User, Depends(current_user)],  # no 403: the list leaves services out
    id: IdList = [],  # noqa: B006
    is_active: OptBool = None,
    sort_by: StrList = [],  # noqa: B006
    tags: StrList = [],  # noqa: B006
    limit: Annotated[int, Query(gt=0, le=20)] = 10,
    continuation_token: Token = 0,
) -> Response:
    docs = [
        d
        for d in store.service_docs(user)
        if (not id or d["id"] in id)
        and (is_active is None or d["is_active"] == is_active)
        and not tags  # the world's services have no tags
    ]
    docs = sorted_docs(docs, sort_by, {"name", "is_active"})
    chunk, more, nxt = store.page(docs, limit, continuation_token)
    filters: dict[str, list[str]] | None = {"tags": []} if continuation_token == 0 else None
    body = page_body("services", chunk, more, nxt, filter_values=filters)
    return ok(m.ServiceGetServicesResponse, body)


def _version_list(
    path: str,
    name: str,
    permission: str,
    id_name: str,
    model: type[BaseModel],
    key: str,
    items: Callable[[Store, str], list[dict[str, Any]]],
) -> None:
    """``GET path``: a page of the versions of the object ``{id_name}``, oldest first unless
    ``sort_by`` says otherwise (the query of every version list of the contract)."""
    params = (
        r.Param(id_name, Annotated[str, path_id(id_name)]),
        r.Param("version", Annotated[str | None, Query()], None),
        r.Param("limit", Annotated[int, Query(gt=0, le=10)], 10),
        r.TOKEN,
        r.SORT_BY,
    )

    def serve(store: Store, user: w.User, **q: Any) -> Response:
        found = versions_of(items(store, q[id_name]), q["version"], q["sort_by"])
        chunk, more, nxt = store.page(found, q["limit"], q["continuation_token"])
        return ok(model, page_body(key, chunk, more, nxt))

    endpoint = r.handler(name, permission, params, serve)
    router.add_api_route(V1 + path, endpoint, methods=["GET"], name=name, response_model=model)


_version_list(
    "/organization/agent/{agent_id}/version",
    "list_agent_versions",
    "Organization:GetAgent",
    "agent_id",
    m.OrganizationGetAgentVersionsResponse,
    "agent_versions",
    Store.agent_version_docs,
)
_version_list(
    "/organization/service_hierarchical_state_machine/{service_hierarchical_state_machine_id}"
    "/version",
    "list_state_machine_versions",
    "Organization:GetServiceHierarchicalStateMachine",
    "service_hierarchical_state_machine_id",
    m.OrganizationGetServiceHierarchicalStateMachineVersionsResponse,
    "state_machine_versions",
    Store.state_machine_version_docs,
)
_version_list(
    "/metric/{metric_id}/version",
    "list_metric_versions",
    "Metric:GetMetric",
    "metric_id",
    m.MetricGetMetricVersionsResponse,
    "metric_versions",
    Store.metric_version_docs,
)
