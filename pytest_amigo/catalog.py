"""Reading unit test set definitions through the API into domain objects.

Collection needs names, run counts and criteria, never a run: one paged request for the sets, one
for their unit tests. When the caller may not read unit tests (``Simulation:GetSimulationUnitTest``)
the set is still collected from its unit test ids, so the missing permission is reported where it
matters (on the items) instead of as "no tests".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol

from amigo_sdk.errors import ForbiddenError
from amigo_sdk.generated.model import SimulationUnitTestInstance, SimulationUnitTestSetInstance

from .domain import Criterion, UnitTest, UnitTestSet

OBJECT_ID = re.compile(r"^[a-f0-9]{24}$")


class DefinitionError(Exception):
    """A set or run named by the user cannot be read; the message says what to do."""


class CatalogApi(Protocol):
    organization_id: str

    def list_unit_test_sets(
        self, *, ids: Sequence[str] = ...
    ) -> list[SimulationUnitTestSetInstance]: ...

    def list_unit_tests(self, *, ids: Sequence[str] = ...) -> list[SimulationUnitTestInstance]: ...


def check_object_id(value: str, what: str) -> str:
    value = value.strip()
    if not OBJECT_ID.match(value):
        raise DefinitionError(
            f"{what} {value!r} is not an Amigo id (24 lowercase hex characters, "
            "e.g. 66aa00000000000000000001). Copy the id from the Amigo dashboard or API."
        )
    return value


def load_sets(api: CatalogApi, set_ids: Iterable[str]) -> dict[str, UnitTestSet]:
    """Definitions of the given sets, keyed by set id, in one pass over the API."""
    wanted = list(dict.fromkeys(set_ids))
    if not wanted:
        return {}
    found = {s.id: s for s in api.list_unit_test_sets(ids=wanted)}
    missing = [i for i in wanted if i not in found or found[i].is_deleted]
    if missing:
        raise DefinitionError(
            f"unit test set(s) {', '.join(missing)} not found in organization "
            f"{api.organization_id!r}: check --amigo-set / amigo_sets and AMIGO_ORGANIZATION_ID."
        )
    unit_test_ids = list(
        dict.fromkeys(u.unit_test_id for i in wanted for u in found[i].unit_test_runs)
    )
    unit_tests: dict[str, SimulationUnitTestInstance] = {}
    if unit_test_ids:
        try:
            unit_tests = {u.id: u for u in api.list_unit_tests(ids=unit_test_ids)}
        except ForbiddenError:
            unit_tests = {}
    return {i: _to_domain(found[i], unit_tests) for i in wanted}


def _to_domain(
    instance: SimulationUnitTestSetInstance, unit_tests: dict[str, SimulationUnitTestInstance]
) -> UnitTestSet:
    members = []
    for descriptor in instance.unit_test_runs:
        definition = unit_tests.get(descriptor.unit_test_id)
        if definition is None:
            members.append(
                UnitTest(
                    id=descriptor.unit_test_id,
                    name=descriptor.unit_test_id,
                    run_count=descriptor.run_count,
                )
            )
            continue
        criteria = tuple(
            Criterion.from_api(
                c.name,
                c.metric_id,
                c.criterion.model_dump(mode="json"),
            )
            for c in definition.success_criterions
        )
        members.append(
            UnitTest(
                id=definition.id,
                name=definition.name,
                run_count=descriptor.run_count,
                criteria=criteria,
                description=definition.description or "",
            )
        )
    return UnitTestSet(
        id=instance.id,
        name=instance.name,
        unit_tests=tuple(members),
        description=instance.description or "",
    )
