"""What a run actually simulated for a unit test, read from its run spec: proof of what ran, and
the fingerprint that says whether two runs tested the same thing.

``unit_test_run_specs[i]`` records the versions the service resolved when the run was created:
the agent and its state machine (what a pipeline changes on purpose), the persona and scenario
versions, the success criteria, ``max_interactions``, the LLM preferences and the run count. The
version set is the unit test's ``service_version_set_name`` (the definition's, not the spec's).

Two runs of a unit test are *comparable* when everything but the agent, the state machine and
the version set they resolve from is the same; otherwise a verdict's change may come from the
test rather than the agent, and a baseline transition would claim what it cannot know.
Plain functions over plain data: no HTTP, no pytest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

VersionInfo = tuple[str, int]

WHAT_A_PIPELINE_CHANGES = ("version_set", "agent", "state_machine")
"""Fingerprint fields whose differences keep two runs comparable."""
FIELDS = (
    "version_set",
    "agent",
    "state_machine",
    "persona",
    "scenario",
    "max_interactions",
    "run_count",
    "llm_model_preferences",
    "criteria",
)
"""The fields of :class:`Provenance`, in the order its JSON writes them."""


def _version(value: Any) -> VersionInfo | None:
    """``[id, version]`` as the contract sends it; anything else (a drifted or withheld field,
    e.g. without ``Simulation:GetSimulationUnitTest``) is unknown."""
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
    ):
        return value[0], value[1]
    return None


def _criterion(item: Any) -> dict[str, Any] | None:
    if not isinstance(item, Mapping) or not isinstance(item.get("metric_id"), str):
        return None
    return {
        "metric_id": item["metric_id"],
        "name": item.get("success_criterion_name"),
        "criterion": item.get("success_criterion"),
    }


@dataclass(frozen=True)
class Provenance:
    """What ran for one unit test: versions resolved by the service and the test's settings.

    A value: two compare with ``==`` and :func:`changes`; ``to_json``/``from_json`` round-trip
    (the fingerprint a report keeps and a later session reads back)."""

    version_set: str | None
    agent: VersionInfo | None
    state_machine: VersionInfo | None
    persona: VersionInfo | None
    scenario: VersionInfo | None
    max_interactions: int | None
    run_count: int | None
    llm_model_preferences: Any
    criteria: tuple[Mapping[str, Any], ...] | None  # None: a report that did not record them

    def to_json(self) -> dict[str, Any]:
        """The fingerprint: plain builtins (it crosses xdist's channel and lands in the JSON
        report, where a later session reads it as its baseline's)."""
        return {
            "version_set": self.version_set,
            "agent": list(self.agent) if self.agent else None,
            "state_machine": list(self.state_machine) if self.state_machine else None,
            "persona": list(self.persona) if self.persona else None,
            "scenario": list(self.scenario) if self.scenario else None,
            "max_interactions": self.max_interactions,
            "run_count": self.run_count,
            "llm_model_preferences": self.llm_model_preferences,
            "criteria": [dict(c) for c in self.criteria] if self.criteria is not None else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Provenance:
        """A report's ``what_ran`` (lenient as the baseline reader is: a field that is missing
        or not as written is unknown)."""
        version_set, items = data.get("version_set"), data.get("criteria")
        count, interactions = data.get("run_count"), data.get("max_interactions")
        return cls(
            version_set=version_set if isinstance(version_set, str) else None,
            agent=_version(data.get("agent")),
            state_machine=_version(data.get("state_machine")),
            persona=_version(data.get("persona")),
            scenario=_version(data.get("scenario")),
            max_interactions=interactions if _is_int(interactions) else None,
            run_count=count if _is_int(count) else None,
            llm_model_preferences=data.get("llm_model_preferences"),
            criteria=tuple(dict(c) for c in items if isinstance(c, Mapping))
            if isinstance(items, list)
            else None,
        )

    def words(self) -> str:
        return what_ran_words(self.to_json())


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def what_ran_words(what_ran: Any) -> str:
    """A report's ``what_ran`` in words: ``version set pr-123: agent 66aa…d1 v5, state machine
    66aa…c1 v3`` ("" when the report has none)."""
    if not isinstance(what_ran, Mapping):
        return ""
    version_set = what_ran.get("version_set")
    head = f"version set {version_set}" if version_set else "version set unknown"
    agent, machine = _short(what_ran.get("agent")), _short(what_ran.get("state_machine"))
    return f"{head}: agent {agent}, state machine {machine}"


def _short(info: Any) -> str:
    version = _version(list(info) if isinstance(info, list | tuple) else None)
    if version is None:
        return "unknown"
    ident, number = version
    shown = ident if len(ident) <= 12 else f"{ident[:4]}…{ident[-2:]}"
    return f"{shown} v{number}"


def what_ran(spec: Mapping[str, Any], version_set: str | None) -> Provenance:
    """The provenance of one unit test from its run spec (fields the service withheld or
    changed are ``None``: they never block a verdict)."""
    items = spec.get("metrics_to_evaluate")
    criteria = tuple(c for c in map(_criterion, items if isinstance(items, list) else []) if c)
    count, interactions = spec.get("run_count"), spec.get("max_interactions")
    return Provenance(
        version_set=version_set,
        agent=_version(spec.get("agent_version_info")),
        state_machine=_version(spec.get("service_hierarchical_state_machine_version_info")),
        persona=_version(spec.get("persona_version_info")),
        scenario=_version(spec.get("scenario_version_info")),
        max_interactions=interactions if isinstance(interactions, int) else None,
        run_count=count if isinstance(count, int) else None,
        llm_model_preferences=spec.get("llm_model_preferences"),
        criteria=criteria,
    )


def _described(field: str, value: Any) -> str:
    if field in ("persona", "scenario", "agent", "state_machine") and isinstance(value, tuple):
        return f"{value[0]} v{value[1]}"
    if field == "criteria" and isinstance(value, tuple):
        return "; ".join(f"{c.get('name')} ({c.get('metric_id')})" for c in value) or "none"
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else str(value)


def changes(before: Provenance, now: Provenance) -> list[str]:
    """What differs between two runs' provenance outside what a pipeline changes on purpose, in
    words (``persona 66aa…01 v2 -> v3``); empty: the runs are comparable. A field either side
    does not know (``None``) is no difference: an older service or a withheld field."""
    found = []
    for field in FIELDS:
        if field in WHAT_A_PIPELINE_CHANGES:
            continue
        then, value = getattr(before, field), getattr(now, field)
        if value is None or then is None or _same(field, then, value):
            continue
        name = field.replace("_", " ")
        if field in ("persona", "scenario") and then[0] == value[0]:
            found.append(f"{name} {value[0]} v{then[1]} -> v{value[1]}")
        else:
            found.append(f"{name} {_described(field, then)} -> {_described(field, value)}")
    return found


def _same(field: str, then: Any, value: Any) -> bool:
    if field == "criteria":  # the order of the criteria is not what a test checks
        return sorted(map(_canonical, then)) == sorted(map(_canonical, value))
    return bool(then == value)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
