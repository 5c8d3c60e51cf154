"""Tool invocations."""

from __future__ import annotations

from typing import Annotated, Any

from amigo_sdk.generated import model as m
from fastapi import APIRouter, Query
from fastapi.responses import Response

from pytest_amigo.contract import PERMISSION_RUN
from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.errors import BadRequest, invalid
from pytest_amigo.emulator.routes.common import (
    V1,
    IdList,
    OptBool,
    StoreDep,
    StrList,
    Token,
    ok,
    page_body,
    user_dep,
)
from pytest_amigo.emulator.store import sorted_docs

router = APIRouter(prefix=V1 + "/tool")
SOURCES = {"regular-conversation", "simulation-conversation"}


@router.get("/invocation", response_model=m.ToolGetToolInvocationsResponse)
def list_tool_invocations(
    store: StoreDep,
    user: Annotated[w.User, user_dep(PERMISSION_RUN)],
    tool_id: IdList = [],  # noqa: B006
    version: StrList = [],  # noqa: B006
    invocation_source_type: StrList = [],  # noqa: B006
    conversation_id: IdList = [],  # noqa: B006
    simulation_unit_test_set_run_id: IdList = [],  # noqa: B006
    succeeded: OptBool = None,
    limit: Annotated[int, Query(ge=0, le=100)] = 100,
    continuation_token: Token = 0,
    sort_by: StrList = [],  # noqa: B006
) -> Response:
    if version and len(version) != len(tool_id):
        raise BadRequest("The number of versions must match the number of tool IDs.")
    bad = set(invocation_source_type) - SOURCES
    if bad:
        raise invalid(
            ["query", "invocation_source_type"],
            "Input should be 'regular-conversation' or 'simulation-conversation'",
            sorted(bad),
        )
    items = store.tool_invocations(simulation_unit_test_set_run_id)

    def keep(x: dict[str, Any]) -> bool:
        if invocation_source_type and "simulation-conversation" not in invocation_source_type:
            return False
        if conversation_id:
            return False
        if tool_id and x["tool_id"] not in tool_id:
            return False
        return succeeded is None or x["invocation_status"]["succeeded"] == succeeded

    items = sorted_docs([x for x in items if keep(x)], sort_by, {"created_at", "tool_id"})
    chunk, more, nxt = store.page(items, limit, continuation_token)
    return ok(m.ToolGetToolInvocationsResponse, page_body("tool_invocations", chunk, more, nxt))
