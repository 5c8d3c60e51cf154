"""Verdicts: the public types of a judged unit test and the rules that decide its outcome.

``judge`` turns one unit test set run (a ``SimulationUnitTestSetRunInstance`` dict exactly as
parsed from the API's JSON) into the verdict of one unit test (the definition read at
collection): ``run_data`` reads the run, ``placing`` puts the failed checks on their sessions,
and the rules here count the sessions and decide. Nothing here does HTTP or imports pytest, and
nothing here raises on malformed API data: a run that cannot be read becomes an ``error``
verdict whose reason says what was wrong.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from pytest_amigo.contract import PERMISSION_RUN
from pytest_amigo.domain import Criterion, UnitTest
from pytest_amigo.judging.placing import place
from pytest_amigo.judging.run_data import (
    Found,
    Problem,
    ReadingKind,
    criteria_of,
    end_of_run,
    locate,
    read_result,
    run_count_of,
    run_id_of,
)

# "inconclusive" is never decided here: ``evidence.weigh`` decides it from the sessions counted.
Outcome = Literal["passed", "failed", "error", "pending", "inconclusive"]
# what the run data says (``ReadingKind``: permission, not-in-run, malformed, missing-results,
# run-errored, run-cancelled, run-ended) and what the rules and the waiting add
ErrorKind = Literal[
    ReadingKind,
    "session-error",
    "timeout",
    "interrupted",
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


def required_sessions(valid: int, min_pass_rate: float | None) -> int:
    """Sessions that must pass out of ``valid`` ones: all of them, or ``ceil(rate * valid)``."""
    if min_pass_rate is None:
        return valid
    if not 0 < min_pass_rate <= 1:
        raise ValueError(f"min_pass_rate must be in (0, 1], got {min_pass_rate!r}")
    return max(0, math.ceil(min_pass_rate * valid - 1e-9))


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


def required_valid(total: int, min_valid: float | None) -> int:
    """Sessions that must not error for a pass rate to mean anything: a count (int) or a share."""
    if min_valid is None:
        return 0
    if isinstance(min_valid, int) and not isinstance(min_valid, bool):
        return min_valid
    return max(1, math.ceil(min_valid * total - 1e-9))


@dataclass(frozen=True)
class _Reading:
    """One unit test's part of a run, read and placed, before any rule is applied."""

    executed: UnitTest
    run_count: int
    sessions: tuple[SessionResult, ...]
    tallies: tuple[CriterionTally, ...]
    missing: tuple[int, ...]  # per criterion: valid sessions without a result
    assumed: int  # failed checks placed on a session without knowing its run index


def _read(
    unit_test: UnitTest,
    found: Found,
    evaluations: Mapping[str, Mapping[str, Any]] | None,
    *,
    ended: bool,
) -> _Reading:
    """The result of ``found`` as sessions and tallies; raises a problem when it can't be read."""
    data = read_result(found, ended=ended)
    executed = replace(unit_test, run_count=data.run_count, criteria=data.criteria)
    placed = place(data.criteria, data.errors, data.per_criterion, evaluations, unit_test.id)
    sessions = tuple(
        SessionResult(i, error, placed.checks[i], placed.evaluation_ids[i])
        for i, error in enumerate(data.errors)
    )
    tallies = _tallies(data.criteria, sessions)
    return _Reading(executed, data.run_count, sessions, tallies, placed.missing, placed.assumed)


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
    run_id = run_id_of(run)
    if run is None:
        return Verdict("pending", unit_test, None, "no run yet")
    if not isinstance(run, Mapping):
        return Verdict(
            "error", unit_test, None, "malformed run data: not an object", error_kind="malformed"
        )
    try:
        found = locate(unit_test, position, run, occurrence)
        return _judge(
            unit_test, found, run, run_id, min_pass_rate, cancelled_by_us, evaluations, min_valid
        )
    except Problem as problem:
        return Verdict(
            problem.outcome,
            unit_test,
            run_id,
            problem.reason,
            error_kind=problem.kind,
            missing_permission=problem.permission,
            min_pass_rate=min_pass_rate,
        )


_NO_RESULT: dict[str, tuple[str, ReadingKind]] = {
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
    found: Found,
    run: Mapping[str, Any],
    run_id: str | None,
    min_pass_rate: float | None,
    cancelled_by_us: bool,
    evaluations: Mapping[str, Mapping[str, Any]] | None,
    min_valid: float | None,
) -> Verdict:
    end = end_of_run(run, cancelled_by_us)
    if found.result is None:
        if end is None:
            raise Problem("pending", "the run has no result for this unit test yet")
        reason, kind = _NO_RESULT[end[1]]
        raise Problem("error", reason, kind)
    reading = _read(unit_test, found, evaluations, ended=end is not None)
    sessions = reading.sessions
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
        assumed_placements=reading.assumed,
    )


def _decide(
    reading: _Reading,
    end: tuple[str, ReadingKind] | None,
    min_pass_rate: float | None,
    min_valid: float | None,
) -> _Decision:
    """The rules, over sessions already placed: missing results, pass rate, valid sessions."""
    sessions, tallies, run_count = reading.sessions, reading.tallies, reading.run_count
    errored = [s for s in sessions if s.error is not None]
    valid = run_count - len(errored)
    passed = sum(1 for s in sessions if s.passed)
    if any(reading.missing):
        gaps = ", ".join(
            f"{t.criterion.name} ({valid - gap} of {valid} sessions)"
            for t, gap in zip(tallies, reading.missing, strict=True)
            if gap
        )
        if end is None:
            raise Problem("pending", f"the run is still reporting this unit test: {gaps}")
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
            + (_error_summary(errored, run_count) if errored else "no session errored")
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
    run_id = run_id_of(run)
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
        found = locate(unit_test, position, run, occurrence) if isinstance(run, Mapping) else None
        if found is None:
            return unit_test, (), (), f"unit test {name!r} has no result yet"
        expected = run_count_of(found.spec)
        criteria = [c for c, _ in criteria_of(found.spec)]
        executed = replace(unit_test, run_count=expected)
        if criteria:
            executed = replace(executed, criteria=tuple(criteria))
        if found.result is None:
            detail = f"unit test {name!r} has no result yet (0/{expected} sessions reported)"
            return executed, (), (), detail
        reading = _read(unit_test, found, evaluations, ended=False)
    except Problem as problem:
        return unit_test, (), (), f"unit test {name!r}: {problem.reason}"
    sessions, tallies = reading.sessions, reading.tallies
    reported = sum(
        1
        for s in sessions
        if s.error is not None or (s.checks and all(c is not None for c in s.checks))
    )
    detail = f"unit test {name!r} has {reported}/{expected} sessions reported"
    if tallies:
        detail += f" ({summarize_tallies(tallies)})"
    return reading.executed, sessions, tallies, detail
