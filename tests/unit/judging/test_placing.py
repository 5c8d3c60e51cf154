"""Failed checks placed on their sessions (pytest_amigo.judging.placing): by ``source.run_index``
(issue 7.3), assumed without it, refused when the index names an errored session."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_amigo.domain import Criterion
from pytest_amigo.judging.placing import place, run_index_of
from pytest_amigo.judging.run_data import Problem
from pytest_amigo.judging.verdict import judge
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


# --- place, directly ---------------------------------------------------------------------------


def test_place_puts_failures_on_named_sessions_and_passes_on_the_free_valid_ones() -> None:
    pairs: list[list[tuple[str, bool]] | None] = [
        [("c1", True), ("c2", False), ("c3", True)],
        [("e1", False), ("e2", True)],
    ]
    errors: list[str | None] = [None, None, "boom", None]
    placed = place(CRITERIA, errors, pairs, evaluations_of({"c2": 3, "e1": 0}), "ut1")
    assert placed.checks == (
        (True, False),
        (True, True),
        (None, None),
        (False, None),
    )
    assert placed.evaluation_ids == (
        ("c1", "e1"),
        ("c3", "e2"),
        (None, None),
        ("c2", None),
    )
    assert placed.missing == (0, 1)  # Empathy: 2 results for 3 valid sessions
    assert placed.assumed == 0


def test_place_without_evaluations_assumes_different_sessions_and_counts_them() -> None:
    pairs: list[list[tuple[str, bool]] | None] = [
        [("c1", False), ("c2", True)],
        [("e1", False), ("e2", True)],
        None,
    ]
    criteria = (*CRITERIA, Criterion.from_api("Outcome", "m3", COMPLETION))
    placed = place(criteria, [None, None], pairs, None, "ut1")
    assert placed.checks == ((False, True, None), (True, False, None))
    assert placed.missing == (0, 0, 2)
    assert placed.assumed == 2


@pytest.mark.parametrize(
    ("pairs", "index", "words"),
    [
        ([("c1", True), ("c2", True), ("c3", True)], {}, "has 3 results for 2 sessions"),
        ([("c1", False), ("c1", True)], {}, "lists an evaluation id twice"),
        ([("c1", False)], {"c1": 5}, "names session 6"),
        ([("c1", False), ("c2", False)], {"c1": 0, "c2": 0}, "two failed checks"),
    ],
)
def test_place_refuses_what_cannot_be_placed(
    pairs: list[tuple[str, bool]], index: dict[str, int], words: str
) -> None:
    with pytest.raises(Problem) as caught:
        place(CRITERIA[:1], [None, None], [pairs], evaluations_of(index), "ut1")
    assert (caught.value.outcome, caught.value.kind) == ("error", "malformed")
    assert words in caught.value.reason


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ({"source": {"type": "simulation", "unit_test_id": "ut1", "run_index": 2}}, 2),
        ({"source": {"run_index": 1}}, 1),  # no type, no unit test id: a simulation's
        ({"source": {"type": "manual", "run_index": 1}}, None),
        ({"source": {"unit_test_id": "other", "run_index": 1}}, None),
        ({"source": {"run_index": True}}, None),
        ({"source": {"run_index": "1"}}, None),
        ({"source": None}, None),
        ("not an object", None),
    ],
)
def test_run_index_of(found: Any, expected: int | None) -> None:
    assert run_index_of({"ev": found}, "ev", "ut1") == expected
    assert run_index_of({"ev": found}, "other-ev", "ut1") is None
    assert run_index_of(None, "ev", "ut1") is None
