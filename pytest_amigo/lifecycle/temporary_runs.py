"""The runs of temporary sets: a subset run (``--amigo-subset``) and re-sampling rounds.

A temporary set (``TemporarySets`` creates and deletes it) is recorded among the set
definitions as soon as it exists, so every process can judge its run. A re-sampling round is
created and started once, by the first process asking, and recorded in ``resamples.json`` (the
set, or why there is none: the session budget, permissions, the API); its set is deleted once
its run is over.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..domain import UnitTestSet, set_from_json, set_to_json
from .definitions import SetDefinitions
from .records import RunRecord, RunRecords
from .shared import SharedState
from .starter import RunStarter
from .state_files import RESAMPLE_LOCK, RESAMPLES
from .temporary import TemporarySetError, TemporarySets

RESAMPLE_PREFIX = "pytest-amigo resample of"
SUBSET_PREFIX = "pytest-amigo subset of"


@dataclass
class TemporaryRuns:
    """Creates temporary sets, starts their runs, keeps the session budget, deletes them."""

    state: SharedState
    max_sessions: int | None
    definitions: SetDefinitions
    records: RunRecords
    starter: RunStarter
    temporary: TemporarySets
    clock: Callable[[], float]

    def start_subset(self, unit_set: UnitTestSet, entries: Sequence[tuple[str, int]]) -> RunRecord:
        """Run only some unit tests of a set: a temporary set of them, reported as the set."""
        try:
            temporary = self._create(SUBSET_PREFIX, unit_set, entries)
        except TemporarySetError as exc:
            return RunRecord.refused(unit_set.id, self.clock(), f"--amigo-subset: {exc}")
        record = self.starter.create(temporary.id)
        note = (
            f"--amigo-subset: ran {len(entries)} of {len(unit_set.unit_tests)} unit tests in "
            f"temporary set {temporary.name!r} ({temporary.id}), deleted at the end"
        )
        return replace(record, set_id=unit_set.id, temporary_set=temporary.id, note=note)

    def sessions_started(self) -> int:
        """Sessions simulated by the runs this session started (re-sampling runs included)."""
        definitions = self.definitions.recorded(fresh=True)
        total = 0
        for record in self.records.all().values():
            found = definitions.get(record.temporary_set or record.set_id)
            if record.started_here and record.run_id and isinstance(found, dict):
                total += sum(u.run_count for u in set_from_json(found).unit_tests)
        return total

    def resample_round(
        self, unit_set: UnitTestSet, round_no: int, entries: Sequence[tuple[str, int]]
    ) -> dict[str, Any]:
        """The temporary set re-sampling ``entries`` (unit test id, sessions) of a set in round
        ``round_no``, created and started by the first process asking: ``{"set": ...}``, or
        ``{"stop": why}`` (session budget, permissions, API)."""
        key = f"{unit_set.id}:{round_no}"
        with self.state.locked(RESAMPLE_LOCK):
            known = self.state.read(RESAMPLES, {}, fresh=True)
            if key in known:
                return dict(known[key])
            entry = self._new_round(unit_set, entries)
            self.state.update(RESAMPLES, lambda data: {**data, key: entry}, {})
            return entry

    def _new_round(
        self, unit_set: UnitTestSet, entries: Sequence[tuple[str, int]]
    ) -> dict[str, Any]:
        budget = self.max_sessions
        wanted = sum(count for _, count in entries)
        if budget is not None:
            used = self.sessions_started()
            if used + wanted > budget:
                return {
                    "stop": f"re-sampling stopped: {wanted} more sessions would exceed the "
                    f"session budget (--amigo-max-sessions={budget}, {used} simulated)"
                }
        try:
            temporary = self._create(RESAMPLE_PREFIX, unit_set, entries)
        except TemporarySetError as exc:
            return {"stop": f"re-sampling not possible: {exc}"}
        self.records.put(self.starter.create(temporary.id))
        return {"set": set_to_json(temporary)}

    def _create(
        self, prefix: str, unit_set: UnitTestSet, entries: Sequence[tuple[str, int]]
    ) -> UnitTestSet:
        temporary = self.temporary.create(prefix, unit_set, entries)
        self.definitions.add(temporary)
        return temporary

    def finish_round(self, set_id: str) -> None:
        """A temporary set's run has ended: delete the set (once)."""
        with self.state.locked(RESAMPLE_LOCK):
            if any(
                e["set_id"] == set_id and e["status"] != "created" for e in self.temporary.entries()
            ):
                return
            self.temporary.delete(set_id)

    def delete_all(self, time_cap: float) -> list[str]:
        """Delete every temporary set still recorded; lines for those left behind."""
        if not self.temporary.pending():
            return []
        return self.temporary.delete_all(time_cap)
