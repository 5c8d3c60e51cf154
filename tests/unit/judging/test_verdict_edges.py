"""Edges of the data the service sends, and verdicts whose outcome must never be lost (issue 28):
each test asserts the outcome and its kind, not only the words."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_amigo.judging.verdict import judge, judge_unfinished
from support.verdict_data import COMPLETION, RUN_ID, evaluation, metric, result, run, spec, unit

ONE = [metric("Completion", "m1", COMPLETION)]


def one_run(run_count: int, passes: list[bool], errors: Any) -> dict[str, Any]:
    """A completed run of one unit test with one criterion; ``errors``: its ``run_errors``."""
    data = run([spec("ut1", run_count, ONE)], [result("ut1", [evaluation("m1", passes)], [])])
    data["unit_test_run_results"][0]["run_errors"] = errors
    return data


def with_run_index(index: dict[str, int]) -> dict[str, Any]:
    """Metric evaluation results as fetched for justifications: the session each one names."""
    return {
        eid: {"source": {"type": "simulation", "unit_test_id": "ut1", "run_index": i}}
        for eid, i in index.items()
    }


# --- run data at its edges -------------------------------------------------------------------


def test_a_spec_with_run_count_zero_is_malformed_not_a_pass() -> None:
    v = judge(unit("ut1", 3), 0, one_run(0, [], []))
    assert (v.outcome, v.error_kind) == ("error", "malformed")
    assert v.reason == "malformed run data: unit test spec has run_count 0"
    assert (v.sessions_total, v.sessions_passed) == (0, 0)


@pytest.mark.parametrize("errors", [None, []], ids=["null", "empty"])
def test_run_errors_null_or_empty_means_no_session_errored(errors: Any) -> None:
    v = judge(unit("ut1", 3), 0, one_run(3, [True, True, True], errors))
    assert (v.outcome, v.error_kind) == ("passed", None)
    assert (v.sessions_total, v.sessions_valid, v.sessions_passed) == (3, 3, 3)
    assert v.reason == "3/3 sessions met all criteria"


def test_run_errors_shorter_than_the_run_count_leaves_the_rest_valid() -> None:
    v = judge(unit("ut1", 3), 0, one_run(3, [True, False], ["simulator crashed"]))
    assert v.outcome == "failed"
    assert [s.error for s in v.sessions] == ["simulator crashed", None, None]
    assert (v.sessions_valid, v.sessions_passed) == (2, 1)
    assert v.tallies[0].marks == "!✔✘"
    assert v.reason == ("Completion !✔✘ 1/2 — 1/3 sessions passed, needs 3/3; 1 session errored")


def test_run_errors_shorter_with_a_rate_counts_the_valid_sessions() -> None:
    v = judge(unit("ut1", 3), 0, one_run(3, [True, True], ["boom"]), min_pass_rate=1.0)
    assert (v.outcome, v.sessions_valid, v.sessions_required) == ("passed", 2, 2)
    assert v.reason == "2/2 sessions passed, needs 2/2 (100%); 1 errored session left out"


def test_a_run_index_equal_to_the_run_count_is_malformed() -> None:
    data = one_run(2, [False, True], None)
    evaluations = with_run_index({"ev-m1-0": 2})
    v = judge(unit("ut1", 2), 0, data, evaluations=evaluations)
    assert (v.outcome, v.error_kind) == ("error", "malformed")
    assert v.reason == (
        "malformed run data: evaluation ev-m1-0 of criterion 'Completion' names session 3, "
        "which is not a session of this unit test that did not error"
    )


def test_the_last_session_by_run_index_is_placed_there() -> None:
    data = one_run(2, [False, True], None)
    v = judge(unit("ut1", 2), 0, data, evaluations=with_run_index({"ev-m1-0": 1}))
    assert v.outcome == "failed"
    assert v.tallies[0].marks == "✔✘"
    assert v.assumed_placements == 0


def test_two_failed_checks_on_one_session_are_malformed() -> None:
    data = one_run(2, [False, False], None)
    evaluations = with_run_index({"ev-m1-0": 0, "ev-m1-1": 0})
    v = judge(unit("ut1", 2), 0, data, evaluations=evaluations)
    assert (v.outcome, v.error_kind) == ("error", "malformed")
    assert v.reason == (
        "malformed run data: two failed checks of criterion 'Completion' name session 1"
    )


# --- outcomes that must not be lost ----------------------------------------------------------


@pytest.mark.parametrize("why", ["timeout", "interrupted"])
def test_unfinished_without_a_run_is_an_error_of_its_kind(why: Any) -> None:
    v = judge_unfinished(unit(), 0, None, why=why, budget_s=30)
    assert (v.outcome, v.error_kind, v.run_id) == ("error", why, None)
    head = "no result after 30 s (--amigo-timeout)" if why == "timeout" else "interrupted"
    assert v.reason == f"{head}: no run was started or attached"


def test_unfinished_timeout_without_a_budget_names_no_budget() -> None:
    v = judge_unfinished(unit(), 0, None, why="timeout")
    assert v.reason == "no result (--amigo-timeout): no run was started or attached"


def test_unfinished_with_a_created_run_never_seen_is_an_error() -> None:
    v = judge_unfinished(unit(), 0, None, why="timeout", budget_s=5, created=RUN_ID)
    assert (v.outcome, v.error_kind, v.run_id) == ("error", "timeout", RUN_ID)
    assert v.reason.startswith(f"no result after 5 s (--amigo-timeout): run {RUN_ID} was created")


@pytest.mark.parametrize("state", ["finished", "errored", "still running"])
def test_unfinished_names_the_state_of_the_run(state: str) -> None:
    data = run([spec("ut1", 3, ONE)], [None], completed=state == "finished")
    data["errored"] = state == "errored"
    v = judge_unfinished(unit(), 0, data, why="timeout", budget_s=5)
    assert (v.outcome, v.error_kind, v.run_id) == ("error", "timeout", RUN_ID)
    assert v.reason == (
        f"no result after 5 s (--amigo-timeout): run {RUN_ID} {state}, unit test 'Test ut1' "
        "has no result yet (0/3 sessions reported)"
    )


@pytest.mark.parametrize("not_an_object", [["a", "list"], "text", 3])
def test_a_run_that_is_not_an_object_is_a_malformed_error(not_an_object: Any) -> None:
    v = judge(unit(), 0, not_an_object)
    assert (v.outcome, v.error_kind, v.run_id) == ("error", "malformed", None)
    assert v.reason == "malformed run data: not an object"


def test_a_problem_keeps_the_minimum_pass_rate_and_the_run_id() -> None:
    data = run([spec("other", 3, ONE)], [None])
    v = judge(unit(), 0, data, min_pass_rate=0.5)
    assert (v.outcome, v.error_kind, v.run_id) == ("error", "not-in-run", RUN_ID)
    assert v.min_pass_rate == 0.5
    assert v.missing_permission is None
