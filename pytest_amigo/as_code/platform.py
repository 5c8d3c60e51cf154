"""The platform's objects as plain data, in the terms of the definitions (names, not ids).

``Remote`` pairs an object's definition with what only the platform knows: its id, its latest
version, who changed it last and when, whether it is ours. The ``*_from_api`` functions build them
from the contract's instances; they are pure (the HTTP reads live elsewhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .model import (
    Criterion,
    Definition,
    ObjectKind,
    Persona,
    Scenario,
    SetEntry,
    UnitTest,
    UnitTestSet,
)

MANAGED_KEY = "pytest-amigo"
MANAGED_VALUE = "managed"  # objects apply created or updated carry ``pytest-amigo: managed``
MANAGED_TAGS = {MANAGED_KEY: MANAGED_VALUE}
D = TypeVar("D", Persona, Scenario, UnitTest, UnitTestSet)


@dataclass(frozen=True)
class Remote(Generic[D]):
    """One object on the platform: its definition (managed tag removed) and its bookkeeping."""

    id: str
    definition: D
    version: int | None = None  # personas and scenarios: the latest version
    updated_at: str | None = None
    updated_by: str | None = None
    managed: bool = False
    version_by: str | None = None  # who made the latest version (its ``creator``), and when
    version_at: str | None = None


@dataclass(frozen=True)
class Platform:
    """What the platform holds now (not deleted objects only)."""

    personas: tuple[Remote[Persona], ...] = ()
    scenarios: tuple[Remote[Scenario], ...] = ()
    unit_tests: tuple[Remote[UnitTest], ...] = ()
    sets: tuple[Remote[UnitTestSet], ...] = ()

    def of(self, kind: ObjectKind) -> tuple[Remote[Any], ...]:
        found: dict[ObjectKind, tuple[Remote[Any], ...]] = {
            "persona": self.personas,
            "scenario": self.scenarios,
            "unit test": self.unit_tests,
            "set": self.sets,
        }
        return found[kind]


@dataclass(frozen=True)
class Names:
    """Names by id, to turn the platform's references into the definitions' ones."""

    personas: Mapping[str, str] = field(default_factory=dict)
    scenarios: Mapping[str, str] = field(default_factory=dict)
    services: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, str] = field(default_factory=dict)
    unit_tests: Mapping[str, str] = field(default_factory=dict)


def tags_of(raw: Any) -> tuple[dict[str, str | None], bool]:
    """The tags (a dict, or the contract's ``[{key, value}]``) without ours, and whether ours
    was among them."""
    pairs = (
        raw.items() if isinstance(raw, dict) else ((t["key"], t.get("value")) for t in raw or ())
    )
    tags = {str(k): (None if v is None else str(v)) for k, v in pairs}
    managed = tags.pop(MANAGED_KEY, None) == MANAGED_VALUE
    return tags, managed


def user_of(info: Any) -> str | None:
    """``updated_by`` as one word: the user id (and organization when given)."""
    if not isinstance(info, dict):
        return None if info is None else str(info)
    user = info.get("user_id") or info.get("id")
    return str(user) if user else None


def _name(names: Mapping[str, str], id_: str, kind: str) -> str:
    return names.get(id_, f"<{kind} {id_} not found>")


def persona_from_api(instance: dict[str, Any], latest: dict[str, Any]) -> Remote[Persona]:
    """A persona from its instance and its latest version (``GET .../version?version=latest``)."""
    tags, managed = tags_of(instance.get("tags"))
    definition = Persona(
        name=instance["name"],
        role=instance["role"],
        background=latest["background"],
        preferred_language=latest.get("preferred_language"),
        timezone=latest.get("timezone"),
        user_models=tuple(latest.get("user_models") or ()),
        nonsensitive_user_variables=dict(latest.get("nonsensitive_user_variables") or {}),
        sensitive_user_variables=dict(latest.get("sensitive_user_variables") or {}),
        tags=tags,
    )
    return _remote(instance, definition, managed, latest)


def scenario_from_api(instance: dict[str, Any], latest: dict[str, Any]) -> Remote[Scenario]:
    tags, managed = tags_of(instance.get("tags"))
    definition = Scenario(
        name=instance["name"],
        objective=latest["objective"],
        instructions=latest["instructions"],
        initial_message_type=latest.get("initial_message_type") or "user-message",
        conversation_starts_at=latest.get("conversation_starts_at"),
        tags=tags,
    )
    return _remote(instance, definition, managed, latest)


def unit_test_from_api(instance: dict[str, Any], names: Names) -> Remote[UnitTest]:
    tags, managed = tags_of(instance.get("tags"))
    criteria = tuple(
        criterion_from_api(
            c["name"], _name(names.metrics, c["metric_id"], "metric"), c["criterion"]
        )
        for c in instance.get("success_criterions") or ()
    )
    definition = UnitTest(
        name=instance["name"],
        description=instance.get("description") or "",
        persona=_name(names.personas, instance["persona_id"], "persona"),
        scenario=_name(names.scenarios, instance["scenario_id"], "scenario"),
        service=_name(names.services, instance["service_id"], "service"),
        version_set=instance["service_version_set_name"],
        max_interactions=int(instance["max_interactions"]),
        criteria=criteria,
        tags=tags,
    )
    return _remote(instance, definition, managed)


def criterion_from_api(name: str, metric: str, description: dict[str, Any]) -> Criterion:
    kind = description["type"]
    if kind == "boolean":
        return Criterion(
            name, metric, "boolean", expected_value=bool(description["expected_value"])
        )
    if kind == "numerical":
        threshold = float(description["threshold"])
        return Criterion(name, metric, "numerical", verb=description["verb"], threshold=threshold)
    values = tuple(str(v) for v in description["expected_values"])
    return Criterion(name, metric, "categorical", expected_values=values)


def unit_test_set_from_api(instance: dict[str, Any], names: Names) -> Remote[UnitTestSet]:
    tags, managed = tags_of(instance.get("tags"))
    entries = tuple(
        SetEntry(_name(names.unit_tests, run["unit_test_id"], "unit test"), int(run["run_count"]))
        for run in instance.get("unit_test_runs") or ()
    )
    definition = UnitTestSet(instance["name"], entries, instance.get("description"), tags)
    return _remote(instance, definition, managed)


def _remote(
    instance: dict[str, Any], definition: D, managed: bool, latest: dict[str, Any] | None = None
) -> Remote[D]:
    return Remote(
        id=str(instance["id"]),
        definition=definition,
        version=int(latest["version"]) if latest else None,
        updated_at=instance.get("updated_at"),
        updated_by=user_of(instance.get("updated_by")),
        managed=managed,
        version_by=user_of(latest.get("creator")) if latest else None,
        version_at=latest.get("created_at") if latest else None,
    )


def platform_definitions(platform: Platform) -> list[Definition]:
    """Every definition the platform holds (what ``export`` writes)."""
    kinds: tuple[ObjectKind, ...] = ("persona", "scenario", "unit test", "set")
    return [remote.definition for kind in kinds for remote in platform.of(kind)]
