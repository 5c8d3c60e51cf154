"""Verdicts when the service misbehaves (issue 7, cases 1-4 and 16): pure functions, no HTTP."""

from __future__ import annotations

from typing import Any

from pytest_amigo.domain import Criterion
from pytest_amigo.judging.verdict import judge, printable, required_valid
from support.verdict_data import COMPLETION, EMPATHY, evaluation, metric, result, run, spec, unit

TWO = [metric("Completion", "m1", COMPLETION), metric("Empathy", "m2", EMPATHY)]
CRITERIA = (
    Criterion.from_api("Completion", "m1", COMPLETION),
    Criterion.from_api("Empathy", "m2", EMPATHY),
)


def evaluations_of(run_index: dict[str, int], unit_test_id: str = "ut1") -> dict[str, Any]:
    """Metric evaluation results as fetched for justifications: id -> source.run_index."""
    return {
        eid: {
            "result": False,
            "justification": f"why {eid}",
            "source": {"type": "simulation", "unit_test_id": unit_test_id, "run_index": index},
        }
        for eid, index in run_index.items()
    }


def _rotated_run(**kw: Any) -> dict[str, Any]:
    """4 sessions; Completion fails session 1, Empathy fails session 2 (1-based).

    The pairs arrive in evaluation completion order, so both failures sit at position 0."""
    evals = [
        {"metric_id": "m1", "results": [["c1", False], ["c2", True], ["c3", True], ["c4", True]]},
        {"metric_id": "m2", "results": [["e2", False], ["e3", True], ["e4", True], ["e1", True]]},
    ]
    return run([spec("ut1", 4, TWO)], [result("ut1", evals, [None] * 4)], **kw)


def test_failures_are_placed_by_run_index_not_position() -> None:
    # Issue 7.3: by position both failures fell on session 1: 3/4 passed and 0.75 passed.
    r = _rotated_run()
    v = judge(
        unit("ut1", 4, *CRITERIA),
        0,
        r,
        min_pass_rate=0.75,
        evaluations=evaluations_of({"c1": 0, "e2": 1}),
    )
    assert (v.outcome, v.sessions_passed) == ("failed", 2)
    assert [t.marks for t in v.tallies] == ["✘✔✔✔", "✔✘✔✔"]
    assert v.assumed_placements == 0
    assert v.sessions[1].evaluation_ids[1] == "e2"


def test_without_run_index_failures_of_different_criteria_fall_on_different_sessions() -> None:
    # Issue 7.3 fallback: the fewest passing sessions the data allows, and it says so.
    v = judge(unit("ut1", 4, *CRITERIA), 0, _rotated_run(), min_pass_rate=0.75)
    assert (v.outcome, v.sessions_passed) == ("failed", 2)
    assert v.assumed_placements == 2


def test_run_index_on_an_errored_session_is_malformed() -> None:
    evals = [evaluation("m1", [False, True])]
    r = run([spec("ut1", 3, TWO[:1])], [result("ut1", evals, ["boom", None, None])])
    v = judge(unit("ut1", 3), 0, r, evaluations=evaluations_of({"ev-m1-0": 0}))
    assert (v.outcome, v.error_kind) == ("error", "malformed")


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


def test_second_listing_of_a_unit_test_the_run_lists_once_is_not_in_the_run() -> None:
    # Issue 7.16: the second item used to judge the same spec again.
    r = run([spec("ut1", 1, TWO[:1])], [result("ut1", [evaluation("m1", [True])], [None])])
    assert judge(unit("ut1", 1), 0, r, occurrence=0).outcome == "passed"
    v = judge(unit("ut1", 1), 1, r, occurrence=1)
    assert (v.outcome, v.error_kind) == ("error", "not-in-run")


def test_session_errors_from_the_service_are_printable() -> None:
    # Issue 7.13: control characters reached the terminal and the XML raw.
    r = run(
        [spec("ut1", 1, TWO[:1])],
        [result("ut1", [evaluation("m1", [])], ["bad\x1b[31m\x00 crash"])],
    )
    v = judge(unit("ut1", 1), 0, r)
    assert "\x1b" not in v.reason and "\x00" not in v.reason
    assert "bad\\x1b[31m\\x00 crash" in v.reason
    assert printable("line\nnext\ttab") == "line\nnext\ttab"
