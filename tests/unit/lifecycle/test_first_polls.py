"""The first polls of sessions started together (issue 24): they keep the shared list budget for
when the runs can be done.

Plain functions of ``api/pacing``, then four Pollers, each with its own real Pacer, against one
organization's list budget (12 a minute, fixed windows aligned to the epoch, as Amigo's and the
emulator's) on a simulated clock: no HTTP, no sleeping, deterministic.
"""

from __future__ import annotations

import random
import statistics
from pathlib import Path
from typing import Any, cast

import pytest
from amigo_sdk.errors import RateLimitError

from pytest_amigo.api.pacing import Pacer, early_poll_gap, window_share
from pytest_amigo.lifecycle.poller import Poller
from pytest_amigo.lifecycle.records import RunRecord
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.lifecycle.state_files import SNAPSHOT
from pytest_amigo.settings import Artifacts, Polling, PollInterval, Settings
from support.doubles import FakeApi

LIST = "get-simulation-unit-test-set-runs"
EPOCH = 1_800_000_000.0  # a whole minute: the rate-limit windows begin at multiples of 60
LIMIT = 12
SESSIONS = 4
FAIR = 60.0 * SESSIONS / LIMIT  # 20 s between one session's polls at its fair share


def test_one_answer_tells_the_share_of_the_window_so_far() -> None:
    # 4 sessions' first polls at once: each answer says how many went before
    assert [window_share(12, r, 1) for r in (11, 10, 9, 8)] == [1.0, 2.0, 3.0, 4.0]
    assert window_share(12, 7, 2) == 2.5  # 5 spent, 2 of them ours
    assert window_share(None, 7, 1) is None  # no limit known
    assert window_share(12, 11, 0) is None  # none of ours in this window


def test_the_first_polls_wait_for_their_part_of_what_the_budget_has_left() -> None:
    # alone, or the reset unknown or past: no rule
    assert early_poll_gap(11, 55.0, 1.0, 12) == 0.0
    assert early_poll_gap(8, None, 4.0, 12) == 0.0
    assert early_poll_gap(8, -1.0, 4.0, 12) == 0.0
    # our part of what is left, spread until the reset ...
    assert early_poll_gap(10, 55.0, 2.0, 12) == pytest.approx(10.0)  # fair pace: 60 x 2 / 12
    assert early_poll_gap(40, 30.0, 2.0, 50) == pytest.approx(1.5)  # 30 x 2 / 40
    # ... never slower than the fair pace of the whole budget (55 x 4 / 8 = 27.5 s)
    assert early_poll_gap(8, 55.0, 4.0, 12) == pytest.approx(FAIR)
    # nothing left: the reset
    assert early_poll_gap(0, 12.0, 4.0, 12) == pytest.approx(12.0)
    # the runs can't give a result before 25 s: no poll before then; a sooner estimate changes
    # nothing
    assert early_poll_gap(8, 55.0, 4.0, 12, until_result=25.0) == pytest.approx(25.0)
    assert early_poll_gap(8, 55.0, 4.0, 12, until_result=3.0) == pytest.approx(FAIR)


def test_the_pacer_gives_the_gap_from_its_first_answer() -> None:
    now = [5.0]
    pacer = Pacer(clock=lambda: now[0], wall_clock=lambda: EPOCH + now[0], jitter=0.0)
    assert pacer.early_gap(LIST) == 0.0  # no answer yet
    pacer.acquire(LIST)
    pacer.observe(LIST, headers(8, reset=EPOCH + 60.0))  # 3 requests of others before ours
    assert pacer.early_gap(LIST) == pytest.approx(FAIR)
    # a request of ours from the window before does not count as ours in this one
    later = Pacer(clock=lambda: now[0], wall_clock=lambda: EPOCH + now[0], jitter=0.0)
    later.acquire(LIST)
    now[0] = 62.0
    later.acquire(LIST)
    later.observe(LIST, headers(10, reset=EPOCH + 120.0))
    assert later.early_gap(LIST) == pytest.approx(10.0)  # share 2: fair pace 60 x 2 / 12


def headers(remaining: int, reset: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(LIMIT),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(int(reset)),
    }


class Organization:
    """The organization's list budget: LIMIT requests per epoch-aligned minute, then 429."""

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.refused = 0

    def spend(self, wall: float) -> tuple[bool, dict[str, str]]:
        window = int(wall // 60)
        used = self.counts.get(window, 0)
        allowed = used < LIMIT
        self.counts[window] = used + allowed
        self.refused += not allowed
        return allowed, headers(LIMIT - self.counts[window], (window + 1) * 60.0)


class Pipeline(FakeApi):
    """One pytest session's API: run id -> the time it ends in ``ends``; its list requests go
    through its own Pacer to the organization's shared budget."""

    def __init__(self, org: Organization, ends: dict[str, float], clock: list[float]) -> None:
        super().__init__(list(ends))
        self.org, self.ends, self.clock = org, ends, clock
        run_id = min(ends)

        def no_sleep(seconds: float) -> None:
            raise AssertionError(f"the poll was due {seconds:.2f} s before the pacer let it out")

        self.pacer = Pacer(
            clock=lambda: clock[0],
            wall_clock=lambda: EPOCH + clock[0],
            sleep=no_sleep,
            rng=random.Random(run_id),
        )

    def list_runs(self, **kwargs: Any) -> list[dict[str, Any]]:
        self.pacer.acquire(LIST)
        allowed, answer = self.org.spend(EPOCH + self.clock[0])
        self.pacer.observe(LIST, answer)
        if not allowed:
            raise RateLimitError("rate limited", status_code=429)
        for run_id, end in self.ends.items():
            self.runs[run_id]["done"] = self.clock[0] >= end
        return super().list_runs(**kwargs)


def session(
    tmp_path: Path, api: Pipeline, starts: dict[str, float], poll_max: float = 30.0
) -> Poller:
    """A session's Poller on ``api`` (run id -> when this session created it in ``starts``),
    its first poll due at the first create."""
    settings = Settings(
        artifacts=Artifacts(dir=None), polling=Polling(interval=PollInterval(2.0, poll_max))
    )
    records = {
        f"set-{run_id}": RunRecord(f"set-{run_id}", run_id, True, "", start)
        for run_id, start in starts.items()
    }
    state = SharedState(tmp_path / f"session-{min(starts)}")
    state.write(SNAPSHOT, {"next_poll": min(starts.values())})
    return Poller(state, settings, lambda: api, lambda: records, lambda: api.clock[0])


def test_sessions_started_together_see_short_runs_end_within_the_minute(tmp_path: Path) -> None:
    # 4 sessions start 5 s into a rate-limit minute, 0.1 s apart; their runs last 6-8 s. The
    # first polls used to spend 8 of the 12 requests in 2 s; each session then measured a share
    # of 4 with 4 left and waited for the reset: the verdicts waited for the next minute.
    clock, org = [0.0], Organization()
    pollers, ends = [], []
    for g in range(SESSIONS):
        start, run_id = 5.0 + 0.1 * g, f"{g + 1:024x}"
        ends.append(start + 6.0 + 2.0 * g / 3)
        pollers.append(session(tmp_path, Pipeline(org, {run_id: ends[-1]}, clock), {run_id: start}))
    lags: dict[int, float] = {}
    while len(lags) < SESSIONS and clock[0] < 300.0:
        due = {
            g: max(p.snapshot().next_poll, clock[0] + cast(Pipeline, p.api()).pacer.delay(LIST))
            for g, p in enumerate(pollers)
            if g not in lags
        }
        g = min(due, key=due.__getitem__)
        clock[0] = due[g]
        assert pollers[g].poll_if_due()
        if all(run["is_completed"] for run in pollers[g].snapshot().runs.values()):
            lags[g] = clock[0] - ends[g]
    assert org.refused == 0
    # every session saw its run end within the minute it ended in (at 60 s, the window's reset)
    assert max(lags[g] + ends[g] for g in lags) < 60.0, lags
    assert statistics.median(lags.values()) < FAIR, lags


def test_no_poll_before_a_run_could_finish_when_the_others_took_that_long(
    tmp_path: Path,
) -> None:
    # Run a took 50 s; run b, created 45 s in (its create was deferred), has no result yet:
    # a run of this session needs 50 s, so b has none to give before 95 s.
    clock, org = [50.0], Organization()
    org.counts[int(EPOCH // 60)] = 4  # other sessions' first polls: the budget is shared
    a, b = f"{1:024x}", f"{2:024x}"
    api = Pipeline(org, {a: 50.0, b: 500.0}, clock)
    poller = session(tmp_path, api, {a: 0.0, b: 45.0}, poll_max=60.0)
    assert poller.poll_if_due()
    # the budget alone would say 10 s x 5 / 7 = 7.1 s (the reset is 10 s away, 7 left)
    assert api.pacer.early_gap(LIST) == pytest.approx(10.0 * 5 / 7)
    assert poller.snapshot().next_poll == pytest.approx(95.0)
