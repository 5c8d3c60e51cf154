"""Every problem the run data can have, in the words the verdict says it (issue 28): each case
pins the whole reason, the outcome and the kind; and the reader's matching and placing edges."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_amigo.domain import Criterion
from pytest_amigo.judging.run_data import match_evaluations
from pytest_amigo.judging.verdict import judge
from support.verdict_data import COMPLETION, EMPATHY, evaluation, metric, result, run, spec, unit

TWO = [metric("Completion", "m1", COMPLETION), metric("Empathy", "m2", EMPATHY)]
Change = Callable[[dict[str, Any]], Any]


def passing(**kw: Any) -> dict[str, Any]:
    """A run whose one unit test (ut1, 2 sessions, one criterion) passed both sessions."""
    results = [result("ut1", [evaluation("m1", [True, True])], [None, None])]
    return run([spec("ut1", 2, [metric("Completion", "m1", COMPLETION)])], results, **kw)


def first_result(r: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = r["unit_test_run_results"][0]
    return found


def first_evaluation(r: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = first_result(r)["metric_evaluation_results"][0]
    return found


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda r: r.update(unit_test_run_specs=None),
            "the run has no list 'unit_test_run_specs'",
        ),
        (
            lambda r: first_result(r).update(metric_evaluation_results=None),
            "a unit test result has no list 'metric_evaluation_results'",
        ),
        (
            lambda r: r["unit_test_run_specs"][0].update(metrics_to_evaluate=None),
            "a unit test spec has no list 'metrics_to_evaluate'",
        ),
        (
            lambda r: r.update(unit_test_run_results=[["not", "an", "object"]]),
            "a unit test result is not an object",
        ),
        (
            lambda r: first_result(r).update(unit_test_id="ut9"),
            "result #1 belongs to unit test ut9, its spec to ut1",
        ),
        (
            lambda r: first_result(r).update(metric_evaluation_results=["junk"]),
            "a metric evaluation result has no results list",
        ),
        (
            lambda r: first_evaluation(r).update(results=[["ev-1", True, "extra"]]),
            "evaluation result entry ['ev-1', True, 'extra'] is not [id, passed]",
        ),
        (
            lambda r: first_evaluation(r).update(results=[[1, True]]),
            "evaluation result entry [1, True] is not [id, passed]",
        ),
        (
            lambda r: first_evaluation(r).update(results=[["a", True], ["b", True], ["c", True]]),
            "criterion 'Completion' has 3 results for 2 sessions that did not error",
        ),
        (
            lambda r: first_evaluation(r).update(results=[["a", False], ["a", True]]),
            "criterion 'Completion' lists an evaluation id twice",
        ),
        (
            lambda r: first_result(r).update(run_errors="boom"),
            "run_errors is not a list",
        ),
        (
            lambda r: r["unit_test_run_specs"][0].update(run_count=True),
            "unit test spec has run_count True",
        ),
        (
            lambda r: r["unit_test_run_specs"][0].update(run_count=-1),
            "unit test spec has run_count -1",
        ),
        (
            lambda r: r["unit_test_run_specs"][0]["metrics_to_evaluate"][0].pop("metric_id"),
            "unreadable metric to evaluate ('metric_id')",
        ),
    ],
)
def test_malformed_run_data_in_words(change: Change, reason: str) -> None:
    r = passing()
    change(r)
    v = judge(unit("ut1", 2), 0, r)
    assert (v.outcome, v.error_kind) == ("error", "malformed")
    assert v.reason == f"malformed run data: {reason}"


def test_evaluation_results_without_metrics_in_the_spec_are_malformed() -> None:
    r = passing()
    r["unit_test_run_specs"][0]["metrics_to_evaluate"] = []
    v = judge(unit("ut1", 2), 0, r)
    assert (v.outcome, v.error_kind) == ("error", "malformed")
    assert v.reason == (
        "malformed run data: evaluation results for a unit test whose spec lists no metrics"
    )


def test_no_metrics_and_no_evaluation_results_is_the_missing_permission() -> None:
    r = passing()
    r["unit_test_run_specs"][0]["metrics_to_evaluate"] = []
    first_result(r)["metric_evaluation_results"] = []
    v = judge(unit("ut1", 2), 0, r)
    assert (v.outcome, v.error_kind) == ("error", "permission")
    assert v.missing_permission == "Simulation:GetSimulationUnitTest"
    assert v.reason == (
        "the API returned no metrics/evaluation results for this unit test; the API key's user "
        "lacks Simulation:GetSimulationUnitTest"
    )


def test_no_specs_is_the_missing_permission_of_the_set() -> None:
    v = judge(unit("ut1", 2), 0, run([], []))
    assert (v.outcome, v.error_kind) == ("error", "permission")
    assert v.missing_permission == "Simulation:GetSimulationUnitTestSet"
    assert v.reason == (
        "the API returned no unit test specs/results for this run; the API key's user lacks "
        "Simulation:GetSimulationUnitTestSet"
    )


@pytest.mark.parametrize(
    ("completed", "outcome", "kind", "reason"),
    [
        (False, "pending", None, "the run lists no evaluation results for this unit test yet"),
        (
            True,
            "error",
            "missing-results",
            "the run ended without evaluation results for this unit test (its result lists no "
            "metric evaluation results)",
        ),
    ],
)
def test_a_result_without_evaluation_results(
    completed: bool, outcome: str, kind: str | None, reason: str
) -> None:
    r = passing(completed=completed)
    first_result(r)["metric_evaluation_results"] = []
    v = judge(unit("ut1", 2), 0, r)
    assert (v.outcome, v.error_kind, v.reason) == (outcome, kind, reason)


def test_not_in_the_run_and_an_occurrence_beyond_the_run_in_words() -> None:
    r = passing()
    v = judge(unit("ut9", 2), 0, r)
    assert (v.outcome, v.error_kind) == ("error", "not-in-run")
    assert (
        v.reason == "unit test ut9 is not part of this run (the set changed after the run started?)"
    )
    v = judge(unit("ut1", 2), 1, r, occurrence=1)
    assert (v.outcome, v.error_kind) == ("error", "not-in-run")
    assert v.reason == (
        "unit test ut1 is listed 2 times in the set but 1 time in this run: occurrence #2 is "
        "not part of this run (the set changed after the run started?)"
    )


@pytest.mark.parametrize("error", ["   ", ""])
def test_a_blank_session_error_is_an_unspecified_error(error: str) -> None:
    r = passing()
    first_result(r)["run_errors"] = [error, None]
    first_evaluation(r)["results"] = [["ev-1", True]]
    v = judge(unit("ut1", 2), 0, r)
    assert (v.outcome, v.error_kind) == ("error", "session-error")
    assert v.reason == "session 1 of 2 errored: unspecified error"


# --- matching evaluations to criteria --------------------------------------------------------


def criteria(*metric_ids: str) -> list[tuple[Criterion, str]]:
    return [(Criterion.from_api(f"C{i}", m, COMPLETION), m) for i, m in enumerate(metric_ids)]


def test_evaluations_without_a_metric_id_line_up_by_position() -> None:
    evaluations = [{"results": []}, {"results": [["x", True]]}]
    assert match_evaluations(criteria("m1", "m2"), evaluations) == evaluations


def test_evaluations_are_matched_by_metric_id_each_used_once() -> None:
    a, b, c = ({"metric_id": m, "n": i} for i, m in enumerate(["m2", "m1", "m1"]))
    assert match_evaluations(criteria("m1", "m1"), [a, b, c]) == [b, c]
    assert match_evaluations(criteria("m1", "m3"), [a, b]) == [b, None]


def test_a_run_of_two_criteria_listed_in_another_order_is_read_by_metric_id() -> None:
    evals = [evaluation("m2", [True, False]), evaluation("m1", [True, True])]
    r = run([spec("ut1", 2, TWO)], [result("ut1", evals, [None, None])])
    v = judge(unit("ut1", 2), 0, r)
    assert [(t.criterion.name, t.marks) for t in v.tallies] == [
        ("Completion", "✔✔"),
        ("Empathy", "✔✘"),
    ]
