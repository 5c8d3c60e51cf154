"""The group-sequential design (pytest_amigo.judging.sequential) against independent
computations: SciPy's binomial for single looks and spending, brute-force path enumeration for
several looks, and a seeded Monte Carlo simulation (numpy) of the whole rule."""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest
from scipy.stats import binom, norm

from pytest_amigo.judging.sequential import (
    Design,
    Look,
    characteristics,
    decide,
    design,
    lower_boundary,
    resample_looks,
    spent,
    upper_boundary,
    wilson_design,
)
from pytest_amigo.judging.stage_words import sequential_words

ALPHA = 0.025


def test_spending_functions_match_their_formulas() -> None:
    z = norm.ppf(1 - ALPHA / 2)
    for t in (0.1, 0.25, 0.5, 0.75, 0.9):
        assert spent(t, ALPHA, "obrien-fleming") == pytest.approx(2 - 2 * norm.cdf(z / t**0.5))
        assert spent(t, ALPHA, "pocock") == pytest.approx(ALPHA * np.log(1 + (np.e - 1) * t))
    assert spent(0, ALPHA) == 0.0
    assert spent(1, ALPHA, "pocock") == ALPHA
    assert spent(1.5, ALPHA, "obrien-fleming") == ALPHA
    with pytest.raises(ValueError):
        spent(0.5, ALPHA, "linear")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        spent(0.5, 0.0)


@pytest.mark.parametrize("n", [5, 10, 17, 30, 40])
@pytest.mark.parametrize("rate", [0.5, 0.7, 0.8, 0.9])
def test_one_look_is_the_exact_binomial_test(n: int, rate: float) -> None:
    """One look: the fewest passes whose upper tail at ``rate`` is within alpha (SciPy)."""
    expected = min((a for a in range(n + 2) if binom.sf(a - 1, n, rate) <= ALPHA), default=n + 1)
    assert upper_boundary([n], rate, ALPHA) == [expected]
    fails = max((b for b in range(-1, n + 1) if binom.cdf(b, n, rate) <= ALPHA), default=-1)
    assert lower_boundary([n], rate, ALPHA) == [fails]


def brute_force_error(looks: tuple[int, ...], boundary: list[int], p: float) -> float:
    """The chance of crossing ``boundary`` at some look, by enumerating every increment."""
    sizes = [b - a for a, b in zip((0, *looks), looks, strict=False)]
    total = 0.0
    for increments in product(*(range(m + 1) for m in sizes)):
        chance = float(
            np.prod([binom.pmf(x, m, p) for x, m in zip(increments, sizes, strict=True)])
        )
        s = 0
        for x, at in zip(increments, boundary, strict=True):
            s += x
            if s >= at:
                total += chance
                break
    return total


@pytest.mark.parametrize("spending", ["obrien-fleming", "pocock"])
@pytest.mark.parametrize(
    ("looks", "rate"), [((5, 10), 0.5), ((4, 8, 12), 0.6), ((6, 12), 0.7), ((3, 6, 9, 12), 0.5)]
)
def test_boundaries_spend_within_the_function_at_every_look(
    looks: tuple[int, ...], rate: float, spending: str
) -> None:
    """Brute force over every path: the alpha spent by each look is within the spending
    function (capped by the fixed design's slack), and the total is within alpha; lowering any
    boundary by one would overspend (the boundary is the least that keeps the promise)."""
    upper = upper_boundary(looks, rate, ALPHA, spending)  # type: ignore[arg-type]
    fixed_error = binom.sf(upper_boundary(looks[-1:], rate, ALPHA)[0] - 1, looks[-1], rate)
    for k in range(len(looks)):
        used = brute_force_error(looks[: k + 1], upper[: k + 1], rate)
        cap = (
            ALPHA
            if k == len(looks) - 1
            else min(
                spent(looks[k] / looks[-1], ALPHA, spending),  # type: ignore[arg-type]
                ALPHA - fixed_error,
            )
        )
        assert used <= cap + 1e-12
        if upper[k] > 0:
            lower = [*upper[:k], upper[k] - 1]
            assert brute_force_error(looks[: k + 1], lower, rate) > cap - 1e-12


def test_the_last_boundary_is_never_above_the_fixed_designs() -> None:
    for rate in (0.5, 0.6, 0.7, 0.8, 0.9):
        for looks in ((10, 20), (10, 20, 30), (10, 20, 30, 40), (5, 10, 15)):
            fixed = upper_boundary(looks[-1:], rate, ALPHA)[0]
            for spending in ("obrien-fleming", "pocock"):
                assert upper_boundary(looks, rate, ALPHA, spending)[-1] <= fixed  # type: ignore[arg-type]


def test_a_published_style_value_one_look_of_ten_at_a_half() -> None:
    """n = 10, rate 0.5, alpha 0.025: 9 passes (P = 11/1024 = 0.0107), 8 would be 0.0547;
    failed at 1 pass or fewer (the mirror)."""
    plan = design(0.5, 0.95, [10])
    assert (plan.looks[0].pass_at, plan.looks[0].fail_at) == (9, 1)
    assert characteristics(plan, 0.5).passed == pytest.approx(11 / 1024)


def simulate(plan: Design, p: float, replications: int, seed: int) -> tuple[float, float, float]:
    """(passed, failed, mean sessions) of ``plan`` by Monte Carlo."""
    rng = np.random.default_rng(seed)
    looks = [look.sessions for look in plan.looks]
    sizes = np.diff([0, *looks])
    increments = rng.binomial(sizes, p, size=(replications, len(sizes)))
    paths = np.cumsum(increments, axis=1)
    passed = failed = sessions = 0
    for path in paths:
        for k, s in enumerate(path):
            decision = decide(plan, k, int(s))
            if decision.decided:
                passed += decision.outcome == "passed"
                failed += decision.outcome == "failed"
                sessions += looks[k]
                break
    return passed / replications, failed / replications, sessions / replications


@pytest.mark.parametrize(("rate", "looks"), [(0.7, (10, 20, 30)), (0.8, (10, 20, 30, 40))])
def test_simulation_agrees_with_the_exact_characteristics(
    rate: float, looks: tuple[int, ...]
) -> None:
    """10,000 seeded replications: the exact chances are within 4 standard errors, and the
    simulated wrong "passed" at a pass rate of exactly the minimum is within alpha + 2 s.e."""
    plan = design(rate, 0.95, looks)
    n = 10_000
    for p in (rate, (rate + 1) / 2, 0.4):
        exact = characteristics(plan, p)
        passed, failed, sessions = simulate(plan, p, n, seed=26)
        for simulated, value in ((passed, exact.passed), (failed, exact.failed)):
            se = max(value * (1 - value), 1e-4) ** 0.5 / n**0.5
            assert abs(simulated - value) <= 4 * se
        assert sessions == pytest.approx(exact.expected_sessions, rel=0.03)
    null_pass, null_fail, _ = simulate(plan, rate, n, seed=7)
    se = (ALPHA * (1 - ALPHA) / n) ** 0.5
    assert null_pass <= ALPHA + 2 * se
    assert null_fail <= ALPHA + 2 * se


@pytest.mark.parametrize("rate", [0.6, 0.7, 0.8, 0.9])
@pytest.mark.parametrize("looks", [(10, 20), (10, 20, 30), (10, 20, 30, 40), (5, 10, 15, 20)])
def test_errors_stay_within_alpha_and_power_within_the_fixed_design(
    rate: float, looks: tuple[int, ...]
) -> None:
    plan = design(rate, 0.95, looks)
    fixed = design(rate, 0.95, looks[-1:])
    at_minimum = characteristics(plan, rate)
    assert at_minimum.passed <= ALPHA and at_minimum.failed <= ALPHA
    alternative = (rate + 1) / 2
    assert (
        characteristics(plan, alternative).passed
        >= characteristics(fixed, alternative).passed - 0.02
    )
    assert characteristics(plan, 0.3).expected_sessions < looks[-1]


def test_the_old_resample_rule_errs_more_than_its_level() -> None:
    """Today's --amigo-resample: the Wilson interval re-checked after each round. Run count 10,
    3 rounds of 10, minimum 0.7 at 95%: it passes a unit test whose pass rate is exactly 0.7
    more often than 2.5% - the design does not."""
    looks = resample_looks(10, 10, 3)
    assert looks == (10, 20, 30, 40)
    old = characteristics(wilson_design(0.7, 0.95, looks), 0.7)
    new = characteristics(design(0.7, 0.95, looks), 0.7)
    assert old.passed > ALPHA
    assert new.passed <= ALPHA
    old_sim, _, _ = simulate(wilson_design(0.7, 0.95, looks), 0.7, 10_000, seed=3)
    assert old_sim == pytest.approx(old.passed, abs=4 * (old.passed / 10_000) ** 0.5)


def test_wilson_design_reads_the_interval() -> None:
    plan = wilson_design(0.5, 0.95, [10])
    assert plan.looks[0] == Look(10, 9, 1)  # 9/10: lower bound 0.596; 8/10: 0.49


def test_decide_at_each_kind_of_stop() -> None:
    plan = Design(0.7, ALPHA, (Look(10, 10, 2, (3, 5)), Look(20, 18, 9)))
    assert decide(plan, 0, 10).outcome == "passed"
    assert decide(plan, 0, 9).outcome is None
    assert decide(plan, 0, 6).outcome is None
    assert (decide(plan, 0, 5).outcome, decide(plan, 0, 5).why) == ("inconclusive", "futility")
    assert decide(plan, 0, 3).why == "futility"
    assert (decide(plan, 0, 2).outcome, decide(plan, 0, 2).why) == ("failed", "failure")
    assert (decide(plan, 1, 17).outcome, decide(plan, 1, 17).why) == ("inconclusive", "final")
    assert decide(plan, 1, 18).why == "efficacy"
    assert decide(plan, 1, 9).outcome == "failed"
    with pytest.raises(ValueError):
        decide(plan, 0, 11)
    words = sequential_words(decide(plan, 0, 4), 4, 2)
    assert words == (
        "stopped for futility at stage 1 of 2 (10 of 20 sessions): 4 passed; neither passing "
        "nor failing was within reach"
    )
    assert sequential_words(decide(plan, 0, 7), 7, 2) == (
        "undecided at stage 1 of 2 (10 of 20 sessions): 7 passed"
    )


def test_invalid_designs_are_refused() -> None:
    with pytest.raises(ValueError):
        design(1.0, 0.95, [10])
    with pytest.raises(ValueError):
        design(0.7, 0.4, [10])
    with pytest.raises(ValueError):
        design(0.7, 0.95, [10, 10])
    with pytest.raises(ValueError):
        design(0.7, 0.95, [])


def reach_by_paths(looks: tuple[int, ...], k: int, s: int, stop_at: list[int], p: float) -> float:
    """The chance of at least ``stop_at[j]`` passes at some look j >= k, from ``s`` at look
    ``k``, by enumerating every increment of the later looks."""
    if s >= stop_at[k]:
        return 1.0
    sizes = [b - a for a, b in zip(looks[k:], looks[k + 1 :], strict=False)]
    total = 0.0
    for increments in product(*(range(m + 1) for m in sizes)):
        chance = float(
            np.prod([binom.pmf(x, m, p) for x, m in zip(increments, sizes, strict=True)])
        )
        passes = s
        for j, x in enumerate(increments, start=k + 1):
            passes += x
            if passes >= stop_at[j]:
                total += chance
                break
    return total


@pytest.mark.parametrize(("rate", "looks"), [(0.7, (5, 10, 15)), (0.6, (4, 8, 12, 16))])
@pytest.mark.parametrize("floor", [0.0, 0.1, 0.3])
def test_futility_stops_exactly_where_neither_outcome_is_within_reach(
    rate: float, looks: tuple[int, ...], floor: float
) -> None:
    """Independent of ``_reach``: a count stops for futility exactly when, by brute force, its
    chance of "passed" at (rate + 1) / 2 and of "failed" at rate / 2 are both below ``floor``
    (or nil)."""
    plan = design(rate, 0.95, looks, futility=floor)
    passes = [look.pass_at for look in plan.looks]
    failures = [look.sessions - look.fail_at for look in plan.looks]
    assert plan.looks[-1].futile == (1, 0)

    def unlikely(chance: float) -> bool:
        return chance < floor or chance <= 1e-15

    for k, look in enumerate(plan.looks[:-1]):
        for s in range(look.fail_at + 1, look.pass_at):
            to_pass = reach_by_paths(looks, k, s, passes, (rate + 1) / 2)
            to_fail = reach_by_paths(looks, k, look.sessions - s, failures, 1 - rate / 2)
            futile = look.futile[0] <= s <= look.futile[1]
            assert futile == (unlikely(to_pass) and unlikely(to_fail)), (k, s, to_pass, to_fail)


def test_futility_saves_sessions_and_costs_no_error() -> None:
    with_futility = design(0.7, 0.95, (10, 20, 30, 40), futility=0.3)
    without = design(0.7, 0.95, (10, 20, 30, 40), futility=0.0)
    assert any(look.futile[0] <= look.futile[1] for look in with_futility.looks)
    at_rate = characteristics(with_futility, 0.7)
    assert at_rate.expected_sessions < characteristics(without, 0.7).expected_sessions
    assert at_rate.passed <= characteristics(without, 0.7).passed <= ALPHA


def test_a_crossing_chance_equal_to_the_allowance_is_allowed() -> None:
    """At rate 0.5, 5 of 5 passes has chance 1/32 exactly: within an alpha of 1/32, not within
    any less; 4 or more has 6/32."""
    assert upper_boundary([5], 0.5, 1 / 32) == [5]
    assert upper_boundary([5], 0.5, 1 / 32 - 1e-9) == [6]
    assert upper_boundary([5], 0.5, 6 / 32) == [4]
    assert lower_boundary([5], 0.5, 1 / 32) == [0]
    assert lower_boundary([5], 0.5, 1 / 32 - 1e-9) == [-1]
