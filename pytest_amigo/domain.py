"""Plain data of the simulation domain: sets, unit tests, success criteria.

Everything here is a frozen dataclass of builtins, so it pickles, crosses xdist's channel and
round-trips through JSON (``to_json`` / ``from_json``) without any HTTP or pytest in sight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

CriterionKind = Literal["boolean", "numerical", "categorical"]
MetricValue = bool | float | int | str | None

VERBS: dict[str, Any] = {
    "==": lambda a, b: math.isclose(a, b),
    "!=": lambda a, b: not math.isclose(a, b),
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}


@dataclass(frozen=True)
class Criterion:
    """One success criterion of a unit test: a metric and the threshold it must meet."""

    name: str
    metric_id: str
    kind: CriterionKind
    expected_value: bool | None = None
    verb: str | None = None
    threshold: float | None = None
    expected_values: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, name: str, metric_id: str, description: dict[str, Any]) -> Criterion:
        """Build from the contract's ``SuccessCriterionDescription`` (discriminated by ``type``)."""
        kind = description["type"]
        if kind == "boolean":
            return cls(
                name, metric_id, "boolean", expected_value=bool(description["expected_value"])
            )
        if kind == "numerical":
            return cls(
                name,
                metric_id,
                "numerical",
                verb=str(description["verb"]),
                threshold=float(description["threshold"]),
            )
        if kind == "categorical":
            return cls(
                name,
                metric_id,
                "categorical",
                expected_values=tuple(str(v) for v in description["expected_values"]),
            )
        raise ValueError(f"unknown success criterion type {kind!r}")

    def to_api(self) -> dict[str, Any]:
        """The contract's ``SuccessCriterionDescription`` for this criterion."""
        if self.kind == "boolean":
            return {"type": "boolean", "expected_value": self.expected_value}
        if self.kind == "numerical":
            return {"type": "numerical", "verb": self.verb, "threshold": self.threshold}
        return {"type": "categorical", "expected_values": list(self.expected_values)}

    def requirement(self) -> str:
        """What the metric must be, e.g. ``>= 7``, ``is true``, ``in {resolved, escalated}``."""
        if self.kind == "boolean":
            return f"is {str(self.expected_value).lower()}"
        if self.kind == "numerical":
            return f"{self.verb} {_num(self.threshold)}"
        return "in {" + ", ".join(self.expected_values) + "}"

    def is_met(self, value: MetricValue) -> bool:
        """Whether a metric value meets this criterion (``None`` = not applicable = not met)."""
        if value is None:
            return False
        if self.kind == "boolean":
            return isinstance(value, bool) and value == self.expected_value
        if self.kind == "numerical":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return False
            assert self.verb is not None and self.threshold is not None
            return bool(VERBS[self.verb](float(value), self.threshold))
        return isinstance(value, str) and value in self.expected_values


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else str(value)


def format_value(value: MetricValue) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return _num(value)
    if value is None:
        return "n/a"
    return str(value)


@dataclass(frozen=True)
class UnitTest:
    """A unit test as a set runs it: its id, name, session count and success criteria."""

    id: str
    name: str
    run_count: int
    criteria: tuple[Criterion, ...] = ()
    description: str = ""
    version_set: str | None = None  # service_version_set_name: the agent version set it runs on


@dataclass(frozen=True)
class UnitTestSet:
    id: str
    name: str
    unit_tests: tuple[UnitTest, ...] = field(default_factory=tuple)
    description: str = ""
    last_run_id: str | None = None  # the set's newest run when it was read (anyone's)


def set_to_json(s: UnitTestSet) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "last_run_id": s.last_run_id,
        "unit_tests": [
            {
                "id": u.id,
                "name": u.name,
                "run_count": u.run_count,
                "description": u.description,
                "version_set": u.version_set,
                "criteria": [
                    {"name": c.name, "metric_id": c.metric_id, "criterion": c.to_api()}
                    for c in u.criteria
                ],
            }
            for u in s.unit_tests
        ],
    }


def set_from_json(data: dict[str, Any]) -> UnitTestSet:
    return UnitTestSet(
        id=data["id"],
        name=data["name"],
        description=data.get("description") or "",
        last_run_id=data.get("last_run_id"),
        unit_tests=tuple(
            UnitTest(
                id=u["id"],
                name=u["name"],
                run_count=int(u["run_count"]),
                description=u.get("description") or "",
                version_set=u.get("version_set"),
                criteria=tuple(
                    Criterion.from_api(c["name"], c["metric_id"], c["criterion"])
                    for c in u["criteria"]
                ),
            )
            for u in data["unit_tests"]
        ),
    )


@dataclass(frozen=True)
class UnitTestRef:
    """One unit test of one set, as a pytest item (or a parametrized test) reports it."""

    set: UnitTestSet
    unit_test: UnitTest
    position: int
    occurrence: int
    min_pass_rate: float | None = None
    enforce_verdict: bool = True

    @property
    def set_id(self) -> str:
        return self.set.id
