"""Services and the version lists of what a run is made of: agents, state machines, metrics.

Read-only: the world declares services, their version sets (a ``null`` number is the latest
version) and how many versions their agent and state machine have; metrics have one version.
"""

from __future__ import annotations

from typing import Annotated, Any

from amigo_sdk.generated import model as m
from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.routes.common import (
    V1,
    IdList,
    OptBool,
    StoreDep,
    StrList,
    Token,
    ok,
    page_body,
    path_id,
    user_dep,
    versions_of,
)
from pytest_amigo.emulator.store import Store, sorted_docs

router = APIRouter(prefix=V1)

AgentId = Annotated[str, path_id("agent_id")]
MachineId = Annotated[str, path_id("service_hierarchical_state_machine_id")]
MetricId = Annotated[str, path_id("metric_id")]
VersionLimit = Annotated[int, Query(gt=0, le=10)]
Version = Annotated[str | None, Query()]


@router.get("/service/", response_model=m.ServiceGetServicesResponse)
async def list_services(
    store: StoreDep,
    user: Annotated[w.User, user_dep("Service:GetService")],
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


def _versions(
    model: type[BaseModel],
    key: str,
    items: list[dict[str, Any]],
    store: Store,
    page: tuple[str | None, int, int, list[str]],
) -> Response:
    """A page of a version list, oldest first unless ``sort_by`` says otherwise; ``page``:
    (version, limit, continuation_token, sort_by) as sent."""
    version, limit, token, sort_by = page
    found = versions_of(items, version, sort_by)
    chunk, more, nxt = store.page(found, limit, token)
    return ok(model, page_body(key, chunk, more, nxt))


@router.get(
    "/organization/agent/{agent_id}/version",
    response_model=m.OrganizationGetAgentVersionsResponse,
)
async def list_agent_versions(
    store: StoreDep,
    user: Annotated[w.User, user_dep("Organization:GetAgent")],
    agent_id: AgentId,
    version: Version = None,
    limit: VersionLimit = 10,
    continuation_token: Token = 0,
    sort_by: StrList = [],  # noqa: B006
) -> Response:
    items = store.agent_version_docs(agent_id)
    page = (version, limit, continuation_token, sort_by)
    return _versions(m.OrganizationGetAgentVersionsResponse, "agent_versions", items, store, page)


@router.get(
    "/organization/service_hierarchical_state_machine/{service_hierarchical_state_machine_id}"
    "/version",
    response_model=m.OrganizationGetServiceHierarchicalStateMachineVersionsResponse,
)
async def list_state_machine_versions(
    store: StoreDep,
    user: Annotated[w.User, user_dep("Organization:GetServiceHierarchicalStateMachine")],
    service_hierarchical_state_machine_id: MachineId,
    version: Version = None,
    limit: VersionLimit = 10,
    continuation_token: Token = 0,
    sort_by: StrList = [],  # noqa: B006
) -> Response:
    items = store.state_machine_version_docs(service_hierarchical_state_machine_id)
    page = (version, limit, continuation_token, sort_by)
    model = m.OrganizationGetServiceHierarchicalStateMachineVersionsResponse
    return _versions(model, "state_machine_versions", items, store, page)


@router.get("/metric/{metric_id}/version", response_model=m.MetricGetMetricVersionsResponse)
async def list_metric_versions(
    store: StoreDep,
    user: Annotated[w.User, user_dep("Metric:GetMetric")],
    metric_id: MetricId,
    version: Version = None,
    limit: VersionLimit = 10,
    continuation_token: Token = 0,
    sort_by: StrList = [],  # noqa: B006
) -> Response:
    items = store.metric_version_docs(metric_id)
    page = (version, limit, continuation_token, sort_by)
    return _versions(m.MetricGetMetricVersionsResponse, "metric_versions", items, store, page)
