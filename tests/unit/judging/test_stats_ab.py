"""The A/B statistics (candidate agent against a concurrent reference) against SciPy and
statsmodels: one-sided Fisher, Holm and Benjamini-Hochberg, Cochran-Mantel-Haenszel and the
smallest detectable drop in the pass rate."""

from __future__ import annotations

import gc
import itertools
import math
import random
from collections.abc import Callable, Sequence

import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.multitest import multipletests

from pytest_amigo.judging.stats import (
    benjamini_hochberg,
    cochran_mantel_haenszel,
    detectable_drop,
    fisher_exact_p,
    holm,
)

Table = list[list[int]]


@pytest.mark.parametrize("alternative", ["less", "greater"])
def test_one_sided_fisher_matches_scipy(alternative: str) -> None:
    # Up to 12 sessions a side (the reference's in steps of 2), zero rows and columns included.
    for n1 in range(13):
        for n2 in range(0, 13, 2):
            for c1 in range(n1 + 1):
                for c2 in range(n2 + 1):
                    table = [[c1, n1 - c1], [c2, n2 - c2]]
                    expected = scipy_stats.fisher_exact(table, alternative=alternative).pvalue
                    got = fisher_exact_p(c1, n1, c2, n2, alternative)
                    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), table


def test_one_sided_fisher_asks_whether_the_candidate_is_worse() -> None:
    assert fisher_exact_p(2, 10, 10, 10, "less") < 0.05  # candidate 2/10, reference 10/10
    assert fisher_exact_p(10, 10, 2, 10, "less") == 1.0  # an improvement never fails the gate
    # One side has all of alpha: 6/10 against 10/10 is flagged one-sided but not two-sided.
    assert fisher_exact_p(6, 10, 10, 10, "less") < 0.05 < fisher_exact_p(6, 10, 10, 10)
    with pytest.raises(ValueError):
        fisher_exact_p(1, 2, 1, 2, "lower")


def test_one_sided_fisher_is_barnard_convex() -> None:
    # Fewer candidate passes, or more reference passes, never raise the "less" p-value: the
    # flagged counts are an interval from 0, which detectable_drop's binary search relies on.
    for n1 in range(1, 16):
        for n2 in range(1, 16):
            for c2 in range(n2 + 1):
                p = [fisher_exact_p(c1, n1, c2, n2, "less") for c1 in range(n1 + 1)]
                assert all(a <= b * (1 + 1e-12) for a, b in itertools.pairwise(p))
                if c2 < n2:
                    more = [fisher_exact_p(c1, n1, c2 + 1, n2, "less") for c1 in range(n1 + 1)]
                    assert all(a <= b * (1 + 1e-12) for a, b in zip(more, p, strict=True))


def _p_value_vectors() -> list[list[float]]:
    rng = random.Random(20261206)
    vectors: list[list[float]] = [[0.0], [0.03], [1.0], [0.5, 0.5], [0.0, 1.0, 0.0]]
    for _ in range(300):
        m = rng.randint(1, 40)
        values = [rng.random() ** rng.choice([1, 3, 6]) for _ in range(m)]
        if rng.random() < 0.5:  # ties: rounded values and repeats
            values = [round(v, 1) for v in values] + values[: rng.randint(0, m)]
        if rng.random() < 0.2:
            values[rng.randrange(len(values))] = rng.choice([0.0, 1.0])
        rng.shuffle(values)
        vectors.append(values)
    return vectors


@pytest.mark.parametrize(("adjust", "method"), [(holm, "holm"), (benjamini_hochberg, "fdr_bh")])
def test_adjusted_p_values_match_statsmodels(
    adjust: Callable[[Sequence[float]], list[float]], method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # statsmodels' Holm runs gc.collect() on every call: 50 ms each in a pytest process.
    monkeypatch.setattr(gc, "collect", lambda generation=2: 0)
    for p_values in _p_value_vectors():
        expected = multipletests(p_values, method=method)[1]
        got = adjust(p_values)
        assert got == pytest.approx(list(expected), rel=0, abs=1e-12), p_values
        # In the p-values' order, never below them (but for rounding), never above 1.
        ranked = sorted(zip(p_values, got, strict=True))
        assert all(a[1] <= b[1] for a, b in itertools.pairwise(ranked))
        assert all(p - 1e-15 <= q <= 1.0 for p, q in ranked)
    assert adjust([]) == []
    assert adjust([0.2]) == [0.2]
    for bad in ([0.1, 1.5], [-0.01], [math.nan]):
        with pytest.raises(ValueError):
            adjust(bad)


def test_holm_is_stricter_than_benjamini_hochberg() -> None:
    p_values = [0.01, 0.02, 0.03, 0.04, 0.5]
    assert holm(p_values) == pytest.approx([0.05, 0.08, 0.09, 0.09, 0.5])
    assert benjamini_hochberg(p_values) == pytest.approx([0.05, 0.05, 0.05, 0.05, 0.5])


def _stratum(rng: random.Random, largest: int) -> Table:
    n1, n2 = rng.randint(1, largest), rng.randint(1, largest)
    rate = rng.random()  # each unit test has its own difficulty
    shift = rng.choice([0.0, 0.0, -0.2, -0.4])  # sometimes the candidate is worse
    c1 = sum(rng.random() < rate + shift for _ in range(n1))
    c2 = sum(rng.random() < rate for _ in range(n2))
    return [[c1, n1 - c1], [c2, n2 - c2]]


def _deviation(tables: list[Table]) -> float:
    """Candidate passes minus their expectation given each stratum's margins, summed."""
    return sum(
        a - (a + b) * (a + c) / (a + b + c + d) for (a, b), (c, d) in tables if a + b + c + d
    )


def test_cochran_mantel_haenszel_matches_statsmodels() -> None:
    rng = random.Random(9)
    compared = clamped = 0
    for _ in range(400):
        tables = [_stratum(rng, rng.choice([3, 6, 12])) for _ in range(rng.randint(1, 8))]
        statistic, p_value = cochran_mantel_haenszel(tables)
        if all((a + b) * (c + d) * (a + c) * (b + d) == 0 for (a, b), (c, d) in tables):
            assert (statistic, p_value) == (0.0, 1.0)  # all degenerate; statsmodels divides by 0
            continue
        if abs(_deviation(tables)) < 0.5:
            # The correction stops at zero; statsmodels squares |D| - 1/2 there instead.
            assert (statistic, p_value) == (0.0, 1.0)
            clamped += 1
            continue
        expected = StratifiedTable(tables).test_null_odds(correction=True)
        assert statistic == pytest.approx(expected.statistic, rel=1e-9), tables
        assert p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-12), tables
        compared += 1
    assert compared > 250 and clamped > 10


def test_cochran_mantel_haenszel_of_one_stratum_is_the_yates_chi_square() -> None:
    # One stratum: (n - 1) / n times Pearson's chi-square with Yates' correction, which SciPy
    # also stops at zero: this checks the |D| < 1/2 case against an independent implementation.
    for n1 in range(1, 8):
        for n2 in range(1, 8):
            for c1 in range(n1 + 1):
                for c2 in range(n2 + 1):
                    table = [[c1, n1 - c1], [c2, n2 - c2]]
                    if c1 + c2 in (0, n1 + n2):
                        continue  # an empty column: SciPy refuses, CMH gives (0.0, 1.0)
                    pearson = scipy_stats.chi2_contingency(table, correction=True).statistic
                    expected = pearson * (n1 + n2 - 1) / (n1 + n2)
                    statistic, p_value = cochran_mantel_haenszel([table])
                    assert statistic == pytest.approx(expected, rel=1e-9, abs=1e-12), table
                    assert p_value == pytest.approx(scipy_stats.chi2.sf(expected, 1), rel=1e-9)


def test_cochran_mantel_haenszel_ignores_degenerate_strata() -> None:
    informative = [[[1, 5], [5, 1]], [[2, 4], [4, 2]], [[3, 3], [6, 0]]]
    degenerate = [
        [[0, 0], [0, 0]],  # no sessions
        [[1, 0], [0, 0]],  # one session
        [[0, 0], [3, 2]],  # no candidate sessions
        [[4, 0], [5, 0]],  # every session passed
        [[0, 3], [0, 2]],  # every session failed
    ]
    expected = cochran_mantel_haenszel(informative)
    assert expected[1] < 0.05
    assert cochran_mantel_haenszel(informative + degenerate) == expected
    assert cochran_mantel_haenszel(degenerate[2:] + informative) == expected
    assert StratifiedTable(informative + degenerate[2:]).test_null_odds(
        correction=True
    ).pvalue == pytest.approx(expected[1], rel=1e-9)
    for alternative in ("two-sided", "less", "greater"):
        assert cochran_mantel_haenszel(degenerate, alternative) == (0.0, 1.0)
        assert cochran_mantel_haenszel([], alternative) == (0.0, 1.0)


def test_one_sided_cochran_mantel_haenszel() -> None:
    rng = random.Random(3)
    for _ in range(300):
        tables = [_stratum(rng, 10) for _ in range(rng.randint(1, 6))]
        statistic, two_sided = cochran_mantel_haenszel(tables)
        less = cochran_mantel_haenszel(tables, "less")
        greater = cochran_mantel_haenszel(tables, "greater")
        assert less[0] == greater[0] == statistic
        assert two_sided == pytest.approx(min(1.0, 2 * min(less[1], greater[1])), abs=1e-12)
        deviation = _deviation(tables)
        if deviation <= -0.5:  # the candidate passed less often than expected
            assert less[1] == pytest.approx(two_sided / 2, rel=1e-9, abs=1e-15) and greater[1] > 0.5
        elif deviation >= 0.5:
            assert greater[1] == pytest.approx(two_sided / 2, rel=1e-9, abs=1e-15) and less[1] > 0.5
    # Many unit tests, each a little worse: no one stratum shows it, together they do.
    tables = [[[4, 1], [5, 0]]] * 8
    assert fisher_exact_p(4, 5, 5, 5, "less") == pytest.approx(0.5)
    assert cochran_mantel_haenszel(tables, "less")[1] < 0.01
    assert cochran_mantel_haenszel(tables, "greater")[1] > 0.99


def test_cochran_mantel_haenszel_refuses_what_is_not_a_2x2_table() -> None:
    for bad in ([[1, 2], [3]], [[1, 2]], [[1, 2], [3, 4], [5, 6]], [[-1, 2], [3, 4]]):
        with pytest.raises(ValueError):
            cochran_mantel_haenszel([bad])
    with pytest.raises(ValueError):
        cochran_mantel_haenszel([[[1, 2], [3, 4]]], "both")


def _scipy_power(
    n_candidate: int, n_reference: int, alpha: float, baseline: float, drop: float
) -> float:
    """The chance that one-sided Fisher flags the candidate, by SciPy over all outcomes."""
    candidate = scipy_stats.binom(n_candidate, max(0.0, baseline - drop))
    reference = scipy_stats.binom(n_reference, baseline)
    flagged = 0.0
    for c1 in range(n_candidate + 1):
        for c2 in range(n_reference + 1):
            table = [[c1, n_candidate - c1], [c2, n_reference - c2]]
            p = scipy_stats.fisher_exact(table, alternative="less").pvalue
            if p <= alpha * (1 + 1e-9):  # p = alpha exactly, e.g. 1/20 as 0.05000000000000001
                flagged += candidate.pmf(c1) * reference.pmf(c2)
    return flagged


@pytest.mark.parametrize(
    ("n_candidate", "n_reference", "alpha", "power", "baseline"),
    [
        (3, 3, 0.05, 0.8, 1.0),
        (4, 4, 0.05, 0.8, 1.0),
        (5, 5, 0.05, 0.8, 1.0),
        (10, 10, 0.05, 0.8, 1.0),
        (4, 9, 0.05, 0.8, 1.0),
        (9, 4, 0.1, 0.9, 1.0),
        (8, 8, 0.05, 0.8, 0.9),
        (10, 7, 0.05, 0.5, 0.75),
    ],
)
def test_detectable_drop_matches_scipy(
    n_candidate: int, n_reference: int, alpha: float, power: float, baseline: float
) -> None:
    drop = detectable_drop(n_candidate, n_reference, alpha, power, baseline)
    assert 0 < drop <= baseline
    assert _scipy_power(n_candidate, n_reference, alpha, baseline, drop) >= power - 1e-9
    assert _scipy_power(n_candidate, n_reference, alpha, baseline, drop - 1e-6) < power


def test_detectable_drop_of_too_few_sessions_is_infinite() -> None:
    for counts in [(1, 1), (2, 2), (0, 10), (10, 0), (2, 3), (3, 2)]:
        assert detectable_drop(*counts) == math.inf, counts
        assert _scipy_power(*counts, 0.05, 1.0, 1.0) < 0.8  # even a drop to 0
    assert detectable_drop(3, 3, baseline=0.8) == math.inf  # not certain 3/3 for the reference
    assert detectable_drop(5, 5, baseline=0.0) == math.inf  # nothing to drop from


def test_detectable_drop_of_the_feature_example() -> None:
    # "run_count 3: only a drop from 100% to below 7% would be detected": 0 of 3 against 3 of 3
    # is the one flagged outcome (p = 1/20), so the candidate's rate q needs (1 - q)^3 >= 0.8.
    drop = detectable_drop(3, 3)
    assert 1 - drop == pytest.approx(1 - 0.8 ** (1 / 3), abs=1e-9)
    assert f"{1 - drop:.0%}" == "7%"


def test_detectable_drop_shrinks_with_more_evidence() -> None:
    for baseline in (1.0, 0.9):
        drops = [detectable_drop(n, n, baseline=baseline) for n in (5, 10, 20, 40, 80, 160)]
        assert all(a > b for a, b in itertools.pairwise(drops)), drops
        for n in range(5, 41):  # doubling both sides always helps
            assert detectable_drop(2 * n, 2 * n, baseline=baseline) < detectable_drop(
                n, n, baseline=baseline
            )
    assert detectable_drop(200, 200) < 0.04
    # Not monotone one session at a time: Fisher's test is discrete.
    assert detectable_drop(4, 4) > detectable_drop(3, 3)
    # A looser alpha or a lower power needs a smaller drop.
    for n in (3, 5, 10, 20):
        assert detectable_drop(n, n, alpha=0.2) < detectable_drop(n, n, alpha=0.05), n
        assert detectable_drop(n, n, power=0.5) < detectable_drop(n, n, power=0.8), n
    # ... or the same: 10 and 10 flag the same outcomes at alpha 0.05 as at 0.1.
    assert detectable_drop(10, 10, alpha=0.1) == detectable_drop(10, 10, alpha=0.05)


def test_detectable_drop_refuses_bad_input() -> None:
    for bad in [(-1, 3), (3, 3, 0.0), (3, 3, 0.05, 1.0), (3, 3, 0.05, 0.8, 1.5)]:
        with pytest.raises(ValueError):
            detectable_drop(*bad)
