"""What an item reports: the verdict, its explanation, JUnit properties and the failure repr."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest
from _pytest._code.code import ReprExceptionInfo, ReprFileLocation, ReprTracebackNative

from pytest_amigo.domain import UnitTestRef
from pytest_amigo.judging.ab import SetComparison, UnitComparison
from pytest_amigo.judging.evidence import BaselineComparison
from pytest_amigo.judging.provenance import Provenance
from pytest_amigo.judging.verdict import CriterionTally, SessionResult, Verdict

if TYPE_CHECKING:  # mypy takes no base class from pytest's public alias (a function attribute)
    from _pytest.outcomes import XFailed as _XFailed
else:
    _XFailed = pytest.xfail.Exception


@dataclass(frozen=True)
class ABResult:
    """The A/B result an item carries: the candidate against the concurrent reference
    (``--amigo-compare``), the unit test's comparison, its set's, and the A/A warning when both
    sides ran the same agent."""

    unit: UnitComparison | None
    of_set: SetComparison | None = None
    warning: str | None = None
    run_id: str | None = None  # the reference run
    reference_criteria: list[dict[str, Any]] | None = None  # its criteria x sessions grid

    def lines(self) -> list[str]:
        """The explanation's lines."""
        found = []
        if self.warning:
            found.append(f"  WARNING: {self.warning}")
        if self.unit is not None:
            found.append(f"  compared: {self.unit.words()}")
        if self.of_set is not None:
            found.append(f"  set: {self.of_set.words()}")
        return found

    def to_json(self) -> dict[str, Any]:
        unit = self.unit.to_json() if self.unit is not None else {}
        of_set = self.of_set.to_json() if self.of_set is not None else None
        return {
            **unit,
            "run_id": self.run_id,
            "reference_criteria": self.reference_criteria or [],
            "set": {**of_set, "run_id": self.run_id, "warning": self.warning} if of_set else None,
        }


ResultOutcome = Literal["passed", "failed", "error", "inconclusive"]
Reported = Literal["passed", "failed", "error", "xfailed"]


@dataclass(frozen=True, kw_only=True)
class AmigoResult:
    """The outcome of a unit test, as the ``amigo_result`` fixture hands it to a test (built by
    keyword: most fields are optional evidence).

    ``outcome`` is ``passed``, ``failed``, ``error`` or (with ``--amigo-confidence`` or a required
    pass^k) ``inconclusive``; ``reported`` is how pytest reports it (``--amigo-inconclusive``,
    ``--amigo-fail-on=regression``); ``verdict`` holds the evidence (sessions, per-criterion
    tallies); ``explanation`` is the text a failure shows.
    """

    ref: UnitTestRef
    outcome: ResultOutcome
    reason: str
    explanation: str
    run_id: str | None = None
    verdict: Verdict | None = None
    evaluations: dict[str, dict[str, Any]] = field(default_factory=dict)
    artifacts: Path | None = None
    note: str = ""
    pass_k: tuple[int, float, float] | None = None  # (k, pass^1, pass^k) of a judged unit test
    interval: tuple[float, float] | None = None  # Wilson interval of the session pass rate
    confidence: float | None = None
    comparison: BaselineComparison | None = None  # against the baseline, when one is used
    reported: Reported | None = None  # None: as ``outcome`` says
    expected: str = ""  # why a failing outcome reports as xfail
    attachment: str | None = None  # ``artifacts`` as reports write it (amigo_attachment_paths)
    report_properties: bool = True  # JUnit properties on its reports (amigo_junit_properties)
    baseline_note: str = ""  # where the baseline came from, or why there is none
    provenance: Provenance | None = None  # what the run simulated (versions, settings)
    ab: ABResult | None = None  # against the concurrent reference (--amigo-compare)

    @property
    def report_as(self) -> Reported:
        if self.reported is not None:
            return self.reported
        return "failed" if self.outcome == "inconclusive" else self.outcome

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
        if self.interval is not None and self.confidence is not None:
            low, high = self.interval
            props.append((f"amigo_interval[{self.confidence:g}]", f"{low:.3f}-{high:.3f}"))
        ran = self.provenance
        if ran is not None and ran.version_set:
            props.append(("amigo_version_set", ran.version_set))
        if ran is not None and ran.agent is not None:
            props.append(("amigo_agent_version", f"{ran.agent[0]} v{ran.agent[1]}"))
        if self.comparison is not None:
            props.append(("amigo_baseline_run_id", self.comparison.run_id))
            props.append(("amigo_transition", self.comparison.transition))
            if self.comparison.p_value is not None:
                props.append(("amigo_p_value", f"{self.comparison.p_value:.4g}"))
        unit = self.ab.unit if self.ab is not None else None
        if unit is not None:
            props += [
                ("amigo_compare_reference", unit.reference_name),
                ("amigo_compare_label", unit.label),
                ("amigo_reference_sessions", unit.reference.counts()),
            ]
            if unit.p_worse_adjusted is not None:
                props.append(("amigo_compare_p_adjusted", f"{unit.p_worse_adjusted:.4g}"))
        if self.artifacts is not None:
            props.append(("amigo_artifacts", self.attachment or str(self.artifacts)))
        return props

    def to_json(self, nodeid: str) -> dict[str, Any]:
        """This unit test in the JSON report (plain builtins: it crosses xdist's channel)."""
        v = self.verdict
        valid = v.sessions_valid if v else 0
        return {
            "id": self.ref.unit_test.id,
            "name": self.ref.unit_test.name,
            "nodeid": nodeid,
            "set_id": self.ref.set.id,
            "set_name": self.ref.set.name,
            "run_id": self.run_id,
            "outcome": self.outcome,
            "reported": self.report_as,
            "reason": self.reason,
            "expected": self.expected or None,
            "sessions": {
                "total": v.sessions_total if v else 0,
                "valid": valid,
                "passed": v.sessions_passed if v else 0,
                "errored": len(v.errored_sessions) if v else 0,
            },
            "pass_rate": (v.sessions_passed / valid) if v and valid else None,
            "pass_rate_interval": list(self.interval) if self.interval else None,
            "confidence": self.confidence,
            "pass_k": (
                {"k": self.pass_k[0], "value": self.pass_k[2], "pass_1": self.pass_k[1]}
                if self.pass_k
                else None
            ),
            "criteria": self._criteria_json(),
            "session_errors": [s.error for s in self.sessions],
            "explanation": self.explanation,
            "artifacts": str(self.artifacts) if self.artifacts else None,
            "baseline": self.comparison.to_json() if self.comparison else None,
            "baseline_note": self.baseline_note or None,
            "what_ran": self.provenance.to_json() if self.provenance else None,
            "compare": self.ab.to_json() if self.ab is not None and self.ab.unit else None,
        }

    def _criteria_json(self) -> list[dict[str, Any]]:
        return criteria_json(self.verdict, self.evaluations)


def criteria_json(
    verdict: Verdict | None, evaluations: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Per criterion: its tally and, per session, the check, the value and the judge's
    justification (None for a session that errored or never evaluated it)."""
    if verdict is None:
        return []
    criteria = []
    for position, tally in enumerate(verdict.tallies):
        marks: list[bool | None] = []
        values: list[Any] = []
        justifications: list[str | None] = []
        for session in verdict.sessions:
            inside = session.error is None and position < len(session.checks)
            found = evaluations.get(session.evaluation_ids[position] or "") if inside else None
            marks.append(session.checks[position] if inside else None)
            values.append(found.get("result") if found else None)
            text = found.get("justification") if found else None
            justifications.append(text if isinstance(text, str) else None)
        criteria.append(
            {
                "name": tally.criterion.name,
                "metric_id": tally.criterion.metric_id,
                "requirement": tally.criterion.requirement(),
                "passed": tally.passed,
                "valid": tally.valid,
                "sessions": marks,
                "values": values,
                "justifications": justifications,
            }
        )
    return criteria


class AmigoExpected(_XFailed):
    """A failing outcome reported as xfail: known in the baseline, or inconclusive by policy."""

    def __init__(self, result: AmigoResult) -> None:
        super().__init__(result.expected, pytrace=False)
        self.result = result


class AmigoProblem(Exception):
    """Raised by an item whose verdict is a failure or an error; carries the explanation."""

    def __init__(self, result: AmigoResult) -> None:
        super().__init__(result.reason)
        self.result = result


class AmigoError(AmigoProblem):
    """The unit test could not be judged (session error, run error, timeout, permission...)."""


class AmigoFailure(AmigoProblem):
    """The unit test was judged and did not meet its success criteria."""


def enforce(result: AmigoResult, *, listed: bool = False) -> None:
    """Report a judged result as pytest should: fail, or xfail when the failure is expected.

    ``listed``: the item carries an xfail mark (``amigo_xfail``): its reason, not the
    baseline's, is the one reported."""
    if result.report_as == "failed" or (result.report_as == "xfailed" and listed):
        raise AmigoFailure(result)
    if result.report_as == "xfailed":
        raise AmigoExpected(result)


def longrepr(problem: AmigoProblem, location: tuple[str, int | None, str]) -> ReprExceptionInfo:
    """Short message (JUnit ``message``, summary line) plus the full explanation as the body."""
    text = problem.result.explanation.rstrip("\n") + "\n"
    lines = [line + "\n" for line in text.splitlines()]
    crash = ReprFileLocation(location[0], (location[1] or 0) + 1, problem.result.reason)
    return ReprExceptionInfo(reprtraceback=ReprTracebackNative(lines), reprcrash=crash)
