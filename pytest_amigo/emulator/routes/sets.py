"""Simulation unit test sets."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from amigo_sdk.generated import model as m

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.routes import resource as r
from pytest_amigo.emulator.routes.common import data_of, tag_values, unique
from pytest_amigo.emulator.store import Store

UNIT_TEST_ID = r.id_filter("unit_test_id")


def _keep(q: dict[str, Any]) -> Callable[[r.Doc], bool]:
    unit_test_id: list[str] = q["unit_test_id"]
    return lambda d: (
        not unit_test_id or any(r["unit_test_id"] in unit_test_id for r in d["unit_test_runs"])
    )


def _visible(store: Store, user: w.User) -> Iterable[r.Doc]:
    """The sets ``user`` may list: none with ``hidden = ["sets"]``."""
    return [] if "sets" in user.hidden else store.sets.values()


def _filter_values(docs: list[r.Doc]) -> dict[str, Any]:
    return {
        "creators": unique([d["creator"] for d in docs]),
        "unit_test_ids": sorted({r["unit_test_id"] for d in docs for r in d["unit_test_runs"]}),
        "tags": tag_values(docs),
    }


def _changes(body: m.SimulationUpdateSimulationUnitTestSetRequest) -> r.Doc:
    data = data_of(body)
    changes: r.Doc = {}
    if body.name is not None:
        changes["name"] = data["name"]
    if not isinstance(body.description, m.FieldNotSet):
        changes["description"] = data["description"]
    if body.unit_test_runs is not None:
        changes["unit_test_runs"] = data["unit_test_runs"]
    if body.tags is not None:
        changes["tags"] = data["tags"]
    return changes


SETS = r.Resource(
    r.simulation("unit_test_set", name="set"),
    docs=_visible,
    list_model=m.SimulationGetSimulationUnitTestSetsResponse,
    list_query=r.list_query(20, 20, UNIT_TEST_ID),
    filter_values=_filter_values,
    keep=_keep,
    item_suffix="",
    search=r.Search(
        "/search/",
        m.SimulationSearchSimulationUnitTestSetResponse,
        (r.CREATOR, r.TAG, UNIT_TEST_ID),
        underscore=True,
    ),
    create=r.Create(
        m.SimulationCreateSimulationUnitTestSetRequest,
        m.SimulationCreateSimulationUnitTestSetResponse,
        Store.create_set,
    ),
    update=r.Update(m.SimulationUpdateSimulationUnitTestSetRequest, _changes, Store.update_set),
    delete=Store.delete_set,
)
router = r.resource_router(SETS)
