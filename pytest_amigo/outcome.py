"""What an item reports: the verdict, its explanation, JUnit properties and the failure repr."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from _pytest._code.code import ReprExceptionInfo, ReprFileLocation, ReprTracebackNative

from .domain import UnitTest, UnitTestSet
from .verdict import CriterionTally, SessionResult, Verdict

ResultOutcome = Literal["passed", "failed", "error"]


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


@dataclass(frozen=True)
class AmigoResult:
    """The outcome of a unit test, as the ``amigo_result`` fixture hands it to a test.

    ``outcome`` is ``passed``, ``failed`` or ``error``; ``verdict`` holds the evidence
    (sessions, per-criterion tallies); ``explanation`` is the text a failure shows.
    """

    ref: UnitTestRef
    outcome: ResultOutcome
    reason: str
    explanation: str
    run_id: str | None
    verdict: Verdict | None
    evaluations: dict[str, dict[str, Any]] = field(default_factory=dict)
    artifacts: Path | None = None
    note: str = ""
    pass_k: tuple[int, float, float] | None = None  # (k, pass^1, pass^k) of a judged unit test

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    @property
    def sessions(self) -> tuple[SessionResult, ...]:
        return self.verdict.sessions if self.verdict else ()

    @property
    def tallies(self) -> tuple[CriterionTally, ...]:
        return self.verdict.tallies if self.verdict else ()

    def justifications(self) -> list[str]:
        """The judges' justifications of the failed checks, in criterion and session order."""
        if self.verdict is None:
            return []
        found = (self.evaluations.get(i) for i in self.verdict.failing_evaluation_ids())
        return [str(e.get("justification") or "") for e in found if e]

    def properties(self) -> list[tuple[str, str]]:
        """JUnit properties: plain strings only (they cross xdist's channel)."""
        props = [
            ("amigo_set_id", self.ref.set.id),
            ("amigo_set", self.ref.set.name),
            ("amigo_unit_test_id", self.ref.unit_test.id),
            ("amigo_outcome", self.outcome),
        ]
        if self.run_id:
            props.append(("amigo_run_id", self.run_id))
        v = self.verdict
        if v is not None and v.sessions_total:
            props += [
                ("amigo_sessions_passed", str(v.sessions_passed)),
                ("amigo_sessions_valid", str(v.sessions_valid)),
                ("amigo_sessions_total", str(v.sessions_total)),
            ]
            props += [
                (f"amigo_criterion[{t.criterion.name}]", f"{t.passed}/{t.valid or t.evaluated}")
                for t in v.tallies
            ]
        if self.pass_k is not None:
            k, first, all_k = self.pass_k
            props += [("amigo_pass^1", f"{first:.3f}"), (f"amigo_pass^{k}", f"{all_k:.3f}")]
        if self.artifacts is not None:
            props.append(("amigo_artifacts", str(self.artifacts)))
        return props


class AmigoProblem(Exception):
    """Raised by an item whose verdict is a failure or an error; carries the explanation."""

    def __init__(self, result: AmigoResult) -> None:
        super().__init__(result.reason)
        self.result = result


class AmigoError(AmigoProblem):
    """The unit test could not be judged (session error, run error, timeout, permission...)."""


class AmigoFailure(AmigoProblem):
    """The unit test was judged and did not meet its success criteria."""


def longrepr(problem: AmigoProblem, location: tuple[str, int | None, str]) -> ReprExceptionInfo:
    """Short message (JUnit ``message``, summary line) plus the full explanation as the body."""
    text = problem.result.explanation.rstrip("\n") + "\n"
    lines = [line + "\n" for line in text.splitlines()]
    crash = ReprFileLocation(location[0], (location[1] or 0) + 1, problem.result.reason)
    return ReprExceptionInfo(reprtraceback=ReprTracebackNative(lines), reprcrash=crash)
