"""Curtailment (pytest_amigo.judging.curtail): a decided verdict is the one ``verdict.judge``
gives over the full run count, for every completion of the remaining sessions."""

from __future__ import annotations

from functools import cache

import pytest

from pytest_amigo.domain import Criterion
from pytest_amigo.judging.curtail import (
    SoFar,
    StageRule,
    cumulative,
    decide,
    so_far_of,
    stage_sizes,
)
from pytest_amigo.judging.stage_words import curtailed_words, saved_words
from pytest_amigo.judging.verdict import judge
from support.verdict_data import COMPLETION, EMPATHY, evaluation, metric, result, run, spec, unit

RATES = (None, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
MIN_VALID = (None, 3, 0.5, 0.8)


@cache
def fixed(rule: StageRule, passed: int, failed: int, errored: int) -> str:
    """The outcome ``verdict.judge`` gives a run with these sessions (order does not matter)."""
    n = rule.run_count
    assert passed + failed + errored == n
    passes = [True] * passed + [False] * failed  # results for the valid sessions only
    errors: list[str | None] = [None] * (passed + failed) + ["simulator crashed"] * errored
    data = run(
        [spec("ut1", n, [metric("Completion", "m1", COMPLETION)])],
        [result("ut1", [evaluation("m1", passes)], errors)],
    )
    return judge(
        unit("ut1", n), 0, data, min_pass_rate=rule.min_pass_rate, min_valid=rule.min_valid
    ).outcome


def completions(left: int) -> list[tuple[int, int, int]]:
    return [(a, b, left - a - b) for a in range(left + 1) for b in range(left + 1 - a)]


def check_rule(rule: StageRule) -> tuple[int, int]:
    """Every state (passed, failed, errored) so far: decided means every completion agrees;
    undecided means two completions disagree, and none within ``earliest`` more sessions...
    Returns (decided states, states)."""
    n, decided_states, states = rule.run_count, 0, 0
    for done in range(n + 1):
        for p, f, e in completions(done):
            decision = decide(rule, SoFar(p, f, e))
            outcomes = {fixed(rule, p + a, f + b, e + c) for a, b, c in completions(n - done)}
            states += 1
            if decision.decided:
                decided_states += 1
                assert outcomes == {decision.outcome}, (rule, p, f, e, decision)
            else:
                assert len(outcomes) > 1, (rule, p, f, e, outcomes)
                assert 1 <= decision.earliest <= n - done
                _check_earliest(rule, SoFar(p, f, e), decision.earliest)
    return decided_states, states


def _check_earliest(rule: StageRule, so_far: SoFar, earliest: int) -> None:
    """No ``earliest - 1`` more sessions decide; some ``earliest`` more do."""

    def decides(k: int) -> bool:
        return any(
            decide(rule, SoFar(so_far.passed + a, so_far.failed + b, so_far.errored + c)).decided
            for a, b, c in completions(k)
        )

    assert decides(earliest)
    assert not decides(earliest - 1)


@pytest.mark.parametrize("run_count", [1, 2, 3, 4, 5, 7, 10, 12])
@pytest.mark.parametrize("rate", RATES)
def test_decided_equals_the_fixed_verdict_for_every_completion(
    run_count: int, rate: float | None
) -> None:
    for min_valid in MIN_VALID if rate is not None else (None,):
        decided, states = check_rule(StageRule(run_count, rate, min_valid))
        assert 0 < decided <= states


def test_one_failed_session_decides_every_session_must_pass() -> None:
    decision = decide(StageRule(10), SoFar(2, 1, 0))
    assert (decision.outcome, decision.why, decision.remaining) == ("failed", "failed-session", 7)


def test_errored_sessions_keep_every_session_must_pass_undecided() -> None:
    decision = decide(StageRule(10), SoFar(4, 0, 1))
    assert not decision.decided and decision.earliest == 1
    assert decide(StageRule(5), SoFar(4, 0, 1)).outcome == "error"
    assert decide(StageRule(5), SoFar(5, 0, 0)).outcome == "passed"
    assert not decide(StageRule(5), SoFar(4, 0, 0)).decided


def test_a_clear_pass_is_decided_early_under_a_minimum_pass_rate() -> None:
    rule = StageRule(10, 0.5)
    assert decide(rule, SoFar(5, 0, 0)).outcome == "passed"
    assert not decide(rule, SoFar(4, 0, 0)).decided  # 4 of 10: 5 needed at most
    assert decide(rule, SoFar(5, 0, 0)).why == "enough-passes"


def test_too_many_failures_decide_failed_exactly_at_the_threshold() -> None:
    rule = StageRule(10, 0.8)
    assert not decide(rule, SoFar(0, 2, 0)).decided  # 8 of 10 can still pass
    decision = decide(rule, SoFar(0, 3, 0))
    assert (decision.outcome, decision.why) == ("failed", "too-many-failures")


def test_min_valid_sessions_keep_a_unit_test_undecided_or_decide_an_error() -> None:
    rule = StageRule(10, 0.5, min_valid=6)
    assert not decide(rule, SoFar(5, 0, 0)).decided  # 5 valid: all the rest may error
    assert decide(rule, SoFar(6, 0, 0)).outcome == "passed"
    assert not decide(rule, SoFar(0, 0, 4)).decided
    decision = decide(rule, SoFar(0, 0, 5))
    assert (decision.outcome, decision.why) == ("error", "too-few-valid")


def test_more_sessions_than_the_run_count_are_refused() -> None:
    with pytest.raises(ValueError, match="more than the run count"):
        decide(StageRule(3), SoFar(2, 1, 1))
    with pytest.raises(ValueError):
        SoFar(-1, 0)
    with pytest.raises(ValueError):
        StageRule(0)
    with pytest.raises(ValueError):
        StageRule(3, 1.5)


def test_stage_sizes_split_evenly_larger_first() -> None:
    assert stage_sizes(10, 1) == (10,)
    assert stage_sizes(10, 2) == (5, 5)
    assert stage_sizes(10, 3) == (4, 3, 3)
    assert stage_sizes(11, 2) == (6, 5)
    assert stage_sizes(3, 5) == (1, 1, 1)
    assert cumulative((4, 3, 3)) == (4, 7, 10)
    with pytest.raises(ValueError):
        stage_sizes(0, 2)
    with pytest.raises(ValueError):
        stage_sizes(3, 0)


def test_so_far_of_a_verdict_counts_criteria_not_met() -> None:
    criteria = (
        Criterion.from_api("Completion", "m1", COMPLETION),
        Criterion.from_api("Empathy", "m2", EMPATHY),
    )
    metrics = [metric("Completion", "m1", COMPLETION), metric("Empathy", "m2", EMPATHY)]
    data = run(
        [spec("ut1", 4, metrics)],
        [
            result(
                "ut1",
                [evaluation("m1", [True] * 3), evaluation("m2", [True, False, False])],
                [None, None, None, "boom"],
            )
        ],
    )
    verdict = judge(unit("ut1", 4, *criteria), 0, data)
    so_far = so_far_of(verdict)
    assert (so_far.passed, so_far.failed, so_far.errored) == (1, 2, 1)
    assert so_far.failed_criteria == (("Empathy", 2),)
    decision = decide(StageRule(10), so_far)
    assert curtailed_words(StageRule(10), so_far, decision) == (
        "decided after 4 of 10 sessions: 2 failed Empathy, which every session must meet"
    )


@pytest.mark.parametrize(
    ("rule", "so_far", "words"),
    [
        (
            StageRule(10),
            SoFar(4, 0, 0),
            "undecided after 4 of 10 sessions: at least 1 more session needed",
        ),
        (StageRule(4), SoFar(4, 0, 0), "decided after all 4 sessions"),
        (
            StageRule(10),
            SoFar(3, 1, 0),
            "decided after 4 of 10 sessions: 1 session failed, which every session must meet",
        ),
        (
            StageRule(10, 0.5),
            SoFar(5, 0, 0),
            "decided after 5 of 10 sessions: 5 passed, and the minimum pass rate of 50% "
            "needs at most 5 whatever the other 5 do",
        ),
        (
            StageRule(10, 0.8),
            SoFar(2, 3, 0),
            "decided after 5 of 10 sessions: 3 failed, so at most 7 of 10 can pass and the "
            "minimum pass rate of 80% needs 8",
        ),
        (
            StageRule(10, 0.5, 6),
            SoFar(0, 0, 5),
            "decided after 5 of 10 sessions: 5 errored, so at most 5 can be valid and "
            "amigo_min_valid_sessions needs 6",
        ),
        (
            StageRule(10, 0.8),
            SoFar(1, 0, 0),
            "undecided after 1 of 10 sessions: at least 3 more sessions needed",
        ),
    ],
)
def test_curtailed_words(rule: StageRule, so_far: SoFar, words: str) -> None:
    assert curtailed_words(rule, so_far, decide(rule, so_far)) == words


def test_saved_words() -> None:
    assert saved_words(34, 100) == "stages saved 34 of 100 sessions (34%)"
    assert saved_words(0, 0) == "stages saved 0 of 0 sessions"


def test_the_property_check_notices_a_wrong_decision() -> None:
    """The enumeration is strong enough to catch an off-by-one (a guard on the test itself)."""
    rule = StageRule(6, 0.5)
    outcomes = {fixed(rule, 2 + a, 0 + b, c) for a, b, c in completions(4)}
    assert len(outcomes) > 1  # 2 of 6 passed: not yet decided, as decide says
    assert not decide(rule, SoFar(2, 0, 0)).decided


def test_too_few_valid_sessions_without_any_errored_is_an_error_not_a_crash() -> None:
    """amigo_min_valid_sessions above the run count: judged an error (it used to raise)."""
    data = run(
        [spec("ut1", 2, [metric("Completion", "m1", COMPLETION)])],
        [result("ut1", [evaluation("m1", [True, True])], [None, None])],
    )
    verdict = judge(unit("ut1", 2), 0, data, min_pass_rate=0.5, min_valid=3)
    assert (verdict.outcome, verdict.error_kind) == ("error", "too-few-valid")
    assert verdict.reason.endswith(
        "needs at least 3 (amigo_min_valid_sessions); no session errored"
    )
