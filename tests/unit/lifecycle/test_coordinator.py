"""The coordinator against a fake Amigo API (plain Python, no HTTP): starting, conflicts,
cancellation and the justification budget."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_amigo.lifecycle.coordinator import Coordinator
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.lifecycle.snapshot import Snapshot
from pytest_amigo.settings import Artifacts, Polling, PollInterval, Settings
from support.doubles import SET_A, SET_B, FakeApi
from support.doubles import make_coordinator as make


def test_two_processes_start_each_set_once(tmp_path: Path) -> None:
    api = FakeApi()
    first, second = make(tmp_path, api), make(tmp_path, api)
    first.start([SET_A, SET_B])
    second.start([SET_A, SET_B])
    assert [c for c in api.calls if c[0] == "create"] == [("create", SET_A), ("create", SET_B)]
    assert {r.set_id for r in second.records().values()} == {SET_A, SET_B}
    assert all(r.started_here for r in second.records().values())


@pytest.mark.parametrize("policy", ["attach", "cancel", "fail"])
def test_conflict_policies(tmp_path: Path, policy: str) -> None:
    api = FakeApi()
    mine = api.create_run(SET_A)
    api.runs["f" * 24] = {"set": SET_A, "done": False, "by": "someone else"}
    coordinator = make(tmp_path, api, on_conflict=policy)
    coordinator.start([SET_A])
    record = coordinator.records()[SET_A]
    if policy == "attach":
        assert (record.run_id, record.started_here, record.error) == (mine, False, None)
        assert f"attached to your unfinished run {mine}" in record.note
    elif policy == "cancel":
        assert api.runs[mine]["done"] and record.started_here and record.run_id != mine
        assert not api.runs["f" * 24]["done"]  # never another user's run
    else:
        assert record.error and mine in record.error and "--amigo-on-conflict" in record.error


def test_refusals_are_the_sets_refused_with_the_session_whatever_their_text(
    tmp_path: Path,
) -> None:
    """A refused session is marked in the records (what crosses to the xdist controller), not
    told by its message: a start error is no refusal, and a refusal needs no particular text."""
    api = FakeApi()
    api.create_run(SET_A)
    worker = make(tmp_path, api, on_conflict="fail")
    controller = make(tmp_path, api)
    worker.start([SET_A])  # an error of its own: the unfinished run conflicts
    assert worker.records()[SET_A].error and controller.refusals() == []
    worker.refuse([SET_A, SET_B], "over budget")
    assert controller.refusals() == ["over budget"]
    assert not controller.records()[SET_A].session_refused  # keeps its own error
    assert controller.records()[SET_B].session_refused
    assert len([c for c in api.calls if c[0] == "create"]) == 2  # none for the refused set


def test_without_a_known_user_no_run_is_taken_for_ours(tmp_path: Path) -> None:
    api = FakeApi()
    api.create_run(SET_A)
    api.user_id = ""  # type: ignore[misc]
    coordinator = make(tmp_path, api)
    coordinator.start([SET_A])
    assert coordinator.records()[SET_A].error


def test_cancel_only_the_given_sets_and_only_runs_started_here(tmp_path: Path) -> None:
    api = FakeApi()
    coordinator = make(tmp_path, api)
    coordinator.start([SET_A, SET_B], attach={})
    runs = {r.set_id: r.run_id for r in coordinator.records().values()}
    cancelled, left = coordinator.cancel_started("timeout", set_ids=[SET_A])
    assert (cancelled, left) == ([runs[SET_A]], [])
    assert not api.runs[runs[SET_B]]["done"]
    assert coordinator.records()[SET_A].cancelled == "timeout"
    # An attached run is never cancelled.
    other = make(tmp_path / "other", api)
    other.start([], attach={SET_B: runs[SET_B]})
    assert other.cancel_started("interrupted") == ([], [])


def test_keep_running_cancels_nothing(tmp_path: Path) -> None:
    api = FakeApi()
    coordinator = make(tmp_path, api, keep_running=True)
    coordinator.start([SET_A])
    assert coordinator.cancel_started("interrupted") == ([], [])


def test_justifications_fetched_once_per_failure_within_the_budget(tmp_path: Path) -> None:
    api = FakeApi()
    coordinator = make(tmp_path, api)
    failing = {
        "unit_test_run_results": [
            {
                "metric_evaluation_results": [
                    {
                        "metric_id": "m",
                        "metric_version": 1,
                        "results": [["e1", True], ["e2", False]],
                    }
                ]
            }
        ]
    }
    snap = Snapshot(runs={"r1": failing})
    api.evaluations = [
        {"id": "e2", "result": False, "justification": "no", "metric_id": "m", "source": {}}
    ]
    for second in range(5):
        snap = coordinator.poller._fetch_evaluations(snap, now=float(second))
    fetches = [c for c in api.calls if c[0] == "evaluations"]
    assert len(fetches) == 1
    assert snap.evaluations["e2"]["justification"] == "no"
    # A new failure in the run is fetched once more; a spent budget waits for the next minute.
    failing["unit_test_run_results"][0]["metric_evaluation_results"][0]["results"].append(
        ["e3", False]
    )
    snap = replace(snap, evaluation_requests=[10.0] * 9)
    snap = coordinator.poller._fetch_evaluations(snap, now=11.0)
    assert len([c for c in api.calls if c[0] == "evaluations"]) == 1
    snap = coordinator.poller._fetch_evaluations(snap, now=75.0)
    assert len([c for c in api.calls if c[0] == "evaluations"]) == 2


def test_a_run_found_finished_by_a_cancel_gets_no_second_cancel(tmp_path: Path) -> None:
    # Issue 7.11: each timed-out item cancelled again and spent the 10-a-minute limit on 409s.
    api = FakeApi()
    coordinator = make(tmp_path, api)
    coordinator.start([SET_A])
    (run_id,) = api.runs
    api.runs[run_id]["done"] = True  # finished after the last poll
    for _ in range(3):
        assert coordinator.cancel_started("timeout", set_ids=[SET_A]) == ([], [])
    assert [c for c in api.calls if c[0] == "cancel"] == [("cancel", run_id)]


def test_a_run_the_last_poll_saw_finished_gets_no_cancel(tmp_path: Path) -> None:
    api = FakeApi()
    coordinator = make(tmp_path, api)
    coordinator.start([SET_A])
    (run_id,) = api.runs
    api.runs[run_id]["done"] = True
    coordinator.poll_if_due(force=True)
    assert coordinator.cancel_started("interrupted") == ([], [])
    assert [c for c in api.calls if c[0] == "cancel"] == []


def test_polls_keep_up_with_a_run_that_keeps_producing_results(tmp_path: Path) -> None:
    # Issue 7.15: back off only while nothing changes, and never beyond what the run's pace
    # suggests: with a result every 10 s, plain back-off (2, 3, 4.5, 6.75 s) saw each ~6 s late.
    api = FakeApi()
    clock = [0.0]
    coordinator = Coordinator(
        SharedState(tmp_path / "state"),
        Settings(artifacts=Artifacts(dir=None), polling=Polling(interval=PollInterval(2.0, 30.0))),
        lambda: api,
        clock=lambda: clock[0],
        sleep=lambda s: None,
    )
    coordinator.start([SET_A])
    (run_id,) = api.runs
    arrivals = [10.0 * k for k in range(1, 9)]

    def listing(**kwargs: Any) -> list[dict[str, Any]]:
        results = [{"run_errors": [None]} if clock[0] >= t else None for t in arrivals]
        return [
            {
                "id": run_id,
                "simulation_unit_test_set_id": SET_A,
                "is_completed": False,
                "errored": False,
                "artifacts_generated": False,
                "unit_test_run_specs": [{"run_count": 1}] * (len(arrivals) + 1),
                "unit_test_run_results": [*results, None],
            }
        ]

    api.list_runs = listing  # type: ignore[method-assign]
    polls = []
    while clock[0] < arrivals[-1] + 5:
        coordinator.poll_if_due()
        polls.append(clock[0])
        clock[0] = coordinator.snapshot().next_poll
    delays = [min(p for p in polls if p >= t) - t for t in arrivals]
    assert max(delays[2:]) <= 3.0, delays
    assert len(polls) < (arrivals[-1] + 5) / 2.0  # still backing off between results


def test_justifications_are_fetched_incrementally_with_timestamp_after(tmp_path: Path) -> None:
    # Issue 7.10: every fetch used to re-read every row of the run.
    api = FakeApi()
    coordinator = make(tmp_path, api)
    pairs: list[list[Any]] = [["e1", False]]
    run = {"unit_test_run_results": [{"metric_evaluation_results": [{"results": pairs}]}]}
    snap = Snapshot(runs={"r1": run})
    source = {"type": "simulation", "simulation_unit_test_set_run_id": "r1", "run_index": 0}
    api.evaluations = [{"id": "e1", "created_at": "2026-01-01T00:10:00+00:00", "source": source}]
    snap = coordinator.poller._fetch_evaluations(snap, now=0.0)
    first = [c[1] for c in api.calls if c[0] == "evaluations"]
    assert first == [{"run_ids": ["r1"]}]
    pairs.append(["e2", False])
    api.evaluations = [{"id": "e2", "created_at": "2026-01-01T00:11:00+00:00", "source": source}]
    snap = coordinator.poller._fetch_evaluations(snap, now=5.0)  # spaced: not yet
    assert len([c for c in api.calls if c[0] == "evaluations"]) == 1
    snap = coordinator.poller._fetch_evaluations(snap, now=10.0)
    second = [c[1] for c in api.calls if c[0] == "evaluations"][-1]
    assert second["timestamp_after"].isoformat() == "2026-01-01T00:08:00+00:00"  # 2 min overlap
    assert {"e1", "e2"} <= snap.evaluations.keys()


SET_C = "c" * 24


def test_creates_beyond_the_limit_are_deferred_not_waited_for(tmp_path: Path) -> None:
    """Issue 11: with the organization's create limit spent (by other pipelines too), starting
    the session's sets must not block the verdicts of the runs already started: the sets left
    are deferred and started by the waiting items as the limit allows."""
    api = FakeApi()
    api.creates_left = 1
    coordinator = make(tmp_path, api)
    coordinator.start([SET_A, SET_B, SET_C], wait=False)
    assert [c for c in api.calls if c[0] in ("create", "429")] == [("create", SET_A)]
    assert set(coordinator.records()) == {SET_A}
    coordinator.start_deferred()  # still spent: nothing sent
    assert len(api.calls) == 1
    api.refused_creates, api.creates_left = 1, 5  # the pacer saw room, the service did not
    coordinator.start_deferred()
    assert api.calls[-1] == ("429", SET_B) and set(coordinator.records()) == {SET_A}
    coordinator.start_deferred()
    assert set(coordinator.records()) == {SET_A, SET_B, SET_C}
    assert all(r.error is None for r in coordinator.records().values())


def test_an_item_waiting_for_its_run_starts_the_deferred_sets(tmp_path: Path) -> None:
    api = FakeApi()
    api.creates_left = 1
    coordinator = make(tmp_path, api)
    coordinator.start([SET_A, SET_B], wait=False)
    seen: list[set[str]] = []

    def judge(run: dict[str, Any] | None, record: Any) -> set[str] | None:
        seen.append(set(coordinator.records()))
        api.creates_left = 1  # the limit frees up while set A's item waits
        return set() if SET_B in coordinator.records() else None

    observation = coordinator.wait(SET_A, judge)
    assert observation.record.set_id == SET_A and not observation.timed_out
    assert seen[0] == {SET_A} and seen[-1] == {SET_A, SET_B}


def test_a_set_whose_item_comes_up_is_started_waiting(tmp_path: Path) -> None:
    """The item of a deferred set has nothing else to do: it waits for the limit (as before)."""
    api = FakeApi()
    api.creates_left = 0
    coordinator = make(tmp_path, api)
    coordinator.start([SET_A, SET_B], wait=False)
    assert coordinator.records() == {}
    api.creates_left = 1
    coordinator.wait(SET_B, lambda run, record: set())
    assert set(coordinator.records()) == {SET_B}
    api.creates_left = 1
    coordinator.start_deferred()
    assert set(coordinator.records()) == {SET_A, SET_B}
