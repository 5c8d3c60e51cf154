"""Sharded jobs (issue 19, part 1) against a fake Amigo API: how a session knows it is a shard,
what a shard cancels, the other-user note, and a 409 whose run is not listed yet."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from test_coordinator import SET_A, SET_B, FakeApi, make

from pytest_amigo.lifecycle.state_files import CREATES, TEMPORARY
from pytest_amigo.plugin.options import shard_of

SHARD = "pytest-split --splits 3"


@pytest.mark.parametrize(
    ("splits", "environ", "expected"),
    [
        (None, {}, None),
        (1, {}, None),
        (3, {}, "pytest-split --splits 3"),
        (None, {"CI_NODE_TOTAL": "4"}, "CI_NODE_TOTAL=4"),
        (None, {"CI_NODE_TOTAL": "1"}, None),
        (None, {"BUILDKITE_PARALLEL_JOB_COUNT": "2"}, "BUILDKITE_PARALLEL_JOB_COUNT=2"),
        (None, {"CIRCLE_NODE_TOTAL": "x"}, None),
        (None, {"PYTEST_AMIGO_SHARD": "2/5"}, "PYTEST_AMIGO_SHARD=2/5"),
        (3, {"PYTEST_AMIGO_SHARD": "off"}, None),  # told it is not one, whatever else says
        (None, {"PYTEST_AMIGO_SHARD": "0", "CI_NODE_TOTAL": "3"}, None),
    ],
)
def test_a_shard_is_known_by_pytest_split_or_the_environment(
    splits: object, environ: dict[str, str], expected: str | None
) -> None:
    assert shard_of(splits, environ) == expected


def test_a_shard_leaves_the_runs_of_its_sets_and_cancels_its_temporary_ones(
    tmp_path: Path,
) -> None:
    api = FakeApi()
    coordinator = make(tmp_path, api, shard=SHARD)
    coordinator.start([SET_A, SET_B])
    runs = {r.set_id: r.run_id for r in coordinator.records().values()}
    # SET_B stands for a temporary set of this shard (a re-sampling round is recorded so)
    coordinator.state.write(TEMPORARY, {"sets": {"t": {"name": "t", "set_id": SET_B}}})
    cancelled, left = coordinator.cancel_started("interrupted")
    assert (cancelled, left) == ([runs[SET_B]], [runs[SET_A]])
    assert not api.runs[runs[SET_A]]["done"]
    assert coordinator.canceller.shares(str(runs[SET_A]))
    assert not coordinator.canceller.shares(str(runs[SET_B]))
    assert coordinator.records()[SET_A].cancelled is None


def test_outside_a_shard_the_runs_started_here_are_cancelled(tmp_path: Path) -> None:
    api = FakeApi()
    coordinator = make(tmp_path, api)
    coordinator.start([SET_A])
    [run_id] = [r.run_id for r in coordinator.records().values()]
    assert coordinator.cancel_started("interrupted") == ([run_id], [])
    assert not coordinator.canceller.shares(str(run_id))


def test_a_shard_never_cancels_a_run_found_by_creator_for_a_shared_set(tmp_path: Path) -> None:
    """A create whose answer was never read: the unfinished run of ours found for the set may
    be another shard's (the same API user), so a shard leaves it."""
    api = FakeApi()
    other_shard = api.create_run(SET_A)
    coordinator = make(tmp_path, api, shard=SHARD)
    coordinator.state.write(CREATES, {SET_A: time.time()})  # a create left, its answer unread
    assert coordinator.cancel_started("interrupted") == ([], [])
    assert not api.runs[other_shard]["done"]
    alone = make(tmp_path / "alone", api)
    alone.state.write(CREATES, {SET_A: time.time()})
    assert alone.cancel_started("interrupted")[0] == [other_shard]


class UsersApi(FakeApi):
    """Runs carry their creator, as the API lists them."""

    def list_runs(self, **kwargs: Any) -> list[dict[str, Any]]:
        found = super().list_runs(**kwargs)
        for run in found:
            run["creator"] = {"org_id": "org", "user_id": self.runs[run["id"]]["by"]}
        return found


def test_a_shard_notes_another_users_unfinished_run_with_one_list(tmp_path: Path) -> None:
    api = UsersApi()
    api.runs["f" * 24] = {"set": SET_A, "done": False, "by": "shard-2-user"}
    coordinator = make(tmp_path, api, shard=SHARD)
    coordinator.start([SET_A, SET_B])
    lists = [c for c in api.calls if c[0] == "list"]
    assert lists == [("list", {"set_ids": [SET_A, SET_B], "is_completed": False})]
    record = coordinator.records()[SET_A]
    assert record.started_here and record.note.startswith(f"started run {record.run_id}; ")
    assert f"already has an unfinished run {'f' * 24} by another user (shard-2-user)" in (
        record.note
    )
    assert coordinator.records()[SET_B].note == f"started run {coordinator.records()[SET_B].run_id}"


def test_outside_a_shard_no_other_user_is_looked_for(tmp_path: Path) -> None:
    api = UsersApi()
    api.runs["f" * 24] = {"set": SET_A, "done": False, "by": "someone"}
    make(tmp_path, api).start([SET_A])
    assert not [c for c in api.calls if c[0] == "list"]


class LaggingApi(FakeApi):
    """The runs list shows a run only from the ``lag``-th list after its create on."""

    def __init__(self, lag: int) -> None:
        super().__init__()
        self.lag = lag

    def list_runs(self, **kwargs: Any) -> list[dict[str, Any]]:
        self.lag -= 1
        return super().list_runs(**kwargs) if self.lag < 0 else []


def test_a_409_whose_run_is_not_listed_yet_is_looked_up_again(tmp_path: Path) -> None:
    """Another shard's create made the run a moment ago: the list may not show it at once."""
    api = LaggingApi(lag=2)
    other_shard = api.create_run(SET_A)
    coordinator = make(tmp_path, api)
    coordinator.start([SET_A])
    record = coordinator.records()[SET_A]
    assert (record.run_id, record.started_here, record.error) == (other_shard, False, None)
    # the other shard's, then this one's (409) and one more (409) before each look again
    assert len([c for c in api.calls if c[0] == "create"]) == 4
