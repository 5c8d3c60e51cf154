"""Reading the platform's objects for ``export`` and ``plan``, through the plugin's client.

Only reads, through :class:`~pytest_amigo.api.SimulationApi` (its pacing and rate limits): the
instances are turned into plain dicts, then into :class:`~.platform.Platform` by the pure
functions of :mod:`.platform`. A persona's or scenario's latest version costs one request each,
so it is read only for the objects the plan or the export concerns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pytest_amigo.api import SimulationApi

from .lock import Lock
from .model import Definitions, ObjectKind
from .nodes import did_you_mean
from .platform import (
    Names,
    Platform,
    persona_from_api,
    scenario_from_api,
    tags_of,
    unit_test_from_api,
    unit_test_set_from_api,
)

AN_ID = re.compile(r"[a-f0-9]{24}")


class ReadError(Exception):
    """What the platform was asked for does not exist; the message says what to do."""


def plain(model: Any) -> dict[str, Any]:
    """An SDK model as the contract's JSON (``id``, whatever the SDK's alias)."""
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
    if "id" not in data and "_id" in data:
        data["id"] = data.pop("_id")
    return data


@dataclass(frozen=True)
class Raw:
    """The platform's instances as plain dicts (live ones only)."""

    personas: list[dict[str, Any]]
    scenarios: list[dict[str, Any]]
    unit_tests: list[dict[str, Any]]
    sets: list[dict[str, Any]]
    services: list[dict[str, Any]]
    metrics: list[dict[str, Any]]

    def names(self) -> Names:
        def by_id(items: list[dict[str, Any]]) -> dict[str, str]:
            return {item["id"]: item["name"] for item in items}

        return Names(
            by_id(self.personas),
            by_id(self.scenarios),
            by_id(self.services),
            by_id(self.metrics),
            by_id(self.unit_tests),
        )


def _ids(values: Iterable[str]) -> list[str]:
    return sorted(set(values))


def set_ids(api: SimulationApi, references: Iterable[str]) -> list[str]:
    """The ids of sets given by id or by exact name."""
    found = []
    for reference in references:
        if AN_ID.fullmatch(reference):
            found.append(reference)
            continue
        named = [plain(s) for s in api.search_unit_test_sets(reference)]
        exact = [s["id"] for s in named if s["name"] == reference and not s.get("is_deleted")]
        if not exact:
            hint = did_you_mean(reference, [s["name"] for s in named])
            message = f"no unit test set is named '{reference}' (give its exact name or id)"
            raise ReadError(message + hint)
        found += exact
    return found


def read_sets(api: SimulationApi, references: Iterable[str]) -> Raw:
    """The sets given (by id or name) and everything they refer to."""
    ids = set_ids(api, references)
    sets = [plain(s) for s in api.list_unit_test_sets(ids=ids, is_deleted=False)]
    missing = set(ids) - {s["id"] for s in sets}
    if missing:
        raise ReadError(f"no live unit test set has id {', '.join(sorted(missing))}")
    test_ids = _ids(run["unit_test_id"] for s in sets for run in s["unit_test_runs"])
    tests = [plain(t) for t in api.list_unit_tests(ids=test_ids)] if test_ids else []
    persona_ids = _ids(t["persona_id"] for t in tests)
    scenario_ids = _ids(t["scenario_id"] for t in tests)
    metric_ids = _ids(c["metric_id"] for t in tests for c in t.get("success_criterions") or ())
    return Raw(
        [plain(p) for p in api.list_personas(ids=persona_ids)] if persona_ids else [],
        [plain(s) for s in api.list_scenarios(ids=scenario_ids)] if scenario_ids else [],
        tests,
        sets,
        [plain(s) for s in api.list_services()],
        [plain(m) for m in api.list_metrics(ids=metric_ids)] if metric_ids else [],
    )


def read_everything(api: SimulationApi) -> Raw:
    """Every live persona, scenario, unit test, set, service and metric (for a plan)."""
    return Raw(
        [plain(p) for p in api.list_personas(is_deleted=False)],
        [plain(s) for s in api.list_scenarios(is_deleted=False)],
        [plain(t) for t in api.list_unit_tests(is_deleted=False)],
        [plain(s) for s in api.list_unit_test_sets(is_deleted=False)],
        [plain(s) for s in api.list_services()],
        [plain(m) for m in api.list_metrics()],
    )


Keep = Callable[[ObjectKind, dict[str, Any]], bool]


def platform_of(api: SimulationApi, raw: Raw, keep: Keep = lambda kind, item: True) -> Platform:
    """The kept instances as a :class:`Platform` (latest versions read for kept personas and
    scenarios only)."""
    names = raw.names()

    def latest(kind: ObjectKind, oid: str) -> dict[str, Any]:
        read = api.list_persona_versions if kind == "persona" else api.list_scenario_versions
        return plain(read(oid, version="latest")[0])

    return Platform(
        tuple(
            persona_from_api(p, latest("persona", p["id"]))
            for p in raw.personas
            if keep("persona", p)
        ),
        tuple(
            scenario_from_api(s, latest("scenario", s["id"]))
            for s in raw.scenarios
            if keep("scenario", s)
        ),
        tuple(unit_test_from_api(t, names) for t in raw.unit_tests if keep("unit test", t)),
        tuple(unit_test_set_from_api(s, names) for s in raw.sets if keep("set", s)),
    )


def concerned(definitions: Definitions, lock: Lock) -> Keep:
    """What a plan reads: objects the files name, the lock holds, or the plugin manages."""
    named: dict[ObjectKind, set[str]] = {
        "persona": {p.name for p in definitions.personas},
        "scenario": {s.name for s in definitions.scenarios},
        "unit test": {t.name for t in definitions.unit_tests},
        "set": {s.name for s in definitions.sets},
    }

    def keep(kind: ObjectKind, item: dict[str, Any]) -> bool:
        locked = {entry.id for entry in lock.entries.get(kind, {}).values()}
        managed = tags_of(item.get("tags"))[1]
        return item["name"] in named[kind] or item["id"] in locked or managed

    return keep
