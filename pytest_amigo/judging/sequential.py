"""A group-sequential design for the confidence rule: decide after each stage, errors kept.

``--amigo-confidence C`` with a minimum pass rate R asks two one-sided questions of a unit test's
``c`` passes in ``n`` valid sessions: is the pass rate above R (passed), is it below R (failed);
neither: inconclusive. Asked once, at the end, each errs with chance alpha = (1 - C) / 2 when the
true pass rate is exactly R (the lower end of a two-sided C interval is a one-sided (1 + C) / 2
bound). Asked after every stage - every ``--amigo-stages`` stage, every ``--amigo-resample``
round - as if each look were the only one, the chances add up: the Wilson interval re-checked
after each re-sampling round passes a unit test whose pass rate is exactly R more often than
alpha (``scripts/stage_simulation.py`` measures it; ``docs/stages.md`` has the figures).

The design here spends alpha over the looks with an **alpha-spending function** (Lan & DeMets,
"Discrete sequential boundaries for clinical trials", Biometrika 70(3):659-663, 1983):

- Pocock type (the default): ``alpha(t) = alpha * ln(1 + (e - 1) t)``, which spends evenly and
  stops earlier;
- O'Brien-Fleming type: ``alpha(t) = 2 - 2 Phi(z_{1 - alpha/2} / sqrt(t))``, which spends almost
  nothing early;

with ``t`` the share of the maximum sessions seen at a look (the last look spends what is left,
whatever ``t``: errored sessions make fewer valid sessions than planned). The boundaries are
**exact**: the passes are binomial, and at each look the boundary is the least extreme count
whose crossing probability under a pass rate of exactly R - computed by recursion over the
looks on the paths that have not crossed yet (Jennison & Turnbull, "Group Sequential Methods
with Applications to Clinical Trials", 2000, ch. 12: exact calculations for binomial data) -
keeps the alpha spent so far within ``alpha(t)``. The binomial is discrete: the fixed design's
exact test on the maximum sessions errs a little less than alpha, and the looks before the last
spend at most that slack, so the last boundary is never above the fixed design's and a unit test
the fixed design passes is passed by this one too (unless a futility stop took it earlier).

The "passed" boundary is computed ignoring the "failed" boundary and the futility stop, and the
other way round, so each error rate holds whatever the other stops do (they only take paths
away).

**Futility** (non-binding, so it costs no error rate, only a little power): after a look short
of the last, a unit test stops as inconclusive when its chance of still reaching "passed",
were its pass rate halfway from R to 1, and its chance of reaching "failed", were it halfway
from R to 0, are both below ``futility`` (0.1 by default; 0 stops only when neither can be
reached). ``characteristics`` gives the exact operating characteristics of a design (or of the
old rule, ``wilson_design``):
the chances of passed, failed and inconclusive at any true pass rate, and the expected sessions.
Pure, standard library only; the tests check it against SciPy and a simulation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from statistics import NormalDist
from typing import Literal

from pytest_amigo.judging.stats import wilson_interval

Spending = Literal["obrien-fleming", "pocock"]
SPENDING: tuple[Spending, ...] = ("obrien-fleming", "pocock")
Stop = Literal["passed", "failed", "inconclusive"]
StopWhy = Literal["efficacy", "failure", "futility", "final"]
FUTILITY = 0.1
DEFAULT_SPENDING: Spending = "pocock"


def spent(t: float, alpha: float, spending: Spending = "obrien-fleming") -> float:
    """The alpha a spending function allows by the share ``t`` of the maximum sessions."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if t <= 0:
        return 0.0
    if t >= 1:
        return alpha
    if spending == "obrien-fleming":
        z = NormalDist().inv_cdf(1 - alpha / 2)
        return 2 - 2 * NormalDist().cdf(z / math.sqrt(t))
    if spending == "pocock":
        return alpha * math.log(1 + (math.e - 1) * t)
    raise ValueError(f"spending must be one of {', '.join(SPENDING)}, got {spending!r}")


def binomial_pmf(n: int, p: float) -> list[float]:
    """The chances of 0..n passes in ``n`` independent sessions of pass rate ``p``."""
    return [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]


def _step(before: Sequence[float], sessions: int, p: float) -> list[float]:
    """The distribution of the passes after ``sessions`` more (``before``: of the passes so far,
    sub-stochastic: only the paths still going)."""
    pmf = binomial_pmf(sessions, p)
    after = [0.0] * (len(before) + sessions)
    for s, mass in enumerate(before):
        if mass:
            for j, q in enumerate(pmf):
                after[s + j] += mass * q
    return after


@dataclass(frozen=True)
class Look:
    """One look: passes at least ``pass_at`` of ``sessions`` valid ones pass the unit test
    (``sessions + 1``: not at this look), at most ``fail_at`` fail it (-1: not at this look);
    passes from ``futile[0]`` to ``futile[1]`` stop it as inconclusive (none when from > to)."""

    sessions: int
    pass_at: int
    fail_at: int
    futile: tuple[int, int] = (1, 0)


@dataclass(frozen=True)
class Design:
    """Boundaries per look for a minimum pass rate ``rate`` at one-sided level ``alpha``."""

    rate: float
    alpha: float
    looks: tuple[Look, ...]
    spending: Spending | Literal["wilson"] = DEFAULT_SPENDING

    @property
    def max_sessions(self) -> int:
        return self.looks[-1].sessions


def _check_looks(looks: Sequence[int]) -> None:
    if not looks or looks[0] < 1 or any(b <= a for a, b in pairwise(looks)):
        raise ValueError(f"looks must be increasing session counts >= 1, got {list(looks)}")


def _fixed_error(n: int, rate: float, alpha: float) -> float:
    """The error of the fixed design's exact test on ``n`` sessions: the chance, at a pass rate
    of ``rate``, of the fewest passes whose chance is within ``alpha``, or more."""
    tail = 0.0
    for q in reversed(binomial_pmf(n, rate)):
        if tail + q > alpha:
            break
        tail += q
    return tail


def upper_boundary(
    looks: Sequence[int], rate: float, alpha: float, spending: Spending = "obrien-fleming"
) -> list[int]:
    """Per look, the fewest passes that stop with "passed": the least count whose crossing
    chance at a pass rate of ``rate``, added to what the earlier looks spent, stays within the
    spending function (``looks[k] + 1`` where no count does). Looks before the last spend at
    most the fixed design's slack (``alpha`` less the exact error of the fixed test on
    ``looks[-1]`` sessions), so the last boundary is never above the fixed design's."""
    _check_looks(looks)
    total = looks[-1]
    slack = alpha - _fixed_error(total, rate, alpha)
    going: list[float] = [1.0]  # the passes' distribution on paths that have not crossed
    used, previous = 0.0, 0
    boundary: list[int] = []
    for k, n in enumerate(looks):
        going = _step(going, n - previous, rate)
        allowed = alpha if k == len(looks) - 1 else min(slack, spent(n / total, alpha, spending))
        at, tail = n + 1, 0.0
        for s in range(n, -1, -1):
            if used + tail + going[s] > allowed:
                break
            tail += going[s]
            at = s
        used += tail
        going = [m if s < at else 0.0 for s, m in enumerate(going)]
        boundary.append(at)
        previous = n
    return boundary


def lower_boundary(
    looks: Sequence[int], rate: float, alpha: float, spending: Spending = "obrien-fleming"
) -> list[int]:
    """Per look, the most passes that stop with "failed" (-1 where none does): the upper
    boundary of the failed sessions at a failure rate of ``1 - rate``, mirrored."""
    failures = upper_boundary(looks, 1 - rate, alpha, spending)
    return [n - at for n, at in zip(looks, failures, strict=True)]


def design(
    rate: float,
    confidence: float,
    looks: Sequence[int],
    *,
    spending: Spending = DEFAULT_SPENDING,
    futility: float = FUTILITY,
    alternatives: tuple[float, float] | None = None,
) -> Design:
    """The design for a minimum pass rate ``rate`` (0 < rate < 1) at ``--amigo-confidence``
    ``confidence``, looking after ``looks`` cumulative valid sessions (e.g. 5, 10)."""
    if not 0 < rate < 1:
        raise ValueError(f"rate must be in (0, 1) (a rate of 1 is judged exactly), got {rate!r}")
    if not 0.5 <= confidence < 1:
        raise ValueError(f"confidence must be in [0.5, 1), got {confidence!r}")
    alpha = (1 - confidence) / 2
    passes = upper_boundary(looks, rate, alpha, spending)
    fails = lower_boundary(looks, rate, alpha, spending)
    futile = _futility(looks, passes, fails, alternatives or (rate / 2, (rate + 1) / 2), futility)
    out = tuple(Look(n, a, b, f) for n, a, b, f in zip(looks, passes, fails, futile, strict=True))
    return Design(rate, alpha, out, spending)


def _reach(looks: Sequence[int], stop_at: Sequence[int], p: float) -> list[list[float]]:
    """Per look and count of passes, the chance of reaching at least ``stop_at`` passes at that
    look or a later one, at a pass rate of ``p`` (by recursion from the last look back)."""
    chances = [[1.0 if s >= stop_at[-1] else 0.0 for s in range(looks[-1] + 1)]]
    for k in range(len(looks) - 2, -1, -1):
        n, later = looks[k], chances[0]
        pmf = binomial_pmf(looks[k + 1] - n, p)
        here = [
            1.0 if s >= stop_at[k] else sum(q * later[s + j] for j, q in enumerate(pmf))
            for s in range(n + 1)
        ]
        chances.insert(0, here)
    return chances


def _futility(
    looks: Sequence[int],
    passes: Sequence[int],
    fails: Sequence[int],
    alternatives: tuple[float, float],
    floor: float,
) -> list[tuple[int, int]]:
    """Per look, the passes (from, to) that stop as inconclusive: neither "passed" at the pass
    rate ``alternatives[1]`` nor "failed" at ``alternatives[0]`` has a chance of ``floor`` (or
    any chance at all); none at the last look."""
    low, high = alternatives
    reach_pass = _reach(looks, passes, high)
    failures = [n - b for n, b in zip(looks, fails, strict=True)]
    reach_fail = _reach(looks, failures, 1 - low)  # counted in failed sessions
    out = []
    for k, n in enumerate(looks[:-1]):
        futile = [
            s
            for s in range(n + 1)
            if fails[k] < s < passes[k]
            and _unlikely(reach_pass[k][s], floor)
            and _unlikely(reach_fail[k][n - s], floor)
        ]
        out.append((futile[0], futile[-1]) if futile else (1, 0))
    return [*out, (1, 0)]


def _unlikely(chance: float, floor: float) -> bool:
    return chance < floor or chance == 0.0


def wilson_design(rate: float, confidence: float, looks: Sequence[int]) -> Design:
    """Today's rule as a design: the Wilson interval re-checked at every look, as if each were
    the only one (passed when its lower bound reaches ``rate``, failed when its upper bound is
    below), for measuring what it errs."""
    _check_looks(looks)
    out = []
    for n in looks:
        bounds = [wilson_interval(c, n, confidence) for c in range(n + 1)]
        pass_at = next((c for c, (low, _) in enumerate(bounds) if low >= rate), n + 1)
        fail_at = max((c for c, (_, high) in enumerate(bounds) if high < rate), default=-1)
        out.append(Look(n, pass_at, fail_at))
    return Design(rate, (1 - confidence) / 2, tuple(out), "wilson")


@dataclass(frozen=True)
class Decision:
    """What a design decides at one look: a stop (``outcome``, ``why``) or go on (None)."""

    outcome: Stop | None
    why: StopWhy | None
    look: int  # 0-based
    sessions: int
    max_sessions: int

    @property
    def decided(self) -> bool:
        return self.outcome is not None


def decide(plan: Design, look: int, passes: int) -> Decision:
    """The decision at look ``look`` (0-based) with ``passes`` of its sessions passed."""
    here = plan.looks[look]
    if not 0 <= passes <= here.sessions:
        raise ValueError(f"need 0 <= passes <= {here.sessions}, got {passes}")
    last = look == len(plan.looks) - 1
    if passes >= here.pass_at:
        return Decision("passed", "efficacy", look, here.sessions, plan.max_sessions)
    if passes <= here.fail_at:
        return Decision("failed", "failure", look, here.sessions, plan.max_sessions)
    if last:
        return Decision("inconclusive", "final", look, here.sessions, plan.max_sessions)
    if here.futile[0] <= passes <= here.futile[1]:
        return Decision("inconclusive", "futility", look, here.sessions, plan.max_sessions)
    return Decision(None, None, look, here.sessions, plan.max_sessions)


@dataclass(frozen=True)
class Characteristics:
    """A design's exact operating characteristics at one true pass rate."""

    p: float
    passed: float
    failed: float
    inconclusive: float
    expected_sessions: float


def characteristics(plan: Design, p: float) -> Characteristics:
    """The chances of each outcome and the expected sessions when every session passes with
    chance ``p``, summed exactly over the binomial paths through the looks."""
    going: list[float] = [1.0]
    passed = failed = inconclusive = expected = 0.0
    previous = 0
    for k, look in enumerate(plan.looks):
        reaching = sum(going)
        expected += reaching * (look.sessions - previous)
        going = _step(going, look.sessions - previous, p)
        kept = [0.0] * len(going)
        for s, mass in enumerate(going):
            outcome = decide(plan, k, s).outcome
            if outcome == "passed":
                passed += mass
            elif outcome == "failed":
                failed += mass
            elif outcome == "inconclusive":
                inconclusive += mass
            else:
                kept[s] = mass
        going, previous = kept, look.sessions
    return Characteristics(p, passed, failed, inconclusive, expected)


def resample_looks(run_count: int, resample: int, rounds: int) -> tuple[int, ...]:
    """The looks of ``--amigo-resample``: the run's sessions, then ``resample`` more a round."""
    return tuple(run_count + i * resample for i in range(rounds + 1))
