"""catalog.load_sets against a small fake of the catalog protocol (pure logic, no HTTP)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from amigo_sdk.errors import ForbiddenError

from pytest_amigo.api import UnitTestDefinition, UnitTestSetDefinition
from pytest_amigo.lifecycle.set_reader import DefinitionError, load_sets

ORG = "org-under-test"
SET_A, SET_B, MISSING = "a" * 24, "b" * 24, "c" * 24
UT = "d" * 24


class FakeCatalog:
    """Answers like the API: the set list leaves out what the caller may not read."""

    def __init__(self, sets: list[dict[str, Any]], unit_tests: list[dict[str, Any]]) -> None:
        self.sets = [UnitTestSetDefinition.model_validate(s) for s in sets]
        self.unit_tests = [UnitTestDefinition.model_validate(u) for u in unit_tests]
        self.forbid_unit_tests = False

    @property
    def organization_id(self) -> str:
        return ORG

    def list_unit_test_sets(self, *, ids: Sequence[str] = ()) -> list[UnitTestSetDefinition]:
        return [s for s in self.sets if s.id in ids]

    def list_unit_tests(self, *, ids: Sequence[str] = ()) -> list[UnitTestDefinition]:
        if self.forbid_unit_tests:
            raise ForbiddenError("missing Simulation:GetSimulationUnitTest", status_code=403)
        return [u for u in self.unit_tests if u.id in ids]


def _set(set_id: str, *, deleted: bool = False) -> dict[str, Any]:
    return {
        "id": set_id,
        "name": f"set {set_id[0]}",
        "description": None,
        "is_deleted": deleted,
        "unit_test_runs": [{"unit_test_id": UT, "run_count": 3}],
    }


UNIT_TEST = {
    "id": UT,
    "name": "Refund flow",
    "description": "d",
    "success_criterions": [
        {
            "name": "Resolved",
            "metric_id": "e" * 24,
            "criterion": {"type": "boolean", "expected_value": True},
        }
    ],
}


def test_set_not_returned_names_the_three_causes() -> None:
    api = FakeCatalog([_set(SET_A)], [UNIT_TEST])
    with pytest.raises(DefinitionError) as info:
        load_sets(api, [SET_A, MISSING])
    message = str(info.value)
    assert MISSING in message and SET_A not in message
    assert "not found" in message
    # 1. a wrong id
    assert "id is wrong" in message and "--amigo-set" in message
    # 2. a wrong organization, naming the one in use
    assert "AMIGO_ORGANIZATION_ID" in message and repr(ORG) in message
    # 3. the key's user may not read the set: the list silently leaves it out
    assert "Simulation:GetSimulationUnitTestSet" in message
    assert "leaves out sets the caller may not read" in message


def test_several_sets_not_returned_are_named_together() -> None:
    other = "f" * 24
    with pytest.raises(
        DefinitionError, match=f"sets {MISSING}, {other} not found: the API did not return them"
    ):
        load_sets(FakeCatalog([], []), [MISSING, other])


def test_deleted_set_is_reported_as_deleted() -> None:
    api = FakeCatalog([_set(SET_A), _set(SET_B, deleted=True)], [UNIT_TEST])
    with pytest.raises(DefinitionError, match=f"{SET_B} of organization .* deleted"):
        load_sets(api, [SET_A, SET_B])


def test_sets_become_domain_objects() -> None:
    api = FakeCatalog([_set(SET_A), _set(SET_B)], [UNIT_TEST])
    sets = load_sets(api, [SET_B, SET_A, SET_B])
    assert list(sets) == [SET_B, SET_A]
    (member,) = sets[SET_A].unit_tests
    assert (member.id, member.name, member.run_count, member.description) == (
        UT,
        "Refund flow",
        3,
        "d",
    )
    assert [c.requirement() for c in member.criteria] == ["is true"]


def test_unreadable_unit_tests_still_collect_by_id() -> None:
    api = FakeCatalog([_set(SET_A)], [UNIT_TEST])
    api.forbid_unit_tests = True
    (member,) = load_sets(api, [SET_A])[SET_A].unit_tests
    assert (member.id, member.name, member.run_count, member.criteria) == (UT, UT, 3, ())


def test_no_sets_asked_no_request() -> None:
    assert load_sets(FakeCatalog([], []), []) == {}
