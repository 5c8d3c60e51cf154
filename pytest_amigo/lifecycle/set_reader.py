"""Reading unit test set definitions through the API into domain objects.

Collection needs names, run counts and criteria, never a run: one paged request for the sets, one
for their unit tests. When the caller may not read unit tests (``Simulation:GetSimulationUnitTest``)
the set is still collected from its unit test ids, so the missing permission is reported where it
matters (on the items) instead of as "no tests".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from amigo_sdk.errors import ForbiddenError

from pytest_amigo.api.shapes import SuccessCriterion, UnitTestDefinition, UnitTestSetDefinition
from pytest_amigo.contract import PERMISSION_SET
from pytest_amigo.domain import Criterion, UnitTest, UnitTestSet
from pytest_amigo.errors import DefinitionError


class CatalogApi(Protocol):
    """What collection needs of the API (``SimulationApi`` reads these answers leniently:
    fields collection doesn't use never block it)."""

    @property
    def organization_id(self) -> str: ...

    def list_unit_test_sets(self, *, ids: Sequence[str] = ...) -> list[UnitTestSetDefinition]: ...

    def list_unit_tests(self, *, ids: Sequence[str] = ...) -> list[UnitTestDefinition]: ...


def load_sets(api: CatalogApi, set_ids: Iterable[str]) -> dict[str, UnitTestSet]:
    """Definitions of the given sets, keyed by set id, in one pass over the API."""
    wanted = list(dict.fromkeys(set_ids))
    if not wanted:
        return {}
    found = {s.id: s for s in api.list_unit_test_sets(ids=wanted)}
    deleted = [i for i in wanted if i in found and found[i].is_deleted]
    if deleted:
        raise DefinitionError(
            f"unit test set(s) {', '.join(deleted)} of organization {api.organization_id!r} "
            "are deleted: remove them from --amigo-set / amigo_sets."
        )
    missing = [i for i in wanted if i not in found]
    if missing:
        raise DefinitionError(_not_visible(missing, api.organization_id))
    unit_test_ids = list(
        dict.fromkeys(u.unit_test_id for i in wanted for u in found[i].unit_test_runs)
    )
    unit_tests: dict[str, UnitTestDefinition] = {}
    if unit_test_ids:
        try:
            unit_tests = {u.id: u for u in api.list_unit_tests(ids=unit_test_ids)}
        except ForbiddenError:
            unit_tests = {}
    return {i: _to_domain(found[i], unit_tests) for i in wanted}


def _not_visible(missing: Sequence[str], organization_id: str) -> str:
    """The list answers only what the caller may read, so "absent" has three causes."""
    plural = len(missing) > 1
    return (
        f"unit test set{'s' if plural else ''} {', '.join(missing)} not found: the API did "
        f"not return {'them' if plural else 'it'} for organization {organization_id!r}. "
        "Either (1) the id is wrong: check --amigo-set / amigo_sets; or "
        f"(2) the set belongs to another organization: AMIGO_ORGANIZATION_ID is "
        f"{organization_id!r}; or (3) the API key's user lacks the permission "
        f"{PERMISSION_SET}: the set list silently leaves out sets the caller "
        "may not read."
    )


def _criterion(described: SuccessCriterion) -> Criterion | None:
    """The definition's criterion, or None when this version of pytest-amigo cannot read it
    (e.g. a new criterion type). Display only: the verdict judges by the criteria the run
    carries in its own specs, never by these."""
    try:
        return Criterion.from_api(described.name, described.metric_id, described.criterion)
    except (KeyError, TypeError, ValueError):
        return None


def _to_domain(
    instance: UnitTestSetDefinition, unit_tests: dict[str, UnitTestDefinition]
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
            criterion
            for c in definition.success_criterions
            if (criterion := _criterion(c)) is not None
        )
        members.append(
            UnitTest(
                id=definition.id,
                name=definition.name,
                run_count=descriptor.run_count,
                criteria=criteria,
                description=definition.description or "",
                version_set=_text(definition.service_version_set_name),
            )
        )
    return UnitTestSet(
        id=instance.id,
        name=instance.name,
        unit_tests=tuple(members),
        description=instance.description or "",
        last_run_id=instance.last_triggered_run_id,
    )


def _text(value: object) -> str | None:
    """A field the verdict does not need: kept when it is a string, unknown otherwise."""
    return value if isinstance(value, str) else None
