"""Simulation unit tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from amigo_sdk.generated import model as m

from pytest_amigo.emulator.routes import resource as r
from pytest_amigo.emulator.routes.common import data_of, tag_values, unique
from pytest_amigo.emulator.store import Store

REFERENCES = tuple(r.id_filter(n) for n in ("service_id", "persona_id", "scenario_id", "metric_id"))
"""The filters on what a unit test refers to (list and search)."""


def _keep(q: dict[str, Any]) -> Callable[[r.Doc], bool]:
    service_id, persona_id, scenario_id, metric_id = (q[p.name] for p in REFERENCES)

    def keep(d: r.Doc) -> bool:
        metrics = {c["metric_id"] for c in d["success_criterions"]}
        return (
            (not service_id or d["service_id"] in service_id)
            and (not persona_id or d["persona_id"] in persona_id)
            and (not scenario_id or d["scenario_id"] in scenario_id)
            and (not metric_id or bool(metrics & set(metric_id)))
        )

    return keep


def _filter_values(docs: list[r.Doc]) -> dict[str, Any]:
    return {
        "creators": unique([d["creator"] for d in docs]),
        "tags": tag_values(docs),
        "service_ids": sorted({d["service_id"] for d in docs}),
        "persona_ids": sorted({d["persona_id"] for d in docs}),
        "scenario_ids": sorted({d["scenario_id"] for d in docs}),
        "metric_ids": sorted({c["metric_id"] for d in docs for c in d["success_criterions"]}),
    }


def _changes(body: m.SimulationUpdateSimulationUnitTestRequest) -> r.Doc:
    return {k: v for k, v in data_of(body).items() if v is not None}


UNIT_TESTS = r.Resource(
    r.simulation("unit_test"),
    docs=lambda store, user: store.unit_tests.values(),
    list_model=m.SimulationGetSimulationUnitTestsResponse,
    list_query=r.list_query(500, 50, *REFERENCES),
    filter_values=_filter_values,
    keep=_keep,
    search=r.Search(
        "/search/",
        m.SimulationSearchSimulationUnitTestsResponse,
        (r.CREATOR, r.TAG, *REFERENCES),
        underscore=True,
    ),
    create=r.Create(
        m.SimulationCreateSimulationUnitTestRequest,
        m.SimulationCreateSimulationUnitTestResponse,
        Store.create_unit_test,
    ),
    update=r.Update(m.SimulationUpdateSimulationUnitTestRequest, _changes, Store.update_unit_test),
    delete=Store.delete_unit_test,
)
router = r.resource_router(UNIT_TESTS)
