"""Reading one unit test set run as the API returns it (``SimulationUnitTestSetRunInstance`` JSON).

Where a unit test's spec and result are in the run (``locate``, ``run_spec``), its criteria,
run count, session errors and ``[evaluation_id, passed]`` pairs, what ended the run, and the
failed checks justifications are needed for. Nothing here raises on malformed API data except
``Problem``, which says what was wrong: the verdict turns it into an ``error`` (or ``pending``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pytest_amigo.contract import PERMISSION_SET, PERMISSION_UNIT_TEST
from pytest_amigo.domain import Criterion, UnitTest
from pytest_amigo.judging.text import plural, printable

# the error kinds the run data itself decides (the verdict adds the others)
ReadingKind = Literal[
    "run-errored",
    "run-cancelled",
    "run-ended",
    "permission",
    "not-in-run",
    "malformed",
    "missing-results",
]


class Problem(Exception):
    """The run cannot be judged (yet): carries the verdict fields to report."""

    def __init__(
        self,
        outcome: Literal["error", "pending"],
        reason: str,
        kind: ReadingKind | None = None,
        permission: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.outcome: Literal["error", "pending"] = outcome
        self.reason = reason
        self.kind: ReadingKind | None = kind
        self.permission = permission


def malformed(detail: str) -> Problem:
    """The problem of run data that does not have the shape the API documents."""
    return Problem("error", f"malformed run data: {detail}", "malformed")


def result_failures(result: Any) -> set[str]:
    """Evaluation ids of the failed checks in one unit test's result (None: no result yet)."""
    if not isinstance(result, dict):
        return set()
    return {
        str(pair[0])
        for metric in result.get("metric_evaluation_results") or ()
        if isinstance(metric, dict)
        for pair in metric.get("results") or ()
        if isinstance(pair, list | tuple) and len(pair) == 2 and pair[1] is False
    }


def failing_evaluation_ids(run: Mapping[str, Any]) -> set[str]:
    """Evaluation ids of every failed check in a run: what justifications are needed for."""
    return set().union(*(result_failures(r) for r in run.get("unit_test_run_results") or ()))


@dataclass(frozen=True)
class Found:
    """A unit test's spec in the run, its result (None: none yet) and their index."""

    spec: Mapping[str, Any]
    result: Mapping[str, Any] | None
    index: int


def run_id_of(run: Mapping[str, Any] | None) -> str | None:
    """The run's id, when it has a readable one."""
    if not isinstance(run, Mapping):
        return None
    value = run.get("id")
    return value if isinstance(value, str) else None


def listed(container: Mapping[str, Any], key: str, what: str) -> list[Any]:
    """The list under ``key`` (``what``: the container, as the problem names it)."""
    value = container.get(key)
    if not isinstance(value, list):
        raise Problem("error", f"malformed run data: {what} has no list {key!r}", "malformed")
    return value


def locate(
    unit_test: UnitTest, position: int, run: Mapping[str, Any], occurrence: int | None
) -> Found:
    """Where the unit test at ``position`` (``occurrence``: of a duplicate) is in the run."""
    specs = listed(run, "unit_test_run_specs", "the run")
    results = listed(run, "unit_test_run_results", "the run")
    if not specs:
        raise Problem(
            "error",
            "the API returned no unit test specs/results for this run; "
            f"the API key's user lacks {PERMISSION_SET}",
            "permission",
            PERMISSION_SET,
        )
    ids = [s.get("unit_test_id") if isinstance(s, Mapping) else None for s in specs]
    matches = [i for i, spec_id in enumerate(ids) if spec_id == unit_test.id]
    if not matches:
        raise Problem(
            "error",
            f"unit test {unit_test.id} is not part of this run "
            "(the set changed after the run started?)",
            "not-in-run",
        )
    if occurrence is not None and occurrence >= len(matches):
        raise Problem(
            "error",
            f"unit test {unit_test.id} is listed {occurrence + 1} times in the set but "
            f"{plural(len(matches), 'time')} in this run: occurrence #{occurrence + 1} is not "
            "part of this run (the set changed after the run started?)",
            "not-in-run",
        )
    if occurrence is not None and 0 <= occurrence:
        index = matches[occurrence]
    elif position in matches:
        index = position
    else:  # no way to tell duplicates apart: take the one nearest to the expected position
        index = min(matches, key=lambda i: (abs(i - position), i))
    spec = specs[index]
    # a results list shorter than the specs is read as "no result yet" for the missing entries
    result = results[index] if index < len(results) else None
    if result is not None and not isinstance(result, Mapping):
        raise malformed("a unit test result is not an object")
    if result is not None and result.get("unit_test_id") not in (None, unit_test.id):
        raise Problem(
            "error",
            f"malformed run data: result #{index + 1} belongs to unit test "
            f"{result.get('unit_test_id')}, its spec to {unit_test.id}",
            "malformed",
        )
    return Found(spec=spec, result=result, index=index)


def run_spec(
    unit_test: UnitTest, position: int, run: Mapping[str, Any] | None, occurrence: int | None
) -> Mapping[str, Any] | None:
    """The run spec of the unit test at ``position`` (None when the run has none for it: the
    verdict says why)."""
    if not isinstance(run, Mapping):
        return None
    try:
        spec = locate(unit_test, position, run, occurrence).spec
    except Problem:
        return None
    return spec if isinstance(spec, Mapping) else None


def criteria_of(spec: Mapping[str, Any]) -> list[tuple[Criterion, str]]:
    """The criteria a spec evaluates, each with its metric id."""
    out: list[tuple[Criterion, str]] = []
    for item in listed(spec, "metrics_to_evaluate", "a unit test spec"):
        try:
            metric_id = str(item["metric_id"])
            criterion = Criterion.from_api(
                str(item["success_criterion_name"]), metric_id, dict(item["success_criterion"])
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise Problem(
                "error", f"malformed run data: unreadable metric to evaluate ({exc})", "malformed"
            ) from exc
        out.append((criterion, metric_id))
    return out


def pairs_of(evaluation: Any) -> list[tuple[str, bool]]:
    """The ``[evaluation_id, passed]`` pairs of one metric evaluation result."""
    if not isinstance(evaluation, Mapping) or not isinstance(evaluation.get("results"), list):
        raise malformed("a metric evaluation result has no results list")
    pairs: list[tuple[str, bool]] = []
    for pair in evaluation["results"]:
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not isinstance(pair[0], str)
            or not isinstance(pair[1], bool)
        ):
            raise Problem(
                "error",
                f"malformed run data: evaluation result entry {pair!r} is not [id, passed]",
                "malformed",
            )
        pairs.append((pair[0], pair[1]))
    return pairs


def match_evaluations(
    criteria: Sequence[tuple[Criterion, str]], evaluations: Sequence[Any]
) -> list[Any | None]:
    """The evaluation result for each criterion: by index when they line up, else by metric id."""
    metric_ids = [e.get("metric_id") if isinstance(e, Mapping) else None for e in evaluations]
    if len(evaluations) == len(criteria) and all(
        m is None or m == metric_id for m, (_, metric_id) in zip(metric_ids, criteria, strict=True)
    ):
        return list(evaluations)
    used: set[int] = set()
    matched: list[Any | None] = []
    for _, metric_id in criteria:
        found = None
        for j, candidate in enumerate(metric_ids):
            if j not in used and candidate == metric_id:
                used.add(j)
                found = evaluations[j]
                break
        matched.append(found)
    return matched


def session_errors(result: Mapping[str, Any], run_count: int) -> list[str | None]:
    """Per session: its error, printable (None: it did not error)."""
    raw = result.get("run_errors", [])
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise Problem("error", "malformed run data: run_errors is not a list", "malformed")
    errors: list[str | None] = []
    for i in range(run_count):
        value = raw[i] if i < len(raw) else None
        if value is None:
            errors.append(None)
        else:
            errors.append(printable(str(value)).strip() or "unspecified error")
    return errors


def run_count_of(spec: Mapping[str, Any]) -> int:
    """The sessions a spec simulates."""
    value = spec.get("run_count")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Problem(
            "error", f"malformed run data: unit test spec has run_count {value!r}", "malformed"
        )
    return value


def end_of_run(run: Mapping[str, Any], cancelled_by_us: bool) -> tuple[str, ReadingKind] | None:
    """What ended the run (None while it runs)."""
    if run.get("errored") is True:
        return "the run errored", "run-errored"
    if run.get("is_completed") is not True:
        return None
    if cancelled_by_us:
        return "this session cancelled the run", "run-cancelled"
    return "the run completed", "missing-results"


@dataclass(frozen=True)
class ResultData:
    """One unit test's result, read and checked: what the verdict places on sessions."""

    criteria: tuple[Criterion, ...]
    run_count: int
    errors: list[str | None]  # per session
    per_criterion: list[list[tuple[str, bool]] | None]  # None: no evaluation result listed


def read_result(found: Found, *, ended: bool) -> ResultData:
    """The result of ``found`` (which has one); raises a problem when it can't be read."""
    result = found.result
    assert result is not None
    pairs_of_criteria = criteria_of(found.spec)
    evaluations = listed(result, "metric_evaluation_results", "a unit test result")
    if not pairs_of_criteria:
        # Every unit test has at least one success criterion (the API refuses to create one
        # without): no metrics to evaluate means the caller may not read them.
        if evaluations:
            raise malformed("evaluation results for a unit test whose spec lists no metrics")
        raise Problem(
            "error",
            "the API returned no metrics/evaluation results for this unit test; "
            f"the API key's user lacks {PERMISSION_UNIT_TEST}",
            "permission",
            PERMISSION_UNIT_TEST,
        )
    if not evaluations:  # the permission would have emptied the spec's metrics too
        if not ended:
            raise Problem("pending", "the run lists no evaluation results for this unit test yet")
        raise Problem(
            "error",
            "the run ended without evaluation results for this unit test "
            "(its result lists no metric evaluation results)",
            "missing-results",
        )
    run_count = run_count_of(found.spec)
    matched = match_evaluations(pairs_of_criteria, evaluations)
    per_criterion = [None if m is None else pairs_of(m) for m in matched]
    return ResultData(
        criteria=tuple(c for c, _ in pairs_of_criteria),
        run_count=run_count,
        errors=session_errors(result, run_count),
        per_criterion=per_criterion,
    )
