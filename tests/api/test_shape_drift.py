"""Response-shape drift over real loopback HTTP (emulator faults ``drop_fields`` /
``add_fields``): answers without ``metric_version``, ``tags``, ``creator``, ``updated_by`` and
with unknown fields everywhere read fine and give the same verdicts; a run without
``is_completed`` is a ResponseShapeError naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pydantic
import pytest
from amigo_sdk.generated.model import SimulationGetSimulationUnitTestSetRunsResponse

from pytest_amigo.api import ResponseShapeError, SimulationApi
from pytest_amigo.judging.verdict import Verdict, judge
from pytest_amigo.lifecycle.set_reader import load_sets

emulator = pytest.importorskip("pytest_amigo.emulator")
derive_id = emulator.derive_id

WORLD: dict[str, Any] = {
    "emulator": {"organization": "acme-shape-drift"},
    "metrics": [
        {"name": "Resolved", "type": "boolean"},
        {"name": "Empathy", "type": "numerical", "lower_bound": 0, "upper_bound": 10},
    ],
    "personas": [{"name": "Alice", "role": "Customer"}],
    "scenarios": [{"name": "Refund"}],
    "unit_tests": [
        {
            "name": "Refund flow",
            "persona": "Alice",
            "scenario": "Refund",
            "duration": 30,
            "criteria": [
                {"metric": "Resolved", "expected": True},
                {"metric": "Empathy", "verb": ">=", "threshold": 5},
            ],
            "sessions": [
                {"values": {"Resolved": True, "Empathy": 8}},
                {"values": {"Resolved": False, "Empathy": 3}},
            ],
        },
        {
            "name": "Greeting",
            "persona": "Alice",
            "scenario": "Refund",
            "duration": 30,
            "criteria": [{"metric": "Resolved", "expected": True}],
            "sessions": [{"values": {"Resolved": True}}],
        },
    ],
    "sets": [
        {
            "name": "Checkout",
            "unit_tests": [
                {"unit_test": "Refund flow", "run_count": 2},
                {"unit_test": "Greeting", "run_count": 2},
            ],
        }
    ],
}
SET_ID = derive_id("set", "Checkout")
DRIFT = {
    "drop_fields": ["metric_version", "tags", "creator", "updated_by", "filter_values"],
    "add_fields": {"some_new_field": {"nested": ["x", 1]}},
}


@pytest.fixture(autouse=True)
def _no_faults_after(emu: Any) -> Iterator[None]:
    yield
    httpx.delete(f"{emu.base_url}/_emulator/faults").raise_for_status()


def _faults(emu: Any, plan: dict[str, Any]) -> None:
    httpx.post(f"{emu.base_url}/_emulator/faults", json=plan).raise_for_status()


def _verdicts(api: SimulationApi, emu: Any) -> list[tuple[str, str, tuple[Any, ...]]]:
    """Collect the set, run it to completion and judge every unit test (API -> verdict)."""
    definition = load_sets(api, [SET_ID])[SET_ID]
    run_id = api.create_run(SET_ID)
    emu.advance(3600)
    (run,) = api.list_runs(ids=[run_id])
    assert run["is_completed"] is True
    evaluations = {e["id"]: e for e in api.list_metric_evaluation_results(run_ids=[run_id])}
    out = []
    for position, unit_test in enumerate(definition.unit_tests):
        verdict: Verdict = judge(unit_test, position, run, evaluations=evaluations)
        checks = tuple(s.checks for s in verdict.sessions)
        out.append((unit_test.name, verdict.outcome, checks))
    return out


def test_drifted_answers_read_fine_and_judge_the_same(api: SimulationApi, emu: Any) -> None:
    expected = _verdicts(api, emu)
    assert [(name, outcome) for name, outcome, _ in expected] == [
        ("Refund flow", "failed"),
        ("Greeting", "passed"),
    ]

    _faults(emu, DRIFT)
    assert _verdicts(api, emu) == expected

    # the answers really drifted: no metric_version, unknown fields kept as sent
    (run,) = api.list_runs(set_ids=[SET_ID], limit=1, sort_by=["-created_at"])
    assert run["some_new_field"] == {"nested": ["x", 1]}
    assert "creator" not in run
    page = {"simulation_unit_test_set_runs": [run], "has_more": False, "continuation_token": None}
    with pytest.raises(pydantic.ValidationError):  # what the SDK's model would have said
        SimulationGetSimulationUnitTestSetRunsResponse.model_validate(page)
    (result,) = run["unit_test_run_results"][:1]
    assert all("metric_version" not in m for m in result["metric_evaluation_results"])
    evaluations = api.list_metric_evaluation_results(run_ids=[run["id"]])
    assert evaluations and all("metric_version" not in e for e in evaluations)
    assert all(e["some_new_field"] == {"nested": ["x", 1]} for e in evaluations)
    (found,) = api.list_unit_test_sets(ids=[SET_ID])
    assert found.model_extra is not None and "tags" not in found.model_extra
    assert found.model_extra["some_new_field"] == {"nested": ["x", 1]}


def test_run_without_is_completed_names_the_field(api: SimulationApi, emu: Any) -> None:
    api.create_run(SET_ID)  # a run of its own: the test must not depend on an earlier one
    emu.advance(3600)
    _faults(emu, {"drop_fields": ["is_completed"], "only": ["get-simulation-unit-test-set-runs"]})
    before = _runs_requests(emu)
    with pytest.raises(ResponseShapeError) as info:
        api.list_runs(set_ids=[SET_ID])
    message = str(info.value)
    assert "get-simulation-unit-test-set-runs: HTTP 200" in message
    assert "simulation_unit_test_set_runs[0].is_completed: required field missing" in message
    assert "Not transient" in message
    assert _runs_requests(emu) == before + 1  # not retried


def _runs_requests(emu: Any) -> int:
    log = httpx.get(f"{emu.base_url}/_emulator/requests").json()
    return int(log["by_endpoint"].get("get-simulation-unit-test-set-runs", 0))
