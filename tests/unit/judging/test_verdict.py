"""Run instance JSON -> verdicts: every rule of pytest_amigo.judging.verdict."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_amigo.domain import Criterion, UnitTest
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


# --- permissions -------------------------------------------------------------------------------


def test_empty_specs_is_a_permission_error_not_no_tests() -> None:
    v = judge(unit(), 0, run([], []))
    assert v.outcome == "error"
    assert v.error_kind == "permission"
    assert v.missing_permission == "Simulation:GetSimulationUnitTestSet"
    assert "lacks Simulation:GetSimulationUnitTestSet" in v.reason


def test_empty_metrics_to_evaluate_is_a_permission_error() -> None:
    r = run([spec("ut1", 3, [])], [result("ut1", [], [None, None, None])])
    v = judge(unit(), 0, r)
    assert v.error_kind == "permission"
    assert v.missing_permission == "Simulation:GetSimulationUnitTest"


def test_unreadable_definition_and_empty_metrics_is_a_permission_error_not_a_pass() -> None:
    # Collected without Simulation:GetSimulationUnitTest: the definition has no criteria either.
    bare = UnitTest(id="ut1", name="ut1", run_count=3)
    r = run([spec("ut1", 3, [])], [result("ut1", [], [None, None, None])])
    v = judge(bare, 0, r)
    assert v.outcome == "error"
    assert v.missing_permission == "Simulation:GetSimulationUnitTest"


def test_empty_evaluation_results_with_metrics_listed_is_not_a_permission_problem() -> None:
    # Issue 7.4: the permission empties both fields; only the results empty is something else.
    r = run(
        [spec("ut1", 3, [metric("Completion", "m1", COMPLETION)])],
        [result("ut1", [], [None, None, None])],
        completed=False,
    )
    assert judge(unit(), 0, r).outcome == "pending"
    r["is_completed"] = True
    v = judge(unit(), 0, r)
    assert (v.outcome, v.error_kind) == ("error", "missing-results")
    assert v.missing_permission is None
    assert "ended without evaluation results" in v.reason


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


def test_results_list_shorter_than_specs_reads_as_null_result() -> None:
    r = _null_run(completed=False)
    r["unit_test_run_results"] = []
    assert judge(unit(), 0, r).outcome == "pending"
    r["is_completed"] = True
    assert judge(unit(), 0, r).error_kind == "run-ended"


def test_partial_result_while_running_is_pending() -> None:
    r = run(
        [spec("ut1", 3, [metric("Completion", "m1", COMPLETION)])],
        [result("ut1", [evaluation("m1", [True])], [None, None, None])],
        completed=False,
    )
    assert judge(unit(), 0, r).outcome == "pending"


# --- locating the unit test --------------------------------------------------------------------


def _two_test_run(first: str, second: str) -> dict[str, Any]:
    m = [metric("Completion", "m1", COMPLETION)]
    return run(
        [spec(first, 1, m), spec(second, 1, m)],
        [
            result(first, [evaluation("m1", [True], prefix=first)], [None]),
            result(second, [evaluation("m1", [False], prefix=second)], [None]),
        ],
    )


def test_position_mismatch_is_located_by_id() -> None:
    r = _two_test_run("other", "ut1")
    v = judge(unit("ut1", 1), 0, r)
    assert v.outcome == "failed"
    assert v.failing_evaluation_ids() == ["ut1-m1-0"]


def test_unit_test_not_in_run() -> None:
    v = judge(unit("zzz", 1), 0, _two_test_run("a", "b"))
    assert (v.outcome, v.error_kind) == ("error", "not-in-run")


def test_duplicate_unit_test_uses_position() -> None:
    r = _two_test_run("ut1", "ut1")
    assert judge(unit("ut1", 1), 0, r).outcome == "passed"
    assert judge(unit("ut1", 1), 1, r).outcome == "failed"


def test_duplicate_unit_test_shifted_uses_occurrence() -> None:
    m = [metric("Completion", "m1", COMPLETION)]
    r = run(
        [spec("x", 1, m), spec("ut1", 1, m), spec("ut1", 1, m)],
        [
            result("x", [evaluation("m1", [True])], [None]),
            result("ut1", [evaluation("m1", [True])], [None]),
            result("ut1", [evaluation("m1", [False])], [None]),
        ],
    )
    # the set lists ut1 at positions 0 and 1, the run at 1 and 2
    assert judge(unit("ut1", 1), 0, r, occurrence=0).outcome == "passed"
    assert judge(unit("ut1", 1), 1, r, occurrence=1).outcome == "failed"


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


def test_results_matched_by_metric_id_when_order_differs() -> None:
    metrics = [metric("Completion", "m1", COMPLETION), metric("Empathy", "m2", EMPATHY)]
    evals = [evaluation("m2", [False]), evaluation("m1", [True])]
    r = run([spec("ut1", 1, metrics)], [result("ut1", evals, [None])])
    v = judge(unit("ut1", 1), 0, r)
    assert [t.marks for t in v.tallies] == ["✔", "✘"]
    assert v.reason.startswith("Empathy ✘ 0/1")


def test_missing_evaluation_for_a_criterion_marks_no_result() -> None:
    metrics = [metric("Completion", "m1", COMPLETION), metric("Empathy", "m2", EMPATHY)]
    r = run([spec("ut1", 1, metrics)], [result("ut1", [evaluation("m1", [True])], [None])])
    v = judge(unit("ut1", 1), 0, r)
    assert (v.outcome, v.error_kind) == ("error", "missing-results")
    assert [t.marks for t in v.tallies] == ["✔", "·"]
    assert "without results for Empathy (0 of 1 sessions)" in v.reason


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r.update(unit_test_run_specs="nope"),
        lambda r: r.update(unit_test_run_results=None),
        lambda r: r["unit_test_run_results"][0].update(run_errors=5),
        lambda r: r["unit_test_run_results"][0].update(unit_test_id="other"),
        lambda r: r["unit_test_run_results"][0]["metric_evaluation_results"][0].update(
            results=[["id", "yes"]]
        ),
        lambda r: r["unit_test_run_results"][0]["metric_evaluation_results"][0].update(
            results=None
        ),
        lambda r: r["unit_test_run_specs"][0].update(run_count="3"),
        lambda r: r["unit_test_run_specs"][0].update(run_count=0),
        lambda r: r["unit_test_run_specs"][0]["metrics_to_evaluate"][0].update(
            success_criterion={"type": "fuzzy"}
        ),
        lambda r: r["unit_test_run_specs"][0]["metrics_to_evaluate"][0].pop("metric_id"),
    ],
)
def test_malformed_data_is_an_error_verdict(mutate: Any) -> None:
    r = run(
        [spec("ut1", 3, [metric("Completion", "m1", COMPLETION)])],
        [result("ut1", [evaluation("m1", [True, True, True])], [None, None, None])],
    )
    mutate(r)
    v = judge(unit(), 0, r)
    assert v.outcome == "error"
    assert v.error_kind == "malformed"
    assert v.reason.startswith("malformed run data")


def test_run_not_a_mapping_is_malformed() -> None:
    v = judge(unit(), 0, ["not", "a", "dict"])  # type: ignore[arg-type]
    assert v.error_kind == "malformed"


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
