"""Cancelling the unfinished runs this session started (an interruption, a timeout, ``-x``).

Attached runs (``--amigo-run``) are never cancelled, nor anything with ``--amigo-keep-running``.
Cancels are bounded by a time cap and by the cancel endpoint's per-minute limit; the runs left
are named for the summary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from amigo_sdk.errors import ConflictError

from ..api.endpoints import ENDPOINTS
from .failures import FAILURES
from .poller import Poller
from .records import Api, RunRecord, RunRecords
from .snapshot import Snapshot

CANCEL = "cancel-simulation-unit-test-set-run"


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


@dataclass
class Canceller:
    """Cancels the runs this session started; records why in their records."""

    keep_running: bool
    records: RunRecords
    poller: Poller
    api: Callable[[], Api]
    clock: Callable[[], float]

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
        for record in self.records.all().values():
            if record.run_id is None or not may_cancel(record, snap, only):
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
        return cancelled, left

    def mark_cancelled(self, set_id: str, why: str) -> None:
        self.records.mark(set_id, cancelled=why)
