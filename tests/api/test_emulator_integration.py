"""SimulationApi against the emulator over real loopback HTTP."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from amigo_sdk.generated.model import SimulationCreateSimulationPersonaRequest

from pytest_amigo.api import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    Pacer,
    SimulationApi,
)

emulator = pytest.importorskip(
    "pytest_amigo.emulator", reason="pytest_amigo.emulator is not importable (not written yet?)"
)
Emulator = emulator.Emulator
World = emulator.World
derive_id = emulator.derive_id

WORLD: dict[str, Any] = {
    "emulator": {"organization": "acme-api-tests", "artifacts_delay": 5.0},
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
                {
                    "values": {"Resolved": True, "Empathy": 8},
                    "tools": [
                        {"tool": "lookup_order", "output": "found"},
                        {"tool": "issue_refund", "exception": "card declined"},
                    ],
                },
                {"values": {"Resolved": False, "Empathy": 3}},
            ],
        }
    ],
    "sets": [
        {"name": "Checkout", "unit_tests": [{"unit_test": "Refund flow", "run_count": 2}]},
        {"name": "Spare", "unit_tests": ["Refund flow"]},
    ],
}
SET_ID = derive_id("set", "Checkout")
SPARE_SET_ID = derive_id("set", "Spare")
UNIT_TEST_ID = derive_id("unit_test", "Refund flow")
RESOLVED = derive_id("metric", "Resolved")
EMPATHY = derive_id("metric", "Empathy")
PERSONA_ID = derive_id("persona", "Alice")
SCENARIO_ID = derive_id("scenario", "Refund")


@pytest.fixture(scope="module")
def api(emu: Any) -> Iterator[SimulationApi]:
    with SimulationApi(
        base_url=emu.base_url, organization_id=emu.organization_id, **emu.credentials
    ) as client:
        yield client


def _root(value: Any) -> Any:
    return getattr(value, "root", value)


def _requests(emu: Any) -> dict[str, Any]:
    return httpx.get(f"{emu.base_url}/_emulator/requests").json()


def test_sets_crud(api: SimulationApi) -> None:
    sets = api.list_unit_test_sets(ids=[SET_ID, SPARE_SET_ID])
    assert {s.id for s in sets} == {SET_ID, SPARE_SET_ID}
    assert {_root(s.field_id) for s in api.search_unit_test_sets("Checkout")} >= {SET_ID}
    new_id = api.create_unit_test_set(
        {
            "name": "Created by api tests",
            "description": "tmp",
            "unit_test_runs": [{"unit_test_id": UNIT_TEST_ID, "run_count": 1}],
            "tags": {},
        }
    )
    api.update_unit_test_set(new_id, {"description": "changed"})
    (created,) = api.list_unit_test_sets(ids=[new_id])
    assert created.description == "changed"
    with pytest.raises(ConflictError):
        api.create_unit_test_set(
            {
                "name": "Created by api tests",
                "description": None,
                "unit_test_runs": [{"unit_test_id": UNIT_TEST_ID, "run_count": 1}],
                "tags": {},
            }
        )
    api.delete_unit_test_set(new_id)
    assert api.list_unit_test_sets(ids=[new_id], is_deleted=False) == []


def test_personas_crud_and_versions(api: SimulationApi) -> None:
    body = SimulationCreateSimulationPersonaRequest.model_validate(
        {
            "name": "Bob",
            "role": "Customer",
            # amigo-sdk 2.5.0 request models cannot hold non-empty tags (RootModel dict keys are
            # unhashable); tags go through plain dicts, see docs/sdk-notes.md.
            "tags": {},
            "initial_version": {
                "background": "Bob is in a hurry.",
                "preferred_language": "eng",
                "timezone": "Europe/Paris",
                "user_models": [],
                "nonsensitive_user_variables": {},
                "sensitive_user_variables": {},
            },
        }
    )
    pid = api.create_persona(body)
    assert [p.id for p in api.list_personas(ids=[pid])] == [pid]
    assert pid in {p.id for p in api.search_personas("Bob")}
    # Non-empty tags would hit the emulator's own use of the same SDK model (500).
    api.update_persona(pid, {"tags": {}})
    version = api.create_persona_version(
        pid,
        {
            "background": "Bob is calm now.",
            "preferred_language": "eng",
            "timezone": "Europe/Paris",
            "user_models": [],
            "nonsensitive_user_variables": {},
            "sensitive_user_variables": {},
        },
    )
    assert version == 2
    assert sorted(v.version for v in api.list_persona_versions(pid)) == [1, 2]
    api.delete_persona(pid)
    assert PERSONA_ID in {p.id for p in api.list_personas()}


def test_scenarios_crud_and_versions(api: SimulationApi) -> None:
    version_body = {
        "objective": "Cancel a subscription.",
        "instructions": "Be firm.",
        "initial_message_type": "user-message",
        "conversation_starts_at": None,
    }
    sid = api.create_scenario({"name": "Cancel", "tags": {}, "initial_version": version_body})
    assert [s.id for s in api.list_scenarios(ids=[sid])] == [sid]
    assert sid in {s.id for s in api.search_scenarios("Cancel")}
    api.update_scenario(sid, {"tags": {}})  # non-empty: emulator 500, see report
    assert api.create_scenario_version(sid, {**version_body, "instructions": "Be kind."}) == 2
    assert sorted(v.version for v in api.list_scenario_versions(sid)) == [1, 2]
    api.delete_scenario(sid)
    assert SCENARIO_ID in {s.id for s in api.list_scenarios()}


def test_unit_tests_crud(api: SimulationApi) -> None:
    (existing,) = api.list_unit_tests(ids=[UNIT_TEST_ID])
    assert existing.id == UNIT_TEST_ID
    uid = api.create_unit_test(
        {
            "name": "Created unit test",
            "description": "tmp",
            "service_id": existing.service_id,
            "service_version_set_name": existing.service_version_set_name,
            "persona_id": PERSONA_ID,
            "scenario_id": SCENARIO_ID,
            "max_interactions": 5,
            "success_criterions": [
                {
                    "name": "resolved",
                    "metric_id": RESOLVED,
                    "criterion": {"type": "boolean", "expected_value": True},
                }
            ],
            "tags": {},
        }
    )
    assert uid in {_root(u.field_id) for u in api.search_unit_tests("Created unit test")}
    api.update_unit_test(uid, {"run_count": 3, "description": "changed"})
    (created,) = api.list_unit_tests(ids=[uid])
    assert created.description == "changed"
    api.delete_unit_test(uid)
    assert api.list_unit_tests(ids=[uid], is_deleted=False) == []


def test_metrics_by_id(api: SimulationApi) -> None:
    metrics = api.list_metrics(ids=[RESOLVED, EMPATHY])
    assert {m.id: m.name for m in metrics} == {RESOLVED: "Resolved", EMPATHY: "Empathy"}
    assert [m.id for m in api.list_metrics(ids=[RESOLVED, EMPATHY], types=["numerical"])] == [
        EMPATHY
    ]


def test_run_lifecycle(api: SimulationApi, emu: Any, tmp_path: Path) -> None:
    run_id = api.create_run(SET_ID)
    with pytest.raises(ConflictError):
        api.create_run(SET_ID)
    (run,) = api.list_runs(ids=[run_id])
    assert run["is_completed"] is False
    assert run_id in {r["id"] for r in api.list_runs(set_ids=[SET_ID], is_completed=False)}
    with pytest.raises(BadRequestError):
        api.get_artifacts(run_id)

    emu.advance(3600)
    (run,) = api.list_runs(ids=[run_id], is_completed=True)
    assert run["failed_metrics"] is True  # the second session fails both criteria
    assert api.list_runs(ids=[run_id], is_completed=False) == []

    # more than 50 ids: one request per 50 ids, same answer
    before = api.request_counts()["get-simulation-unit-test-set-runs"]
    many = [run_id] + [f"{i:024x}" for i in range(1, 75)]
    assert [r["id"] for r in api.list_runs(ids=many)] == [run_id]
    assert api.request_counts()["get-simulation-unit-test-set-runs"] == before + 2

    artifacts = api.get_artifacts(run_id)
    assert artifacts.presigned_url.startswith(emu.base_url)
    dest = api.download_artifacts(run_id, tmp_path / "out" / "artifacts.zip")
    assert zipfile.is_zipfile(dest)
    assert not dest.with_suffix(".part").exists()

    results = api.list_metric_evaluation_results(run_ids=[run_id])
    assert results and {r["metric_id"] for r in results} <= {RESOLVED, EMPATHY}
    invocations = api.list_tool_invocations(run_ids=[run_id])
    assert invocations
    failed = api.list_tool_invocations(run_ids=[run_id], succeeded=False)
    assert failed and all(not i.invocation_status.root.succeeded for i in failed)

    # cancel: an unfinished run can be cancelled once, a finished one conflicts
    second = api.create_run(SPARE_SET_ID)
    api.cancel_run(second)
    with pytest.raises(ConflictError):
        api.cancel_run(run_id)


def test_request_counts_match_emulator_log(api: SimulationApi, emu: Any) -> None:
    counts = api.request_counts()
    log = _requests(emu)
    assert counts["sign-in-with-api-key"] == 1
    for op, n in counts.items():
        assert log["by_endpoint"].get(op) == n, op
    assert log["rate_limited"] == 0
    assert api.secrets()[0] == emu.credentials["api_key"]
    assert len(api.secrets()) == 2
    assert emu.credentials["api_key"] not in repr(api)


def test_wrong_key_gives_clear_error(emu: Any) -> None:
    creds = {**emu.credentials, "api_key": "definitely-wrong-key-value"}
    with SimulationApi(base_url=emu.base_url, organization_id=emu.organization_id, **creds) as bad:
        with pytest.raises(AuthenticationError) as info:
            bad.list_metrics(ids=[RESOLVED])
    message = str(info.value)
    assert "HTTP 401" in message and emu.organization_id in message
    assert "definitely-wrong-key-value" not in message


def test_rate_limits_honoured_with_short_window() -> None:
    window = 2.0
    world = World.from_dict({**WORLD, "emulator": {"organization": "acme-rate-limits"}})
    with Emulator(world, port=0, rate_limit_window=window) as running:
        pacer = Pacer(window=window)
        with SimulationApi(
            base_url=running.base_url,
            organization_id=running.organization_id,
            pacer=pacer,
            **running.credentials,
        ) as client:
            start = time.monotonic()
            for _ in range(12):
                client.list_metric_evaluation_results(metric_ids=[RESOLVED])
            elapsed = time.monotonic() - start
        log = _requests(running)
    assert log["by_endpoint"]["get-metric-evaluation-results"] == 12
    assert log["rate_limited"] == 0
    assert log["status_counts"].get("429", 0) == 0
    assert elapsed >= window * 0.5  # the 11th call had to wait for the next window
