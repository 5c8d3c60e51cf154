"""Polling under load (issue 18, case 8): several sessions sharing a tight list limit.

The poll back-off stops at the fair pace of the shared budget, and the artifacts of a finished
run are asked for directly instead of listing the run again. Plain functions, a Pacer on a fake
clock and a Poller against a fake API; the time figures are in bench/ (f4), not here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_amigo.api.pacing import Pacer, fair_pace
from pytest_amigo.lifecycle.poller import (
    ARTIFACT_DIRECT_RUNS,
    ARTIFACT_TRY_MAX_S,
    Poller,
    artifact_retry_after,
    backed_off,
)
from pytest_amigo.lifecycle.records import RunRecord
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.settings import Artifacts, Polling, PollInterval, Settings
from support.doubles import FakeApi

LIST = "get-simulation-unit-test-set-runs"


def test_fair_pace_is_the_share_of_the_budget_and_none_alone() -> None:
    assert fair_pace(4.0, 12) == pytest.approx(20.0)  # 4 sessions x 60 s / 12
    assert fair_pace(2.0, 50) == pytest.approx(2.4)
    assert fair_pace(1.0, 12) is None  # alone: the caller's own cadence
    assert fair_pace(4.0, None) is None


def test_back_off_stops_at_the_fair_pace_when_the_budget_is_shared() -> None:
    # alone: x1.5 up to poll_max, as before
    assert backed_off(20.0, 2.0, 30.0, 30.0, None) == pytest.approx(30.0)
    assert backed_off(4.0, 2.0, 30.0, 30.0, None) == pytest.approx(6.0)
    # 4 sessions x 12 a minute: no further than a poll every 20 s
    assert backed_off(20.0, 2.0, 30.0, 30.0, 20.0) == pytest.approx(20.0)
    assert backed_off(4.0, 2.0, 30.0, 30.0, 20.0) == pytest.approx(6.0)
    # a result due sooner, or a user's poll_max below the pace, still win
    assert backed_off(20.0, 2.0, 30.0, 8.0, 20.0) == pytest.approx(8.0)
    assert backed_off(20.0, 2.0, 10.0, 30.0, 20.0) == pytest.approx(10.0)
    # never below poll_min, even when the pace is faster
    assert backed_off(1.0, 2.0, 30.0, 30.0, 0.5) == pytest.approx(2.0)


def test_direct_artifact_tries_back_off_and_are_capped() -> None:
    waits = [artifact_retry_after(n) for n in range(8)]
    assert waits == sorted(waits) and waits[0] > 0
    assert max(waits) == ARTIFACT_TRY_MAX_S
    # over the default 60 s artifacts wait, a run that never gets artifacts costs a few tries
    elapsed, tries = 0.0, 0
    while elapsed < 60.0:
        elapsed += artifact_retry_after(tries)
        tries += 1
    assert tries <= 10


def test_the_pacer_knows_its_fair_pace_once_it_measured_a_share() -> None:
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0], wall_clock=lambda: 1_800_000_000.0 + now[0])
    reset = "1800000060"
    assert pacer.fair_pace(LIST) is None
    pacer.observe(LIST, {"X-RateLimit-Limit": "12", "X-RateLimit-Remaining": "11",
                         "X-RateLimit-Reset": reset})  # fmt: skip
    assert pacer.fair_pace(LIST) is None  # one answer: the share is unknown
    now[0] = 10.0
    pacer.observe(LIST, {"X-RateLimit-Limit": "12", "X-RateLimit-Remaining": "7",
                         "X-RateLimit-Reset": reset})  # fmt: skip
    assert pacer.share(LIST) == 4.0
    assert pacer.fair_pace(LIST) == pytest.approx(20.0)


def poller(tmp_path: Path, api: FakeApi, now: list[float]) -> Poller:
    records = {
        f"set-{i}": RunRecord(f"set-{i}", run_id, True, "", 0.0)
        for i, run_id in enumerate(api.runs)
    }
    settings = Settings(
        artifacts=Artifacts(dir=tmp_path / "artifacts"),
        polling=Polling(interval=PollInterval(2.0, 30.0)),
    )
    return Poller(SharedState(tmp_path / "state"), settings, lambda: api, lambda: records,
                  lambda: now[0])  # fmt: skip


def test_a_finished_run_is_not_listed_again_for_its_artifacts(tmp_path: Path) -> None:
    run_id = "a" * 24
    api, now = FakeApi([run_id], not_yet=2), [0.0]
    p = poller(tmp_path, api, now)
    assert p.poll_if_due()  # running
    api.finish()
    now[0] = p.snapshot().next_poll
    assert p.poll_if_due()  # sees it finished, without artifacts
    for _ in range(20):
        if run_id in p.snapshot().artifacts:
            break
        now[0] = p.snapshot().next_poll
        p.poll_if_due()
    assert p.snapshot().artifacts[run_id]["path"].endswith(".zip")
    lists = [c for c in api.calls if c[0] == "list"]
    assert len(lists) == 2  # never listed once finished: its artifacts were asked for directly
    assert [c for c in api.calls if c[0] == "artifacts"] == [("artifacts", run_id)] * 3
    assert p.snapshot().artifact_tries == {}


def test_many_finished_runs_waiting_for_artifacts_are_listed_in_one_request(
    tmp_path: Path,
) -> None:
    run_ids = [f"{i + 1:024x}" for i in range(ARTIFACT_DIRECT_RUNS + 1)]
    api, now = FakeApi(run_ids, not_yet=10**6), [0.0]
    api.finish()
    p = poller(tmp_path, api, now)
    for _ in range(4):
        p.poll_if_due()
        now[0] = p.snapshot().next_poll
    assert [c for c in api.calls if c[0] == "artifacts"] == []
    assert [tuple(c[1]["ids"]) for c in api.calls if c[0] == "list"] == [tuple(run_ids)] * 4
