"""Cancelling the unfinished runs this session started (an interruption, a timeout, ``-x``).

Attached runs (``--amigo-run``) are never cancelled, nor anything with ``--amigo-keep-running``.
In one shard of a sharded job (``Settings.shard``), the runs of the selected sets themselves are
shared: other shards attach to them (HTTP 409) and no shard can know which did, so they are left
running (named as such); runs of this session's temporary sets (subsets, candidates, references,
re-sampling rounds) belong to it alone and are cancelled as before.
Cancels are bounded by a time cap and by the cancel endpoint's per-minute limit; the runs left
are named for the summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from amigo_sdk.errors import ConflictError

from pytest_amigo.api.endpoints import ENDPOINTS
from pytest_amigo.lifecycle.failures import FAILURES, dump
from pytest_amigo.lifecycle.ledger import Ledger
from pytest_amigo.lifecycle.poller import Poller
from pytest_amigo.lifecycle.records import RunRecord, RunRecords
from pytest_amigo.lifecycle.service import Api
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.lifecycle.snapshot import Snapshot
from pytest_amigo.lifecycle.state_files import CREATES, RUNS, TEMPORARY

CANCEL = "cancel-simulation-unit-test-set-run"
CLOCK_SKEW = 120.0  # seconds the service's clock may be behind this machine's


def may_cancel(record: RunRecord, snap: Snapshot, only: set[str] | None) -> bool:
    """Whether to cancel a record's run: one this session started, among the sets asked for,
    not known to be over (pure)."""
    if not record.started_here or record.run_id is None or record.cancelled or record.finished:
        return False
    if only is not None and record.set_id not in only:
        return False
    run = snap.runs.get(record.run_id)
    # the last poll saw it finished: a cancel would only spend the limit
    return run is None or not (run["is_completed"] or run.get("errored"))


@dataclass(frozen=True)
class _Shared:
    """Set ids whose runs are shared with other shards: all (``everything``) but ``apart``."""

    apart: frozenset[str]
    everything: bool

    def __contains__(self, set_id: object) -> bool:
        return self.everything and set_id not in self.apart


@dataclass
class Canceller:
    """Cancels the runs this session started; records why in their records."""

    keep_running: bool
    records: RunRecords
    poller: Poller
    api: Callable[[], Api]
    clock: Callable[[], float]
    state: SharedState | None = None  # creates.json: creates whose answers may be unread

    def cancel_started(
        self, why: str, *, set_ids: Iterable[str] | None = None, time_cap: float = 20.0
    ) -> tuple[list[str], list[str]]:
        """Cancel unfinished runs this session started; returns (cancelled, left running)."""
        if self.keep_running:
            return [], []
        only = set(set_ids) if set_ids is not None else None
        snap = self.poller.snapshot()
        cancelled: list[str] = []
        left: list[str] = []
        start = self.clock()
        shared = self._shared_sets()
        for record in self.records.all().values():
            if record.run_id is None or not may_cancel(record, snap, only):
                continue
            if record.temporary_set is None and record.set_id in shared:
                left.append(record.run_id)  # other shards may be reporting it
                continue
            if self.clock() - start > time_cap or len(cancelled) >= ENDPOINTS[CANCEL].per_minute:
                left.append(record.run_id)
                continue
            try:
                self.api().cancel_run(record.run_id)
            except ConflictError:
                self.records.mark(record.set_id, finished=True)  # finished meanwhile: never again
                continue
            except FAILURES:
                left.append(record.run_id)
                continue
            self.mark_cancelled(record.set_id, why)
            cancelled.append(record.run_id)
        if self.state is not None and self.clock() - start <= time_cap:
            self._cancel_unrecorded(why, only, cancelled, left, shared)
        return cancelled, left

    def _shared_sets(self) -> _Shared:
        """The set ids whose runs other shards may report: every set but this session's
        temporary sets, in one shard of a sharded job; none otherwise."""
        if self.poller.settings.runs.shard is None:
            return _Shared(frozenset(), everything=False)
        temporary: set[str] = set()
        if self.state is not None:
            ledger = Ledger(self.state, TEMPORARY, "sets")
            temporary = {str(e["set_id"]) for e in ledger.entries() if e.get("set_id")}
        return _Shared(frozenset(temporary), everything=True)

    def shares(self, run_id: str) -> bool:
        """Whether ``run_id`` is a run this shard started that other shards may be reporting
        (so it was left running on purpose)."""
        shared = self._shared_sets()
        return any(
            r.run_id == run_id and r.started_here and r.temporary_set is None and r.set_id in shared
            for r in self.records.all().values()
        )

    def _cancel_unrecorded(
        self,
        why: str,
        only: set[str] | None,
        cancelled: list[str],
        left: list[str],
        shared: _Shared,
    ) -> None:
        """Cancel the runs creates of this session made but no record holds: their answers
        were never read (an interruption, a timeout mid-request). Found by creator, set and
        time (``creates.json``); a set has at most one unfinished run per user, so an
        unfinished run of ours created after our create left is the one it made. In a shard,
        the run found for a shared set may be another shard's (same user): never cancelled."""
        assert self.state is not None
        marks: dict[str, float] = dict(self.state.read(CREATES, {}, fresh=True))
        if only is not None:
            marks = {k: v for k, v in marks.items() if k in only}
        marks = {k: v for k, v in marks.items() if k not in shared}
        api = self.api()
        if not marks or not api.user_id:
            return
        known = {r.run_id for r in self.records.all().values() if r.run_id}
        since = dt.datetime.fromtimestamp(min(marks.values()) - CLOCK_SKEW, dt.UTC)
        try:
            runs = api.list_runs(
                set_ids=sorted(marks),
                creators=[f"{api.organization_id},{api.user_id}"],
                is_completed=False,
                created_after=since,
            )
        except FAILURES:
            return
        for run in map(dump, runs):
            run_id = str(run.get("id"))
            if run_id in known or run_id in cancelled:
                continue
            try:
                api.cancel_run(run_id)
            except ConflictError:
                continue
            except FAILURES:
                left.append(run_id)
                continue
            cancelled.append(run_id)
            self._recovered(str(run.get("simulation_unit_test_set_id") or ""), run_id, why)

    def _recovered(self, set_id: str, run_id: str, why: str) -> None:
        """Record a cancelled run no record held, under its set, unless the set has a record
        (atomically: the summary names it among the runs this session cancelled)."""
        note = f"run {run_id}: its create's answer was never read; found by creator and cancelled"
        found = RunRecord(set_id, run_id, True, note, self.clock(), cancelled=why)

        def change(runs: dict[str, Any]) -> dict[str, Any]:
            return runs if set_id in runs else {**runs, set_id: found.__dict__}

        if set_id:
            self.state.update(RUNS, change, {})  # type: ignore[union-attr]

    def mark_cancelled(self, set_id: str, why: str) -> None:
        self.records.mark(set_id, cancelled=why)
