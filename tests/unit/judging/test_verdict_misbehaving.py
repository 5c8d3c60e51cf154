"""Verdicts when the service misbehaves (issue 7, cases 1-2 and 16): pure functions, no HTTP.

Case 3 (checks placed on sessions) is in test_placing.py, a second listing and control
characters in session errors (cases 16, 13) in test_run_data.py."""

from __future__ import annotations

from pytest_amigo.judging.verdict import judge, required_valid
from support.verdict_data import COMPLETION, EMPATHY, evaluation, metric, result, run, spec, unit

TWO = [metric("Completion", "m1", COMPLETION), metric("Empathy", "m2", EMPATHY)]


def test_errored_run_with_partial_result_is_an_error_naming_the_run_error() -> None:
    # Issue 7.1: 1 of 3 pairs on an errored run used to fail (or pass at a 0.3 rate).
    r = run(
        [spec("ut1", 3, TWO[:1])],
        [result("ut1", [evaluation("m1", [True])], [None, None, None])],
        errored=True,
    )
    for rate in (None, 0.3):
        v = judge(unit("ut1", 3), 0, r, min_pass_rate=rate)
        assert (v.outcome, v.error_kind) == ("error", "run-errored"), rate
        assert v.reason.startswith("the run errored without results for Completion (1 of 3")


def test_cancelled_run_with_partial_result_is_an_error() -> None:
    r = run(
        [spec("ut1", 3, TWO[:1])],
        [result("ut1", [evaluation("m1", [False])], [None, None, None])],
    )
    v = judge(unit("ut1", 3), 0, r, cancelled_by_us=True)
    assert (v.outcome, v.error_kind) == ("error", "run-cancelled")


def test_complete_result_on_an_errored_run_is_judged_and_says_the_run_errored() -> None:
    r = run(
        [spec("ut1", 2, TWO[:1]), spec("ut2", 2, TWO[:1])],
        [result("ut1", [evaluation("m1", [True, True])], [None, None]), None],
        errored=True,
    )
    v = judge(unit("ut1", 2), 0, r)
    assert v.outcome == "passed"
    assert "the run errored; this unit test's results are complete" in v.reason
    assert judge(unit("ut2", 2), 1, r).error_kind == "run-errored"


def test_too_few_valid_sessions_is_an_error() -> None:
    # Issue 7.16: 99 errored sessions and one passing one used to pass at 0.9.
    errors: list[str | None] = ["crash"] * 99 + [None]
    r = run([spec("ut1", 100, TWO[:1])], [result("ut1", [evaluation("m1", [True])], errors)])
    v = judge(unit("ut1", 100), 0, r, min_pass_rate=0.9, min_valid=0.5)
    assert (v.outcome, v.error_kind) == ("error", "too-few-valid")
    assert "1 of 100 did not error, needs at least 50" in v.reason
    assert judge(unit("ut1", 100), 0, r, min_pass_rate=0.9, min_valid=1).outcome == "passed"


def test_required_valid_count_or_share() -> None:
    assert required_valid(10, None) == 0
    assert required_valid(10, 0.5) == 5
    assert required_valid(3, 0.5) == 2
    assert required_valid(10, 3) == 3
    assert required_valid(1, 0.01) == 1
