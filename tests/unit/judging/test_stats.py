"""The statistics of session evidence against SciPy's reference implementations (issue 9)."""

from __future__ import annotations

import math
import re

import pytest
from scipy import stats as scipy_stats

from pytest_amigo.judging.stats import (
    benjamini_hochberg,
    cochran_mantel_haenszel,
    default_k,
    detectable_drop,
    fisher_exact_p,
    holm,
    pass_hat_k,
    reliability,
    wilson_interval,
)

GRID = [(c, n) for n in range(1, 41) for c in range(n + 1)]


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.95, 0.99])
def test_wilson_interval_matches_scipy(confidence: float) -> None:
    for c, n in GRID:
        expected = scipy_stats.binomtest(c, n).proportion_ci(confidence, method="wilson")
        low, high = wilson_interval(c, n, confidence)
        assert low == pytest.approx(expected.low, abs=1e-9), (c, n)
        assert high == pytest.approx(expected.high, abs=1e-9), (c, n)


def test_wilson_interval_of_the_issue_example() -> None:
    # "9/10 sessions, 95% interval 0.60-0.98, required 0.80": inconclusive.
    low, high = wilson_interval(9, 10, 0.95)
    assert (round(low, 2), round(high, 2)) == (0.60, 0.98)


def test_wilson_interval_without_evidence_and_bad_input() -> None:
    assert wilson_interval(0, 0, 0.95) == (0.0, 1.0)
    for bad in [(3, 2, 0.95), (-1, 2, 0.95), (1, 2, 1.0), (1, 2, 0.0)]:
        with pytest.raises(ValueError):
            wilson_interval(*bad)


def test_pass_hat_k_is_the_unbiased_estimator() -> None:
    for c, n in GRID:
        for k in range(1, n + 1):
            expected = math.comb(c, k) / math.comb(n, k)
            assert pass_hat_k(c, n, k) == pytest.approx(expected), (c, n, k)
    assert pass_hat_k(4, 5, 1) == pytest.approx(0.8)  # pass^1 is the pass rate
    assert pass_hat_k(4, 5, 4) == pytest.approx(0.2)  # 4/5 is far from "80% fine"
    with pytest.raises(ValueError):
        pass_hat_k(2, 3, 4)
    assert (default_k(10), default_k(3), default_k(0)) == (4, 3, 0)


def test_pass_hat_k_averages_all_k_subsets() -> None:
    # Unbiased: the mean over every k-subset of the sessions of "all of them passed".
    from itertools import combinations

    sessions = [True, True, False, True, False, True]
    for k in range(1, len(sessions) + 1):
        subsets = list(combinations(sessions, k))
        mean = sum(all(s) for s in subsets) / len(subsets)
        assert pass_hat_k(sum(sessions), len(sessions), k) == pytest.approx(mean)


def test_fisher_exact_p_matches_scipy() -> None:
    for n1 in range(0, 13):
        for n2 in range(0, 13, 3):
            for c1 in range(n1 + 1):
                for c2 in range(n2 + 1):
                    table = [[c1, n1 - c1], [c2, n2 - c2]]
                    expected = scipy_stats.fisher_exact(table, alternative="two-sided").pvalue
                    got = fisher_exact_p(c1, n1, c2, n2)
                    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), table


def test_fisher_exact_p_says_when_a_drop_is_significant() -> None:
    assert fisher_exact_p(10, 10, 2, 10) < 0.05  # 10/10 then 2/10: significant
    assert fisher_exact_p(9, 10, 7, 10) > 0.05  # 9/10 then 7/10: noise


def test_reliability_reports_pass_1_and_pass_k_of_the_valid_sessions() -> None:
    assert reliability(4, 5) == (4, pytest.approx(0.8), pytest.approx(0.2))
    assert reliability(2, 3) == (3, pytest.approx(2 / 3), 0.0)  # k falls back to n
    assert reliability(3, 3, preferred_k=8) == (3, 1.0, 1.0)
    assert reliability(0, 0) is None


@pytest.mark.parametrize("confidence", [0.8, 0.85, 0.9, 0.95, 0.99])
def test_wilson_interval_ends_are_exact(confidence: float) -> None:
    # The formula gives exactly 1 for n/n and 0 for 0/n; floating point gave 0.9999999999999999
    # (10/10 at 0.85: failed against a required 1) or 5.6e-17 for some n (issue 28).
    for n in range(1, 41):
        assert wilson_interval(n, n, confidence)[1] == 1.0, n
        assert wilson_interval(0, n, confidence)[0] == 0.0, n
        assert wilson_interval(n - 1, n, confidence)[1] < 1.0, n  # only n/n reaches 1
        assert wilson_interval(1, n, confidence)[0] > 0.0, n


def test_bad_input_says_what_it_got() -> None:
    # The messages name the rule and the value (issue 28: the checks alone were tested).
    with pytest.raises(ValueError, match=r"^p-values must be in \[0, 1\], got 1\.5$"):
        holm([0.1, 1.5])
    with pytest.raises(ValueError, match=r"^p-values must be in \[0, 1\], got nan$"):
        benjamini_hochberg([math.nan])
    for table in ([[1, 2], [3, 4], [5, 6]], [[1, 2], [3]]):
        with pytest.raises(ValueError, match=r"^each stratum must be a 2x2 table, got "):
            cochran_mantel_haenszel([table])
    with pytest.raises(ValueError, match=r"^need 0 <= c <= n, got c=3, n=2$"):
        wilson_interval(3, 2, 0.95)
    for confidence in (1.0, 1.5):
        message = f"confidence must be in (0, 1), got {confidence!r}"
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            wilson_interval(1, 2, confidence)
    with pytest.raises(ValueError, match=r"^need 1 <= k <= n, got k=4, n=3$"):
        pass_hat_k(2, 3, 4)
    with pytest.raises(
        ValueError, match=r"^alternative must be two-sided, less or greater, got 'both'$"
    ):
        fisher_exact_p(1, 2, 1, 2, "both")  # type: ignore[arg-type]
    rule = r"^need 0 < alpha, power < 1 and 0 <= baseline <= 1, got "
    for alpha, power in ((1.0, 0.8), (1.5, 0.8), (0.05, 0.0), (0.05, 1.0)):
        with pytest.raises(ValueError, match=rule + re.escape(str((alpha, power, 1.0)))):
            detectable_drop(3, 3, alpha=alpha, power=power)


def test_detectable_drop_is_zero_when_the_power_is_below_the_tests_size() -> None:
    # From a 50% reference the test flags some draws with no drop at all: a power of 5% needs none.
    assert detectable_drop(10, 10, alpha=0.5, power=0.05, baseline=0.5) == 0.0
    assert detectable_drop(10, 10, alpha=0.05, power=0.8, baseline=0.5) > 0.0
