"""TemporarySets against the emulator over real loopback HTTP: create, run, delete, recover."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_amigo.api import SimulationApi
from pytest_amigo.domain import UnitTestSet
from pytest_amigo.lifecycle.set_reader import load_sets
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.lifecycle.state_files import TEMPORARY
from pytest_amigo.lifecycle.temporary import (
    PERMISSION_CREATE,
    PERMISSION_DELETE,
    TemporarySetError,
    TemporarySets,
    temporary_set,
)

emulator = pytest.importorskip("pytest_amigo.emulator")
derive_id = emulator.derive_id

# The contract names Simulation:Create/DeleteSimulationUnitTestSet for these operations; the
# emulator checks Simulation:ModifySimulationUnitTestSet for both. Denying both names keeps
# these users right for either.
MODIFY = "Simulation:ModifySimulationUnitTestSet"
WORLD: dict[str, Any] = {
    "emulator": {"organization": "acme-temporary", "speed": 50.0, "rate_limits": False},
    "users": [
        {"user_id": "ci-bot", "api_key_id": "key-ci", "api_key": "temp-secret-ci-5b1d"},
        {
            "user_id": "no-create",
            "api_key_id": "key-nc",
            "api_key": "temp-secret-nc-93e0",
            "denied_permissions": [PERMISSION_CREATE, MODIFY],
        },
        {
            "user_id": "no-delete",
            "api_key_id": "key-nd",
            "api_key": "temp-secret-nd-1f7a",
            "denied_permissions": [PERMISSION_DELETE, MODIFY],
        },
    ],
    "metrics": [{"name": "Resolved", "type": "boolean"}],
    "personas": [{"name": "Alice", "role": "Customer"}],
    "scenarios": [{"name": "Refund"}],
    "unit_tests": [
        {
            "name": name,
            "persona": "Alice",
            "scenario": "Refund",
            "duration": duration,
            "criteria": [{"metric": "Resolved", "expected": True}],
        }
        for name, duration in (("One", 20), ("Two", 30), ("Three", 40), ("Slow", 1_000_000))
    ],
    "sets": [
        {
            "name": "Checkout",
            "description": "The checkout flows.",
            "unit_tests": [
                {"unit_test": "One", "run_count": 2},
                {"unit_test": "Two", "run_count": 1},
                {"unit_test": "Three", "run_count": 1},
                {"unit_test": "Slow", "run_count": 1},
            ],
        }
    ],
}
SET_ID = derive_id("set", "Checkout")
ONE, TWO, SLOW = (derive_id("unit_test", n) for n in ("One", "Two", "Slow"))


def _client(emu: Any, user: str = "ci-bot") -> SimulationApi:
    return SimulationApi(
        base_url=emu.base_url, organization_id=emu.organization_id, **emu.user(user)
    )


@pytest.fixture(scope="module")
def api(emu: Any) -> Iterator[SimulationApi]:
    with _client(emu) as client:
        yield client


@pytest.fixture(scope="module")
def source(api: SimulationApi) -> UnitTestSet:
    return load_sets(api, [SET_ID])[SET_ID]


@pytest.fixture
def state(tmp_path: Path) -> SharedState:
    return SharedState(tmp_path / "state")


def _sets(state: SharedState, api: SimulationApi) -> TemporarySets:
    return TemporarySets(state, lambda: api, sleep=lambda _: None)


def _live(api: SimulationApi, set_id: str) -> bool:
    return bool(api.list_unit_test_sets(ids=[set_id], is_deleted=False))


def _wait_completed(api: SimulationApi, run_id: str, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        (run,) = api.list_runs(ids=[run_id])
        if run["is_completed"] or time.monotonic() > deadline:
            return run
        time.sleep(0.1)


def test_temporary_set_checks_its_entries(source: UnitTestSet) -> None:
    planned = temporary_set("pytest-amigo subset of", source, [(TWO, 3)], "abc123")
    assert planned.name == "pytest-amigo subset of Checkout [abc123]"
    assert [(u.id, u.run_count) for u in planned.unit_tests] == [(TWO, 3)]
    with pytest.raises(ValueError, match="not in unit test set"):
        temporary_set("p", source, [("f" * 24, 1)], "x")
    with pytest.raises(ValueError, match="run_count"):
        temporary_set("p", source, [(ONE, 0)], "x")
    with pytest.raises(ValueError, match="at least one"):
        temporary_set("p", source, [], "x")


def test_created_set_runs_only_its_unit_tests(
    api: SimulationApi, source: UnitTestSet, state: SharedState
) -> None:
    sets = _sets(state, api)
    made = sets.create("pytest-amigo resample of", source, [(ONE, 5), (TWO, 5)])
    assert made.name.startswith("pytest-amigo resample of Checkout [")
    assert [(u.id, u.name, u.run_count) for u in made.unit_tests] == [
        (ONE, "One", 5),
        (TWO, "Two", 5),
    ]
    assert made.unit_tests[0].criteria == source.unit_tests[0].criteria
    (entry,) = state.read(TEMPORARY)["sets"].values()
    assert entry == {
        "name": made.name,
        "source_set_id": SET_ID,
        "set_id": made.id,
        "status": "created",
        "error": None,
    }
    (definition,) = api.list_unit_test_sets(ids=[made.id])
    assert definition.name == made.name
    assert "temporary" in (definition.description or "").lower()
    assert "pytest-amigo" in (definition.description or "")

    run = _wait_completed(api, api.create_run(made.id))
    assert run["is_completed"] and not run["errored"]
    specs, results = run["unit_test_run_specs"], run["unit_test_run_results"]
    assert [(s["unit_test_id"], s["run_count"]) for s in specs] == [(ONE, 5), (TWO, 5)]
    assert len(results) == 2
    for result in results:
        assert result["run_errors"] == [None] * 5
        (metric,) = result["metric_evaluation_results"]
        assert len(metric["results"]) == 5
    assert sets.delete_all(10.0) == []


def test_delete_and_delete_all_across_objects(
    api: SimulationApi, source: UnitTestSet, state: SharedState
) -> None:
    sets = _sets(state, api)
    first = sets.create("pytest-amigo subset of", source, [(ONE, 1)])
    second = sets.create("pytest-amigo subset of", source, [(TWO, 2)])
    assert first.name != second.name
    assert sets.delete(first.id) is None
    assert not _live(api, first.id)
    assert _live(api, second.id)
    assert sets.delete("f" * 24) is None  # unknown (404) counts as deleted

    other_process = _sets(SharedState(state.root), api)
    assert [e["set_id"] for e in other_process.pending()] == [second.id]
    assert other_process.delete_all(10.0) == []
    assert not _live(api, second.id)
    assert {e["status"] for e in sets.entries()} == {"deleted"}
    assert sets.pending() == []


def test_delete_after_cancelling_an_unfinished_run(
    api: SimulationApi, source: UnitTestSet, state: SharedState
) -> None:
    sets = _sets(state, api)
    made = sets.create("pytest-amigo resample of", source, [(SLOW, 2)])
    run_id = api.create_run(made.id)
    (run,) = api.list_runs(ids=[run_id])
    assert not run["is_completed"]
    api.cancel_run(run_id)
    started = time.monotonic()
    assert sets.delete(made.id, time_cap=5.0) is None
    assert time.monotonic() - started < 5.0
    assert not _live(api, made.id)
    assert sets.pending() == []


def test_missing_create_permission(emu: Any, source: UnitTestSet, state: SharedState) -> None:
    with _client(emu, "no-create") as denied:
        sets = _sets(state, denied)
        with pytest.raises(TemporarySetError) as raised:
            sets.create("pytest-amigo resample of", source, [(ONE, 5)])
    message = str(raised.value)
    assert PERMISSION_CREATE in message and "403" in message
    assert "temp-secret" not in message
    assert sets.pending() == []
    assert [e["status"] for e in sets.entries()] == ["absent"]


def test_missing_delete_permission(
    emu: Any, api: SimulationApi, source: UnitTestSet, state: SharedState
) -> None:
    made = _sets(state, api).create("pytest-amigo subset of", source, [(ONE, 1)])
    with _client(emu, "no-delete") as denied:
        sets = _sets(SharedState(state.root), denied)
        reason = sets.delete(made.id, time_cap=1.0)
        assert reason is not None and PERMISSION_DELETE in reason and "\n" not in reason
        (line,) = sets.delete_all(1.0)
    assert made.id in line and PERMISSION_DELETE in line and "by hand" in line
    assert "temp-secret" not in line
    assert _live(api, made.id)
    assert _sets(state, api).delete_all(10.0) == []
    assert not _live(api, made.id)


@pytest.mark.parametrize("fault", ["processed_drops", "processed_errors"])
def test_lost_create_answer_yields_one_set(
    emu: Any, api: SimulationApi, source: UnitTestSet, state: SharedState, fault: str
) -> None:
    plan = {fault: 1, "only": ["create-simulation-unit-test-set"]}
    httpx.post(f"{emu.base_url}/_emulator/faults", json=plan).raise_for_status()
    try:
        sets = _sets(state, api)
        made = sets.create("pytest-amigo subset of", source, [(TWO, 2)])
    finally:
        httpx.delete(f"{emu.base_url}/_emulator/faults").raise_for_status()
    assert httpx.get(f"{emu.base_url}/_emulator/faults").json()[fault] == 0  # it did happen
    found = api.search_unit_test_sets(made.name.rsplit(" [", 1)[0])
    assert [(getattr(s.field_id, "root", s.field_id), s.name) for s in found] == [
        (made.id, made.name)
    ]
    assert [e["status"] for e in sets.entries()] == ["created"]
    assert sets.delete_all(10.0) == []


def test_delete_all_resolves_a_create_recorded_but_never_answered(
    api: SimulationApi, source: UnitTestSet, state: SharedState
) -> None:
    """A crash between sending the create and recording its id: clean-up finds it by name."""
    sets = _sets(state, api)
    made = sets.create("pytest-amigo subset of", source, [(ONE, 1)])
    never = "pytest-amigo subset of Checkout [000000]"

    def forget(data: dict[str, Any]) -> dict[str, Any]:
        data["sets"][made.name].update(set_id=None, status="creating")
        data["sets"][never] = {**data["sets"][made.name], "name": never}
        return data

    state.update(TEMPORARY, forget, {})
    assert _sets(SharedState(state.root), api).delete_all(10.0) == []
    assert not _live(api, made.id)
    statuses = {e["name"]: e["status"] for e in sets.entries()}
    assert statuses == {made.name: "deleted", never: "absent"}
