"""Weighing a verdict's evidence: confidence, pass^k, baselines and re-sampling (evidence.py)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from scipy import stats as scipy_stats

from pytest_amigo.judging.evidence import (
    BaselineComparison,
    Policy,
    combine,
    compare,
    transition,
    weigh,
)
from pytest_amigo.judging.run_outcome import RunOutcome
from pytest_amigo.judging.verdict import Verdict, judge
from support.verdict_data import (
    COMPLETION,
    EMPATHY,
    evaluation,
    judged,
    metric,
    result,
    run,
    spec,
    unit,
)

BASELINE_RUN = "66bb00000000000000000002"
RESAMPLING_RUN = "66cc00000000000000000003"


def two_criteria(
    completion: list[bool], empathy: list[bool], *, run_id: str, prefix: str
) -> Verdict:
    """A verdict over two criteria (no session errors) with a 70% minimum pass rate."""
    metrics = [metric("Completion", "m1", COMPLETION), metric("Empathy", "m2", EMPATHY)]
    evals = [evaluation("m1", completion, prefix), evaluation("m2", empathy, prefix)]
    n = len(completion)
    data: dict[str, Any] = run([spec("ut1", n, metrics)], [result("ut1", evals, [None] * n)])
    data["id"] = run_id
    return judge(unit("ut1", n), 0, data, min_pass_rate=0.7)


# --- weigh: no policy ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("passed", "valid", "rate"),
    [(10, 10, None), (9, 10, None), (9, 10, 0.7), (5, 10, 0.7)],
)
def test_without_confidence_or_pass_k_the_verdict_stands(
    passed: int, valid: int, rate: float | None
) -> None:
    verdict = judged(passed, valid, min_pass_rate=rate)
    weighed = weigh(verdict, Policy())
    assert weighed.verdict == verdict
    assert (weighed.outcome, weighed.verdict.reason) == (verdict.outcome, verdict.reason)
    assert (weighed.interval, weighed.confidence) == (None, None)


@pytest.mark.parametrize(("passed", "outcome"), [(10, "passed"), (9, "failed")])
def test_confidence_without_a_minimum_pass_rate_leaves_the_verdict(
    passed: int, outcome: str
) -> None:
    verdict = judged(passed, 10)  # every-session rule: no rate to test the interval against
    weighed = weigh(verdict, Policy(confidence=0.95))
    assert weighed.outcome == outcome
    assert weighed.verdict == verdict
    assert (weighed.interval, weighed.confidence) == (None, None)


# --- weigh: confidence -----------------------------------------------------------------------


def test_confidence_all_ten_passed_is_passed_on_the_lower_bound() -> None:
    weighed = weigh(judged(10, 10, min_pass_rate=0.7), Policy(confidence=0.95))
    assert weighed.outcome == "passed"
    assert weighed.interval is not None
    assert weighed.interval[0] == pytest.approx(0.7225, abs=1e-4)
    assert weighed.interval[0] >= 0.7
    assert weighed.confidence == 0.95
    assert weighed.verdict.reason.endswith("; 95% interval 0.72-1.00, required 0.70")


def test_confidence_nine_of_ten_is_inconclusive() -> None:
    verdict = judged(9, 10, min_pass_rate=0.7)
    assert verdict.outcome == "passed"  # 9 >= ceil(0.7 * 10): the rate alone would pass it
    weighed = weigh(verdict, Policy(confidence=0.95))
    assert weighed.outcome == "inconclusive"
    assert weighed.interval == pytest.approx((0.596, 0.982), abs=1e-3)
    assert weighed.verdict.reason.startswith(
        "inconclusive: 9/10 sessions, 95% interval 0.60-0.98, required 0.70"
    )
    assert "raise run_count or use --amigo-resample" in weighed.verdict.reason


def test_confidence_two_of_ten_is_failed_on_the_upper_bound() -> None:
    weighed = weigh(judged(2, 10, min_pass_rate=0.7), Policy(confidence=0.95))
    assert weighed.outcome == "failed"
    assert weighed.interval is not None
    assert weighed.interval[1] == pytest.approx(0.51, abs=1e-2)
    assert "95% interval 0.06-0.51 below the required 0.70" in weighed.verdict.reason


@pytest.mark.parametrize(
    ("passed", "valid", "outcome"),
    [
        (9, 9, "passed"),  # lower bound 0.7009
        (8, 8, "inconclusive"),  # lower bound 0.6756
        (18, 20, "inconclusive"),  # lower bound 0.6990
        (22, 25, "passed"),  # lower bound 0.7004
        (36, 43, "passed"),  # lower bound 0.7003
        (2, 6, "inconclusive"),  # upper bound 0.700007: not below the rate
        (13, 25, "failed"),  # upper bound 0.6997
        (1, 4, "failed"),  # upper bound 0.6994
    ],
)
def test_confidence_decides_on_the_bound_nearest_the_rate(
    passed: int, valid: int, outcome: str
) -> None:
    weighed = weigh(judged(passed, valid, min_pass_rate=0.7), Policy(confidence=0.95))
    assert weighed.outcome == outcome


@pytest.mark.parametrize("rate", [0.5, 0.7, 0.9])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_confidence_outcome_is_what_scipys_wilson_interval_implies(
    rate: float, confidence: float
) -> None:
    wrong = []
    for n in range(1, 26):
        for c in range(n + 1):
            ci = scipy_stats.binomtest(c, n).proportion_ci(confidence, method="wilson")
            expected = (
                "passed" if ci.low >= rate else "failed" if ci.high < rate else "inconclusive"
            )
            weighed = weigh(judged(c, n, min_pass_rate=rate), Policy(confidence=confidence))
            if weighed.outcome != expected:
                wrong.append((c, n, weighed.outcome, expected))
            assert weighed.interval == pytest.approx((ci.low, ci.high), abs=1e-9)
    assert wrong == []


# --- weigh: pass^k ---------------------------------------------------------------------------


def test_required_pass_k_all_sessions_passed() -> None:
    weighed = weigh(judged(10, 10), Policy(min_pass_k=(4, 0.9)))
    assert weighed.outcome == "passed"
    assert "pass^4 1.00 >= required 0.90" in weighed.verdict.reason


def test_required_pass_k_nine_of_ten_fails() -> None:
    weighed = weigh(judged(9, 10), Policy(min_pass_k=(4, 0.9)))
    assert weighed.outcome == "failed"
    assert "pass^4 0.60 < required 0.90" in weighed.verdict.reason
    assert "9/10 sessions passed" in weighed.verdict.reason
    assert weighed.verdict.reason.startswith("Completion ")  # the failing criterion first


def test_required_pass_k_redecides_an_every_session_failure_that_stays_failed() -> None:
    verdict = judged(19, 20)
    assert verdict.outcome == "failed"
    assert math.comb(19, 4) / math.comb(20, 4) == pytest.approx(0.8)
    weighed = weigh(verdict, Policy(min_pass_k=(4, 0.9)))
    assert weighed.outcome == "failed"
    assert "pass^4 0.80 < required 0.90" in weighed.verdict.reason
    assert "needs 20/20" not in weighed.verdict.reason  # pass^k replaces the every-session rule


def test_required_pass_k_turns_an_every_session_failure_into_a_pass() -> None:
    verdict = judged(39, 40)
    assert verdict.outcome == "failed"
    weighed = weigh(verdict, Policy(min_pass_k=(4, 0.9)))  # pass^4 = 36/40 = 0.9 exactly
    assert weighed.outcome == "passed"
    assert "39/40 sessions passed, pass^4 0.90 >= required 0.90" in weighed.verdict.reason


def test_required_pass_k_with_fewer_valid_sessions_than_k_is_inconclusive() -> None:
    weighed = weigh(judged(3, 3), Policy(min_pass_k=(4, 0.9)))
    assert weighed.outcome == "inconclusive"
    assert weighed.verdict.reason.startswith(
        "inconclusive: only 3 valid sessions: pass^4 needs at least 4"
    )


def test_required_pass_k_does_not_count_errored_sessions() -> None:
    verdict = judged(3, 3, errored=2, min_pass_rate=0.5)  # 5 sessions, 3 valid
    assert verdict.outcome == "passed"
    weighed = weigh(verdict, Policy(min_pass_k=(4, 0.5)))
    assert weighed.outcome == "inconclusive"


@pytest.mark.parametrize(
    ("passed", "rate", "min_pass_k", "outcome"),
    [
        (10, 0.7, (4, 0.9), "passed"),  # rate and pass^4 both hold
        (9, 0.7, (4, 0.9), "failed"),  # rate holds (9 >= 7), pass^4 0.60 does not
        (6, 0.9, (2, 0.1), "failed"),  # pass^2 0.33 holds, rate does not (6 < 9)
    ],
)
def test_required_pass_k_with_a_rate_needs_both(
    passed: int, rate: float, min_pass_k: tuple[int, float], outcome: str
) -> None:
    verdict = judged(passed, 10, min_pass_rate=rate)
    weighed = weigh(verdict, Policy(min_pass_k=min_pass_k))
    assert weighed.outcome == outcome
    assert weighed.verdict.reason.startswith(verdict.reason + "; pass^")


def test_required_pass_k_with_a_rate_keeps_the_rate_reason() -> None:
    verdict = judged(9, 10, min_pass_rate=0.7)
    weighed = weigh(verdict, Policy(min_pass_k=(4, 0.9)))
    assert weighed.verdict.reason == f"{verdict.reason}; pass^4 0.60 < required 0.90"


def test_confidence_and_pass_k_inconclusive_reason_keeps_only_the_open_question() -> None:
    policy = Policy(confidence=0.95, min_pass_k=(2, 0.5))  # pass^2 0.8 holds
    weighed = weigh(judged(9, 10, min_pass_rate=0.7), policy)
    assert weighed.outcome == "inconclusive"
    assert weighed.verdict.reason.startswith("inconclusive: 9/10 sessions, 95% interval")
    assert "pass^2" not in weighed.verdict.reason


# --- weigh: errors and pending ---------------------------------------------------------------


def _error_verdict() -> Verdict:
    verdict = judged(2, 2, errored=1)  # every valid session passed, one errored: an error
    assert verdict.outcome == "error"
    return verdict


def _pending_verdict() -> Verdict:
    verdict = judge(unit("ut1", 3), 0, None)
    assert verdict.outcome == "pending"
    return verdict


@pytest.mark.parametrize("make", [_error_verdict, _pending_verdict], ids=["error", "pending"])
def test_error_and_pending_verdicts_are_returned_unchanged(make: Any) -> None:
    verdict = make()
    policy = Policy(confidence=0.95, min_pass_k=(4, 0.9))
    weighed = weigh(verdict, policy)
    assert weighed.verdict is verdict
    assert (weighed.pass_k, weighed.interval, weighed.confidence) == (None, None, None)


# --- Weighed.pass_k --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("passed", "valid", "policy", "expected"),
    [
        (10, 10, Policy(), (4, 1.0, 1.0)),
        (9, 10, Policy(), (4, 0.9, 126 / 210)),
        (9, 10, Policy(pass_k=2), (2, 0.9, 36 / 45)),
        (2, 3, Policy(), (3, 2 / 3, 0.0)),  # k capped at the 3 valid sessions
        (9, 10, Policy(pass_k=2, min_pass_k=(5, 0.1)), (5, 0.9, 0.5)),  # the required k wins
        (9, 10, Policy(confidence=0.95), (4, 0.9, 126 / 210)),
    ],
)
def test_weighed_pass_k(
    passed: int, valid: int, policy: Policy, expected: tuple[int, float, float]
) -> None:
    weighed = weigh(judged(passed, valid, min_pass_rate=0.5), policy)
    assert weighed.pass_k is not None
    k, first, all_k = weighed.pass_k
    assert k == expected[0]
    assert (first, all_k) == pytest.approx(expected[1:])


def test_weighed_pass_rate() -> None:
    weighed = weigh(judged(3, 4, errored=1, min_pass_rate=0.5), Policy())
    assert weighed.pass_rate == pytest.approx(0.75)
    assert weigh(_pending_verdict(), Policy()).pass_rate is None


# --- transitions -----------------------------------------------------------------------------

NOW = ["passed", "failed", "inconclusive", "error"]
BEFORE: list[str | None] = ["passed", "failed", "inconclusive", "error", "xfailed", None]
TRANSITIONS = {
    # now -> the transition for each baseline outcome, in BEFORE's order
    "passed": ["unchanged", "fixed", "fixed", "unchanged", "fixed", "new"],
    "failed": ["regressed", "still-failing", "still-failing", "unchanged", "still-failing", "new"],
    "inconclusive": [
        "regressed",
        "still-failing",
        "still-failing",
        "unchanged",
        "still-failing",
        "new",
    ],
    "error": ["unchanged", "unchanged", "unchanged", "unchanged", "unchanged", "new"],
}


@pytest.mark.parametrize(
    ("now", "before", "expected"),
    [(now, before, TRANSITIONS[now][i]) for now in NOW for i, before in enumerate(BEFORE)],
)
def test_transition_table(now: str, before: str | None, expected: str) -> None:
    assert transition(now, before) == expected


# --- baseline entries and comparisons --------------------------------------------------------


@pytest.mark.parametrize(
    ("c1", "n1", "c2", "n2"),
    [(3, 10, 10, 10), (9, 10, 3, 10), (5, 10, 5, 10), (2, 10, 8, 10), (0, 3, 3, 3), (7, 9, 1, 12)],
)
def test_compare_p_value_is_fishers_exact_test(c1: int, n1: int, c2: int, n2: int) -> None:
    entry = RunOutcome("passed", c2, n2, BASELINE_RUN)
    comparison = compare("failed", c1, n1, BASELINE_RUN, entry)
    expected = scipy_stats.fisher_exact([[c1, n1 - c1], [c2, n2 - c2]]).pvalue
    assert comparison.p_value == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("valid_now", "valid_before"), [(0, 10), (10, 0), (0, 0)])
def test_compare_without_valid_sessions_on_a_side_has_no_p_value(
    valid_now: int, valid_before: int
) -> None:
    entry = RunOutcome("passed", 0, valid_before, BASELINE_RUN)
    comparison = compare("error", 0, valid_now, BASELINE_RUN, entry)
    assert comparison.p_value is None
    assert comparison.significant is False
    assert "Fisher" not in comparison.words()


@pytest.mark.parametrize(
    ("p_value", "significant"), [(0.01, True), (0.0499, True), (0.05, False), (0.5, False)]
)
def test_significant_is_below_five_percent(p_value: float, significant: bool) -> None:
    entry = RunOutcome("passed", 10, 10, BASELINE_RUN)
    assert BaselineComparison(BASELINE_RUN, "regressed", entry, p_value).significant is significant


def test_regression_words_say_since_when_and_significant() -> None:
    entry = RunOutcome("passed", 10, 10, BASELINE_RUN)
    comparison = compare("failed", 3, 10, BASELINE_RUN, entry)
    assert comparison.transition == "regressed"
    assert comparison.significant
    words = comparison.words()
    assert words.startswith(
        f"regressed since baseline run {BASELINE_RUN} (then: passed, 10/10 sessions passed)"
    )
    # which p-value this is: two-sided and unadjusted (the A/B's is one-sided and adjusted)
    assert "; Fisher p = 0.0031 (two-sided, unadjusted): significant" in words
    assert words.endswith("significant")
    assert comparison.power == ""


def test_words_without_significance_do_not_claim_it() -> None:
    entry = RunOutcome("passed", 10, 10, BASELINE_RUN)
    comparison = compare("failed", 9, 10, BASELINE_RUN, entry)
    assert comparison.transition == "regressed"
    assert not comparison.significant
    assert comparison.words().endswith(
        "; Fisher p = 1 (two-sided, unadjusted): no detectable difference; with 10 sessions now "
        "and 10 then only a drop from 100% to below 42% would be detected"
    )
    assert "significant" not in comparison.words()
    assert comparison.to_json()["power"] == comparison.power


def test_a_baseline_of_two_sessions_says_nothing_could_be_detected() -> None:
    """1/2 then and 1/2 now: no "calm" no-difference, its power beside it."""
    comparison = compare("failed", 1, 2, BASELINE_RUN, RunOutcome("failed", 1, 2, BASELINE_RUN))
    assert comparison.words().endswith(
        "no detectable difference - but with 2 sessions now and 2 then even a drop from 100% to "
        "0% would not be detected"
    )


def test_compare_without_an_entry_is_new() -> None:
    comparison = compare("failed", 3, 10, BASELINE_RUN, None)
    assert comparison == BaselineComparison(BASELINE_RUN, "new")
    assert comparison.words() == f"new: not in baseline run {BASELINE_RUN}"
    assert comparison.to_json() == {
        "run_id": BASELINE_RUN,
        "sessions_passed": None,
        "sessions_valid": None,
        "transition": "new",
        "p_value": None,
        "significant": False,
    }


def test_comparison_to_json() -> None:
    entry = RunOutcome("failed", 2, 10, BASELINE_RUN)
    comparison = compare("passed", 10, 10, BASELINE_RUN, entry)
    data = comparison.to_json()
    assert data["transition"] == "fixed"
    assert (data["run_id"], data["sessions_passed"], data["sessions_valid"]) == (
        BASELINE_RUN,
        2,
        10,
    )
    assert data["p_value"] == pytest.approx(
        scipy_stats.fisher_exact([[10, 0], [2, 8]]).pvalue, abs=1e-9
    )
    assert data["significant"] is True


# --- combine (re-sampling) -------------------------------------------------------------------


def _first_and_more() -> tuple[Verdict, Verdict]:
    first = two_criteria([True, False, True], [True, True, True], run_id="r1", prefix="a")
    more = two_criteria([True, True], [True, True], run_id=RESAMPLING_RUN, prefix="b")
    return first, more


def test_combine_numbers_the_sessions_on() -> None:
    first, more = _first_and_more()
    combined = combine(first, more)
    assert [s.index for s in combined.sessions] == [0, 1, 2, 3, 4]
    assert combined.sessions[3].evaluation_ids == more.sessions[0].evaluation_ids
    assert [s.passed for s in combined.sessions] == [True, False, True, True, True]


def test_combine_sums_tallies_and_concatenates_marks() -> None:
    first, more = _first_and_more()
    combined = combine(first, more)
    assert [(t.criterion.name, t.marks) for t in combined.tallies] == [
        ("Completion", "✔✘✔✔✔"),
        ("Empathy", "✔✔✔✔✔"),
    ]
    assert [(t.passed, t.evaluated, t.valid) for t in combined.tallies] == [(4, 5, 5), (5, 5, 5)]


def test_combine_sums_the_counts() -> None:
    first = judged(2, 3, errored=1, min_pass_rate=0.5)
    more = judged(1, 2, errored=1, min_pass_rate=0.5, run_id=RESAMPLING_RUN)
    combined = combine(first, more)
    assert (
        combined.sessions_total,
        combined.sessions_valid,
        combined.sessions_passed,
        combined.sessions_required,
    ) == (7, 5, 3, 3)
    assert [s.index for s in combined.errored_sessions] == [3, 6]


def test_combine_redecides_the_outcome_by_the_minimum_pass_rate() -> None:
    first, more = _first_and_more()
    assert first.outcome == "failed"  # 2/3 < ceil(0.7 * 3)
    combined = combine(first, more)
    assert combined.outcome == "passed"  # 4/5 >= ceil(0.7 * 5)
    assert combined.sessions_required == 4
    assert combined.run_id == "r1"


def test_combine_reason_names_the_resampling_run() -> None:
    first, more = _first_and_more()
    combined = combine(first, more)
    assert combined.reason == (
        f"Completion ✔✘✔✔✔ 4/5 — 4/5 sessions passed (with re-sampling run {RESAMPLING_RUN}), "
        "needs 4/5 (70%)"
    )


def test_combine_can_still_fail() -> None:
    first = judged(1, 3, min_pass_rate=0.7)
    more = judged(1, 3, min_pass_rate=0.7, run_id=RESAMPLING_RUN)
    combined = combine(first, more)
    assert combined.outcome == "failed"
    assert "2/6 sessions passed" in combined.reason
    assert "needs 5/6 (70%)" in combined.reason


def test_combined_evidence_is_weighed_again() -> None:
    first = judged(9, 10, min_pass_rate=0.7)
    more = judged(10, 10, min_pass_rate=0.7, run_id=RESAMPLING_RUN)
    policy = Policy(confidence=0.95)
    assert weigh(first, policy).outcome == "inconclusive"
    weighed = weigh(combine(first, more), policy)
    assert weighed.outcome == "passed"  # 19/20: lower bound 0.76
    assert weighed.interval == pytest.approx((0.7639, 0.9911), abs=1e-4)


def test_combine_states_the_rate_as_the_verdict_does() -> None:
    first = judged(6, 8, min_pass_rate=0.875)
    assert first.reason.endswith("needs 7/8 (87.5%)")
    combined = combine(first, judged(8, 8, min_pass_rate=0.875, run_id=RESAMPLING_RUN))
    assert combined.reason.endswith("needs 14/16 (87.5%)")
