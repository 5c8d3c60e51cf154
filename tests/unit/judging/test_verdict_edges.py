"""Edges of the data the service sends, and verdicts whose outcome must never be lost (issue 28):
each test asserts the outcome and its kind, not only the words."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_amigo.judging.run_data import Problem, locate
from pytest_amigo.judging.verdict import (
    judge,
    judge_unfinished,
    required_sessions,
    summarize_tallies,
)
from support import verdict_data
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


# --- an unfinished verdict carries what the run has so far -----------------------------------

TWO = [metric("Completion", "m1", COMPLETION), metric("Empathy", "m2", verdict_data.EMPATHY)]


def test_an_unfinished_verdict_counts_the_sessions_reported_so_far() -> None:
    # 4 sessions (the definition said 3): session 2 errored, Completion reported for 2 sessions
    results = [result("ut1", [evaluation("m1", [True, False])], [None, "boom", None, None])]
    data = run([spec("ut1", 4, ONE)], results, completed=False)
    evaluations = with_run_index({"ev-m1-1": 3})
    v = judge_unfinished(
        unit("ut1", 3), 0, data, why="timeout", budget_s=9, evaluations=evaluations
    )
    assert (v.outcome, v.error_kind, v.run_id) == ("error", "timeout", RUN_ID)
    assert (v.sessions_total, v.sessions_valid, v.sessions_passed) == (4, 3, 1)
    assert v.unit_test.run_count == 4
    assert [s.error for s in v.sessions] == [None, "boom", None, None]
    assert v.tallies[0].marks == "✔!·✘"  # the failed check on session 4, by its run index
    assert v.reason == (
        f"no result after 9 s (--amigo-timeout): run {RUN_ID} still running, unit test "
        "'Test ut1' has 3/4 sessions reported (Completion ✔!·✘ 1/3)"
    )


def test_an_unfinished_verdict_reads_a_result_without_evaluations_as_not_reported_yet() -> None:
    data = run([spec("ut1", 3, ONE)], [result("ut1", [], [None] * 3)], completed=False)
    data["errored"] = True  # the run ended: still read as progress, never as "ended without"
    v = judge_unfinished(unit(), 0, data, why="interrupted")
    assert v.reason == (
        f"interrupted: run {RUN_ID} errored, unit test 'Test ut1': the run lists no evaluation "
        "results for this unit test yet"
    )


def test_an_unfinished_verdict_without_a_result_takes_the_criteria_of_the_spec() -> None:
    data = run([spec("ut1", 2, TWO)], [None], completed=False)
    v = judge_unfinished(unit("ut1", 3), 0, data, why="timeout")
    assert [c.name for c in v.unit_test.criteria] == ["Completion", "Empathy"]
    assert v.unit_test.run_count == 2
    assert (v.sessions_total, v.sessions, v.tallies) == (2, (), ())


def test_an_unfinished_verdict_of_the_second_listing() -> None:
    specs = [spec("ut1", 3, ONE), spec("ut1", 2, ONE)]
    results = [result("ut1", [evaluation("m1", [True], "a")], [None] * 3), None]
    v = judge_unfinished(
        unit(), 0, run(specs, results, completed=False), why="timeout", occurrence=1
    )
    assert v.reason.endswith("has no result yet (0/2 sessions reported)")


# --- the sentences of the rules, whole -------------------------------------------------------


def test_some_sessions_errored_names_them() -> None:
    data = one_run(3, [True], ["boom", None, "crash"])
    v = judge(unit(), 0, data)
    assert (v.outcome, v.error_kind, v.sessions_required) == ("error", "session-error", 3)
    assert v.reason == "2 of 3 sessions errored (sessions 1, 3); session 1: boom"


def test_every_session_errored_names_the_first() -> None:
    v = judge(unit(), 0, one_run(3, [], ["boom", "crash", "worse"]))
    assert v.reason == "all 3 sessions errored; session 1: boom"
    rated = judge(unit(), 0, one_run(3, [], ["boom", "crash", "worse"]), min_pass_rate=0.5)
    assert (rated.outcome, rated.error_kind) == ("error", "session-error")
    assert (rated.reason, rated.sessions_required) == (v.reason, 0)


def test_missing_results_of_two_criteria_are_listed_and_require_every_session() -> None:
    data = run(
        [spec("ut1", 3, TWO)],
        [result("ut1", [evaluation("m1", [True]), evaluation("m2", [True, True])], [None] * 3)],
    )
    v = judge(unit(), 0, data)
    assert (v.outcome, v.error_kind, v.sessions_required) == ("error", "missing-results", 3)
    assert v.reason == (
        "the run completed without results for Completion (1 of 3 sessions), "
        "Empathy (2 of 3 sessions); not judged"
    )
    data["is_completed"] = False
    pending = judge(unit(), 0, data)
    assert pending.outcome == "pending"
    assert pending.reason == (
        "the run is still reporting this unit test: Completion (1 of 3 sessions), "
        "Empathy (2 of 3 sessions)"
    )


def test_two_failing_criteria_are_summarized_in_order() -> None:
    data = run(
        [spec("ut1", 2, TWO)],
        [result("ut1", [evaluation("m1", [False, True]), evaluation("m2", [True, False])], [])],
    )
    v = judge(unit(), 0, data)
    assert v.reason == ("Completion ✘✔ 1/2; Empathy ✔✘ 1/2 — 0/2 sessions passed, needs 2/2")
    assert summarize_tallies(v.tallies) == "Completion ✘✔ 1/2; Empathy ✔✘ 1/2"


def test_summarize_tallies_shows_the_criteria_met_unless_asked_for_the_failing_only() -> None:
    v = judge(unit(), 0, one_run(2, [True, True], None))
    assert summarize_tallies(v.tallies) == "Completion ✔✔ 2/2"
    assert summarize_tallies(v.tallies, failing_only=True) == ""


@pytest.mark.parametrize(
    ("cancelled", "note"),
    [(True, "this session cancelled the run"), (False, "the run completed")],
)
def test_complete_results_of_an_ended_run_say_how_it_ended(cancelled: bool, note: str) -> None:
    data = one_run(2, [True, True], None)
    v = judge(unit(), 0, data, cancelled_by_us=cancelled)
    assert v.outcome == "passed"
    if cancelled:
        assert (
            v.reason
            == f"2/2 sessions met all criteria ({note}; this unit test's results are complete)"
        )
    else:
        assert v.reason == "2/2 sessions met all criteria"


def test_a_bad_minimum_pass_rate_says_what_it_got() -> None:
    with pytest.raises(ValueError, match=r"^min_pass_rate must be in \(0, 1\], got 1.5$"):
        required_sessions(3, 1.5)


def test_a_problem_is_an_exception_with_its_reason() -> None:
    assert str(Problem("error", "what was wrong", "malformed")) == "what was wrong"


# --- more of what the survivors of mutation showed -------------------------------------------


def test_two_errored_sessions_are_counted_in_the_plural() -> None:
    data = one_run(4, [True, False], ["boom", "crash"])
    assert judge(unit("ut1", 4), 0, data).reason.endswith("; 2 sessions errored")
    rated = judge(unit("ut1", 4), 0, data, min_pass_rate=0.5)
    assert rated.reason == (
        "1/2 sessions passed, needs 1/2 (50%); 2 errored sessions left out; Completion !!✔✘ 1/2"
    )


def test_too_few_valid_sessions_in_full() -> None:
    data = one_run(4, [True], ["boom", "crash", "worse"])
    v = judge(unit("ut1", 4), 0, data, min_pass_rate=0.5, min_valid=2)
    assert (v.outcome, v.error_kind, v.sessions_required) == ("error", "too-few-valid", 1)
    assert v.reason == (
        "too few valid sessions to judge: 1 of 4 did not error, needs at least 2 "
        "(amigo_min_valid_sessions); 3 of 4 sessions errored (sessions 1, 2, 3); session 1: boom"
    )


def test_no_run_is_pending_for_the_unit_test_and_a_bad_rate_is_refused_first() -> None:
    v = judge(unit(), 0, None)
    assert (v.outcome, v.unit_test, v.reason) == ("pending", unit(), "no run yet")
    with pytest.raises(ValueError, match="min_pass_rate must be in"):
        judge(unit(), 0, None, min_pass_rate=1.5)


def test_the_verdicts_without_a_readable_run_keep_the_unit_test() -> None:
    assert judge(unit(), 0, "text").unit_test == unit()  # type: ignore[arg-type]
    assert judge_unfinished(unit(), 0, None, why="timeout").unit_test == unit()
    assert judge_unfinished(unit(), 0, None, why="timeout", created=RUN_ID).unit_test == unit()


def test_a_result_not_listed_yet_is_pending_in_words() -> None:
    data = run([spec("ut1", 3, ONE)], [None], completed=False)
    v = judge(unit(), 0, data)
    assert (v.outcome, v.reason) == ("pending", "the run has no result for this unit test yet")


def test_a_run_without_a_results_list_is_malformed_in_words() -> None:
    data = one_run(2, [True, True], None)
    data["unit_test_run_results"] = None
    assert judge(unit(), 0, data).reason == (
        "malformed run data: the run has no list 'unit_test_run_results'"
    )


def test_a_run_id_that_is_not_text_is_not_read() -> None:
    data = one_run(2, [True, True], None)
    data["id"] = 123
    assert judge(unit("ut1", 2), 0, data).run_id is None


def test_a_spec_that_is_not_an_object_is_skipped_when_locating() -> None:
    data = run(
        [spec("ut1", 2, ONE)],
        [result("ut1", [evaluation("m1", [True, True])], [None, None])],
    )
    data["unit_test_run_specs"].insert(0, "junk")
    data["unit_test_run_results"].insert(0, None)
    v = judge(unit("ut1", 2), 1, data, occurrence=0)
    assert (v.outcome, v.sessions_passed) == ("passed", 2)


def test_locate_takes_the_first_listing_for_occurrence_zero() -> None:
    specs = [spec("ut1", 3, ONE), spec("ut2", 3, ONE), spec("ut1", 2, ONE)]
    data = run(specs, [None, None, None])
    assert locate(unit(), 2, data, 0).index == 0
    assert locate(unit(), 2, data, 1).index == 2


def test_locate_without_an_occurrence_takes_the_listing_nearest_the_position() -> None:
    specs = [spec(uid, 3, ONE) for uid in ("ut2", "ut1", "ut3", "ut1", "ut4")]
    data = run(specs, [None] * 5)
    assert locate(unit(), 4, data, None).index == 3  # 1 away, the other 3 away
    assert locate(unit(), 2, data, None).index == 1  # a tie: the first
    assert locate(unit(), 3, data, None).index == 3  # at the position
