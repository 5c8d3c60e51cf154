"""The runs of temporary sets: a subset run (``--amigo-subset``), a candidate run
(``--amigo-version-set``: copies of the unit tests on the candidate version set) and re-sampling
rounds.

A temporary set (``TemporarySets`` creates and deletes it) is recorded among the set
definitions as soon as it exists, so every process can judge its run. A re-sampling round is
created and started once, by the first process asking, and recorded in ``resamples.json`` (the
set, or why there is none: the session budget, permissions, the API); its set is deleted once
its run is over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pytest_amigo.domain import UnitTestSet, set_from_json, set_to_json
from pytest_amigo.judging.text import plural
from pytest_amigo.lifecycle.copies import CopyError, UnitTestCopies
from pytest_amigo.lifecycle.definitions import SetDefinitions
from pytest_amigo.lifecycle.records import RunRecord, RunRecords, is_reference
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.lifecycle.starter import RunStarter
from pytest_amigo.lifecycle.state_files import RESAMPLE_LOCK, RESAMPLES
from pytest_amigo.lifecycle.temporary import TemporarySetError, TemporarySets

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
    copies: UnitTestCopies | None = None  # with a version set: its unit test copies
    version_set: str | None = None  # --amigo-version-set
    reference: str | None = None  # --amigo-compare
    before_temporaries: Callable[[], None] = lambda: None  # the sweep of old ones, once

    def target(self, key: str) -> str | None:
        """The version set a record's key simulates: the reference's (``--amigo-compare``) for
        a reference key, else the candidate's (``--amigo-version-set``, None: as they are)."""
        return self.reference if is_reference(key) else self.version_set

    def off_version_set(
        self, unit_set: UnitTestSet, entries: Sequence[tuple[str, int]], key: str = ""
    ) -> list[str]:
        """The unit tests of ``entries`` that must be copied onto the version set ``key``
        simulates."""
        version_set = self.target(key)
        if version_set is None:
            return []
        on = {u.id for u in unit_set.unit_tests if u.version_set == version_set}
        return [uid for uid, _ in entries if uid not in on]

    def make_copies(self, wanted: Mapping[str, Sequence[str]]) -> str | None:
        """Copy unit tests onto version sets (version set -> unit test ids; those not copied
        yet); None, or why not (the copies made are deleted then)."""
        if self.copies is None:
            return None
        if any(wanted.values()):
            self.before_temporaries()
        for version_set, unit_test_ids in wanted.items():
            if not unit_test_ids:
                continue
            reference = version_set == self.reference  # never the candidate's (options.py)
            option = "--amigo-compare" if reference else "--amigo-version-set"
            try:
                self.copies.create(version_set, unit_test_ids, option)
            except CopyError as exc:
                return str(exc)
        return None

    def _copies_of(
        self, unit_set: UnitTestSet, entries: Sequence[tuple[str, int]], key: str = ""
    ) -> tuple[dict[str, str], list[str]]:
        """The copies these entries run as on the version set ``key`` simulates, and the unit
        tests that should have one and have none."""
        copied = self.off_version_set(unit_set, entries, key)
        version_set = self.target(key)
        copies: dict[str, str] = {}
        if version_set is not None and self.copies is not None:
            copies = self.copies.made(version_set, copied)
        return copies, [uid for uid in copied if uid not in copies]

    def start_subset(
        self, unit_set: UnitTestSet, entries: Sequence[tuple[str, int]], key: str = ""
    ) -> RunRecord:
        """Run some unit tests of a set (``--amigo-subset``), all of them on the candidate
        version set (their copies), or on the reference version set (``key``: the set's
        reference key): a temporary set, reported as the set."""
        key = key or unit_set.id
        version_set, reference = self.target(key), is_reference(key)
        copies, missing = self._copies_of(unit_set, entries, key)
        option = f"--amigo-compare={version_set}" if reference else "--amigo-version-set"
        if missing:  # never a silent fallback to the original
            why = f"{option}: no copy of {_unit_tests(missing)} on {version_set}"
            return RunRecord.refused(key, self.clock(), why)
        whole = len(entries) == len(unit_set.unit_tests)
        # every unit test is on the version set: the set as it is (a reference never: the
        # candidate's run of the set would answer its create with 409)
        if whole and not copies and not reference:
            record = self.starter.create(unit_set.id)
            return replace(record, version_set=version_set)
        if reference:
            prefix = f"pytest-amigo reference {version_set} of"
        else:
            prefix = f"pytest-amigo {version_set} of" if copies else SUBSET_PREFIX
        self.before_temporaries()
        try:
            temporary = self.temporary.create(prefix, unit_set, entries, copies)
            self.definitions.add(temporary)
        except TemporarySetError as exc:
            why = option if copies or reference else "--amigo-subset"
            return RunRecord.refused(key, self.clock(), f"{why}: {exc}")
        record = self.starter.create(temporary.id)
        return replace(
            record,
            set_id=key,
            temporary_set=temporary.id,
            note=self._note(unit_set, entries, temporary, copies, option if reference else ""),
            version_set=version_set,
            copies=copies or None,
        )

    def _note(
        self,
        unit_set: UnitTestSet,
        entries: Sequence[tuple[str, int]],
        temporary: UnitTestSet,
        copies: Mapping[str, str],
        reference: str,
    ) -> str:
        note = (
            f"ran {len(entries)} of {plural(len(unit_set.unit_tests), 'unit test')} in temporary "
            f"set {temporary.name!r} ({temporary.id}), deleted at the end"
        )
        extra = (
            f", with copies of {plural(len(copies), 'unit test')} on the version set, deleted at "
            "the end too"
            if copies
            else ""
        )
        if reference:
            return f"{reference}: the reference {note}{extra}"
        if copies:
            return f"--amigo-version-set={self.version_set}: {note}{extra}"
        return f"--amigo-subset: {note}"

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
        copies, missing = self._copies_of(unit_set, entries)  # on a candidate: copies again
        if missing:
            return {"stop": f"re-sampling not possible: no copy of {_unit_tests(missing)}"}
        self.before_temporaries()
        try:
            temporary = self.temporary.create(RESAMPLE_PREFIX, unit_set, entries, copies)
            self.definitions.add(temporary)
        except TemporarySetError as exc:
            return {"stop": f"re-sampling not possible: {exc}"}
        record = self.starter.create(temporary.id)
        self.records.put(replace(record, version_set=self.version_set, copies=copies or None))
        return {"set": set_to_json(temporary)}

    def finish_round(self, set_id: str) -> None:
        """A temporary set's run has ended: delete the set (once)."""
        with self.state.locked(RESAMPLE_LOCK):
            if any(
                e["set_id"] == set_id and e["status"] != "created" for e in self.temporary.entries()
            ):
                return
            self.temporary.delete(set_id)

    def delete_all(self, time_cap: float) -> list[str]:
        """Delete every temporary set still recorded, then the unit test copies they used (the
        contract refuses to delete a unit test a set uses); lines for those left behind."""
        lines = self.temporary.delete_all(time_cap) if self.temporary.pending() else []
        if self.copies is not None and self.copies.pending():
            lines += self.copies.delete_all(time_cap)
        return lines


def _unit_tests(ids: object) -> str:
    """``unit test a1`` / ``unit tests a1, b2``: the unit tests (ids) a message names."""
    found = [str(i) for i in ids] if isinstance(ids, list | tuple | set) else [str(ids)]
    return f"unit test{'' if len(found) == 1 else 's'} {', '.join(found)}"
