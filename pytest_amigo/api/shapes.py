"""Lenient reading of the answers a verdict depends on.

The SDK's generated models describe the *current* contract field for field; an answer from an
older or newer API version (a missing ``metric_version``, an extra field, a ``tags`` of another
shape) fails them and would block a verdict on something the verdict never looks at. The models
here declare only what pytest-amigo needs, in strict types (a string is a string, a boolean a
boolean), ignore everything else, and turn a mismatch into :class:`ResponseShapeError`: which
operation, which HTTP status, which field, and that retrying will not help.

Runs and evaluation results are returned as the JSON objects sent (nothing added or dropped):
the pure verdict code reads them and reports malformed per-unit-test data itself. Set and unit
test definitions are returned as the small models below (unknown fields kept in ``model_extra``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pydantic
from amigo_sdk.errors import SDKInternalError
from pydantic import ConfigDict

__all__ = [
    "EvaluationResultShape",
    "Lenient",
    "PageShape",
    "ResponseShapeError",
    "RunShape",
    "ServiceDefinition",
    "SuccessCriterion",
    "UnitTestDefinition",
    "UnitTestRunCount",
    "UnitTestSetDefinition",
    "VersionNumber",
    "validate_shape",
]


class ResponseShapeError(SDKInternalError):
    """A 2xx answer lacks a field pytest-amigo needs, or has it in the wrong type.

    Not transient: the same request gets the same answer, so callers must not retry it.
    """

    def __init__(self, operation: str, status_code: int, path: str, problem: str) -> None:
        self.operation = operation
        self.path = path
        self.problem = problem
        super().__init__(
            f"{operation}: HTTP {status_code} answer has an unexpected shape at {path}: "
            f"{problem}. Not transient (the API answers this way; retrying will not help): "
            "check the Amigo API version against pytest-amigo's.",
            status_code=status_code,
        )


class _Lenient(pydantic.BaseModel):
    """Only the declared fields are checked (strictly); any other field is kept, never checked."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)


# -- runs and evaluation results (checked, then returned as sent) ------------------------------


class RunShape(_Lenient):
    """What pytest-amigo reads of ``SimulationUnitTestSetRunInstance``."""

    id: str
    simulation_unit_test_set_id: str
    is_completed: bool
    errored: bool
    artifacts_generated: bool
    unit_test_run_specs: list[Any]
    unit_test_run_results: list[Any]


class EvaluationResultShape(_Lenient):
    """What pytest-amigo reads of ``MetricEvaluationResultInstance`` (only ``id`` is needed)."""

    id: str


# -- definitions read at collection -----------------------------------------------------------


class UnitTestRunCount(_Lenient):
    unit_test_id: str
    run_count: int


class UnitTestSetDefinition(_Lenient):
    """What collection reads of ``SimulationUnitTestSetInstance``."""

    id: str
    name: str
    description: str | None = None
    is_deleted: bool
    unit_test_runs: list[UnitTestRunCount]
    last_triggered_run_id: str | None = None


class SuccessCriterion(_Lenient):
    name: str
    metric_id: str
    criterion: dict[str, Any]
    """As sent, e.g. ``{"type": "boolean", "expected_value": true}`` (read by ``Criterion``)."""


class UnitTestDefinition(_Lenient):
    """What collection reads of ``SimulationUnitTestInstance``."""

    id: str
    name: str
    description: str | None = None
    success_criterions: list[SuccessCriterion]
    # the agent under test: proof of what ran names it; drifted or absent, it is just unknown
    service_version_set_name: Any = None
    # what a run of it would simulate (lifecycle/fingerprint.py); unknown when not as written
    service_id: Any = None
    persona_id: Any = None
    scenario_id: Any = None
    max_interactions: Any = None


# -- what a run is made of, read before creating it (lifecycle/fingerprint.py) ---------------


class ServiceDefinition(_Lenient):
    """What a prediction reads of ``ServiceInstance``: its agent, its state machine and its
    version sets (``{name: {agent_version_number, ..._version_number, llm_model_preferences}}``,
    numbers ``null`` for the latest; read as sent, checked where used)."""

    id: str
    agent_id: str
    service_hierarchical_state_machine_id: str
    version_sets: dict[str, Any]


class VersionNumber(_Lenient):
    """The one field a prediction reads of a version (agent, state machine, persona, scenario,
    metric)."""

    version: int


# -- checking ---------------------------------------------------------------------------------

S = TypeVar("S", bound=pydantic.BaseModel)


def field_path(loc: Sequence[int | str]) -> str:
    """``("runs", 0, "is_completed")`` -> ``runs[0].is_completed``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def _problem(error: Any) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "required field missing"
    return str(error.get("msg", "invalid"))


def validate_shape(
    model: type[S], data: Any, *, operation: str, status_code: int, prefix: Sequence[int | str] = ()
) -> S:
    """``model`` validated from parsed JSON, or :class:`ResponseShapeError` at the first
    offending field (path prefixed with ``prefix``)."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        first = errors[0] if errors else {"loc": (), "msg": str(exc)}
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ResponseShapeError(
            operation,
            status_code,
            field_path([*prefix, *first.get("loc", ())]),
            _problem(first) + more,
        ) from None


class PageShape(_Lenient):
    """The paging fields of a list answer (the items are checked one by one)."""

    has_more: bool
    continuation_token: Any = None


@dataclass(frozen=True)
class Lenient:
    """How a list operation's items are read: checked against ``item``; returned as the JSON
    objects sent (``as_sent``) or as the validated ``item`` models."""

    item: type[pydantic.BaseModel]
    as_sent: bool = False
