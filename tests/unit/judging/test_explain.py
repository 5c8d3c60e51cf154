"""Verdict + evaluations -> the text a person acts on."""

from __future__ import annotations

from typing import Any

from pytest_amigo.domain import Criterion, UnitTest
from pytest_amigo.judging.explain import explain, summarize_marks
from pytest_amigo.judging.verdict import judge, judge_unfinished

RUN_ID = "66aa00000000000000000001"
COMPLETION = {"type": "boolean", "expected_value": True}
EMPATHY = {"type": "numerical", "verb": ">=", "threshold": 7}
UT = UnitTest(
    id="ut1",
    name="Refund request",
    run_count=3,
    criteria=(Criterion.from_api("Completion", "m1", COMPLETION),),
)
LONG = "The agent never confirmed the refund amount. " * 6


def make_run(
    passes: dict[str, list[bool]],
    errors: list[str | None],
    *,
    metrics: list[dict[str, Any]] | None = None,
    completed: bool = True,
) -> dict[str, Any]:
    names = {"m1": ("Completion", COMPLETION), "m2": ("Empathy", EMPATHY)}
    if metrics is None:
        metrics = [
            {
                "metric_id": m,
                "success_criterion_name": names[m][0],
                "success_criterion": names[m][1],
            }
            for m in passes
        ]
    return {
        "id": RUN_ID,
        "is_completed": completed,
        "errored": False,
        "failed_metrics": False,
        "artifacts_generated": completed,
        "simulation_unit_test_set_id": "set1",
        "unit_test_run_specs": [
            {"unit_test_id": "ut1", "run_count": len(errors), "metrics_to_evaluate": metrics}
        ],
        "unit_test_run_results": [
            {
                "unit_test_id": "ut1",
                "metric_evaluation_results": [
                    {"metric_id": m, "results": [[f"{m}-{i}", p] for i, p in enumerate(ps)]}
                    for m, ps in passes.items()
                ],
                "run_errors": errors,
            }
        ],
    }


def evals(values: dict[str, tuple[Any, str]]) -> dict[str, dict[str, Any]]:
    return {
        eid: {
            "id": eid,
            "metric_id": eid.split("-")[0],
            "result": value,
            "justification": text,
            "source": {"type": "simulation", "run_index": int(eid.split("-")[1])},
        }
        for eid, (value, text) in values.items()
    }


def test_failed_explanation_shows_only_failing_sessions_with_value_and_justification() -> None:
    v = judge(UT, 0, make_run({"m1": [True, True, True], "m2": [True, False, True]}, [None] * 3))
    text = explain(
        v,
        evals(
            {
                "m2-0": (9, "PASSING-JUSTIFICATION warm"),
                "m2-1": (5.0, LONG),
                "m2-2": (8, "PASSING-JUSTIFICATION fine"),
                "m1-1": (True, "PASSING-JUSTIFICATION done"),
            }
        ),
        set_name="Support regression",
        rerun_hint=f"Report this run again: pytest --amigo-run={RUN_ID}",
    )
    lines = text.splitlines()
    assert lines[0] == f"✘ FAILED: Refund request — run {RUN_ID} of set 'Support regression'"
    assert "Empathy ✔✘✔ 2/3" in text
    assert "session 2: 5, needs >= 7" in text
    assert "session 1:" not in text and "session 3:" not in text
    assert "PASSING-JUSTIFICATION" not in text
    assert '"The agent never confirmed the refund amount.' in text
    assert all(len(line) <= 100 for line in lines)
    assert sum("The agent never confirmed" in line for line in lines) >= 2  # wrapped
    assert "sessions: 2 passed of 3 valid (of 3), 3 required" in text
    assert lines[-1] == f"Report this run again: pytest --amigo-run={RUN_ID}"


def test_boolean_and_categorical_values_are_formatted() -> None:
    metrics = [
        {
            "metric_id": "m1",
            "success_criterion_name": "Completion",
            "success_criterion": COMPLETION,
        },
        {
            "metric_id": "m3",
            "success_criterion_name": "Outcome",
            "success_criterion": {"type": "categorical", "expected_values": ["resolved"]},
        },
    ]
    v = judge(UT, 0, make_run({"m1": [False], "m3": [False]}, [None], metrics=metrics))
    text = explain(
        v, evals({"m1-0": (False, "no"), "m3-0": ("abandoned", "gave up")}), set_name="S"
    )
    assert "session 1: false, needs is true" in text
    assert "session 1: abandoned, needs in {resolved}" in text
    assert '"gave up"' in text


def test_evaluations_not_fetched_still_names_the_session() -> None:
    v = judge(UT, 0, make_run({"m1": [True, False, True]}, [None] * 3))
    text = explain(v, None, set_name="S")
    assert "session 2: not met (evaluation m1-1 not fetched)" in text
    assert "Report this run again" not in text


def test_errored_sessions_are_listed_with_their_error() -> None:
    v = judge(UT, 0, make_run({"m1": [False, True]}, [None, "Simulator crashed", None]))
    text = explain(v, evals({"m1-0": (False, "nope")}), set_name="S")
    assert "session 2 errored:" in text
    assert "Simulator crashed" in text
    assert "session 1: false, needs is true" in text


def test_missing_result_is_explained() -> None:
    v = judge(UT, 0, make_run({"m1": [True]}, [None, None]))
    text = explain(v, {}, set_name="S")
    assert "session 2: no result reported for this session" in text
    assert "1/2 met, 1 without result" in text


def test_permission_error_names_the_permission_and_what_to_do() -> None:
    run = make_run({}, [None, None, None], metrics=[])
    v = judge(UT, 0, run)
    text = explain(v, None, set_name="S", rerun_hint="Report this run again: pytest --amigo-run=x")
    assert "! ERROR" in text.splitlines()[0]
    assert "missing permission: Simulation:GetSimulationUnitTest." in text
    assert "to the API key's user" in " ".join(text.split())
    assert text.splitlines()[-1] == "Report this run again: pytest --amigo-run=x"


def test_timeout_explains_what_happened() -> None:
    run = make_run({"m1": []}, [None, None, None], completed=False)
    run["unit_test_run_results"] = [None]
    v = judge_unfinished(UT, 0, run, why="timeout", budget_s=600)
    text = explain(v, None, set_name="S")
    assert f"no result after 600 s (--amigo-timeout): run {RUN_ID} still running" in text
    assert "report it later" in text


def test_passed_explanation_and_summary() -> None:
    v = judge(UT, 0, make_run({"m1": [True, True]}, [None, None]))
    text = explain(v, None, set_name="S")
    assert text.startswith("✔ PASSED: Refund request")
    assert "session 1:" not in text
    assert summarize_marks(v) == "Completion ✔✔ 2/2"
    assert summarize_marks(v, failing_only=True) == ""


def test_a_justification_repeated_over_sessions_is_quoted_once_with_their_numbers() -> None:
    ut = UnitTest(id="ut1", name="Refund request", run_count=6, criteria=UT.criteria)
    failing = [False, False, False, True, False, False]
    v = judge(ut, 0, make_run({"m1": failing}, [None] * 6))
    said = {0: "The agent hung up.", 1: "The agent hung up.", 2: "The agent hung up."}
    said |= {4: "The agent hung up.", 5: "It never answered."}
    text = explain(v, evals({f"m1-{i}": (False, why) for i, why in said.items()}), set_name="S")
    lines = text.splitlines()
    assert text.count("The agent hung up.") == 1
    start = lines.index("    sessions 1-3, 5: false, needs is true")
    assert lines[start : start + 4] == [
        "    sessions 1-3, 5: false, needs is true",
        '      "The agent hung up."',
        "    session 6: false, needs is true",
        '      "It never answered."',
    ]


def test_sessions_with_one_justification_but_different_values_keep_their_values() -> None:
    v = judge(UT, 0, make_run({"m2": [False, False, False]}, [None] * 3))
    text = explain(
        v,
        evals({"m2-0": (5, "Curt."), "m2-1": (4, "Curt."), "m2-2": (5, "Curt.")}),
        set_name="S",
    )
    assert text.count("Curt.") == 1
    assert "    sessions 1, 3: 5, needs >= 7\n    session 2: 4, needs >= 7\n" in text


def test_pass_k_of_one_is_said_once() -> None:
    v = judge(UT, 0, make_run({"m1": [False]}, [None]))
    text = explain(v, None, set_name="S", pass_k=(1, 0.0, 0.0))
    assert "  pass^1 0.00 (the chance that a session passes)" in text.splitlines()
    assert "pass^1 0.00, pass^1" not in text
    four = explain(v, None, set_name="S", pass_k=(4, 0.5, 0.06))
    assert "pass^1 0.50, pass^4 0.06 (the chance that 4 sessions in a row all pass)" in four
