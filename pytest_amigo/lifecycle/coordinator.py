"""The life of the runs of one pytest session: definitions, start or attach, wait, cancel.

Every process of the session (one, or the xdist controller and its workers) has a Coordinator over
the same ``SharedState`` directory, and nothing outside this module and the poller names its files:

- ``definitions.json``: set definitions, fetched once by whoever asks first;
- ``runs.json``: per set, the run this session reports (started here or attached) or why none;
- ``snapshot.json`` (the ``Poller``'s): the latest run instances, justifications, artifacts and
  the shared poll cadence;
- ``items.json``: the workers' Amigo items, for the controller to report after an interruption;
- ``active.json``: Amigo items run in this session;
- ``baselines.json``: per set, the baseline run (``--amigo-baseline=last|RUN_ID``) or why none;
- ``resamples.json``: per set and round, the temporary set re-sampling runs, or why none
  (``temporary.json``, the ``TemporarySets``' own, records every temporary set for deletion).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from amigo_sdk.errors import ConflictError

from ..api.endpoints import ENDPOINTS
from ..contract import PERMISSION_RUN
from ..domain import UnitTestSet, set_from_json, set_to_json
from ..errors import DefinitionError, check_object_id
from ..settings import Settings
from .catalog import load_sets
from .failures import API_ERRORS, FAILURES, describe, dump
from .poller import Poller
from .records import Api, Observation, RunRecord, artifacts_path
from .shared import SharedState
from .snapshot import Snapshot
from .starter import CREATE, RunStarter
from .temporary import TemporarySetError, TemporarySets

log = logging.getLogger("pytest_amigo")

ACTIVE = "active.json"
DEFINITIONS = "definitions.json"
RUNS = "runs.json"
ITEMS = "items.json"
BASELINES = "baselines.json"
RESAMPLES = "resamples.json"
RESAMPLE_PREFIX = "pytest-amigo resample of"
SUBSET_PREFIX = "pytest-amigo subset of"


class Coordinator:
    def __init__(
        self,
        state: SharedState,
        settings: Settings,
        api_factory: Callable[[], Api],
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.state = state
        self.settings = settings
        self._api_factory = api_factory
        self._api: Api | None = None
        self.clock = clock
        self.sleep = sleep
        self.poller = Poller(state, settings, lambda: self.api, self.records, clock)
        self.starter = RunStarter(
            settings, lambda: self.api, self._cached_definition, clock=clock, sleep=sleep
        )
        self.temporary = TemporarySets(state, lambda: self.api)  # type: ignore[arg-type,return-value]
        self._deferred: list[str] = []  # sets to start once the create limit allows
        self._subsets: dict[str, tuple[UnitTestSet, Sequence[tuple[str, int]]]] = {}

    # ------------------------------------------------------------------ API access
    @property
    def api(self) -> Api:
        if self._api is None:
            self._api = self._api_factory()
        return self._api

    def close(self) -> None:
        api, self._api = self._api, None
        close = getattr(api, "close", None)
        if close is not None:
            close()

    # ------------------------------------------------------------------ definitions
    def definitions(self, set_ids: Iterable[str], *, origin: str) -> dict[str, UnitTestSet]:
        """Set definitions, fetched once per session across all processes."""
        wanted = [check_object_id(s, f"unit test set id (from {origin})") for s in set_ids]
        key = "!error:" + ",".join(sorted(set(wanted)))

        def fetch_missing(cache: dict[str, Any]) -> dict[str, Any]:
            missing = [s for s in wanted if s not in cache]
            if key in cache or not missing:
                return cache
            try:
                loaded = load_sets(self.api, missing)
            except (DefinitionError, *API_ERRORS) as exc:
                return {**cache, key: describe(exc, "read the unit test set definitions")}
            return {**cache, **{k: set_to_json(v) for k, v in loaded.items()}}

        cache = self.state.update(DEFINITIONS, fetch_missing, {})
        if key in cache:
            raise DefinitionError(cache[key])
        return {s: set_from_json(cache[s]) for s in wanted}

    def _cached_definition(self, set_id: str) -> dict[str, Any] | None:
        found = self.state.read(DEFINITIONS, {}).get(set_id)
        return found if isinstance(found, dict) else None

    def set_of_run(self, run_id: str) -> str:
        """The set an existing run belongs to (for ``--amigo-run``), read once per session."""
        run_id = check_object_id(run_id, "run id (from --amigo-run)")
        key = f"!run:{run_id}"

        def fetch_missing(cache: dict[str, Any]) -> dict[str, Any]:
            if key in cache:
                return cache
            try:
                runs = self.api.list_runs(ids=[run_id])
            except API_ERRORS as exc:
                return {**cache, key: {"error": describe(exc, f"read run {run_id}")}}
            if not runs:
                error = (
                    f"run {run_id} (from --amigo-run) not found in organization "
                    f"{self.api.organization_id!r}: check the id and AMIGO_ORGANIZATION_ID; "
                    f"the runs list also leaves out runs the API key's user may not read "
                    f"({PERMISSION_RUN})."
                )
                return {**cache, key: {"error": error}}
            return {**cache, key: {"set_id": dump(runs[0])["simulation_unit_test_set_id"]}}

        entry = self.state.update(DEFINITIONS, fetch_missing, {})[key]
        if "error" in entry:
            raise DefinitionError(entry["error"])
        return str(entry["set_id"])

    # ------------------------------------------------------------------ runs
    def records(self) -> dict[str, RunRecord]:
        data = self.state.read(RUNS, {})
        return {k: RunRecord.from_json(v) for k, v in data.items()}

    def start(
        self,
        set_ids: Sequence[str],
        attach: Mapping[str, str] | None = None,
        subsets: Mapping[str, tuple[UnitTestSet, Sequence[tuple[str, int]]]] | None = None,
        *,
        wait: bool = True,
    ) -> None:
        """Make sure every set has a run: attach the given ones, start the others (of a set in
        ``subsets``, a temporary set of just those unit tests: ``--amigo-subset``).

        One process of the session (whoever takes the ``starter`` lock first) creates every
        run, one after the other, so the 20-a-minute create limit is paced by a single pacer;
        the others find the records as they appear.

        ``wait=False``: once the organization's create limit is spent (other pipelines draw
        from it too), the sets left are deferred instead of waited for: items waiting for the
        runs already started poll them meanwhile and start the deferred ones as the limit
        allows (:meth:`start_deferred`), so a verdict never waits behind another set's create.
        """
        self._subsets.update(subsets or {})
        with self.state.locked("starter", timeout=0) as starter:
            if not starter:
                if not wait:  # another process is creating: try these again later
                    self._defer(set_ids, set_ids)
                return
            for set_id, run_id in (attach or {}).items():
                if set_id not in self.records():
                    note = f"reporting existing run {run_id} (--amigo-run)"
                    self._put(RunRecord(set_id, run_id, False, note, self.clock()))
            for i, set_id in enumerate(set_ids):
                if set_id in self.records():
                    continue
                if set_id in self._subsets:
                    self._put(self._start_subset(*self._subsets[set_id]))
                    continue
                record = self.starter.create(set_id) if wait else self.starter.try_create(set_id)
                if record is None:  # the create limit is spent: these wait for the next try
                    self._defer(set_ids, set_ids[i:])
                    return
                self._put(record)
            self._defer(set_ids, [])

    def _defer(self, tried: Sequence[str], left: Sequence[str]) -> None:
        """Of the deferred sets, those just ``tried`` are replaced by those ``left``."""
        kept = [s for s in self._deferred if s not in tried]
        self._deferred = list(dict.fromkeys([*left, *kept]))

    def start_deferred(self) -> None:
        """Start the sets :meth:`start` deferred, as far as the create limit allows now.

        Called on every tick of a waiting item: while the limit is spent, it costs no lock."""
        if self._deferred and self.api.would_wait(CREATE) <= 0:
            self.start(self._deferred, wait=False)

    def refuse(self, set_ids: Iterable[str], why: str) -> None:
        """No run for these sets in this session (``--amigo-max-sessions``): items report why,
        and the records say the session was refused, for the controller to end it."""
        now = self.clock()
        for set_id in set_ids:
            if set_id not in self.records():
                self._put(replace(RunRecord.refused(set_id, now, why), session_refused=True))

    def refusals(self) -> list[str]:
        """The reasons sets were refused as a whole (a usage error of the session)."""
        found = {r.error for r in self.records().values() if r.session_refused and r.error}
        return sorted(found)

    def _start_subset(self, unit_set: UnitTestSet, entries: Sequence[tuple[str, int]]) -> RunRecord:
        """Run only some unit tests of a set: a temporary set of them, reported as the set."""
        try:
            temporary = self._create_temporary(SUBSET_PREFIX, unit_set, entries)
        except TemporarySetError as exc:
            return RunRecord.refused(unit_set.id, self.clock(), f"--amigo-subset: {exc}")
        record = self.starter.create(temporary.id)
        note = (
            f"--amigo-subset: ran {len(entries)} of {len(unit_set.unit_tests)} unit tests in "
            f"temporary set {temporary.name!r} ({temporary.id}), deleted at the end"
        )
        return replace(record, set_id=unit_set.id, temporary_set=temporary.id, note=note)

    def _create_temporary(
        self, prefix: str, unit_set: UnitTestSet, entries: Sequence[tuple[str, int]]
    ) -> UnitTestSet:
        temporary = self.temporary.create(prefix, unit_set, entries)
        self.state.update(
            DEFINITIONS, lambda cache: {**cache, temporary.id: set_to_json(temporary)}, {}
        )
        return temporary

    def _put(self, record: RunRecord) -> None:
        self._update_records(lambda runs: {**runs, record.set_id: record.__dict__})

    def _update_records(self, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self.state.update(RUNS, change, {})

    def mark_cancelled(self, set_id: str, why: str) -> None:
        self._mark(set_id, cancelled=why)

    def _mark(self, set_id: str, **fields: Any) -> None:
        def change(runs: dict[str, Any]) -> dict[str, Any]:
            if set_id not in runs:
                return runs
            return {**runs, set_id: {**runs[set_id], **fields}}

        self._update_records(change)

    # ------------------------------------------------------------------ baselines
    def baseline_run(self, set_id: str, which: str, current_run_id: str | None) -> dict[str, Any]:
        """The run ``--amigo-baseline`` names for a set, fetched once per session:
        ``{"run": ..., "how": ...}``, or ``{"none": why}``.

        ``last`` is the newest completed, non-errored run of the set other than the one being
        reported; a run id must be a run of this set (other sets then have no baseline)."""

        def fetch_missing(cache: dict[str, Any]) -> dict[str, Any]:
            if set_id in cache:
                return cache
            try:
                entry = self._find_baseline(set_id, which, current_run_id)
            except API_ERRORS as exc:
                entry = {"none": "no baseline: " + describe(exc, "read the baseline run")}
            return {**cache, set_id: entry}

        return dict(self.state.update(BASELINES, fetch_missing, {})[set_id])

    def _find_baseline(self, set_id: str, which: str, current: str | None) -> dict[str, Any]:
        if which == "last":
            runs = self.api.list_runs(
                set_ids=[set_id], is_completed=True, errored=False, sort_by=["-created_at"], limit=5
            )
            found = [dump(r) for r in runs]
            found = [r for r in found if r.get("id") != current and not r.get("errored")]
            if not found:
                return {"none": "no baseline: the set has no earlier completed run"}
            return {"run": found[0], "how": "the last completed run of the set"}
        runs = [dump(r) for r in self.api.list_runs(ids=[which])]
        if not runs:
            return {
                "none": f"no baseline: run {which} not found (or not readable: {PERMISSION_RUN})"
            }
        if runs[0].get("simulation_unit_test_set_id") != set_id:
            return {"none": f"no baseline: run {which} is a run of another set"}
        if not runs[0].get("is_completed"):
            return {"none": f"no baseline: run {which} has not completed"}
        return {"run": runs[0], "how": "--amigo-baseline"}

    # ------------------------------------------------------------------ re-sampling
    def sessions_started(self) -> int:
        """Sessions simulated by the runs this session started (re-sampling runs included)."""
        definitions = self.state.read(DEFINITIONS, {}, fresh=True)
        total = 0
        for record in self.records().values():
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
        with self.state.locked("resample"):
            known = self.state.read(RESAMPLES, {}, fresh=True)
            if key in known:
                return dict(known[key])
            entry = self._new_round(unit_set, entries)
            self.state.update(RESAMPLES, lambda data: {**data, key: entry}, {})
            return entry

    def _new_round(
        self, unit_set: UnitTestSet, entries: Sequence[tuple[str, int]]
    ) -> dict[str, Any]:
        budget = self.settings.max_sessions
        wanted = sum(count for _, count in entries)
        if budget is not None:
            used = self.sessions_started()
            if used + wanted > budget:
                return {
                    "stop": f"re-sampling stopped: {wanted} more sessions would exceed the "
                    f"session budget (--amigo-max-sessions={budget}, {used} simulated)"
                }
        try:
            temporary = self._create_temporary(RESAMPLE_PREFIX, unit_set, entries)
        except TemporarySetError as exc:
            return {"stop": f"re-sampling not possible: {exc}"}
        self._put(self.starter.create(temporary.id))
        return {"set": set_to_json(temporary)}

    def finish_round(self, set_id: str) -> None:
        """A temporary set's run has ended: delete the set (once)."""
        with self.state.locked("resample"):
            if any(
                e["set_id"] == set_id and e["status"] != "created" for e in self.temporary.entries()
            ):
                return
            self.temporary.delete(set_id)

    def delete_temporary_sets(self, time_cap: float = 15.0) -> list[str]:
        """Delete every temporary set still recorded; lines for those left behind."""
        if not self.temporary.pending():
            return []
        return self.temporary.delete_all(time_cap)

    # ------------------------------------------------------------------ items (xdist)
    def publish_items(self, items: Mapping[str, Mapping[str, Any]]) -> None:
        """Workers' Amigo items (node id -> set id, position, ...), for the controller to report
        those still waiting when the session is interrupted."""
        self.state.update(ITEMS, lambda known: {**known, **items}, {})

    def published_items(self) -> dict[str, dict[str, Any]]:
        return dict(self.state.read(ITEMS, {}, fresh=True))

    # ------------------------------------------------------------------ snapshot
    def snapshot(self) -> Snapshot:
        return self.poller.snapshot()

    def poll_if_due(self, *, force: bool = False) -> bool:
        return self.poller.poll_if_due(force=force)

    def mark_active(self) -> None:
        """Amigo items run in this session (tells the xdist controller)."""
        self.state.write(ACTIVE, True)

    def is_active(self) -> bool:
        return bool(self.state.read(ACTIVE))

    # ------------------------------------------------------------------ waiting
    def wait(
        self,
        set_id: str,
        judge: Callable[[dict[str, Any] | None, RunRecord], set[str] | None],
        *,
        on_tick: Callable[[Snapshot], None] | None = None,
    ) -> Observation:
        """Block until ``judge(run, record)`` is final and its justifications are in, or time is up.

        ``judge`` returns None while the item's verdict is pending, else the evaluation ids its
        explanation needs (empty for a pass).
        """
        while (record := self.records().get(set_id)) is None:
            self.start([set_id])  # nobody started it yet (or the starter is still busy)
            if (record := self.records().get(set_id)) is None:
                self.sleep(0.2)
        deadline = record.started_at + self.settings.timeout
        while True:
            record = self.records().get(set_id, record)
            snap = self.snapshot()
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
            if self.clock() >= deadline:
                return Observation(record, run, snap.evaluations, None, True)
            self.start_deferred()
            if not self.poll_if_due() and on_tick is not None:
                on_tick(snap)
            wake = min(snap.next_poll, deadline) - self.clock()
            self.sleep(min(max(wake, 0.05), 0.25))

    # ------------------------------------------------------------------ cancellation
    def cancel_started(
        self, why: str, *, set_ids: Iterable[str] | None = None, time_cap: float = 20.0
    ) -> tuple[list[str], list[str]]:
        """Cancel unfinished runs this session started; returns (cancelled, left running)."""
        if self.settings.keep_running:
            return [], []
        only = set(set_ids) if set_ids is not None else None
        snap = self.snapshot()
        cancelled: list[str] = []
        left: list[str] = []
        start = self.clock()
        for record in self.records().values():
            if (
                not record.started_here
                or record.run_id is None
                or record.cancelled
                or record.finished
            ):
                continue
            if only is not None and record.set_id not in only:
                continue
            run = snap.runs.get(record.run_id)
            if run is not None and (run["is_completed"] or run.get("errored")):
                continue  # the last poll saw it finished: a cancel would only spend the limit
            if (
                self.clock() - start > time_cap
                or len(cancelled) >= ENDPOINTS["cancel-simulation-unit-test-set-run"].per_minute
            ):
                left.append(record.run_id)
                continue
            try:
                self.api.cancel_run(record.run_id)
            except ConflictError:
                self._mark(record.set_id, finished=True)  # finished meanwhile: never again
                continue
            except FAILURES:
                left.append(record.run_id)
                continue
            self.mark_cancelled(record.set_id, why)
            cancelled.append(record.run_id)
        return cancelled, left

    # ------------------------------------------------------------------ end of session
    def missing_artifacts(self) -> dict[str, str]:
        """Artifact paths reported for runs whose file is not there, with the reason."""
        if self.settings.artifacts_dir is None:
            return {}
        snap = self.snapshot()
        missing: dict[str, str] = {}
        for record in self.records().values():
            if record.run_id is None:
                continue
            path = artifacts_path(self.settings.artifacts_dir, record.run_id)
            if path.exists():
                continue
            run = snap.runs.get(record.run_id) or {}
            entry = snap.artifacts.get(record.run_id) or {}
            if "error" in entry:
                reason = str(entry["error"])
            elif record.run_id in snap.poll_fatal:
                reason = "the run could not be read, so its artifacts could not be fetched"
            elif record.cancelled:
                reason = f"this session cancelled the run ({record.cancelled})"
            elif run.get("errored"):
                reason = "the run errored and no artifacts were generated"
            elif not run.get("is_completed"):
                reason = "the run had not finished when the session ended"
            elif not run.get("artifacts_generated"):
                reason = (
                    "the run's artifacts were not generated within amigo_artifacts_wait "
                    f"({self.settings.artifacts_wait:g} s)"
                )
            else:
                reason = "the artifacts were not downloaded"
            missing[str(path)] = reason
        return missing

    def finish_artifacts(self) -> None:
        """Wait (bounded) for the artifacts of completed runs and download them."""
        if self.settings.artifacts_dir is None or self.settings.artifacts_wait <= 0:
            return
        deadline = self.clock() + self.settings.artifacts_wait
        while self.clock() < deadline:
            snap = self.snapshot()
            pending = [
                r.run_id
                for r in self.records().values()
                if r.run_id
                and not r.cancelled
                and r.run_id in snap.runs
                and snap.runs[r.run_id]["is_completed"]
                and not snap.runs[r.run_id]["errored"]
                and r.run_id not in snap.artifacts
            ]
            if not pending:
                return
            self.poll_if_due()
            self.sleep(0.25)
