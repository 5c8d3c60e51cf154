"""Builders of run instance JSON and unit tests, for the verdict tests (tests/unit)."""

from __future__ import annotations

from typing import Any

from pytest_amigo.domain import Criterion, UnitTest
from pytest_amigo.judging.verdict import Verdict, judge

RUN_ID = "66aa00000000000000000001"
COMPLETION = {"type": "boolean", "expected_value": True}
EMPATHY = {"type": "numerical", "verb": ">=", "threshold": 7}
OUTCOME = {"type": "categorical", "expected_values": ["resolved", "escalated"]}


def metric(name: str, metric_id: str, criterion: dict[str, Any]) -> dict[str, Any]:
    return {"metric_id": metric_id, "success_criterion_name": name, "success_criterion": criterion}


def spec(unit_test_id: str, run_count: int, metrics: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "unit_test_id": unit_test_id,
        "run_count": run_count,
        "service_hierarchical_state_machine_version_info": ["sm", 1],
        "agent_version_info": ["agent", 1],
        "scenario_version_info": None,
        "persona_version_info": None,
        "llm_model_preferences": {},
        "max_interactions": 10,
        "metrics_to_evaluate": metrics,
    }


def evaluation(metric_id: str, passes: list[bool], prefix: str = "ev") -> dict[str, Any]:
    return {
        "metric_id": metric_id,
        "metric_version": 1,
        "results": [[f"{prefix}-{metric_id}-{i}", p] for i, p in enumerate(passes)],
    }


def result(
    unit_test_id: str, evaluations: list[dict[str, Any]], errors: list[str | None]
) -> dict[str, Any]:
    return {
        "unit_test_id": unit_test_id,
        "metric_evaluation_results": evaluations,
        "run_errors": errors,
    }


def run(
    specs: list[dict[str, Any]],
    results: list[dict[str, Any] | None],
    *,
    completed: bool = True,
    errored: bool = False,
) -> dict[str, Any]:
    return {
        "org_id": "acme",
        "id": RUN_ID,
        "is_completed": completed,
        "failed_metrics": False,
        "errored": errored,
        "artifacts_generated": completed,
        "simulation_unit_test_set_id": "set1",
        "unit_test_run_specs": specs,
        "unit_test_run_results": results,
        "created_at": "2026-04-01T12:00:00Z",
        "creator": {"org_id": "acme", "user_id": "u1"},
    }


def unit(uid: str = "ut1", run_count: int = 3, *criteria: Criterion) -> UnitTest:
    if not criteria:
        criteria = (Criterion.from_api("Completion", "m1", COMPLETION),)
    return UnitTest(id=uid, name=f"Test {uid}", run_count=run_count, criteria=criteria)


def judged(
    passed: int,
    valid: int,
    *,
    errored: int = 0,
    min_pass_rate: float | None = None,
    run_id: str | None = None,
) -> Verdict:
    """The real verdict of one unit test with one criterion: the first ``passed`` of ``valid``
    sessions pass, the others fail; ``errored`` more sessions error."""
    total = valid + errored
    passes = [i < passed for i in range(valid)]
    errors: list[str | None] = [None] * valid + ["simulator crashed"] * errored
    data = run(
        [spec("ut1", total, [metric("Completion", "m1", COMPLETION)])],
        [result("ut1", [evaluation("m1", passes)], errors)],
    )
    if run_id is not None:
        data["id"] = run_id
    return judge(unit("ut1", total), 0, data, min_pass_rate=min_pass_rate)
