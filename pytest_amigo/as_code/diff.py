"""Field-level differences between two definitions of one object.

Each definition is flattened to ``{field: value}`` with stable paths (``tags.team``,
``criteria[Empathy].threshold``, ``unit_tests[Refund].run_count``), so the diff reads like a
review comment and ignores the order of criteria and of a set's unit tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .model import Definition, Persona, Scenario, UnitTest, UnitTestSet

PERSONA_VERSION_FIELDS: tuple[str, ...] = (
    "background",
    "preferred_language",
    "timezone",
    "user_models",
)
PERSONA_VERSION_FIELDS += ("nonsensitive_user_variables", "sensitive_user_variables")
SCENARIO_VERSION_FIELDS: tuple[str, ...] = ("objective", "instructions", "initial_message_type")
SCENARIO_VERSION_FIELDS += ("conversation_starts_at",)


class _Absent:
    def __repr__(self) -> str:
        return "(none)"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Change:
    """One field: what the platform has (``before``) and what the files say (``after``)."""

    field: str
    before: Any
    after: Any

    @property
    def root(self) -> str:
        """``tags.team`` -> ``tags``; ``criteria[Empathy].verb`` -> ``criteria``."""
        return self.field.split(".")[0].split("[")[0]


def _map(prefix: str, values: Mapping[str, Any]) -> dict[str, Any]:
    return {f"{prefix}.{key}": value for key, value in sorted(values.items())}


def fields_of(definition: Definition) -> dict[str, Any]:
    """The comparable fields of a definition, flattened."""
    flat: dict[str, Any] = {"name": definition.name}
    if isinstance(definition, Persona):
        flat |= {"role": definition.role, "background": definition.background}
        flat |= {"preferred_language": definition.preferred_language}
        flat |= {"timezone": definition.timezone, "user_models": list(definition.user_models)}
        flat |= _map("nonsensitive_user_variables", definition.nonsensitive_user_variables)
        flat |= _map("sensitive_user_variables", definition.sensitive_user_variables)
    elif isinstance(definition, Scenario):
        flat |= {"objective": definition.objective, "instructions": definition.instructions}
        flat |= {"initial_message_type": definition.initial_message_type}
        flat |= {"conversation_starts_at": definition.conversation_starts_at}
    elif isinstance(definition, UnitTest):
        flat |= _unit_test_fields(definition)
    elif isinstance(definition, UnitTestSet):
        flat["description"] = definition.description
        for entry in definition.unit_tests:
            flat[f"unit_tests[{entry.unit_test}].run_count"] = entry.run_count
    flat |= _map("tags", definition.tags)
    return flat


def _unit_test_fields(test: UnitTest) -> dict[str, Any]:
    flat: dict[str, Any] = {"description": test.description}
    flat |= {"persona": test.persona, "scenario": test.scenario, "service": test.service}
    flat |= {"version_set": test.version_set, "max_interactions": test.max_interactions}
    for c in test.criteria:
        flat[f"criteria[{c.name}].metric"] = c.metric
        for key, value in c.description().items():
            flat[f"criteria[{c.name}].{key}"] = value
    return flat


def diff(before: Definition | None, after: Definition) -> tuple[Change, ...]:
    """The fields that differ, in the order of ``after`` then what only ``before`` has."""
    old = fields_of(before) if before is not None else {}
    new = fields_of(after)
    keys = [*new, *(k for k in old if k not in new)]
    return tuple(
        Change(key, old.get(key, ABSENT), new.get(key, ABSENT))
        for key in keys
        if old.get(key, ABSENT) != new.get(key, ABSENT)
    )
