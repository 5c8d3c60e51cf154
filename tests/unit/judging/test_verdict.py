"""Run instance JSON -> verdicts: every rule of pytest_amigo.judging.verdict (reading the run:
test_run_data.py; placing checks on sessions: test_placing.py)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_amigo.domain import Criterion
from pytest_amigo.judging.verdict import Verdict, judge, judge_unfinished, required_sessions
from support.verdict_data import (
    COMPLETION,
    EMPATHY,
    OUTCOME,
    RUN_ID,
    evaluation,
    metric,
    result,
    run,
    spec,
    unit,
)


def one(
    passes: dict[str, list[bool]],
    errors: list[str | None] | None = None,
    *,
    run_count: int = 3,
    kinds: dict[str, dict[str, Any]] | None = None,
    **kw: Any,
) -> Verdict:
    """Judge a single-unit-test run with one criterion per entry of ``passes``."""
    kinds = kinds or {}
    names = {"m1": "Completion", "m2": "Empathy", "m3": "Outcome"}
    defaults = {"m1": COMPLETION, "m2": EMPATHY, "m3": OUTCOME}
    metrics = [metric(names[m], m, kinds.get(m, defaults[m])) for m in passes]
    evals = [evaluation(m, p) for m, p in passes.items()]
    errs = errors if errors is not None else [None] * run_count
    r = run([spec("ut1", run_count, metrics)], [result("ut1", evals, errs)])
    return judge(unit("ut1", run_count), 0, r, **kw)


# --- passing / failing -------------------------------------------------------------------------


def test_all_sessions_meet_all_criteria_passes() -> None:
    v = one({"m1": [True, True, True], "m2": [True, True, True]})
    assert v.outcome == "passed"
    assert v.error_kind is None
    assert (v.sessions_total, v.sessions_valid, v.sessions_passed, v.sessions_required) == (
        3,
        3,
        3,
        3,
    )
    assert v.run_id == RUN_ID
    assert [t.marks for t in v.tallies] == ["✔✔✔", "✔✔✔"]
    assert v.failing_evaluation_ids() == []
    assert "3/3 sessions" in v.reason


def test_boolean_failure_reason_has_marks_and_counts() -> None:
    v = one({"m1": [True, False, True]})
    assert v.outcome == "failed"
    assert v.reason.startswith("Completion ✔✘✔ 2/3")
    assert "1/3 sessions passed" not in v.reason  # 2 of 3 passed
    assert "2/3 sessions passed, needs 3/3" in v.reason
    assert v.failing_evaluation_ids() == ["ev-m1-1"]
    assert [s.passed for s in v.sessions] == [True, False, True]


def test_numerical_and_categorical_failures_list_only_failing_criteria() -> None:
    v = one(
        {"m1": [True, True, True], "m2": [True, True, False], "m3": [False, True, True]},
    )
    assert v.outcome == "failed"
    assert "Empathy ✔✔✘ 2/3" in v.reason
    assert "Outcome ✘✔✔ 2/3" in v.reason
    assert "Completion" not in v.reason
    assert "1/3 sessions passed, needs 3/3" in v.reason
    assert v.failing_evaluation_ids() == ["ev-m2-2", "ev-m3-0"]
    kinds = [t.criterion.kind for t in v.tallies]
    assert kinds == ["boolean", "numerical", "categorical"]


def test_criteria_come_from_the_run_spec_not_the_definition() -> None:
    v = one({"m2": [True, True]}, run_count=2, kinds={"m2": {**EMPATHY, "threshold": 9}})
    assert v.unit_test.run_count == 2
    assert v.unit_test.criteria == (
        Criterion("Empathy", "m2", "numerical", verb=">=", threshold=9),
    )
    assert v.unit_test.name == "Test ut1"


# --- session errors ------------------------------------------------------------------------------


def test_session_error_only_is_an_error() -> None:
    v = one({"m1": [True, True]}, [None, "Simulator crashed", None])
    assert v.outcome == "error"
    assert v.error_kind == "session-error"
    assert v.reason == "session 2 of 3 errored: Simulator crashed"
    assert v.tallies[0].marks == "✔!✔"
    assert v.sessions_valid == 2


def test_failure_plus_error_is_failed_and_mentions_error() -> None:
    v = one({"m1": [False, True]}, [None, None, "boom"])
    assert v.outcome == "failed"
    assert v.tallies[0].marks == "✘✔!"
    assert v.reason.startswith("Completion ✘✔! 1/2")
    assert v.reason.endswith("; 1 session errored")


def test_more_results_than_valid_sessions_is_malformed_never_dropped() -> None:
    # Issue 7.2: zip(strict=False) used to drop the failing pair and pass.
    v = one({"m1": [True, True, False]}, [None, "boom", None], min_pass_rate=0.5)
    assert (v.outcome, v.error_kind) == ("error", "malformed")
    assert "3 results for 2 sessions" in v.reason


def test_all_sessions_errored_default_is_session_error() -> None:
    v = one({"m1": []}, ["a", "b", "c"])
    assert v.outcome == "error"
    assert v.error_kind == "session-error"
    assert v.reason.startswith("all 3 sessions errored")


# --- min pass rate ---------------------------------------------------------------------------


def test_min_pass_rate_passing() -> None:
    v = one({"m1": [True, False, True]}, min_pass_rate=0.6)
    assert v.outcome == "passed"
    assert v.sessions_required == 2
    assert "2/3 sessions passed, needs 2/3" in v.reason
    assert "Completion ✔✘✔ 2/3" in v.reason


def test_min_pass_rate_failing() -> None:
    v = one({"m1": [True, False, False]}, min_pass_rate=0.6)
    assert v.outcome == "failed"
    assert v.sessions_required == 2
    assert "Completion ✔✘✘ 1/3" in v.reason
    assert "1/3 sessions passed, needs 2/3" in v.reason


def test_min_pass_rate_leaves_errored_sessions_out() -> None:
    v = one({"m1": [True, True]}, [None, "boom", None], min_pass_rate=1.0)
    assert v.outcome == "passed"
    assert (v.sessions_valid, v.sessions_required, v.sessions_passed) == (2, 2, 2)
    assert "1 errored session left out" in v.reason


def test_min_pass_rate_all_errored_is_error() -> None:
    v = one({"m1": []}, ["a", "b", "c"], min_pass_rate=0.5)
    assert v.reason.startswith("all 3 sessions errored; session 1: a")
    assert v.outcome == "error"
    assert v.error_kind == "session-error"


@pytest.mark.parametrize(
    ("valid", "rate", "needed"),
    [
        (3, None, 3),
        (3, 0.6, 2),
        (3, 2 / 3, 2),
        (10, 0.7, 7),
        (3, 1.0, 3),
        (0, 0.5, 0),
        (1, 0.01, 1),
    ],
)
def test_required_sessions(valid: int, rate: float | None, needed: int) -> None:
    assert required_sessions(valid, rate) == needed


@pytest.mark.parametrize("rate", [0, -0.1, 1.5])
def test_required_sessions_rejects_bad_rate(rate: float) -> None:
    with pytest.raises(ValueError):
        required_sessions(3, rate)


# --- null results ------------------------------------------------------------------------------


def _null_run(**kw: Any) -> dict[str, Any]:
    return run([spec("ut1", 3, [metric("Completion", "m1", COMPLETION)])], [None], **kw)


def test_no_run_is_pending() -> None:
    v = judge(unit(), 0, None)
    assert v.outcome == "pending"
    assert v.run_id is None


def test_null_result_while_running_is_pending() -> None:
    assert judge(unit(), 0, _null_run(completed=False)).outcome == "pending"


def test_null_result_on_errored_run() -> None:
    v = judge(unit(), 0, _null_run(completed=True, errored=True))
    assert (v.outcome, v.error_kind) == ("error", "run-errored")


def test_null_result_cancelled_by_us() -> None:
    v = judge(unit(), 0, _null_run(completed=True), cancelled_by_us=True)
    assert (v.outcome, v.error_kind) == ("error", "run-cancelled")


def test_null_result_run_ended() -> None:
    v = judge(unit(), 0, _null_run(completed=True))
    assert (v.outcome, v.error_kind) == ("error", "run-ended")
    assert "cancelled outside this session?" in v.reason


def test_partial_result_while_running_is_pending() -> None:
    r = run(
        [spec("ut1", 3, [metric("Completion", "m1", COMPLETION)])],
        [result("ut1", [evaluation("m1", [True])], [None, None, None])],
        completed=False,
    )
    assert judge(unit(), 0, r).outcome == "pending"


# --- result shapes -----------------------------------------------------------------------------


def test_results_only_for_valid_sessions() -> None:
    v = one({"m1": [True, False]}, ["boom", None, None])
    assert v.tallies[0].marks == "!✔✘"
    assert v.failing_evaluation_ids() == ["ev-m1-1"]
    assert v.sessions[2].evaluation_ids == ("ev-m1-1",)


def test_fewer_results_than_sessions_on_a_completed_run_is_an_error_not_a_failure() -> None:
    # Issue 7.2: missing results used to count as "not met" and fail the unit test.
    v = one({"m1": [True]})
    assert (v.outcome, v.error_kind) == ("error", "missing-results")
    assert v.tallies[0].marks == "✔··"
    assert "the run completed without results for Completion (1 of 3 sessions)" in v.reason
    assert one({"m1": [True]}, min_pass_rate=0.3).outcome == "error"


# --- unfinished --------------------------------------------------------------------------------


def test_timeout_names_run_and_missing_sessions() -> None:
    v = judge_unfinished(unit(), 0, _null_run(completed=False), why="timeout", budget_s=600)
    assert v.outcome == "error"
    assert v.error_kind == "timeout"
    assert v.reason == (
        f"no result after 600 s (--amigo-timeout): run {RUN_ID} still running, "
        "unit test 'Test ut1' has no result yet (0/3 sessions reported)"
    )


def test_interrupted_with_partial_result() -> None:
    r = run(
        [spec("ut1", 3, [metric("Completion", "m1", COMPLETION)])],
        [result("ut1", [evaluation("m1", [True])], [None, None, None])],
        completed=False,
    )
    v = judge_unfinished(unit(), 0, r, why="interrupted")
    assert v.error_kind == "interrupted"
    assert v.reason.startswith(f"interrupted: run {RUN_ID} still running")
    assert "1/3 sessions reported" in v.reason
    assert "Completion ✔·· 1/3" in v.reason


def test_timeout_without_run() -> None:
    v = judge_unfinished(unit(), 0, None, why="timeout", budget_s=30)
    assert v.reason == "no result after 30 s (--amigo-timeout): no run was started or attached"


def test_timeout_with_a_created_run_never_seen_names_it_and_the_permission() -> None:
    v = judge_unfinished(unit(), 0, None, why="interrupted", created=RUN_ID)
    assert v.run_id == RUN_ID and v.error_kind == "interrupted"
    assert v.reason == (
        f"interrupted: run {RUN_ID} was created but the runs list never showed it (lists leave "
        "out what the API key's user may not read: check Simulation:GetSimulationUnitTestSetRun);"
        f" report it later with pytest --amigo-run={RUN_ID}"
    )


def test_timeout_with_permission_problem_says_so() -> None:
    v = judge_unfinished(unit(), 0, run([], [], completed=False), why="timeout", budget_s=5)
    assert "lacks Simulation:GetSimulationUnitTestSet" in v.reason
