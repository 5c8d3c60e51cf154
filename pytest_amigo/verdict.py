"""Turn one unit test set run (as JSON) into a verdict per unit test.

Pure functions over plain data: the run is a ``SimulationUnitTestSetRunInstance`` dict exactly as
parsed from the API's JSON, the unit test is the definition read at collection. Nothing here does
HTTP or imports pytest, and nothing here raises on malformed API data: a run that cannot be read
becomes an ``error`` verdict whose reason says what was wrong.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from pytest_amigo.domain import Criterion, UnitTest

Outcome = Literal["passed", "failed", "error", "pending"]
ErrorKind = Literal[
    "session-error",
    "run-errored",
    "run-cancelled",
    "run-ended",
    "timeout",
    "interrupted",
    "permission",
    "not-in-run",
    "malformed",
]

MET = "✔"
NOT_MET = "✘"
ERRORED = "!"
NO_RESULT = "·"

PERMISSION_SET = "Simulation:GetSimulationUnitTestSet"
PERMISSION_UNIT_TEST = "Simulation:GetSimulationUnitTest"


@dataclass(frozen=True)
class SessionResult:
    """One simulated session (the API's "run" of a unit test) and its per-criterion checks."""

    index: int
    error: str | None
    checks: tuple[bool | None, ...]
    evaluation_ids: tuple[str | None, ...]

    @property
    def passed(self) -> bool:
        """No error and every criterion met (a missing result counts as not met)."""
        return self.error is None and all(check is True for check in self.checks)

    @property
    def number(self) -> int:
        """1-based session number, for humans."""
        return self.index + 1


@dataclass(frozen=True)
class CriterionTally:
    """How one criterion did across the sessions of a unit test."""

    criterion: Criterion
    passed: int  # valid sessions where the criterion was met
    evaluated: int  # valid sessions with a result for the criterion
    marks: str  # one char per session: ✔ met, ✘ not met, ! session errored, · no result
    valid: int = 0  # sessions that did not error

    @property
    def ok(self) -> bool:
        """Met in every valid session."""
        return self.passed == self.valid


@dataclass(frozen=True)
class Verdict:
    """The outcome of one unit test of one run, with everything needed to explain it."""

    outcome: Outcome
    unit_test: UnitTest
    run_id: str | None
    reason: str
    error_kind: ErrorKind | None = None
    sessions: tuple[SessionResult, ...] = ()
    tallies: tuple[CriterionTally, ...] = ()
    sessions_total: int = 0
    sessions_valid: int = 0
    sessions_passed: int = 0
    sessions_required: int = 0
    missing_permission: str | None = None
    min_pass_rate: float | None = None

    def failing_evaluation_ids(self) -> list[str]:
        """Evaluation ids of the checks that failed on valid sessions (criterion, then session)."""
        ids: list[str] = []
        for position in range(len(self.tallies)):
            for session in self.sessions:
                if session.error is not None or position >= len(session.checks):
                    continue
                evaluation_id = session.evaluation_ids[position]
                if session.checks[position] is False and evaluation_id is not None:
                    ids.append(evaluation_id)
        return ids

    @property
    def errored_sessions(self) -> tuple[SessionResult, ...]:
        return tuple(s for s in self.sessions if s.error is not None)


class _Problem(Exception):
    """Internal: the run cannot be judged (yet); carries the verdict fields to report."""

    def __init__(
        self,
        outcome: Outcome,
        reason: str,
        kind: ErrorKind | None = None,
        permission: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.outcome: Outcome = outcome
        self.reason = reason
        self.kind: ErrorKind | None = kind
        self.permission = permission


def _malformed(detail: str) -> _Problem:
    return _Problem("error", f"malformed run data: {detail}", "malformed")


def required_sessions(valid: int, min_pass_rate: float | None) -> int:
    """Sessions that must pass out of ``valid`` ones: all of them, or ``ceil(rate * valid)``."""
    if min_pass_rate is None:
        return valid
    if not 0 < min_pass_rate <= 1:
        raise ValueError(f"min_pass_rate must be in (0, 1], got {min_pass_rate!r}")
    return max(0, math.ceil(min_pass_rate * valid - 1e-9))


# --------------------------------------------------------------------------------------------
# reading the run


@dataclass(frozen=True)
class _Found:
    spec: Mapping[str, Any]
    result: Mapping[str, Any] | None
    index: int


def _run_id(run: Mapping[str, Any] | None) -> str | None:
    if not isinstance(run, Mapping):
        return None
    value = run.get("id")
    return value if isinstance(value, str) else None


def _list(container: Mapping[str, Any], key: str, what: str) -> list[Any]:
    value = container.get(key)
    if not isinstance(value, list):
        raise _Problem("error", f"malformed run data: {what} has no list {key!r}", "malformed")
    return value


def _locate(
    unit_test: UnitTest, position: int, run: Mapping[str, Any], occurrence: int | None
) -> _Found:
    specs = _list(run, "unit_test_run_specs", "the run")
    results = _list(run, "unit_test_run_results", "the run")
    if not specs:
        raise _Problem(
            "error",
            "the API returned no unit test specs/results for this run; "
            f"the API key's user lacks {PERMISSION_SET}",
            "permission",
            PERMISSION_SET,
        )
    ids = [s.get("unit_test_id") if isinstance(s, Mapping) else None for s in specs]
    matches = [i for i, spec_id in enumerate(ids) if spec_id == unit_test.id]
    if not matches:
        raise _Problem(
            "error",
            f"unit test {unit_test.id} is not part of this run "
            "(the set changed after the run started?)",
            "not-in-run",
        )
    if occurrence is not None and 0 <= occurrence < len(matches):
        index = matches[occurrence]
    elif position in matches:
        index = position
    else:  # no way to tell duplicates apart: take the one nearest to the expected position
        index = min(matches, key=lambda i: (abs(i - position), i))
    spec = specs[index]
    # a results list shorter than the specs is read as "no result yet" for the missing entries
    result = results[index] if index < len(results) else None
    if result is not None and not isinstance(result, Mapping):
        raise _malformed("a unit test result is not an object")
    if result is not None and result.get("unit_test_id") not in (None, unit_test.id):
        raise _Problem(
            "error",
            f"malformed run data: result #{index + 1} belongs to unit test "
            f"{result.get('unit_test_id')}, its spec to {unit_test.id}",
            "malformed",
        )
    return _Found(spec=spec, result=result, index=index)


def _criteria(spec: Mapping[str, Any]) -> list[tuple[Criterion, str]]:
    out: list[tuple[Criterion, str]] = []
    for item in _list(spec, "metrics_to_evaluate", "a unit test spec"):
        try:
            metric_id = str(item["metric_id"])
            criterion = Criterion.from_api(
                str(item["success_criterion_name"]), metric_id, dict(item["success_criterion"])
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _Problem(
                "error", f"malformed run data: unreadable metric to evaluate ({exc})", "malformed"
            ) from exc
        out.append((criterion, metric_id))
    return out


def _pairs(evaluation: Any) -> list[tuple[str, bool]]:
    if not isinstance(evaluation, Mapping) or not isinstance(evaluation.get("results"), list):
        raise _malformed("a metric evaluation result has no results list")
    pairs: list[tuple[str, bool]] = []
    for pair in evaluation["results"]:
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not isinstance(pair[0], str)
            or not isinstance(pair[1], bool)
        ):
            raise _Problem(
                "error",
                f"malformed run data: evaluation result entry {pair!r} is not [id, passed]",
                "malformed",
            )
        pairs.append((pair[0], pair[1]))
    return pairs


def _match(
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


def _sessions(
    run_count: int, errors: list[str | None], per_criterion: list[list[tuple[str, bool]] | None]
) -> tuple[SessionResult, ...]:
    valid = [i for i in range(run_count) if errors[i] is None]
    checks: list[list[bool | None]] = [[None] * len(per_criterion) for _ in range(run_count)]
    eval_ids: list[list[str | None]] = [[None] * len(per_criterion) for _ in range(run_count)]
    for c, pairs in enumerate(per_criterion):
        if pairs is None:
            continue
        targets = list(range(run_count)) if len(pairs) == run_count else valid
        for session, (evaluation_id, passed) in zip(targets, pairs, strict=False):
            checks[session][c] = passed
            eval_ids[session][c] = evaluation_id
    return tuple(
        SessionResult(
            index=i, error=errors[i], checks=tuple(checks[i]), evaluation_ids=tuple(eval_ids[i])
        )
        for i in range(run_count)
    )


def _errors(result: Mapping[str, Any], run_count: int) -> list[str | None]:
    raw = result.get("run_errors", [])
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise _Problem("error", "malformed run data: run_errors is not a list", "malformed")
    errors: list[str | None] = []
    for i in range(run_count):
        value = raw[i] if i < len(raw) else None
        if value is None:
            errors.append(None)
        else:
            errors.append(str(value).strip() or "unspecified error")
    return errors


def _run_count(spec: Mapping[str, Any]) -> int:
    value = spec.get("run_count")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _Problem(
            "error", f"malformed run data: unit test spec has run_count {value!r}", "malformed"
        )
    return value


def _marks(sessions: Sequence[SessionResult], position: int) -> str:
    chars = []
    for s in sessions:
        check = s.checks[position]
        if s.error is not None:
            chars.append(ERRORED)
        elif check is None:
            chars.append(NO_RESULT)
        else:
            chars.append(MET if check else NOT_MET)
    return "".join(chars)


def _tallies(
    criteria: Sequence[Criterion], sessions: Sequence[SessionResult]
) -> tuple[CriterionTally, ...]:
    valid = [s for s in sessions if s.error is None]
    return tuple(
        CriterionTally(
            criterion=criterion,
            passed=sum(1 for s in valid if s.checks[c] is True),
            evaluated=sum(1 for s in valid if s.checks[c] is not None),
            marks=_marks(sessions, c),
            valid=len(valid),
        )
        for c, criterion in enumerate(criteria)
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _numbers(sessions: Sequence[SessionResult]) -> str:
    return ", ".join(str(s.number) for s in sessions)


def _error_summary(errored: Sequence[SessionResult], total: int) -> str:
    first = errored[0].error or "unspecified error"
    if len(errored) == 1:
        return f"session {errored[0].number} of {total} errored: {first}"
    if len(errored) == total:
        return f"all {total} sessions errored; session {errored[0].number}: {first}"
    return (
        f"{len(errored)} of {total} sessions errored (sessions {_numbers(errored)}); "
        f"session {errored[0].number}: {first}"
    )


def summarize_tallies(tallies: Sequence[CriterionTally], *, failing_only: bool = False) -> str:
    """``Completion ✔✘✔ 2/3; Empathy ✔✔✔ 3/3`` (counts are met / valid sessions)."""
    return "; ".join(
        f"{t.criterion.name} {t.marks} {t.passed}/{t.valid}"
        for t in tallies
        if not (failing_only and t.ok)
    )


def _rate(min_pass_rate: float) -> str:
    return f"{min_pass_rate * 100:.4g}%"


# --------------------------------------------------------------------------------------------
# public entry points


def judge(
    unit_test: UnitTest,
    position: int,
    run: Mapping[str, Any] | None,
    *,
    min_pass_rate: float | None = None,
    cancelled_by_us: bool = False,
    occurrence: int | None = None,
) -> Verdict:
    """The verdict for the unit test at ``position`` of the set, from one run instance dict.

    ``occurrence`` (0-based) disambiguates a unit test listed several times in the set when the
    spec at ``position`` is not it; without it the matching spec nearest ``position`` is used.
    """
    if min_pass_rate is not None:
        required_sessions(0, min_pass_rate)  # validate early: a bad rate is a caller bug
    run_id = _run_id(run)
    if run is None:
        return Verdict("pending", unit_test, None, "no run yet")
    if not isinstance(run, Mapping):
        return Verdict(
            "error", unit_test, None, "malformed run data: not an object", error_kind="malformed"
        )
    try:
        return _judge(unit_test, position, run, run_id, min_pass_rate, cancelled_by_us, occurrence)
    except _Problem as problem:
        return Verdict(
            problem.outcome,
            unit_test,
            run_id,
            problem.reason,
            error_kind=problem.kind,
            missing_permission=problem.permission,
            min_pass_rate=min_pass_rate,
        )


def _judge(
    unit_test: UnitTest,
    position: int,
    run: Mapping[str, Any],
    run_id: str | None,
    min_pass_rate: float | None,
    cancelled_by_us: bool,
    occurrence: int | None,
) -> Verdict:
    found = _locate(unit_test, position, run, occurrence)
    if found.result is None:
        if run.get("errored") is True:
            raise _Problem(
                "error",
                "the run errored before this unit test produced a result",
                "run-errored",
            )
        if run.get("is_completed") is True:
            if cancelled_by_us:
                raise _Problem(
                    "error",
                    "the run was cancelled by this session before this unit test had a result",
                    "run-cancelled",
                )
            raise _Problem(
                "error",
                "the run finished without a result for this unit test "
                "(cancelled outside this session?)",
                "run-ended",
            )
        raise _Problem("pending", "the run has no result for this unit test yet")

    result = found.result
    pairs_of_criteria = _criteria(found.spec)
    evaluations = _list(result, "metric_evaluation_results", "a unit test result")
    # Every unit test has at least one success criterion (the API refuses to create one
    # without), so an empty list here means the caller may not read them, never "no criteria".
    if not pairs_of_criteria or not evaluations:
        raise _Problem(
            "error",
            "the API returned no metrics/evaluation results for this unit test; "
            f"the API key's user lacks {PERMISSION_UNIT_TEST}",
            "permission",
            PERMISSION_UNIT_TEST,
        )
    run_count = _run_count(found.spec)
    criteria = [c for c, _ in pairs_of_criteria]
    executed = replace(unit_test, run_count=run_count, criteria=tuple(criteria))
    matched = _match(pairs_of_criteria, evaluations)
    per_criterion = [None if m is None else _pairs(m) for m in matched]
    sessions = _sessions(run_count, _errors(result, run_count), per_criterion)
    tallies = _tallies(criteria, sessions)

    errored = [s for s in sessions if s.error is not None]
    valid = run_count - len(errored)
    passed = sum(1 for s in sessions if s.passed)
    if run.get("is_completed") is not True and any(
        c is None for s in sessions if s.error is None for c in s.checks
    ):
        raise _Problem(
            "pending",
            f"the run is still reporting this unit test: {summarize_tallies(tallies)}",
        )

    def verdict(outcome: Outcome, reason: str, kind: ErrorKind | None = None) -> Verdict:
        return Verdict(
            outcome,
            executed,
            run_id,
            reason,
            error_kind=kind,
            sessions=sessions,
            tallies=tallies,
            sessions_total=run_count,
            sessions_valid=valid,
            sessions_passed=passed,
            sessions_required=required,
            min_pass_rate=min_pass_rate,
        )

    failing = summarize_tallies(tallies, failing_only=True)
    if min_pass_rate is None:
        required = run_count
        if passed == run_count:
            return verdict("passed", f"{passed}/{run_count} sessions met all criteria")
        if errored and passed == valid:
            return verdict("error", _error_summary(errored, run_count), "session-error")
        reason = f"{failing} — {passed}/{run_count} sessions passed, needs {required}/{run_count}"
        if errored:
            reason += f"; {_plural(len(errored), 'session')} errored"
        return verdict("failed", reason)

    required = required_sessions(valid, min_pass_rate)
    if valid == 0:
        return verdict("error", _error_summary(errored, run_count), "session-error")
    counts = f"{passed}/{valid} sessions passed, needs {required}/{valid} ({_rate(min_pass_rate)})"
    if errored:
        counts += f"; {_plural(len(errored), 'errored session')} left out"
    if passed >= required:
        return verdict("passed", f"{counts}; {failing}" if failing else counts)
    return verdict("failed", f"{failing} — {counts}")


def judge_unfinished(
    unit_test: UnitTest,
    position: int,
    run: Mapping[str, Any] | None,
    *,
    why: Literal["timeout", "interrupted"],
    budget_s: float | None = None,
    occurrence: int | None = None,
) -> Verdict:
    """An error verdict for a unit test whose run did not finish in time (or was interrupted)."""
    run_id = _run_id(run)
    if why == "timeout":
        budget = "" if budget_s is None else f" after {budget_s:g} s"
        head = f"no result{budget} (--amigo-timeout)"
    else:
        head = "interrupted"
    if run is None:
        reason = f"{head}: no run was started or attached"
        return Verdict("error", unit_test, None, reason, error_kind=why)

    state = "still running"
    if run.get("is_completed") is True:
        state = "finished"
    elif run.get("errored") is True:
        state = "errored"
    expected = unit_test.run_count
    detail = f"unit test {unit_test.name!r} has no result yet (0/{expected} sessions reported)"
    executed = unit_test
    sessions: tuple[SessionResult, ...] = ()
    tallies: tuple[CriterionTally, ...] = ()
    try:
        found = _locate(unit_test, position, run, occurrence) if isinstance(run, Mapping) else None
        if found is not None:
            expected = _run_count(found.spec)
            pairs_of_criteria = _criteria(found.spec)
            criteria = [c for c, _ in pairs_of_criteria]
            if criteria:
                executed = replace(unit_test, run_count=expected, criteria=tuple(criteria))
            detail = (
                f"unit test {unit_test.name!r} has no result yet (0/{expected} sessions reported)"
            )
            if found.result is not None:
                evaluations = _list(found.result, "metric_evaluation_results", "a result")
                matched = _match(pairs_of_criteria, evaluations)
                per_criterion = [None if m is None else _pairs(m) for m in matched]
                sessions = _sessions(expected, _errors(found.result, expected), per_criterion)
                tallies = _tallies(criteria, sessions)
                reported = sum(
                    1
                    for s in sessions
                    if s.error is not None or (s.checks and all(c is not None for c in s.checks))
                )
                detail = f"unit test {unit_test.name!r} has {reported}/{expected} sessions reported"
                if tallies:
                    detail += f" ({summarize_tallies(tallies)})"
    except _Problem as problem:
        detail = f"unit test {unit_test.name!r}: {problem.reason}"
    reason = f"{head}: run {run_id} {state}, {detail}"
    return Verdict(
        "error",
        executed,
        run_id,
        reason,
        error_kind=why,
        sessions=sessions,
        tallies=tallies,
        sessions_total=expected,
        sessions_valid=sum(1 for s in sessions if s.error is None),
        sessions_passed=sum(1 for s in sessions if s.passed),
    )
