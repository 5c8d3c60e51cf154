"""Items waiting for their runs: the wait itself, and what tells the xdist controller about
the waiting items (the active mark, the workers' published items).

A waiting item reads the shared snapshot; meanwhile it polls when a poll is due (and the
``poll`` lock is free), starts the sets deferred while the create limit was spent, and starts
its own set if nobody has yet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pytest_amigo.lifecycle.launcher import RunLauncher
from pytest_amigo.lifecycle.poller import Poller
from pytest_amigo.lifecycle.records import Observation, RunRecord, RunRecords
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.lifecycle.snapshot import Snapshot
from pytest_amigo.lifecycle.state_files import ACTIVE, ITEMS

Judge = Callable[[dict[str, Any] | None, RunRecord], set[str] | None]
"""``judge(run, record)``: None while the item's verdict is pending, else the evaluation ids its
explanation needs (empty for a pass)."""


def settled(record: RunRecord, snap: Snapshot, judge: Judge) -> Observation | None:
    """What the item observes if its wait is over (time aside), else None (pure)."""
    if record.run_id is None or record.error:
        return Observation(record, None, None, None, False)
    run, failure = snap.run(record.run_id), snap.failure(record.run_id)
    if failure is not None:
        return Observation(record, run, snap.evaluations, None, False, failure)
    needed = judge(run, record)
    if needed is not None:
        error = snap.evaluation_errors.get(record.run_id)
        missing = needed - snap.evaluations.keys() - set(snap.evaluations_tried)
        if not missing or error:
            return Observation(record, run, snap.evaluations, error, False)
    return None


@dataclass
class Waiter:
    """Waits for a set's run to settle an item's verdict; marks and publishes waiting items."""

    state: SharedState
    timeout: float
    records: RunRecords
    poller: Poller
    launcher: RunLauncher
    clock: Callable[[], float]
    sleep: Callable[[float], None]

    def wait(
        self, set_id: str, judge: Judge, *, on_tick: Callable[[Snapshot], None] | None = None
    ) -> Observation:
        """Block until ``judge(run, record)`` is final and its justifications are in, or time
        is up."""
        record = self._record_of(set_id)
        deadline = record.started_at + self.timeout
        while True:
            record = self.records.all().get(set_id, record)
            snap = self.poller.snapshot()
            observation = settled(record, snap, judge)
            if observation is not None:
                return observation
            run = snap.run(record.run_id)
            if self.clock() >= deadline:
                return Observation(record, run, snap.evaluations, None, True)
            self.launcher.start_deferred()
            if not self.poller.poll_if_due() and on_tick is not None:
                on_tick(snap)
            wake = min(snap.next_poll, deadline) - self.clock()
            self.sleep(min(max(wake, 0.05), 0.25))

    def _record_of(self, set_id: str) -> RunRecord:
        """The set's record, once there is one: starts the set if nobody has yet (or waits while
        the starter is still busy)."""
        while (record := self.records.all().get(set_id)) is None:
            self.launcher.start([set_id])
            if (record := self.records.all().get(set_id)) is None:
                self.sleep(0.2)
        return record

    # -- what the xdist controller learns of the waiting items ----------------------------------

    def mark_active(self) -> None:
        """Amigo items run in this session (tells the xdist controller)."""
        self.state.write(ACTIVE, True)

    def is_active(self) -> bool:
        return bool(self.state.read(ACTIVE))

    def publish_items(self, items: Mapping[str, Mapping[str, Any]]) -> None:
        """Workers' Amigo items (node id -> set id, position, ...), for the controller to report
        those still waiting when the session is interrupted."""
        self.state.update(ITEMS, lambda known: {**known, **items}, {})

    def published_items(self) -> dict[str, dict[str, Any]]:
        return dict(self.state.read(ITEMS, {}, fresh=True))
