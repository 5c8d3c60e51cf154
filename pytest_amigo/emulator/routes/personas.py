"""Simulation personas and their versions."""

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
    PersonaIn,
    PersonaVersionIn,
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

router = APIRouter(prefix=V1 + "/simulation/persona")
READ, WRITE = "Simulation:GetSimulationPersona", "Simulation:ModifySimulationPersona"
PersonaId = Annotated[str, path_id("simulation_persona_id")]


@router.get("/", response_model=m.SimulationGetSimulationPersonasResponse)
async def list_personas(
    store: StoreDep,
    user: Annotated[w.User, user_dep(READ)],
    id: IdList = [],  # noqa: B006
    limit: Annotated[int, Query(ge=0, le=50)] = 50,
    continuation_token: Token = 0,
    is_deleted: OptBool = None,
    role: StrList = [],  # noqa: B006
    creator: StrList = [],  # noqa: B006
    tag: StrList = [],  # noqa: B006
    sort_by: StrList = [],  # noqa: B006
) -> Response:
    docs = store.list_docs(
        store.personas.values(), ids=id, is_deleted=is_deleted, creator=creator, tag=tag,
        sort_by=sort_by, extra=lambda d: not role or d["role"] in role,
    )  # fmt: skip
    chunk, more, nxt = store.page(docs, limit, continuation_token)
    filters = None
    if continuation_token == 0:
        filters = {
            "creators": unique([d["creator"] for d in docs]),
            "tags": sorted({f"{k}:{v or ''}" for d in docs for k, v in d["tags"].items()}),
            "roles": sorted({d["role"] for d in docs}),
        }
    body = {
        "simulation_personas": [store.public(d) for d in chunk],
        "has_more": more,
        "continuation_token": nxt,
        "filter_values": filters,
    }
    return ok(m.SimulationGetSimulationPersonasResponse, body)


@router.get("/search", response_model=m.SimulationSearchSimulationPersonasResponse)
async def search_personas(
    store: StoreDep,
    user: Annotated[w.User, user_dep(READ)],
    query: SearchQuery,
    role: StrList = [],  # noqa: B006
    creator: StrList = [],  # noqa: B006
    tag: StrList = [],  # noqa: B006
) -> Response:
    docs = store.list_docs(
        store.search(store.personas.values(), query, top=10_000), ids=[], is_deleted=None,
        creator=creator, tag=tag, sort_by=[], extra=lambda d: not role or d["role"] in role,
    )[:50]  # fmt: skip
    body = {"simulation_personas": [store.public(d) for d in docs]}
    return ok(m.SimulationSearchSimulationPersonasResponse, body)


@router.post("/", status_code=201, response_model=m.SimulationCreateSimulationPersonaResponse)
async def create_persona(
    store: StoreDep, user: Annotated[w.User, user_dep(WRITE)], body: PersonaIn
) -> Response:
    pid = store.create_persona(data_of(body), user)
    return ok(m.SimulationCreateSimulationPersonaResponse, {"simulation_persona_id": pid}, 201)


@router.post("/{simulation_persona_id}/", status_code=204)
async def update_persona(
    store: StoreDep,
    user: Annotated[w.User, user_dep(WRITE)],
    simulation_persona_id: PersonaId,
    body: TagsUpdateIn,
) -> Response:
    tags = data_of(body)["tags"] if body.tags is not None else None
    store.update_persona(simulation_persona_id, tags, user)
    return no_content()


@router.delete("/{simulation_persona_id}/", status_code=204)
async def delete_persona(
    store: StoreDep,
    user: Annotated[w.User, user_dep(WRITE)],
    simulation_persona_id: PersonaId,
) -> Response:
    store.delete_persona(simulation_persona_id, user)
    return no_content()


@router.post(
    "/{simulation_persona_id}/version/",
    status_code=201,
    response_model=m.SimulationCreateSimulationPersonaVersionResponse,
)
async def create_persona_version(
    store: StoreDep,
    user: Annotated[w.User, user_dep(WRITE)],
    simulation_persona_id: PersonaId,
    body: PersonaVersionIn,
    version: Annotated[int | None, Query(gt=1)] = None,
) -> Response:
    number = store.create_persona_version(simulation_persona_id, data_of(body), version, user)
    return ok(m.SimulationCreateSimulationPersonaVersionResponse, {"version": number}, 201)


@router.get(
    "/{simulation_persona_id}/version/",
    response_model=m.SimulationGetSimulationPersonaVersionsResponse,
)
async def list_persona_versions(
    store: StoreDep,
    user: Annotated[w.User, user_dep(READ)],
    simulation_persona_id: PersonaId,
    version: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(gt=0, le=10)] = 10,
    continuation_token: Token = 0,
    sort_by: StrList = [],  # noqa: B006
) -> Response:
    items = versions_of(store.persona_version_list(simulation_persona_id), version, sort_by)
    chunk, more, nxt = store.page(items, limit, continuation_token)
    body = {"simulation_persona_versions": chunk, "has_more": more, "continuation_token": nxt}
    return ok(m.SimulationGetSimulationPersonaVersionsResponse, body)
