"""Statistics of session evidence: plain functions, standard library only.

Per unit test the evidence is ``n`` valid sessions of which ``c`` passed. These functions say how
much that evidence supports: an interval for the session pass rate (Wilson score), the chance
that ``k`` independent sessions all pass (pass^k, unbiased), and whether two runs differ (Fisher's
exact test). The tests check them against SciPy; the package itself does not need it.
"""

from __future__ import annotations

import math
from statistics import NormalDist

# Probabilities within this relative distance of the observed table's count as "as extreme"
# in Fisher's test (as SciPy does), so ties are not lost to floating point.
_FISHER_TIE = 1 + 1e-7


def _check(c: int, n: int) -> None:
    if n < 0 or not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got c={c}, n={n}")


def wilson_interval(c: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval of the pass rate ``c / n`` at ``confidence`` (e.g. 0.95).

    ``(0.0, 1.0)`` when there is no evidence (``n == 0``)."""
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
    return max(0.0, center - half), min(1.0, center + half)


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


def fisher_exact_p(c1: int, n1: int, c2: int, n2: int) -> float:
    """Two-sided p-value of Fisher's exact test that ``c1 / n1`` and ``c2 / n2`` share a rate.

    The 2x2 table is (passed, not passed) x (first, second); the p-value sums the
    hypergeometric probabilities of every table with the same margins that is no more likely
    than the observed one."""
    _check(c1, n1)
    _check(c2, n2)
    passed, total = c1 + c2, n1 + n2
    if total == 0 or passed in (0, total) or 0 in (n1, n2):
        return 1.0
    denominator = math.comb(total, passed)
    low, high = max(0, passed - n2), min(passed, n1)

    def probability(x: int) -> float:
        return math.comb(n1, x) * math.comb(n2, passed - x) / denominator

    observed = probability(c1)
    p = sum(q for x in range(low, high + 1) if (q := probability(x)) <= observed * _FISHER_TIE)
    return min(1.0, p)
