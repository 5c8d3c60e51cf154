"""The A/B comparison (``--amigo-compare``) in the typed report document (``document.py``): a
unit test's (``UnitCompare``) and a set's (``SetCompare``) are judging's values
(``ab.UnitComparison``, ``ab.SetComparison``, each side a ``RunOutcome`` read by ``side_of``)
with what only the report holds: the reference run, the reference's criteria x sessions grid,
the A/A warning and the optional keys an older document left out. They write the JSON judging
writes, with those keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Literal, TypedDict

from pytest_amigo.judging.ab import Correction, Label, SetComparison, UnitComparison
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
    opt_count,
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


class _Shared(TypedDict):
    """The keyword arguments of the fields a unit test's and a set's comparison share: the
    reference version set and run, the label, and the one-sided p-values each way, adjusted
    across the session (``correction``)."""

    reference_name: str
    label: Label
    correction: Correction
    p_worse: float | None
    p_worse_adjusted: float | None
    p_better: float | None
    p_better_adjusted: float | None
    run_id: str | None
    compared: int | None


def _shared(d: Mapping[str, object], at: str) -> _Shared:
    """The keyword arguments of the shared fields, read from ``d``."""
    return {
        "reference_name": text(d, "reference", at),
        "label": choice(d, "label", LABELS, at),
        "correction": choice(d, "correction", CORRECTIONS, at),
        "p_worse": number(d, "p_worse", at),
        "p_worse_adjusted": number(d, "p_worse_adjusted", at),
        "p_better": number(d, "p_better", at),
        "p_better_adjusted": number(d, "p_better_adjusted", at),
        "run_id": opt_text(d, "run_id", at),
        "compared": opt_count(d, "compared", at),
    }


# in a unit test's and a set's; compared, power: not in a report written before they were
_BOTH_OPTIONAL = ("p_better", "p_better_adjusted", "run_id", "compared", "power")


@dataclass(frozen=True, kw_only=True)
class UnitCompare(UnitComparison):
    """``--amigo-compare`` for one unit test as the report holds it: judging's comparison (the
    candidate as reported against the reference version set, one-sided Fisher tests), the
    reference run and its criteria x sessions grid (``difference``: what the sides' pass rates
    give)."""

    run_id: str | None = None  # the reference run
    reference_criteria: tuple[CriterionReport, ...] = ()
    omitted: frozenset[str] = frozenset()  # optional keys the document left out

    _OPTIONAL = (*_BOTH_OPTIONAL, "difference", "why", "reference_criteria", "detectable_drop")

    @classmethod
    def of(
        cls,
        unit: UnitComparison,
        run_id: str | None = None,
        reference_criteria: tuple[CriterionReport, ...] = (),
        omitted: frozenset[str] = frozenset(),
    ) -> UnitCompare:
        """Judging's ``unit`` with the reference run, its grid and the keys left out."""
        found = {f.name: getattr(unit, f.name) for f in fields(UnitComparison)}
        return cls(**found, run_id=run_id, reference_criteria=reference_criteria, omitted=omitted)

    def to_json(self) -> dict[str, object]:
        grid = [c.to_json() for c in self.reference_criteria]
        found = {**super().to_json(), "run_id": self.run_id, "reference_criteria": grid}
        return without(found, self.omitted)

    @classmethod
    def from_json(cls, data: object, at: str = "compare") -> UnitCompare:
        d = obj(data, at)
        sessions = need(d, "reference_sessions", at)
        number(d, "difference", at)  # checked; written again from the sides' pass rates
        number(d, "detectable_drop", at)  # checked; written again from the sides' sessions
        opt_text(d, "power", at)  # its words, likewise
        return cls(
            **_shared(d, at),
            candidate=side_of(need(d, "candidate", at), f"{at}.candidate"),
            reference=side_of(sessions, f"{at}.reference_sessions"),
            why=opt_text(d, "why", at) or "",
            reference_criteria=criteria_of(
                array(d, "reference_criteria", at), f"{at}.reference_criteria"
            ),
            omitted=absent(d, cls._OPTIONAL),
        )


@dataclass(frozen=True, kw_only=True)
class SetCompare(SetComparison):
    """``--amigo-compare`` over a set's compared unit tests as the report holds it: judging's
    comparison (Cochran-Mantel-Haenszel, unit tests as strata), the reference run and
    ``warning``: e.g. A/A, both sides ran the same agent."""

    run_id: str | None = None  # the reference run
    warning: str | None = None
    omitted: frozenset[str] = frozenset()  # optional keys the document left out

    _OPTIONAL = (*_BOTH_OPTIONAL, "statistic", "p_worse", "p_worse_adjusted", "warning")

    def to_json(self) -> dict[str, object]:
        found = {**super().to_json(), "run_id": self.run_id, "warning": self.warning}
        return without(found, self.omitted)

    @classmethod
    def from_json(cls, data: object, at: str = "compare") -> SetCompare:
        d = obj(data, at)
        return cls(
            **_shared(d, at),
            worse=count(d, "worse", at),
            better=count(d, "better", at),
            same=count(d, "same", at),
            not_compared=count(d, "not_compared", at),
            same_agent=flag(d, "same_agent", at),
            statistic=number(d, "statistic", at),
            warning=opt_text(d, "warning", at),
            power=opt_text(d, "power", at) or "",
            omitted=absent(d, cls._OPTIONAL),
        )
