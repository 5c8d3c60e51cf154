"""Weighing at its edges (issue 28): a minimum pass rate of 1 under a confidence rule, pass^k with
exactly k valid sessions or one, re-sampled evidence under a pass^k-only policy, and the
sentences ``evidence.weigh`` writes, pinned whole."""

from __future__ import annotations

import pytest

from pytest_amigo.judging.evidence import Policy, attention_rank, combine, weigh
from pytest_amigo.judging.stats import reliability
from support.verdict_data import judged

RESAMPLING_RUN = "66cc00000000000000000003"
CONFIDENCES = [0.8, 0.85, 0.9, 0.95, 0.99]
EXACTLY = "a minimum pass rate of 1 is judged exactly: every valid session must pass"


# --- a minimum pass rate of 1 under a confidence rule ----------------------------------------


@pytest.mark.parametrize("confidence", CONFIDENCES)
def test_rate_one_with_confidence_passes_when_every_valid_session_passed(
    confidence: float,
) -> None:
    # No interval's lower bound reaches 1, and the upper bound of n/n came out as
    # 0.9999999999999999 for some n (10/10 at 0.85 was *failed*): judged exactly instead.
    for n in range(1, 41):
        weighed = weigh(judged(n, n, min_pass_rate=1.0), Policy(confidence=confidence))
        assert weighed.outcome == "passed", n
        assert weighed.interval is not None and weighed.interval[1] == 1.0, n
        assert weighed.confidence == confidence


@pytest.mark.parametrize("confidence", CONFIDENCES)
def test_rate_one_with_confidence_fails_on_any_failed_session(confidence: float) -> None:
    for n in range(1, 41):
        weighed = weigh(judged(n - 1, n, min_pass_rate=1.0), Policy(confidence=confidence))
        assert weighed.outcome == "failed", n


def test_rate_one_with_confidence_leaves_out_errored_sessions() -> None:
    verdict = judged(6, 6, errored=2, min_pass_rate=1.0)
    assert verdict.outcome == "passed"
    assert weigh(verdict, Policy(confidence=0.9)).outcome == "passed"


def test_rate_one_with_confidence_says_it_is_judged_exactly() -> None:
    weighed = weigh(judged(10, 10, min_pass_rate=1.0), Policy(confidence=0.85))
    assert weighed.verdict.reason == (
        f"10/10 sessions passed, needs 10/10 (100%); 85% interval 0.83-1.00; {EXACTLY}"
    )
    failed = weigh(judged(9, 10, min_pass_rate=1.0), Policy(confidence=0.85))
    assert failed.verdict.reason == (
        "Completion ✔✔✔✔✔✔✔✔✔✘ 9/10 — 9/10 sessions passed, needs 10/10 (100%); "
        f"85% interval 0.69-0.97; {EXACTLY}"
    )


def test_rate_one_with_confidence_and_pass_k_needs_both() -> None:
    policy = Policy(confidence=0.95, min_pass_k=(4, 0.5))
    assert weigh(judged(10, 10, min_pass_rate=1.0), policy).outcome == "passed"
    assert weigh(judged(9, 10, min_pass_rate=1.0), policy).outcome == "failed"  # pass^4 0.6


def test_a_rate_just_below_one_is_still_decided_on_the_interval() -> None:
    weighed = weigh(judged(10, 10, min_pass_rate=0.99), Policy(confidence=0.95))
    assert weighed.outcome == "inconclusive"  # lower bound 0.72 < 0.99 <= upper bound 1
    assert EXACTLY not in weighed.verdict.reason


# --- pass^k at the edges ---------------------------------------------------------------------


def test_required_pass_k_with_exactly_k_valid_sessions_is_decided() -> None:
    # The natural set-up: run_count 4, pass^4 required.
    passed = weigh(judged(4, 4), Policy(min_pass_k=(4, 0.9)))
    assert passed.outcome == "passed"
    assert passed.verdict.reason == "4/4 sessions passed, pass^4 1.00 >= required 0.90"
    failed = weigh(judged(3, 4), Policy(min_pass_k=(4, 0.9)))
    assert failed.outcome == "failed"
    assert failed.verdict.reason == (
        "Completion ✔✔✔✘ 3/4 — 3/4 sessions passed, pass^4 0.00 < required 0.90"
    )


def test_required_pass_k_inconclusive_reason_in_full() -> None:
    weighed = weigh(judged(3, 3), Policy(min_pass_k=(4, 0.9)))
    assert weighed.outcome == "inconclusive"
    assert weighed.verdict.reason == (
        "inconclusive: only 3 valid sessions: pass^4 needs at least 4; not enough sessions "
        "to decide; raise run_count or use --amigo-resample"
    )


def test_pass_k_is_shown_with_one_valid_session() -> None:
    assert reliability(1, 1) == (1, 1.0, 1.0)
    assert reliability(0, 1) == (1, 0.0, 0.0)
    assert reliability(0, 0) is None
    assert weigh(judged(1, 1), Policy()).pass_k == (1, 1.0, 1.0)


def test_required_pass_k_at_the_required_value_passes() -> None:
    # pass^2 of 3/4 is 3/6 = 0.5 exactly: at the requirement, not below it.
    weighed = weigh(judged(3, 4), Policy(min_pass_k=(2, 0.5)))
    assert weighed.outcome == "passed"
    assert weighed.verdict.reason.endswith("3/4 sessions passed, pass^2 0.50 >= required 0.50")


# --- the sentences of weigh, whole -----------------------------------------------------------


def test_confidence_reasons_in_full() -> None:
    policy = Policy(confidence=0.95)
    assert weigh(judged(10, 10, min_pass_rate=0.7), policy).verdict.reason == (
        "10/10 sessions passed, needs 7/10 (70%); 95% interval 0.72-1.00, required 0.70"
    )
    assert weigh(judged(9, 10, min_pass_rate=0.7), policy).verdict.reason == (
        "inconclusive: 9/10 sessions, 95% interval 0.60-0.98, required 0.70: not enough "
        "sessions to decide; raise run_count or use --amigo-resample"
    )
    assert weigh(judged(2, 10, min_pass_rate=0.7), policy).verdict.reason == (
        "Completion ✔✔✘✘✘✘✘✘✘✘ 2/10 — 2/10 sessions passed, needs 7/10 (70%); "
        "95% interval 0.06-0.51 below the required 0.70"
    )


def test_confidence_names_a_fractional_confidence_as_written() -> None:
    weighed = weigh(judged(10, 10, min_pass_rate=0.5), Policy(confidence=0.975))
    assert "; 97.5% interval 0.67-1.00, required 0.50" in weighed.verdict.reason


# --- re-sampled evidence under a pass^k-only policy ------------------------------------------


def test_combine_without_a_minimum_pass_rate_needs_every_session() -> None:
    combined = combine(judged(2, 3), judged(3, 3, run_id=RESAMPLING_RUN))
    assert combined.outcome == "failed"
    assert combined.sessions_required == 6
    assert combined.reason == (
        f"Completion ✔✔✘✔✔✔ 5/6 — 5/6 sessions passed (with re-sampling run {RESAMPLING_RUN}), "
        "needs 6/6 (every session)"
    )
    all_passed = combine(judged(3, 3), judged(3, 3, run_id=RESAMPLING_RUN))
    assert all_passed.outcome == "passed"


def test_combined_evidence_under_pass_k_only_is_decided_by_pass_k() -> None:
    first = judged(3, 3)
    assert weigh(first, Policy(min_pass_k=(4, 0.5))).outcome == "inconclusive"
    combined = combine(first, judged(2, 3, run_id=RESAMPLING_RUN))
    weighed = weigh(combined, Policy(min_pass_k=(4, 0.3)))  # pass^4 of 5/6 = 5/15
    assert weighed.outcome == "passed"
    assert weighed.verdict.reason.endswith("5/6 sessions passed, pass^4 0.33 >= required 0.30")


def test_confidence_and_pass_k_reasons_are_joined_in_order() -> None:
    policy = Policy(confidence=0.95, min_pass_k=(4, 0.9))
    weighed = weigh(judged(10, 10, min_pass_rate=0.7), policy)
    assert weighed.verdict.reason == (
        "10/10 sessions passed, needs 7/10 (70%); 95% interval 0.72-1.00, required 0.70; "
        "pass^4 1.00 >= required 0.90"
    )


def test_both_open_questions_are_said_when_neither_rule_can_decide() -> None:
    policy = Policy(confidence=0.95, min_pass_k=(4, 0.9))
    weighed = weigh(judged(3, 3, min_pass_rate=0.7), policy)
    assert weighed.outcome == "inconclusive"
    advice = "not enough sessions to decide; raise run_count or use --amigo-resample"
    assert weighed.verdict.reason == (
        f"inconclusive: 3/3 sessions, 95% interval 0.44-1.00, required 0.70: {advice}; "
        f"only 3 valid sessions: pass^4 needs at least 4; {advice}"
    )


def test_combine_of_runs_where_every_session_errored_is_a_session_error() -> None:
    combined = combine(judged(0, 0, errored=2), judged(0, 0, errored=3, run_id=RESAMPLING_RUN))
    assert (combined.outcome, combined.error_kind) == ("error", "session-error")
    assert combined.reason == "all 2 sessions errored; session 1: simulator crashed"


def test_combine_adds_up_the_assumed_placements() -> None:
    first, more = judged(2, 3), judged(1, 3, run_id=RESAMPLING_RUN)
    assert (first.assumed_placements, more.assumed_placements) == (1, 2)
    assert combine(first, more).assumed_placements == 3


def test_combine_without_a_failing_criterion_states_the_counts_alone() -> None:
    combined = combine(judged(2, 2), judged(3, 3, run_id=RESAMPLING_RUN))
    assert combined.reason == (
        f"5/5 sessions passed (with re-sampling run {RESAMPLING_RUN}), needs 5/5 (every session)"
    )


# --- the order a report lists unit tests in --------------------------------------------------


def test_attention_rank_puts_a_regression_first_then_by_outcome() -> None:
    outcomes = ["passed", "xpassed", "error", "failed", "xfailed", "inconclusive"]
    ranked = sorted(outcomes, key=attention_rank)
    assert ranked == ["failed", "inconclusive", "error", "xfailed", "passed", "xpassed"]
    assert [attention_rank(o) for o in ranked] == [1, 2, 3, 4, 5, 6]
    assert attention_rank("passed", "regressed") == 0
    assert attention_rank("failed", "still-failing") == attention_rank("failed") == 1
