"""Turn one unit test set run (as JSON) into a verdict per unit test.

Pure functions over plain data: the run is a ``SimulationUnitTestSetRunInstance`` dict exactly as
parsed from the API's JSON, the unit test is the definition read at collection. Nothing here does
HTTP or imports pytest, and nothing here raises on malformed API data: a run that cannot be read
becomes an ``error`` verdict whose reason says what was wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from pytest_amigo.contract import PERMISSION_RUN, PERMISSION_SET, PERMISSION_UNIT_TEST
from pytest_amigo.domain import Criterion, UnitTest

# "inconclusive" is never decided here: ``evidence.weigh`` decides it from the sessions counted.
Outcome = Literal["passed", "failed", "error", "pending", "inconclusive"]
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
    "missing-results",
    "too-few-valid",
    "unreadable",
]

MET = "✔"
NOT_MET = "✘"
ERRORED = "!"
NO_RESULT = "·"


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
    assumed_placements: int = 0  # failed checks placed on a session without its run index

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
    if occurrence is not None and occurrence >= len(matches):
        raise _Problem(
            "error",
            f"unit test {unit_test.id} is listed {occurrence + 1} times in the set but "
            f"{len(matches)} time(s) in this run: occurrence #{occurrence + 1} is not part of "
            "this run (the set changed after the run started?)",
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
        raise _malformed("a unit test result is not an object")
    if result is not None and result.get("unit_test_id") not in (None, unit_test.id):
        raise _Problem(
            "error",
            f"malformed run data: result #{index + 1} belongs to unit test "
            f"{result.get('unit_test_id')}, its spec to {unit_test.id}",
            "malformed",
        )
    return _Found(spec=spec, result=result, index=index)


def run_spec(
    unit_test: UnitTest, position: int, run: Mapping[str, Any] | None, occurrence: int | None
) -> Mapping[str, Any] | None:
    """The run spec of the unit test at ``position`` (None when the run has none for it: the
    verdict says why)."""
    if not isinstance(run, Mapping):
        return None
    try:
        spec = _locate(unit_test, position, run, occurrence).spec
    except _Problem:
        return None
    return spec if isinstance(spec, Mapping) else None


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


@dataclass(frozen=True)
class _Evidence:
    """The sessions of one unit test result, with what is missing and what was assumed."""

    sessions: tuple[SessionResult, ...]
    missing: tuple[int, ...]  # per criterion: valid sessions without a result
    assumed: int  # failed checks placed on a session without knowing its run index


def run_index_of(
    evaluations: Mapping[str, Mapping[str, Any]] | None, evaluation_id: str, unit_test_id: str
) -> int | None:
    """The session an evaluation belongs to (``source.run_index``), if the evaluations say so."""
    if evaluations is None:
        return None
    found = evaluations.get(evaluation_id)
    source = found.get("source") if isinstance(found, Mapping) else None
    if not isinstance(source, Mapping) or source.get("type", "simulation") != "simulation":
        return None
    if source.get("unit_test_id") not in (None, unit_test_id):
        return None
    index = source.get("run_index")
    return index if isinstance(index, int) and not isinstance(index, bool) else None


class _Grid:
    """Per session and criterion: the check (None: no result yet) and its evaluation id."""

    def __init__(self, errors: list[str | None], width: int) -> None:
        self.errors = errors
        self.valid = [i for i, error in enumerate(errors) if error is None]
        self.checks: list[list[bool | None]] = [[None] * width for _ in errors]
        self.eval_ids: list[list[str | None]] = [[None] * width for _ in errors]

    def put(self, session: int, criterion: int, passed: bool, evaluation_id: str) -> None:
        self.checks[session][criterion] = passed
        self.eval_ids[session][criterion] = evaluation_id

    def free(self, criterion: int) -> list[int]:
        return [s for s in self.valid if self.checks[s][criterion] is None]

    def sessions(self) -> tuple[SessionResult, ...]:
        return tuple(
            SessionResult(i, error, tuple(self.checks[i]), tuple(self.eval_ids[i]))
            for i, error in enumerate(self.errors)
        )


def _check_pairs(name: str, pairs: list[tuple[str, bool]], valid: int) -> None:
    if len(pairs) > valid:
        raise _malformed(
            f"criterion {name!r} has {len(pairs)} results for {valid} sessions that did not error"
        )
    if len({evaluation_id for evaluation_id, _ in pairs}) != len(pairs):
        raise _malformed(f"criterion {name!r} lists an evaluation id twice")


def _place_by_run_index(
    grid: _Grid,
    c: int,
    name: str,
    pairs: list[tuple[str, bool]],
    locate: Callable[[str], int | None],
) -> list[tuple[int, int, str]]:
    """Failed checks onto the sessions their evaluations name; the others are returned."""
    unplaced = []
    for position, (evaluation_id, passed) in enumerate(pairs):
        if passed:
            continue
        index = locate(evaluation_id)
        if index is None:
            unplaced.append((c, position, evaluation_id))
            continue
        if not 0 <= index < len(grid.errors) or grid.errors[index] is not None:
            raise _malformed(
                f"evaluation {evaluation_id} of criterion {name!r} names session "
                f"{index + 1}, which is not a session of this unit test that did not error"
            )
        if grid.checks[index][c] is False:
            raise _malformed(f"two failed checks of criterion {name!r} name session {index + 1}")
        grid.put(index, c, False, evaluation_id)
    return unplaced


def _sessions(
    criteria: Sequence[Criterion],
    errors: list[str | None],
    per_criterion: list[list[tuple[str, bool]] | None],
    evaluations: Mapping[str, Mapping[str, Any]] | None,
    unit_test_id: str,
) -> _Evidence:
    """Place every ``[evaluation_id, passed]`` pair on its session.

    The pairs carry no session index: a failed check goes to the session its evaluation's
    ``source.run_index`` names. Without it (evaluations unavailable), failures of different
    criteria are assumed to fall on different sessions: the fewest passing sessions the data
    allows. Passed checks fill the remaining valid sessions.
    """
    grid = _Grid(errors, len(per_criterion))
    missing = [len(grid.valid)] * len(per_criterion)
    unplaced: list[tuple[int, int, str]] = []  # (criterion, position in pairs, evaluation id)

    def locate(evaluation_id: str) -> int | None:
        return run_index_of(evaluations, evaluation_id, unit_test_id)

    for c, pairs in enumerate(per_criterion):
        if pairs is not None:
            _check_pairs(criteria[c].name, pairs, len(grid.valid))
            missing[c] = len(grid.valid) - len(pairs)
            unplaced += _place_by_run_index(grid, c, criteria[c].name, pairs, locate)
    for c, position, evaluation_id in unplaced:
        free = grid.free(c)
        clean = [s for s in free if False not in grid.checks[s]]
        nearest = grid.valid[position] if position < len(grid.valid) else None
        grid.put(nearest if nearest in clean else (clean or free)[0], c, False, evaluation_id)
    for c, pairs in enumerate(per_criterion):
        passes = [evaluation_id for evaluation_id, passed in pairs or () if passed]
        for session, evaluation_id in zip(grid.free(c), passes, strict=False):
            grid.put(session, c, True, evaluation_id)
    return _Evidence(grid.sessions(), tuple(missing), len(unplaced))


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
            errors.append(printable(str(value)).strip() or "unspecified error")
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


def rate_words(min_pass_rate: float) -> str:
    """``87.5%``: a minimum pass rate as the reasons state it."""
    return f"{min_pass_rate * 100:.4g}%"


def printable(text: str) -> str:
    """Text from the service, safe for a terminal and XML: control characters escaped."""
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() or ch in "\n\t" else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def one_line(text: str) -> str:
    """A name from the service, safe for a terminal and XML on one line: control characters,
    newlines and tabs included, escaped."""
    return printable(text).replace("\n", "\\n").replace("\t", "\\t")


def required_valid(total: int, min_valid: float | None) -> int:
    """Sessions that must not error for a pass rate to mean anything: a count (int) or a share."""
    if min_valid is None:
        return 0
    if isinstance(min_valid, int) and not isinstance(min_valid, bool):
        return min_valid
    return max(1, math.ceil(min_valid * total - 1e-9))


@dataclass(frozen=True)
class _Reading:
    """One unit test's part of a run, read and checked, before any rule is applied."""

    executed: UnitTest
    run_count: int
    tallies: tuple[CriterionTally, ...]
    evidence: _Evidence


def _read(
    unit_test: UnitTest,
    found: _Found,
    evaluations: Mapping[str, Mapping[str, Any]] | None,
    *,
    ended: bool,
) -> _Reading:
    """The result of ``found`` as sessions and tallies; raises a problem when it can't be read."""
    result = found.result
    assert result is not None
    pairs_of_criteria = _criteria(found.spec)
    listed = _list(result, "metric_evaluation_results", "a unit test result")
    if not pairs_of_criteria:
        # Every unit test has at least one success criterion (the API refuses to create one
        # without): no metrics to evaluate means the caller may not read them.
        if listed:
            raise _malformed("evaluation results for a unit test whose spec lists no metrics")
        raise _Problem(
            "error",
            "the API returned no metrics/evaluation results for this unit test; "
            f"the API key's user lacks {PERMISSION_UNIT_TEST}",
            "permission",
            PERMISSION_UNIT_TEST,
        )
    if not listed:  # the permission would have emptied the spec's metrics too
        if not ended:
            raise _Problem("pending", "the run lists no evaluation results for this unit test yet")
        raise _Problem(
            "error",
            "the run ended without evaluation results for this unit test "
            "(its result lists no metric evaluation results)",
            "missing-results",
        )
    run_count = _run_count(found.spec)
    criteria = [c for c, _ in pairs_of_criteria]
    executed = replace(unit_test, run_count=run_count, criteria=tuple(criteria))
    matched = _match(pairs_of_criteria, listed)
    per_criterion = [None if m is None else _pairs(m) for m in matched]
    evidence = _sessions(
        criteria, _errors(result, run_count), per_criterion, evaluations, unit_test.id
    )
    return _Reading(executed, run_count, _tallies(criteria, evidence.sessions), evidence)


def _end_of_run(run: Mapping[str, Any], cancelled_by_us: bool) -> tuple[str, ErrorKind] | None:
    """What ended the run (None while it runs)."""
    if run.get("errored") is True:
        return "the run errored", "run-errored"
    if run.get("is_completed") is not True:
        return None
    if cancelled_by_us:
        return "this session cancelled the run", "run-cancelled"
    return "the run completed", "missing-results"


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
    evaluations: Mapping[str, Mapping[str, Any]] | None = None,
    min_valid: float | None = None,
) -> Verdict:
    """The verdict for the unit test at ``position`` of the set, from one run instance dict.

    ``occurrence`` (0-based) disambiguates a unit test listed several times in the set.
    ``evaluations`` (evaluation id -> metric evaluation result JSON) place failed checks on
    their sessions by ``source.run_index``; without them the placement is assumed (and said).
    ``min_valid`` (with a minimum pass rate): sessions that must not error, as a count (int)
    or a share of the run count (float).
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
        found = _locate(unit_test, position, run, occurrence)
        return _judge(
            unit_test, found, run, run_id, min_pass_rate, cancelled_by_us, evaluations, min_valid
        )
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


_NO_RESULT: dict[str, tuple[str, ErrorKind]] = {
    "run-errored": ("the run errored before this unit test produced a result", "run-errored"),
    "run-cancelled": (
        "the run was cancelled by this session before this unit test had a result",
        "run-cancelled",
    ),
    "missing-results": (
        "the run finished without a result for this unit test (cancelled outside this session?)",
        "run-ended",
    ),
}


@dataclass(frozen=True)
class _Decision:
    outcome: Outcome
    reason: str
    kind: ErrorKind | None = None
    required: int = 0


def _judge(
    unit_test: UnitTest,
    found: _Found,
    run: Mapping[str, Any],
    run_id: str | None,
    min_pass_rate: float | None,
    cancelled_by_us: bool,
    evaluations: Mapping[str, Mapping[str, Any]] | None,
    min_valid: float | None,
) -> Verdict:
    end = _end_of_run(run, cancelled_by_us)
    if found.result is None:
        if end is None:
            raise _Problem("pending", "the run has no result for this unit test yet")
        reason, kind = _NO_RESULT[end[1]]
        raise _Problem("error", reason, kind)
    reading = _read(unit_test, found, evaluations, ended=end is not None)
    sessions = reading.evidence.sessions
    decision = _decide(reading, end, min_pass_rate, min_valid)
    return Verdict(
        decision.outcome,
        reading.executed,
        run_id,
        decision.reason,
        error_kind=decision.kind,
        sessions=sessions,
        tallies=reading.tallies,
        sessions_total=reading.run_count,
        sessions_valid=sum(1 for s in sessions if s.error is None),
        sessions_passed=sum(1 for s in sessions if s.passed),
        sessions_required=decision.required,
        min_pass_rate=min_pass_rate,
        assumed_placements=reading.evidence.assumed,
    )


def _decide(
    reading: _Reading,
    end: tuple[str, ErrorKind] | None,
    min_pass_rate: float | None,
    min_valid: float | None,
) -> _Decision:
    """The rules, over sessions already placed: missing results, pass rate, valid sessions."""
    sessions, tallies, run_count = reading.evidence.sessions, reading.tallies, reading.run_count
    errored = [s for s in sessions if s.error is not None]
    valid = run_count - len(errored)
    passed = sum(1 for s in sessions if s.passed)
    if any(reading.evidence.missing):
        gaps = ", ".join(
            f"{t.criterion.name} ({valid - gap} of {valid} sessions)"
            for t, gap in zip(tallies, reading.evidence.missing, strict=True)
            if gap
        )
        if end is None:
            raise _Problem("pending", f"the run is still reporting this unit test: {gaps}")
        reason = f"{end[0]} without results for {gaps}; not judged"
        return _Decision("error", reason, end[1], run_count)
    ended_note = ""
    if end is not None and end[1] in ("run-errored", "run-cancelled"):
        ended_note = f" ({end[0]}; this unit test's results are complete)"
    failing = summarize_tallies(tallies, failing_only=True)
    if min_pass_rate is None:
        if passed == run_count:
            reason = f"{passed}/{run_count} sessions met all criteria{ended_note}"
            return _Decision("passed", reason, required=run_count)
        if errored and passed == valid:
            summary = _error_summary(errored, run_count)
            return _Decision("error", summary, "session-error", run_count)
        reason = f"{failing} — {passed}/{run_count} sessions passed, needs {run_count}/{run_count}"
        if errored:
            reason += f"; {_plural(len(errored), 'session')} errored"
        return _Decision("failed", reason + ended_note, required=run_count)
    required = required_sessions(valid, min_pass_rate)
    if valid == 0:
        return _Decision("error", _error_summary(errored, run_count), "session-error", required)
    needed_valid = required_valid(run_count, min_valid)
    if valid < needed_valid:
        reason = (
            f"too few valid sessions to judge: {valid} of {run_count} did not error, needs at "
            f"least {needed_valid} (amigo_min_valid_sessions); "
            + _error_summary(errored, run_count)
        )
        return _Decision("error", reason, "too-few-valid", required)
    counts = (
        f"{passed}/{valid} sessions passed, needs {required}/{valid} ({rate_words(min_pass_rate)})"
    )
    if errored:
        counts += f"; {_plural(len(errored), 'errored session')} left out"
    if passed >= required:
        reason = (f"{counts}; {failing}" if failing else counts) + ended_note
        return _Decision("passed", reason, required=required)
    return _Decision("failed", f"{failing} — {counts}{ended_note}", required=required)


def judge_unfinished(
    unit_test: UnitTest,
    position: int,
    run: Mapping[str, Any] | None,
    *,
    why: Literal["timeout", "interrupted"],
    budget_s: float | None = None,
    occurrence: int | None = None,
    evaluations: Mapping[str, Mapping[str, Any]] | None = None,
    created: str | None = None,
) -> Verdict:
    """An error verdict for a unit test whose run did not finish in time (or was interrupted).

    ``created``: the run this session started or attached, when the run list never showed it
    (``run`` is None): the words say so, and which permission lists leave out runs without."""
    run_id = _run_id(run)
    if why == "timeout":
        budget = "" if budget_s is None else f" after {budget_s:g} s"
        head = f"no result{budget} (--amigo-timeout)"
    else:
        head = "interrupted"
    if run is None and created:
        reason = (
            f"{head}: run {created} was created but the runs list never showed it (lists "
            f"leave out what the API key's user may not read: check {PERMISSION_RUN}); "
            f"report it later with pytest --amigo-run={created}"
        )
        return Verdict("error", unit_test, created, reason, error_kind=why)
    if run is None:
        reason = f"{head}: no run was started or attached"
        return Verdict("error", unit_test, None, reason, error_kind=why)

    state = "still running"
    if run.get("is_completed") is True:
        state = "finished"
    elif run.get("errored") is True:
        state = "errored"
    executed, sessions, tallies, detail = _progress_so_far(
        unit_test, position, run, occurrence, evaluations
    )
    reason = f"{head}: run {run_id} {state}, {detail}"
    return Verdict(
        "error",
        executed,
        run_id,
        reason,
        error_kind=why,
        sessions=sessions,
        tallies=tallies,
        sessions_total=executed.run_count,
        sessions_valid=sum(1 for s in sessions if s.error is None),
        sessions_passed=sum(1 for s in sessions if s.passed),
    )


def _progress_so_far(
    unit_test: UnitTest,
    position: int,
    run: Mapping[str, Any],
    occurrence: int | None,
    evaluations: Mapping[str, Mapping[str, Any]] | None,
) -> tuple[UnitTest, tuple[SessionResult, ...], tuple[CriterionTally, ...], str]:
    """What an unfinished unit test has so far: executed definition, sessions, tallies, words."""
    name = unit_test.name
    try:
        found = _locate(unit_test, position, run, occurrence) if isinstance(run, Mapping) else None
        if found is None:
            return unit_test, (), (), f"unit test {name!r} has no result yet"
        expected = _run_count(found.spec)
        criteria = [c for c, _ in _criteria(found.spec)]
        executed = replace(unit_test, run_count=expected)
        if criteria:
            executed = replace(executed, criteria=tuple(criteria))
        if found.result is None:
            detail = f"unit test {name!r} has no result yet (0/{expected} sessions reported)"
            return executed, (), (), detail
        reading = _read(unit_test, found, evaluations, ended=False)
    except _Problem as problem:
        return unit_test, (), (), f"unit test {name!r}: {problem.reason}"
    sessions, tallies = reading.evidence.sessions, reading.tallies
    reported = sum(
        1
        for s in sessions
        if s.error is not None or (s.checks and all(c is not None for c in s.checks))
    )
    detail = f"unit test {name!r} has {reported}/{expected} sessions reported"
    if tallies:
        detail += f" ({summarize_tallies(tallies)})"
    return reading.executed, sessions, tallies, detail
