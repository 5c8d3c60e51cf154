"""The A/B comparison (``--amigo-compare``) in the typed report document (``document.py``): a
unit test's (``UnitCompare``, its two sides judging's ``RunOutcome``, read by ``side_of``) and a
set's (``SetCompare``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, Literal, TypedDict

from pytest_amigo.judging.ab import Correction, Label
from pytest_amigo.judging.run_outcome import RunOutcome
from pytest_amigo.reports.document_parts import (
    CriterionReport,
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


def side_of(data: object, at: str = "side") -> RunOutcome:
    """One side of an A/B comparison for one unit test (``compare.candidate``,
    ``compare.reference_sessions``): the value judging compares (``RunOutcome``), its
    ``pass_rate`` the one its counts give; ``what_ran`` keeps the keys an older report left out."""
    d = obj(data, at)
    return RunOutcome(
        outcome=choice(d, "outcome", SIDE_OUTCOMES, at),
        passed=count(d, "passed", at),
        valid=count(d, "valid", at),
        what_ran=what_ran_of(d.get("what_ran"), f"{at}.what_ran"),
    )


@dataclass(frozen=True, kw_only=True)
class _Compared:
    """What a unit test's and a set's comparison share: the reference version set and run, the
    label, and the one-sided p-values each way, adjusted across the session (``correction``)."""

    reference: str  # the reference version set
    label: Label
    correction: Correction
    p_worse: float | None = None
    p_worse_adjusted: float | None = None
    p_better: float | None = None
    p_better_adjusted: float | None = None
    run_id: str | None = None  # the reference run
    omitted: frozenset[str] = frozenset()  # optional keys the document left out

    OPTIONAL: ClassVar[tuple[str, ...]] = ("p_better", "p_better_adjusted", "run_id")  # in both

    @property
    def p_adjusted(self) -> float | None:
        """The adjusted p-value of the label's direction (better: p_better's, else p_worse's;
        compare_words.label_p)."""
        return self.p_better_adjusted if self.label == "better" else self.p_worse_adjusted

    def _json(self, middle: Mapping[str, object], tail: Mapping[str, object]) -> dict[str, object]:
        """The comparison's JSON: the reference and label, ``middle`` (what is compared), the
        p-values and correction, ``tail``; without the keys the document left out."""
        found = {
            "reference": self.reference,
            "label": self.label,
            **middle,
            "p_worse": self.p_worse,
            "p_worse_adjusted": self.p_worse_adjusted,
            "p_better": self.p_better,
            "p_better_adjusted": self.p_better_adjusted,
            "correction": self.correction,
            **tail,
        }
        return without(found, self.omitted)


class _Shared(TypedDict):
    """The keyword arguments of ``_Compared``'s fields."""

    reference: str
    label: Label
    correction: Correction
    p_worse: float | None
    p_worse_adjusted: float | None
    p_better: float | None
    p_better_adjusted: float | None
    run_id: str | None
    omitted: frozenset[str]


def _shared(d: Mapping[str, object], at: str, optional: tuple[str, ...]) -> _Shared:
    """The keyword arguments of the shared fields, read from ``d``."""
    return {
        "reference": text(d, "reference", at),
        "label": choice(d, "label", LABELS, at),
        "correction": choice(d, "correction", CORRECTIONS, at),
        "p_worse": number(d, "p_worse", at),
        "p_worse_adjusted": number(d, "p_worse_adjusted", at),
        "p_better": number(d, "p_better", at),
        "p_better_adjusted": number(d, "p_better_adjusted", at),
        "run_id": opt_text(d, "run_id", at),
        "omitted": absent(d, optional),
    }


@dataclass(frozen=True, kw_only=True)
class UnitCompare(_Compared):
    """``--amigo-compare`` for one unit test: the candidate (as reported) against the reference
    version set (one-sided Fisher tests)."""

    candidate: RunOutcome
    reference_sessions: RunOutcome
    difference: float | None = None  # candidate pass rate minus the reference's
    why: str | None = None  # not compared: why
    reference_criteria: tuple[CriterionReport, ...] = ()  # its criteria x sessions grid

    _OPTIONAL = (*_Compared.OPTIONAL, "difference", "why", "reference_criteria")

    def to_json(self) -> dict[str, object]:
        sides = {
            "candidate": self.candidate.to_json(),
            "reference_sessions": self.reference_sessions.to_json(),
            "difference": self.difference,
        }
        grid = [c.to_json() for c in self.reference_criteria]
        return self._json(
            sides, {"why": self.why, "run_id": self.run_id, "reference_criteria": grid}
        )

    @classmethod
    def from_json(cls, data: object, at: str = "compare") -> UnitCompare:
        d = obj(data, at)
        sessions = need(d, "reference_sessions", at)
        return cls(
            **_shared(d, at, cls._OPTIONAL),
            candidate=side_of(need(d, "candidate", at), f"{at}.candidate"),
            reference_sessions=side_of(sessions, f"{at}.reference_sessions"),
            difference=number(d, "difference", at),
            why=opt_text(d, "why", at),
            reference_criteria=criteria_of(
                array(d, "reference_criteria", at), f"{at}.reference_criteria"
            ),
        )


@dataclass(frozen=True, kw_only=True)
class SetCompare(_Compared):
    """``--amigo-compare`` over a set's compared unit tests (Cochran-Mantel-Haenszel, unit tests
    as strata); ``warning``: e.g. A/A, both sides ran the same agent."""

    worse: int
    better: int
    same: int
    not_compared: int
    same_agent: bool
    statistic: float | None = None
    warning: str | None = None

    _OPTIONAL = (*_Compared.OPTIONAL, "statistic", "p_worse", "p_worse_adjusted", "warning")

    def to_json(self) -> dict[str, object]:
        counts = {
            "worse": self.worse,
            "better": self.better,
            "same": self.same,
            "not_compared": self.not_compared,
            "statistic": self.statistic,
        }
        aa = {"same_agent": self.same_agent, "run_id": self.run_id, "warning": self.warning}
        return self._json(counts, aa)

    @classmethod
    def from_json(cls, data: object, at: str = "compare") -> SetCompare:
        d = obj(data, at)
        return cls(
            **_shared(d, at, cls._OPTIONAL),
            worse=count(d, "worse", at),
            better=count(d, "better", at),
            same=count(d, "same", at),
            not_compared=count(d, "not_compared", at),
            same_agent=flag(d, "same_agent", at),
            statistic=number(d, "statistic", at),
            warning=opt_text(d, "warning", at),
        )
