"""Statistics of session evidence: plain functions, standard library only.

Per unit test the evidence is ``n`` valid sessions of which ``c`` passed. These functions say how
much that evidence supports: an interval for the session pass rate (Wilson score), the chance
that ``k`` independent sessions all pass (pass^k, unbiased), and whether two runs differ (Fisher's
exact test). For an A/B comparison in one job (a candidate agent against a concurrent
reference) they also say whether the candidate is worse (one-sided Fisher per unit test,
Cochran-Mantel-Haenszel across unit tests), adjust per-unit-test p-values for multiplicity (Holm,
Benjamini-Hochberg), and how large a drop the session counts can detect at all. The tests check
them against SciPy and statsmodels; the package itself needs neither.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import accumulate
from statistics import NormalDist
from typing import Literal

Alternative = Literal["two-sided", "less", "greater"]

# Probabilities within this relative distance of the observed table's count as "as extreme"
# in Fisher's test (as SciPy does), so ties are not lost to floating point.
_FISHER_TIE = 1 + 1e-7


def _check(c: int, n: int) -> None:
    if n < 0 or not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got c={c}, n={n}")


def _check_alternative(alternative: str) -> None:
    if alternative not in ("two-sided", "less", "greater"):
        raise ValueError(f"alternative must be two-sided, less or greater, got {alternative!r}")


def wilson_interval(c: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval of the pass rate ``c / n`` at ``confidence`` (e.g. 0.95).

    ``(0.0, 1.0)`` when there is no evidence (``n == 0``). The bound at an end is exact: the
    upper bound of ``n / n`` is 1 and the lower bound of ``0 / n`` is 0 (the formula gives them
    exactly, floating point gives 0.9999999999999999 or 5.6e-17 for some ``n``)."""
    _check(c, n)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if n == 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = c / n
    denominator = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if c == 0 else max(0.0, center - half)
    high = 1.0 if c == n else min(1.0, center + half)
    return low, high


def pass_hat_k(c: int, n: int, k: int) -> float:
    """pass^k: the chance that ``k`` independent sessions all pass, estimated without bias from
    ``c`` passes in ``n`` sessions as C(c, k) / C(n, k) (Yao et al., 2024, tau-bench)."""
    _check(c, n)
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")
    return math.comb(c, k) / math.comb(n, k)


def default_k(n: int, preferred: int = 4) -> int:
    """The k reported by default: ``preferred`` when there are that many sessions, else n."""
    return min(preferred, n) if n else 0


def reliability(c: int, n: int, preferred_k: int = 4) -> tuple[int, float, float] | None:
    """``(k, pass^1, pass^k)`` of ``c`` passes in ``n`` valid sessions; None without sessions."""
    if n <= 0:
        return None
    k = default_k(n, preferred_k)
    return k, pass_hat_k(c, n, 1), pass_hat_k(c, n, k)


def fisher_exact_p(
    c1: int, n1: int, c2: int, n2: int, alternative: Alternative = "two-sided"
) -> float:
    """p-value of Fisher's exact test that ``c1 / n1`` and ``c2 / n2`` share a rate.

    The 2x2 table is (passed, not passed) x (first, second). Conditional on its margins the first
    group's passes follow a hypergeometric law; the p-value sums the probabilities of the tables:

    - ``"two-sided"`` (default): no more likely than the observed one. For "do two runs differ",
      where neither run is the reference in advance and a change either way is news.
    - ``"less"``: with at most ``c1`` first-group passes, i.e. small when the first group's pass
      rate is lower. The A/B gate passes the candidate first and the reference second: it asks
      only "is the candidate worse", so all of alpha goes to that side (more power than two-sided
      at the same alpha, and an improvement never fails the gate).
    - ``"greater"``: with at least ``c1``: small when the first group's pass rate is higher.

    1.0 when a row or column of the table is empty (only one table has those margins)."""
    _check(c1, n1)
    _check(c2, n2)
    _check_alternative(alternative)
    passed, total = c1 + c2, n1 + n2
    if total == 0 or passed in (0, total) or 0 in (n1, n2):
        return 1.0
    denominator = math.comb(total, passed)
    low, high = max(0, passed - n2), min(passed, n1)

    def probability(x: int) -> float:
        return math.comb(n1, x) * math.comb(n2, passed - x) / denominator

    if alternative == "less":
        p = sum(probability(x) for x in range(low, c1 + 1))
    elif alternative == "greater":
        p = sum(probability(x) for x in range(c1, high + 1))
    else:
        observed = probability(c1)
        tables = range(low, high + 1)
        p = sum(q for x in tables if (q := probability(x)) <= observed * _FISHER_TIE)
    return min(1.0, p)


def _ascending(p_values: Sequence[float]) -> list[int]:
    """The indices of ``p_values`` from the smallest p-value up, after checking each is one."""
    for p in p_values:
        if not 0.0 <= p <= 1.0:  # also refuses NaN
            raise ValueError(f"p-values must be in [0, 1], got {p!r}")
    return sorted(range(len(p_values)), key=p_values.__getitem__)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given.

    The i-th smallest (from 0) of ``m`` p-values is multiplied by ``m - i``, the running maximum
    keeps the adjusted values in the p-values' order, and none exceeds 1. Rejecting where the
    adjusted value is at most alpha controls the family-wise error rate (the chance of flagging
    any unit test that is not worse) at alpha, under any dependence: for a gate that fails the
    job on a single flagged unit test."""
    order = _ascending(p_values)
    adjusted = [1.0] * len(order)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), in the order given.

    The i-th smallest (from 1) of ``m`` p-values is multiplied by ``m / i``; the running minimum
    from the largest down keeps them in the p-values' order, and none exceeds 1. Rejecting where
    the adjusted value is at most alpha controls the false discovery rate (the expected share of
    flagged unit tests that are not worse) at alpha for independent or positively dependent
    tests: for listing which unit tests look worse, where a few false leads are acceptable."""
    order = _ascending(p_values)
    adjusted = [1.0] * len(order)
    running = 1.0
    for rank in reversed(range(len(order))):
        index = order[rank]
        running = min(running, p_values[index] * len(order) / (rank + 1))
        adjusted[index] = running
    return adjusted


def cochran_mantel_haenszel(
    tables: Iterable[Sequence[Sequence[int]]], alternative: Alternative = "two-sided"
) -> tuple[float, float]:
    """``(statistic, p_value)`` of the Cochran-Mantel-Haenszel test that the odds of passing are
    the same for the candidate and the reference in every stratum (unit test).

    Each table is ``((candidate passed, candidate failed), (reference passed, reference failed))``.
    Pooling the strata keeps each unit test's own difficulty out of the comparison (Simpson's
    paradox), and many small unit tests add up to evidence none has alone. With ``D`` the sum
    over strata of candidate passes minus their expectation given the margins, and ``V`` the
    sum of their hypergeometric variances, the statistic is ``max(0, |D| - 1/2)^2 / V``: chi-square
    with one degree of freedom, with the continuity correction. The correction never pushes
    ``|D|`` past zero (as in R's ``chisq.test`` and SciPy's ``chi2_contingency``), so ``|D| < 1/2``
    gives 0 and p = 1; statsmodels' ``test_null_odds(correction=True)`` squares ``|D| - 1/2``
    there, which makes a perfectly balanced table look like some evidence.

    ``alternative``: ``"two-sided"`` (default) is the chi-square tail; ``"less"`` (the candidate
    passes less often, the A/B gate's question) is the normal tail ``Phi((D + 1/2) / sqrt(V))``
    and ``"greater"`` its mirror, so the two-sided p is twice the smaller one-sided p, capped at 1.
    The statistic is the same for all three; the sign of ``D`` is in the one-sided p.

    A stratum with zero variance (an empty row or column: fewer than two sessions, or every
    session passed or every one failed) is fixed by its margins and contributes nothing. With no
    informative stratum there is no evidence of a difference: ``(0.0, 1.0)``, as
    :func:`fisher_exact_p` returns 1.0 for such a table."""
    _check_alternative(alternative)
    deviation = variance = 0.0
    for table in tables:
        if len(table) != 2 or any(len(row) != 2 for row in table):
            raise ValueError(f"each stratum must be a 2x2 table, got {table!r}")
        (a, b), (c, d) = table
        _check(a, a + b)
        _check(c, c + d)
        n = a + b + c + d
        stratum_variance = (a + b) * (c + d) * (a + c) * (b + d) / (n * n * (n - 1)) if n > 1 else 0
        if stratum_variance > 0:
            deviation += a - (a + b) * (a + c) / n
            variance += stratum_variance
    if variance == 0:
        return 0.0, 1.0
    statistic = max(0.0, abs(deviation) - 0.5) ** 2 / variance
    if alternative == "two-sided":
        return statistic, math.erfc(math.sqrt(statistic / 2))
    toward = deviation if alternative == "less" else -deviation
    return statistic, NormalDist().cdf((toward + 0.5) / math.sqrt(variance))


def _binomial_pmf(n: int, p: float) -> list[float]:
    """The probabilities of 0..n successes in ``n`` independent trials of chance ``p``."""
    return [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]


def _most_passes_flagged(n_candidate: int, c_reference: int, n_reference: int, alpha: float) -> int:
    """The most candidate passes at which the one-sided Fisher test (``"less"``) still flags the
    candidate as worse than ``c_reference`` of ``n_reference``, or -1 if no count is flagged.

    Fisher's test is Barnard-convex (fewer candidate passes never raise its p-value; the tests
    check it), so the flagged counts are 0..that number and a binary search finds it."""
    low, high = -1, n_candidate  # flagged(low) holds (or low == -1); the answer is <= high
    while low < high:
        middle = (low + high + 1) // 2
        p = fisher_exact_p(middle, n_candidate, c_reference, n_reference, "less")
        low, high = (middle, high) if p <= alpha * _FISHER_TIE else (low, middle - 1)
    return low


def detectable_drop(
    n_candidate: int,
    n_reference: int,
    alpha: float = 0.05,
    power: float = 0.8,
    baseline: float = 1.0,
) -> float:
    """The smallest drop in the session pass rate, from ``baseline`` (the reference's rate) to
    ``baseline - drop`` (the candidate's), that the A/B gate detects with chance ``power``.

    The gate flags a unit test when the one-sided Fisher p-value (``"less"``, candidate first) of
    its ``n_candidate`` and ``n_reference`` sessions is at most ``alpha``, within floating point
    (0 of 3 against 3 of 3 has p = 1/20 exactly, which SciPy computes as 0.05000000000000001).
    The chance of that is summed exactly over the binomial outcomes of both (fine up to a few
    hundred sessions each); it grows with the drop, and a bisection finds where it reaches
    ``power`` (to about 1e-12, rounded up). What a report can say: "run_count 3: only a drop from
    100% to below 7% would be detected", with 7% = baseline - drop.

    Fisher's test is discrete, so the drop is not monotone in the session counts: 4 and 4 need a
    larger drop than 3 and 3 (only 0 of 4 is flagged; 1 of 4 against 4 of 4 has p = 0.071).
    Doubling both lowers it (checked up to 40 each), as do a larger ``alpha`` and smaller ``power``.

    ``math.inf`` when even a drop to a pass rate of 0 is not detected with that chance (too few
    sessions), so no real drop compares as detectable; 0.0 if no drop is needed (power <= the
    test's size)."""
    _check(0, n_candidate)
    _check(0, n_reference)
    if not (0 < alpha < 1 and 0 < power < 1 and 0 <= baseline <= 1):
        raise ValueError(
            f"need 0 < alpha, power < 1 and 0 <= baseline <= 1, got {(alpha, power, baseline)}"
        )
    # Weight of each "most passes flagged" threshold: the chance of the reference's count.
    weights: dict[int, float] = {}
    for c, chance in enumerate(_binomial_pmf(n_reference, baseline)):
        threshold = _most_passes_flagged(n_candidate, c, n_reference, alpha)
        weights[threshold] = weights.get(threshold, 0.0) + chance

    def detected(drop: float) -> bool:
        cumulative = [0.0, *accumulate(_binomial_pmf(n_candidate, max(0.0, baseline - drop)))]
        return sum(w * cumulative[t + 1] for t, w in weights.items()) >= power

    if not detected(baseline):
        return math.inf
    low, high = 0.0, baseline  # detected(high) holds
    if detected(low):
        return 0.0
    while high - low > 1e-12:
        middle = (low + high) / 2
        low, high = (low, middle) if detected(middle) else (middle, high)
    return high
