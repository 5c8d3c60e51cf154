"""The coordinator's collaborators one at a time, without HTTP: the pure decisions (why
artifacts are missing, which runs to cancel, when a wait is over) and the once-per-session
bookkeeping over the shared state (run records, definitions, baselines, re-sampling budget)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_amigo.domain import UnitTest, UnitTestSet
from pytest_amigo.errors import DefinitionError
from pytest_amigo.lifecycle.artifacts_wait import awaited, missing_reason
from pytest_amigo.lifecycle.cancelling import may_cancel
from pytest_amigo.lifecycle.definitions import SetDefinitions
from pytest_amigo.lifecycle.records import RunRecord, RunRecords
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.lifecycle.snapshot import Snapshot
from pytest_amigo.lifecycle.starter import RunStarter
from pytest_amigo.lifecycle.temporary import TemporarySets
from pytest_amigo.lifecycle.temporary_runs import TemporaryRuns
from pytest_amigo.lifecycle.waiting import settled
from pytest_amigo.settings import Settings

SET_A, SET_B = "a" * 24, "b" * 24
RUN_1, RUN_2 = "1" * 24, "2" * 24


def record(set_id: str = SET_A, run_id: str | None = RUN_1, **fields: Any) -> RunRecord:
    return RunRecord(set_id, run_id, fields.pop("started_here", True), "", 0.0, **fields)


def run(**fields: Any) -> dict[str, Any]:
    return {"is_completed": False, "errored": False, "artifacts_generated": False, **fields}


class ListingApi:
    """Only the runs list, counted: the collaborators must read each answer once."""

    organization_id = "org"

    def __init__(self, runs: list[dict[str, Any]]) -> None:
        self.runs = runs
        self.calls: list[dict[str, Any]] = []

    def list_runs(self, **kwargs: Any) -> list[dict[str, Any]]:
        self.calls.append(kwargs)
        if "ids" in kwargs:
            return [r for r in self.runs if r["id"] in kwargs["ids"]]
        return [r for r in self.runs if r["simulation_unit_test_set_id"] in kwargs["set_ids"]]

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected API call: {name}")


# -- artifacts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rec", "snap", "reason"),
    [
        (record(), Snapshot(artifacts={RUN_1: {"error": "HTTP 403"}}), "HTTP 403"),
        (record(), Snapshot(poll_fatal={RUN_1: "gone"}), "the run could not be read"),
        (record(cancelled="timeout"), Snapshot(), "this session cancelled the run (timeout)"),
        (record(), Snapshot(runs={RUN_1: run(errored=True)}), "the run errored"),
        (record(), Snapshot(runs={RUN_1: run()}), "the run had not finished"),
        (record(), Snapshot(), "the run had not finished"),
        (
            record(),
            Snapshot(runs={RUN_1: run(is_completed=True)}),
            "not generated within amigo_artifacts_wait (7.5 s)",
        ),
        (
            record(),
            Snapshot(runs={RUN_1: run(is_completed=True, artifacts_generated=True)}),
            "the artifacts were not downloaded",
        ),
    ],
)
def test_missing_artifacts_say_why(rec: RunRecord, snap: Snapshot, reason: str) -> None:
    assert reason in missing_reason(rec, snap, 7.5)


def test_artifacts_are_awaited_only_from_completed_runs_not_cancelled_nor_fetched() -> None:
    records = {
        "done": record("done", "r-done"),
        "running": record("running", "r-running"),
        "errored": record("errored", "r-errored"),
        "cancelled": record("cancelled", "r-cancelled", cancelled="interrupted"),
        "fetched": record("fetched", "r-fetched"),
        "none": record("none", None),
    }
    snap = Snapshot(
        runs={
            "r-done": run(is_completed=True),
            "r-running": run(),
            "r-errored": run(is_completed=True, errored=True),
            "r-cancelled": run(is_completed=True),
            "r-fetched": run(is_completed=True),
        },
        artifacts={"r-fetched": {"path": "x.zip"}},
    )
    assert awaited(records, snap) == ["r-done"]


# -- cancelling -----------------------------------------------------------------------------------


def test_only_unfinished_runs_started_here_and_asked_for_are_cancelled() -> None:
    snap = Snapshot(runs={RUN_1: run(), RUN_2: run(is_completed=True)})
    assert may_cancel(record(), snap, None)
    assert may_cancel(record(run_id="unpolled"), snap, None)  # not seen yet: may be running
    assert may_cancel(record(), snap, {SET_A})
    assert not may_cancel(record(), snap, {SET_B})
    assert not may_cancel(record(started_here=False), snap, None)  # attached: never
    assert not may_cancel(record(cancelled="timeout"), snap, None)
    assert not may_cancel(record(finished=True), snap, None)
    assert not may_cancel(record(run_id=None), snap, None)
    assert not may_cancel(record(run_id=RUN_2), snap, None)  # the last poll saw it complete
    assert not may_cancel(record(), Snapshot(runs={RUN_1: run(errored=True)}), None)


# -- waiting --------------------------------------------------------------------------------------


def test_a_wait_is_over_once_the_verdict_and_its_justifications_are_in() -> None:
    def pending(found: dict[str, Any] | None, rec: RunRecord) -> set[str] | None:
        return None

    def needs(*ids: str) -> Any:
        return lambda found, rec: set(ids)

    snap = Snapshot(runs={RUN_1: run()}, evaluations={"e1": {}}, evaluations_tried=["e2"])
    refused = settled(record(error="no run"), snap, pending)
    assert refused is not None and refused.run is None and not refused.timed_out
    lost = settled(record(), Snapshot(poll_fatal={RUN_1: "forbidden"}), pending)
    assert lost is not None and lost.failure == "forbidden"
    assert settled(record(), snap, pending) is None
    assert settled(record(), snap, needs("e1", "e3")) is None  # e3 not fetched yet
    done = settled(record(), snap, needs("e1", "e2"))  # e2 asked for and not found
    assert done is not None and done.run == run() and done.evaluation_error is None
    unreadable = Snapshot(runs={RUN_1: run()}, evaluation_errors={RUN_1: "HTTP 403"})
    given_up = settled(record(), unreadable, needs("e3"))
    assert given_up is not None and given_up.evaluation_error == "HTTP 403"


# -- run records ----------------------------------------------------------------------------------


def test_run_records_are_put_and_marked_across_processes(tmp_path: Path) -> None:
    first, second = RunRecords(SharedState(tmp_path)), RunRecords(SharedState(tmp_path))
    first.put(record())
    second.mark(SET_A, cancelled="timeout")
    second.mark(SET_B, cancelled="timeout")  # no record: nothing to mark
    assert first.all() == {SET_A: record(cancelled="timeout")}


# -- definitions ----------------------------------------------------------------------------------


def test_the_set_of_a_run_is_read_once_and_so_is_its_absence(tmp_path: Path) -> None:
    api = ListingApi([{"id": RUN_1, "simulation_unit_test_set_id": SET_A}])
    first = SetDefinitions(SharedState(tmp_path), lambda: api)
    second = SetDefinitions(SharedState(tmp_path), lambda: api)
    assert first.set_of_run(RUN_1) == second.set_of_run(RUN_1) == SET_A
    for definitions in (first, second):
        with pytest.raises(DefinitionError, match=f"run {RUN_2} .* not found in organization"):
            definitions.set_of_run(RUN_2)
    assert api.calls == [{"ids": [RUN_1]}, {"ids": [RUN_2]}]


def test_baselines_last_and_by_run_id(tmp_path: Path) -> None:
    earlier = {"id": RUN_2, "simulation_unit_test_set_id": SET_A, "is_completed": True}
    current = {"id": RUN_1, "simulation_unit_test_set_id": SET_A, "is_completed": True}
    api = ListingApi([current, earlier])
    definitions = SetDefinitions(SharedState(tmp_path / "last"), lambda: api)
    found = definitions.baseline_run(SET_A, "last", RUN_1)
    assert found == {"run": earlier, "how": "the last completed run of the set"}
    assert definitions.baseline_run(SET_A, "last", RUN_1) == found  # once per session
    assert len(api.calls) == 1
    named = SetDefinitions(SharedState(tmp_path / "named"), lambda: api)
    assert named.baseline_run(SET_A, RUN_2, RUN_1)["how"] == "--amigo-baseline"
    assert named.baseline_run(SET_B, RUN_2, None) == {
        "none": f"no baseline: run {RUN_2} is a run of another set"
    }


# -- re-sampling ----------------------------------------------------------------------------------


def test_a_round_beyond_the_session_budget_stops_once_for_every_process(tmp_path: Path) -> None:
    unit_set = UnitTestSet(SET_A, "Refunds", (UnitTest("c" * 24, "Refund", 3),))
    api = ListingApi([])  # any call fails the test: the budget is checked before the API

    def parts(budget: int) -> TemporaryRuns:
        state = SharedState(tmp_path)
        definitions = SetDefinitions(state, lambda: api)
        starter = RunStarter(
            Settings(), lambda: api, definitions.cached, clock=lambda: 0.0, sleep=lambda s: None
        )
        temporary = TemporarySets(state, lambda: api)
        return TemporaryRuns(
            state, budget, definitions, RunRecords(state), starter, temporary, lambda: 0.0
        )

    first = parts(budget=4)
    first.definitions.add(unit_set)
    first.records.put(record())  # the set's run: 3 sessions
    first.records.put(record(SET_B, RUN_2, started_here=False))  # attached: not counted
    assert first.sessions_started() == 3
    stop = first.resample_round(unit_set, 1, [("c" * 24, 2)])
    assert stop == {
        "stop": "re-sampling stopped: 2 more sessions would exceed the session budget "
        "(--amigo-max-sessions=4, 3 simulated)"
    }
    assert parts(budget=100).resample_round(unit_set, 1, [("c" * 24, 2)]) == stop
