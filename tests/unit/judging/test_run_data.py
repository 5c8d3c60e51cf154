"""Reading the run instance JSON (pytest_amigo.judging.run_data): permissions, locating the unit
test, the shapes of results and what is malformed, as the verdicts say them; the reader's own
functions directly."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_amigo.domain import UnitTest
from pytest_amigo.judging.run_data import (
    Problem,
    failing_evaluation_ids,
    locate,
    read_result,
    result_failures,
    run_spec,
)
from pytest_amigo.judging.text import printable
from pytest_amigo.judging.verdict import judge
from support.verdict_data import COMPLETION, EMPATHY, evaluation, metric, result, run, spec, unit

ONE_METRIC = [metric("Completion", "m1", COMPLETION)]


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


# --- result shapes ---------------------------------------------------------------------------


def test_results_list_shorter_than_specs_reads_as_null_result() -> None:
    r = run([spec("ut1", 3, ONE_METRIC)], [None], completed=False)
    r["unit_test_run_results"] = []
    assert judge(unit(), 0, r).outcome == "pending"
    r["is_completed"] = True
    assert judge(unit(), 0, r).error_kind == "run-ended"


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


def test_second_listing_of_a_unit_test_the_run_lists_once_is_not_in_the_run() -> None:
    # Issue 7.16: the second item used to judge the same spec again.
    r = run([spec("ut1", 1, ONE_METRIC)], [result("ut1", [evaluation("m1", [True])], [None])])
    assert judge(unit("ut1", 1), 0, r, occurrence=0).outcome == "passed"
    v = judge(unit("ut1", 1), 1, r, occurrence=1)
    assert (v.outcome, v.error_kind) == ("error", "not-in-run")


def test_session_errors_from_the_service_are_printable() -> None:
    # Issue 7.13: control characters reached the terminal and the XML raw.
    r = run(
        [spec("ut1", 1, ONE_METRIC)],
        [result("ut1", [evaluation("m1", [])], ["bad\x1b[31m\x00 crash"])],
    )
    v = judge(unit("ut1", 1), 0, r)
    assert "\x1b" not in v.reason and "\x00" not in v.reason
    assert "bad\\x1b[31m\\x00 crash" in v.reason
    assert printable("line\nnext\ttab") == "line\nnext\ttab"


# --- the reader, directly ----------------------------------------------------------------------


def test_run_spec_is_the_located_spec_or_none() -> None:
    r = _two_test_run("other", "ut1")
    found = run_spec(unit("ut1", 1), 0, r, None)
    assert found is r["unit_test_run_specs"][1]
    assert run_spec(unit("zzz", 1), 0, r, None) is None
    assert run_spec(unit("ut1", 1), 0, None, None) is None
    assert run_spec(unit("ut1", 1), 0, run([], []), None) is None


def test_locate_reads_a_missing_result_entry_as_none() -> None:
    r = run([spec("ut1", 3, ONE_METRIC)], [None], completed=False)
    r["unit_test_run_results"] = []
    found = locate(unit(), 0, r, None)
    assert (found.index, found.result) == (0, None)
    assert found.spec is r["unit_test_run_specs"][0]


def test_read_result_reads_criteria_run_count_errors_and_pairs_by_metric_id() -> None:
    metrics = [metric("Completion", "m1", COMPLETION), metric("Empathy", "m2", EMPATHY)]
    evals = [evaluation("m2", [False]), evaluation("m1", [True])]
    r = run([spec("ut1", 2, metrics)], [result("ut1", evals, ["  \x07oops ", None])])
    data = read_result(locate(unit("ut1", 2), 0, r, None), ended=True)
    assert [c.name for c in data.criteria] == ["Completion", "Empathy"]
    assert data.run_count == 2
    assert data.errors == ["\\x07oops", None]
    assert data.per_criterion == [[("ev-m1-0", True)], [("ev-m2-0", False)]]


def test_read_result_without_evaluation_results_is_pending_until_the_run_ends() -> None:
    r = run([spec("ut1", 3, [metric("Completion", "m1", COMPLETION)])], [result("ut1", [], [])])
    found = locate(unit(), 0, r, None)
    with pytest.raises(Problem) as running:
        read_result(found, ended=False)
    assert (running.value.outcome, running.value.kind) == ("pending", None)
    with pytest.raises(Problem) as ended:
        read_result(found, ended=True)
    assert (ended.value.outcome, ended.value.kind) == ("error", "missing-results")


def test_failed_checks_are_read_from_results_for_justifications() -> None:
    first = result("a", [evaluation("m1", [True, False]), evaluation("m2", [False])], [None])
    second = result("b", [evaluation("m1", [False], prefix="b")], [None])
    r = run([], [first, None, second])
    assert result_failures(first) == {"ev-m1-1", "ev-m2-0"}
    assert result_failures(None) == set()
    assert failing_evaluation_ids(r) == {"ev-m1-1", "ev-m2-0", "b-m1-0"}
    assert failing_evaluation_ids({"id": "r1"}) == set()
