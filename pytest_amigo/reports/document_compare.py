"""The A/B comparison (``--amigo-compare``) in the typed report document (``document.py``): a
unit test's (``UnitCompare``, its two ``CompareSide``) and a set's (``SetCompare``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pytest_amigo.judging.ab import Correction, Label
from pytest_amigo.judging.evidence import NOT_PASSING
from pytest_amigo.reports.document_parts import (
    CriterionReport,
    WhatRan,
    absent,
    array,
    choice,
    count,
    criteria_of,
    flag,
    need,
    number,
    obj,
    opt_text,
    text,
    what_ran_of,
    without,
)

SideOutcome = Literal["passed", "failed", "error", "inconclusive", "pending"]
LABELS: tuple[Label, ...] = ("worse", "better", "no detectable difference", "not compared")
CORRECTIONS: tuple[Correction, ...] = ("holm", "bh", "none")
SIDE_OUTCOMES: tuple[SideOutcome, ...] = ("passed", "failed", "error", "inconclusive", "pending")


def _what_ran_json(ran: WhatRan | None) -> dict[str, Any] | None:
    return ran.to_json() if ran is not None else None


@dataclass(frozen=True)
class CompareSide:
    """One side of an A/B comparison (``--amigo-compare``) for one unit test."""

    outcome: SideOutcome
    passed: int
    valid: int
    pass_rate: float | None = None
    what_ran: WhatRan | None = None

    @property
    def failing(self) -> bool:
        return self.outcome in NOT_PASSING

    def counts(self) -> str:
        return f"{self.passed}/{self.valid}"

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "passed": self.passed,
            "valid": self.valid,
            "pass_rate": self.pass_rate,
            "what_ran": _what_ran_json(self.what_ran),
        }

    @classmethod
    def from_json(cls, data: Any, at: str = "side") -> CompareSide:
        d = obj(data, at)
        return cls(
            outcome=choice(d, "outcome", SIDE_OUTCOMES, at),
            passed=count(d, "passed", at),
            valid=count(d, "valid", at),
            pass_rate=number(d, "pass_rate", at),
            what_ran=what_ran_of(d.get("what_ran"), f"{at}.what_ran"),
        )


@dataclass(frozen=True)
class UnitCompare:
    """``--amigo-compare`` for one unit test: the candidate (as reported) against the reference
    version set, one-sided Fisher p-values adjusted across the session (``correction``)."""

    reference: str  # the reference version set
    label: Label
    candidate: CompareSide
    reference_sessions: CompareSide
    correction: Correction
    difference: float | None = None  # candidate pass rate minus the reference's
    p_worse: float | None = None
    p_worse_adjusted: float | None = None
    p_better: float | None = None
    p_better_adjusted: float | None = None
    why: str | None = None  # not compared: why
    run_id: str | None = None  # the reference run
    reference_criteria: tuple[CriterionReport, ...] = ()
    omitted: frozenset[str] = frozenset()

    _OPTIONAL = (
        "difference",
        "p_better",
        "p_better_adjusted",
        "why",
        "run_id",
        "reference_criteria",
    )

    @property
    def p_adjusted(self) -> float | None:
        """The adjusted p-value of the label's direction (better: p_better's, else p_worse's)."""
        return self.p_better_adjusted if self.label == "better" else self.p_worse_adjusted

    def to_json(self) -> dict[str, Any]:
        found = {
            "reference": self.reference,
            "label": self.label,
            "candidate": self.candidate.to_json(),
            "reference_sessions": self.reference_sessions.to_json(),
            "difference": self.difference,
            "p_worse": self.p_worse,
            "p_worse_adjusted": self.p_worse_adjusted,
            "p_better": self.p_better,
            "p_better_adjusted": self.p_better_adjusted,
            "correction": self.correction,
            "why": self.why,
            "run_id": self.run_id,
            "reference_criteria": [c.to_json() for c in self.reference_criteria],
        }
        return without(found, self.omitted)

    @classmethod
    def from_json(cls, data: Any, at: str = "compare") -> UnitCompare:
        d = obj(data, at)
        return cls(
            reference=text(d, "reference", at),
            label=choice(d, "label", LABELS, at),
            candidate=CompareSide.from_json(need(d, "candidate", at), f"{at}.candidate"),
            reference_sessions=CompareSide.from_json(
                need(d, "reference_sessions", at), f"{at}.reference_sessions"
            ),
            correction=choice(d, "correction", CORRECTIONS, at),
            difference=number(d, "difference", at),
            p_worse=number(d, "p_worse", at),
            p_worse_adjusted=number(d, "p_worse_adjusted", at),
            p_better=number(d, "p_better", at),
            p_better_adjusted=number(d, "p_better_adjusted", at),
            why=opt_text(d, "why", at),
            run_id=opt_text(d, "run_id", at),
            reference_criteria=criteria_of(
                array(d, "reference_criteria", at), f"{at}.reference_criteria"
            ),
            omitted=absent(d, cls._OPTIONAL),
        )


@dataclass(frozen=True)
class SetCompare:
    """``--amigo-compare`` over a set's compared unit tests (Cochran-Mantel-Haenszel), adjusted
    across the session's sets; ``warning``: e.g. A/A, both sides ran the same agent."""

    reference: str
    label: Label
    worse: int
    better: int
    same: int
    not_compared: int
    correction: Correction
    same_agent: bool
    statistic: float | None = None
    p_worse: float | None = None
    p_worse_adjusted: float | None = None
    p_better: float | None = None
    p_better_adjusted: float | None = None
    run_id: str | None = None  # the reference run
    warning: str | None = None
    omitted: frozenset[str] = frozenset()

    _OPTIONAL = (
        "statistic",
        "p_worse",
        "p_worse_adjusted",
        "p_better",
        "p_better_adjusted",
        "run_id",
        "warning",
    )

    @property
    def p_adjusted(self) -> float | None:
        return self.p_better_adjusted if self.label == "better" else self.p_worse_adjusted

    def to_json(self) -> dict[str, Any]:
        found = {
            "reference": self.reference,
            "label": self.label,
            "worse": self.worse,
            "better": self.better,
            "same": self.same,
            "not_compared": self.not_compared,
            "statistic": self.statistic,
            "p_worse": self.p_worse,
            "p_worse_adjusted": self.p_worse_adjusted,
            "p_better": self.p_better,
            "p_better_adjusted": self.p_better_adjusted,
            "correction": self.correction,
            "same_agent": self.same_agent,
            "run_id": self.run_id,
            "warning": self.warning,
        }
        return without(found, self.omitted)

    @classmethod
    def from_json(cls, data: Any, at: str = "compare") -> SetCompare:
        d = obj(data, at)
        return cls(
            reference=text(d, "reference", at),
            label=choice(d, "label", LABELS, at),
            worse=count(d, "worse", at),
            better=count(d, "better", at),
            same=count(d, "same", at),
            not_compared=count(d, "not_compared", at),
            correction=choice(d, "correction", CORRECTIONS, at),
            same_agent=flag(d, "same_agent", at),
            statistic=number(d, "statistic", at),
            p_worse=number(d, "p_worse", at),
            p_worse_adjusted=number(d, "p_worse_adjusted", at),
            p_better=number(d, "p_better", at),
            p_better_adjusted=number(d, "p_better_adjusted", at),
            run_id=opt_text(d, "run_id", at),
            warning=opt_text(d, "warning", at),
            omitted=absent(d, cls._OPTIONAL),
        )
