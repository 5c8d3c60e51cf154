"""A/B in one job (``--amigo-compare=REF``): the candidate against a concurrent reference.

Every compared unit test ran twice in the same session, as the candidate and on the reference
version set, with the same run counts. Per unit test the evidence is two session counts; this
module turns them into the comparison the reports show and the ``worse`` gate decides on:

- **Per unit test**, Fisher's exact test, **one-sided**, candidate first: "is the candidate's
  session pass rate lower than the reference's?" (``p_worse``). The gate asks only that question,
  so all of alpha goes to that side: more power than a two-sided test at the same alpha, and an
  improvement can never fail the job. "Better" is the mirror test (``p_better``), reported as
  evidence in its own family and never gated on.
- **Multiplicity**: each family's p-values are adjusted across every compared unit test of the
  session (Holm by default: the chance of flagging any unit test that is not worse stays at
  alpha; Benjamini-Hochberg for suites with hundreds of unit tests; none).
- **Per set**, the Cochran-Mantel-Haenszel test with the unit tests as strata (one-sided each
  way), adjusted the same way across the session's sets, and the counts of worse / better /
  same.
- **A/A**: when both sides resolved to the same agent and state-machine versions the comparison
  compares the reference with itself: the pipeline probably forgot to push its candidate.

Plain functions over plain data: no HTTP, no pytest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pytest_amigo.judging.provenance import changes
from pytest_amigo.judging.run_outcome import RunOutcome
from pytest_amigo.judging.stats import (
    benjamini_hochberg,
    cochran_mantel_haenszel,
    detectable_drop,
    fisher_exact_p,
)
from pytest_amigo.judging.stats import holm as holm_adjusted
from pytest_amigo.judging.words import (
    detectable_words,
    power_words,
    sessions_words,
    set_counts,
    set_overall,
    set_power_words,
    set_words,
    unit_words,
)
from pytest_amigo.settings import Correction

Label = Literal["worse", "better", "no detectable difference", "not compared"]
ALPHA = 0.05
POWER = 0.8
CORRECTION_NAMES = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "no correction"}
JUDGED = ("passed", "failed", "inconclusive", "error")


@dataclass(frozen=True)
class Pair:
    """A unit test of a set (by position) on both sides."""

    set_id: str
    position: int
    candidate: RunOutcome
    reference: RunOutcome


@dataclass(frozen=True)
class UnitComparison:
    """The candidate against the reference for one unit test."""

    reference_name: str  # the reference version set
    candidate: RunOutcome
    reference: RunOutcome
    label: Label
    correction: Correction
    p_worse: float | None = None
    p_worse_adjusted: float | None = None
    p_better: float | None = None
    p_better_adjusted: float | None = None
    why: str = ""  # "not compared": why
    compared: int | None = None  # the family the adjustment ran over (None: an older report)

    @property
    def worse(self) -> bool:
        return self.label == "worse"

    @property
    def p_adjusted(self) -> float | None:
        """The adjusted p-value of the label's direction (better: p_better's, else p_worse's)."""
        return self.p_better_adjusted if self.label == "better" else self.p_worse_adjusted

    @property
    def difference(self) -> float | None:
        """The candidate's session pass rate minus the reference's."""
        c, r = self.candidate.rate, self.reference.rate
        return None if c is None or r is None else c - r

    @property
    def detectable_drop(self) -> float | None:
        """The smallest drop from a 100% pass rate these sessions detect with 80% power at the
        family's level (``math.inf``: not even a drop to 0%); None when not compared or the
        family is unknown (an older report)."""
        if self.label == "not compared" or self.compared is None:
            return None
        level = family_alpha(self.compared, self.correction)
        return _detectable(self.candidate.valid, self.reference.valid, level)

    @property
    def power(self) -> str:
        """What these sessions could detect, as a "no detectable difference" says it: ``- but
        with 2 sessions per side even a drop from 100% to 0% would not be detected``; "" when
        unknown."""
        drop = self.detectable_drop
        if drop is None:
            return ""
        return power_words(sessions_words(self.candidate.valid, self.reference.valid), drop)

    def words(self, *, loud: bool = True) -> str:
        """``candidate 0/8 vs release 8/8 sessions passed (-100 pts): significantly WORSE,
        adjusted p = 0.000389 (one-sided Fisher for worse, Holm over 6 unit tests): a gap this
        large by chance is ...`` (``words.unit_words``; ``loud``: the label of a worse one in
        capitals)."""
        counts = (self.reference.counts(), self.candidate.counts())
        correction = CORRECTION_NAMES[self.correction]
        return unit_words(
            self.label,
            self.reference_name,
            counts,
            self.difference,
            self.p_adjusted,
            correction,
            why=self.why,
            loud=loud,
            compared=self.compared,
            power=self.power,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference_name,
            "label": self.label,
            "candidate": self.candidate.to_json(),
            "reference_sessions": self.reference.to_json(),
            "difference": self.difference,
            "p_worse": self.p_worse,
            "p_worse_adjusted": self.p_worse_adjusted,
            "p_better": self.p_better,
            "p_better_adjusted": self.p_better_adjusted,
            "correction": self.correction,
            "why": self.why or None,
            "compared": self.compared,
            "detectable_drop": _finite(self.detectable_drop),
            "power": self.power or None,
        }


@dataclass(frozen=True)
class SetComparison:
    """The candidate against the reference over a set's compared unit tests."""

    reference_name: str
    label: Label
    worse: int
    better: int
    same: int
    not_compared: int
    correction: Correction
    statistic: float | None = None
    p_worse: float | None = None  # Cochran-Mantel-Haenszel, one-sided, before the correction
    p_worse_adjusted: float | None = None  # adjusted across the session's sets
    p_better: float | None = None
    p_better_adjusted: float | None = None
    same_agent: bool = False  # A/A: both sides ran the same agent and state machine
    compared: int | None = None  # the sets the adjustment ran over (None: an older report)
    power: str = ""  # no detectable difference: what it could not have detected ("": unknown)

    @property
    def p_adjusted(self) -> float | None:
        """The adjusted p-value of the label's direction (better: p_better's, else p_worse's)."""
        return self.p_better_adjusted if self.label == "better" else self.p_worse_adjusted

    def overall(self, *, loud: bool = False) -> str:
        """``overall: significantly worse, adjusted p = 0.0136 (Cochran-Mantel-Haenszel for
        worse, Holm over 2 sets)``, with a unit test worse on its own and the power
        (``words.set_overall``)."""
        return set_overall(
            self.label,
            self.p_adjusted,
            CORRECTION_NAMES[self.correction],
            loud=loud,
            compared=self.compared,
            worse=self.worse,
            power=self.power,
        )

    def words(self, run_id: str | None = None, *, loud: bool = True) -> str:
        """``candidate vs release, unit tests: 1 worse, 0 better, 3 no detectable difference;
        overall: significantly WORSE, adjusted p = 0.0136 (...)`` (``words.set_words``)."""
        counts = set_counts(self.worse, self.better, self.same, self.not_compared)
        return set_words(self.reference_name, counts, self.overall(loud=loud), run_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference_name,
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
            "compared": self.compared,
            "power": self.power or None,
        }


@cache
def _detectable(n_candidate: int, n_reference: int, level: float) -> float:
    return detectable_drop(n_candidate, n_reference, alpha=level, power=POWER)


def _finite(value: float | None) -> float | None:
    """A value JSON can hold: None for ``math.inf`` (nothing detectable) and None."""
    return None if value is None or math.isinf(value) else value


def adjust(p_values: Sequence[float], correction: Correction) -> list[float]:
    """The p-values adjusted for multiplicity, in the order given."""
    if not p_values:
        return []
    if correction == "holm":
        return holm_adjusted(p_values)
    if correction == "bh":
        return benjamini_hochberg(p_values)
    return list(p_values)


def _why_not(pair: Pair) -> str:
    """Why a unit test cannot be compared ("" when it can)."""
    for name, side in (("candidate", pair.candidate), ("reference", pair.reference)):
        if side.outcome not in JUDGED:
            return f"the {name} has no verdict ({side.outcome})"
        if not side.valid:
            return f"the {name} has no valid session"
    then, now = pair.reference.what_ran, pair.candidate.what_ran
    if then is not None and now is not None and (differences := changes(then, now)):
        return f"the two sides tested different things: {'; '.join(differences)}"
    return ""


def _label(worse: float | None, better: float | None, alpha: float) -> Label:
    if worse is not None and worse <= alpha:
        return "worse"
    if better is not None and better <= alpha:
        return "better"
    return "no detectable difference"


def compare_units(
    pairs: Sequence[Pair], reference_name: str, correction: Correction, alpha: float = ALPHA
) -> list[UnitComparison]:
    """Every pair compared, in the order given; the adjustment runs over all of them (the
    session's compared unit tests), each direction in its own family."""
    reasons = [_why_not(pair) for pair in pairs]
    compared = [i for i, why in enumerate(reasons) if not why]
    raw_worse = [_fisher(pairs[i], "less") for i in compared]
    raw_better = [_fisher(pairs[i], "greater") for i in compared]
    # per compared pair: (p worse, adjusted), (p better, adjusted)
    tests = dict(
        zip(
            compared,
            zip(
                zip(raw_worse, adjust(raw_worse, correction), strict=True),
                zip(raw_better, adjust(raw_better, correction), strict=True),
                strict=True,
            ),
            strict=True,
        )
    )
    found = []
    for i, pair in enumerate(pairs):
        sides = (reference_name, pair.candidate, pair.reference)
        if i not in tests:
            found.append(
                UnitComparison(
                    *sides, "not compared", correction, why=reasons[i], compared=len(compared)
                )
            )
            continue
        (p_worse, worse), (p_better, better) = tests[i]
        label = _label(worse, better, alpha)
        found.append(
            UnitComparison(
                *sides,
                label,
                correction,
                p_worse,
                worse,
                p_better,
                better,
                compared=len(compared),
            )
        )
    return found


def _fisher(pair: Pair, alternative: Literal["less", "greater"]) -> float:
    c, r = pair.candidate, pair.reference
    return fisher_exact_p(c.passed, c.valid, r.passed, r.valid, alternative)


def compare_session(
    pairs: Sequence[Pair], reference_name: str, correction: Correction
) -> tuple[list[UnitComparison], dict[str, SetComparison]]:
    """The session's comparison: per unit test (``compare_units``), in the order of ``pairs``,
    and per set (``compare_sets``)."""
    units = compare_units(pairs, reference_name, correction)
    return units, compare_sets(pairs, units, reference_name, correction)


def compare_sets(
    pairs: Sequence[Pair],
    units: Sequence[UnitComparison],
    reference_name: str,
    correction: Correction,
    alpha: float = ALPHA,
) -> dict[str, SetComparison]:
    """Per set (in the order the pairs name them), the stratified comparison over its compared
    unit tests, adjusted across the session's sets."""
    by_set: dict[str, list[tuple[Pair, UnitComparison]]] = {}
    for pair, unit in zip(pairs, units, strict=True):
        by_set.setdefault(pair.set_id, []).append((pair, unit))
    tests: dict[str, tuple[float, float, float]] = {}
    for set_id, members in by_set.items():
        tables = [
            (
                (p.candidate.passed, p.candidate.valid - p.candidate.passed),
                (p.reference.passed, p.reference.valid - p.reference.passed),
            )
            for p, u in members
            if u.label != "not compared"
        ]
        if tables:
            statistic, p_worse = cochran_mantel_haenszel(tables, "less")
            _, p_better = cochran_mantel_haenszel(tables, "greater")
            tests[set_id] = (statistic, p_worse, p_better)
    order = list(tests)
    worse = dict(zip(order, adjust([tests[s][1] for s in order], correction), strict=True))
    better = dict(zip(order, adjust([tests[s][2] for s in order], correction), strict=True))
    found = {}
    for set_id, members in by_set.items():
        labels = [u.label for _, u in members]
        counts = (
            labels.count("worse"),
            labels.count("better"),
            labels.count("no detectable difference"),
            labels.count("not compared"),
        )
        same_agent = _same_agent([p for p, u in members if u.label != "not compared"])
        if set_id not in tests:
            found[set_id] = SetComparison(reference_name, "not compared", *counts, correction)
            continue
        statistic, p_worse, p_better = tests[set_id]
        label = _label(worse[set_id], better[set_id], alpha)
        found[set_id] = SetComparison(
            reference_name,
            label,
            *counts,
            correction,
            statistic=statistic,
            p_worse=p_worse,
            p_worse_adjusted=worse[set_id],
            p_better=p_better,
            p_better_adjusted=better[set_id],
            same_agent=same_agent,
            compared=len(order),
            power=_set_power(label, members, family_alpha(len(order), correction, alpha)),
        )
    return found


def _set_power(label: Label, members: Sequence[tuple[Pair, UnitComparison]], level: float) -> str:
    """What a set that found no difference says of its power: when even every compared unit
    test failing every session on the candidate and passing every one on the reference would not
    be flagged at ``level``, ``words.set_power_words``; "" otherwise (or when it found one)."""
    if label != "no detectable difference":
        return ""
    extreme = [
        ((0, p.candidate.valid), (p.reference.valid, 0))
        for p, u in members
        if u.label != "not compared"
    ]
    _, p_worst = cochran_mantel_haenszel(extreme, "less")
    return set_power_words() if p_worst > level * (1 + 1e-7) else ""


def _same_agent(pairs: Sequence[Pair]) -> bool:
    """Both sides resolved to the same agent and state machine for every unit test (and that is
    known for at least one): an A/A comparison."""
    known = 0
    for pair in pairs:
        then, now = pair.reference.what_ran, pair.candidate.what_ran
        if then is None or now is None or then.agent is None or now.agent is None:
            continue
        if then.agent != now.agent or then.state_machine != now.state_machine:
            return False
        known += 1
    return known > 0


def same_agent_warning(candidate_name: str, reference_name: str) -> str:
    """The loud line of an A/A comparison."""
    return (
        f"{candidate_name} and {reference_name} ran the same agent version: this compares "
        f"{reference_name} with itself (did the pipeline push its candidate?)"
    )


def family_alpha(compared: int, correction: Correction, alpha: float = ALPHA) -> float:
    """The per-test level at which a single worse unit test among ``compared`` is flagged:
    alpha / m under Holm and Benjamini-Hochberg (their first step), alpha without correction."""
    if correction == "none" or compared <= 1:
        return alpha
    return alpha / compared


def drop_words(run_count: int, compared: int, correction: Correction) -> str:
    """What ``run_count`` sessions per side can detect, for ``--amigo-plan``: ``run_count 3:
    only a drop from 100% to below 7% would be detected (80% power, one-sided Fisher at
    0.05/6, Holm)``."""
    level = family_alpha(compared, correction)
    drop = _detectable(run_count, run_count, level)
    shown = f"{ALPHA:g}/{compared}" if level != ALPHA else f"{ALPHA:g}"
    how = f"{POWER:.0%} power, one-sided Fisher at {shown}, {CORRECTION_NAMES[correction]}"
    text = f"run_count {run_count}: {detectable_words(drop)} ({how})"
    return f"{text}: raise the run counts to compare" if math.isinf(drop) else text
