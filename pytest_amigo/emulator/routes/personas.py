"""Simulation personas and their versions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from amigo_sdk.generated import model as m

from pytest_amigo.emulator.routes import resource as r
from pytest_amigo.emulator.routes.common import (
    PersonaIn,
    PersonaVersionIn,
    TagsUpdateIn,
    dict_tag_values,
    tag_changes,
    unique,
)
from pytest_amigo.emulator.store import Store

ROLE = r.str_filter("role")


def _keep(q: dict[str, Any]) -> Callable[[r.Doc], bool]:
    role: list[str] = q["role"]
    return lambda d: not role or d["role"] in role


def _filter_values(docs: list[r.Doc]) -> dict[str, Any]:
    return {
        "creators": unique([d["creator"] for d in docs]),
        "tags": dict_tag_values(docs),
        "roles": sorted({d["role"] for d in docs}),
    }


PERSONAS = r.Resource(
    r.simulation("persona"),
    docs=lambda store, user: store.personas.values(),
    list_model=m.SimulationGetSimulationPersonasResponse,
    list_query=r.list_query(50, 50, ROLE),
    filter_values=_filter_values,
    keep=_keep,
    search=r.Search(
        "/search", m.SimulationSearchSimulationPersonasResponse, (ROLE, r.CREATOR, r.TAG)
    ),
    create=r.Create(PersonaIn, m.SimulationCreateSimulationPersonaResponse, Store.create_persona),
    update=r.Update(TagsUpdateIn, tag_changes, Store.update_persona),
    delete=Store.delete_persona,
    versions=r.Versions(
        key="simulation_persona_versions",
        body=PersonaVersionIn,
        create_model=m.SimulationCreateSimulationPersonaVersionResponse,
        list_model=m.SimulationGetSimulationPersonaVersionsResponse,
        create=Store.create_persona_version,
        items=Store.persona_version_list,
    ),
)
router = r.resource_router(PERSONAS)
