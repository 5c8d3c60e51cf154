"""The life of the runs of one pytest session: start or attach, poll, fetch evidence, cancel.

Every process of the session (one, or the xdist controller and its workers) has a Coordinator over
the same ``SharedState`` directory:

- ``definitions.json``: set definitions, fetched once by whoever asks first;
- ``runs.json``: per set, the run this session reports (started here or attached) or why none;
- ``snapshot.json``: the latest run instances, the evaluation results fetched for failures, the
  downloaded artifacts and the shared poll cadence.

Polling is cooperative: a process that waits for a result polls when the shared cadence says a
poll is due and it wins the ``poll`` lock; everybody else reads the snapshot. One list request
covers every active run, so the request count does not grow with the number of workers.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
from amigo_sdk.errors import AmigoError, BadRequestError, ConflictError, SDKInternalError

from .api.endpoints import ENDPOINTS
from .catalog import DefinitionError, check_object_id, load_sets
from .domain import UnitTestSet, set_from_json, set_to_json
from .settings import Settings
from .shared import SharedState

log = logging.getLogger("pytest_amigo")

LIST_RUNS = "get-simulation-unit-test-set-runs"
EVALUATIONS = "get-metric-evaluation-results"
RUN_IDS_PER_REQUEST = 50
CREATE_ATTEMPTS = 4
# A poll failing for a non-transient reason ends the affected items after this many polls in a
# row, or this long, whichever comes first (never the whole --amigo-timeout).
FATAL_POLLS = 3
FATAL_AFTER_S = 120.0
# A run this session created or attached that the runs list leaves out this many polls in a row
# (and at least this long) is invisible to the caller: a missing permission, not a slow service.
UNSEEN_POLLS = 4
UNSEEN_AFTER_S = 10.0
PERMISSION_RUN = "Simulation:GetSimulationUnitTestSetRun"
# Justifications of a run still running are fetched at most this often (10 requests a minute
# for the whole organization); rows already read are not read again (timestamp_after).
EVALUATION_SPACING_S = 10.0
EVALUATION_OVERLAP_S = 120.0
# amigo-sdk raises its typed errors for HTTP answers but lets transport errors through as httpx's.
API_ERRORS = (AmigoError, httpx.HTTPError)
FAILURES = (*API_ERRORS, OSError, RuntimeError)


class Api(Protocol):  # what the coordinator needs of SimulationApi
    organization_id: str
    user_id: str

    def create_run(self, set_id: str) -> str: ...
    def cancel_run(self, run_id: str) -> None: ...
    def list_runs(self, **kwargs: Any) -> list[Any]: ...
    def list_metric_evaluation_results(self, **kwargs: Any) -> list[Any]: ...
    def download_artifacts(self, run_id: str, dest: Path) -> Path: ...
    def list_unit_test_sets(self, **kwargs: Any) -> list[Any]: ...
    def list_unit_tests(self, **kwargs: Any) -> list[Any]: ...


@dataclass(frozen=True)
class RunRecord:
    set_id: str
    run_id: str | None
    started_here: bool
    note: str
    started_at: float
    error: str | None = None
    cancelled: str | None = None  # why this session cancelled it
    finished: bool = False  # a cancel found it finished (409): never send another

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        return cls(**data)

    @classmethod
    def refused(cls, set_id: str, at: float, error: str, run_id: str | None = None) -> RunRecord:
        """No run for this set in this session, and why (its items report the error)."""
        return cls(set_id, run_id, False, "", at, error=error)


@dataclass(frozen=True)
class Observation:
    """What a waiting item learned: its run, the evaluations fetched, and why it stopped."""

    record: RunRecord
    run: dict[str, Any] | None
    evaluations: dict[str, dict[str, Any]] | None
    evaluation_error: str | None
    timed_out: bool
    failure: str | None = None  # the run could not be read (non-transient) or is invisible


def _dump(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json") if hasattr(model, "model_dump") else dict(model)


def result_failures(result: Mapping[str, Any] | None) -> set[str]:
    """Evaluation ids of the failed checks in one unit test's result (None: no result yet)."""
    return {
        str(pair[0])
        for metric in (result or {}).get("metric_evaluation_results") or ()
        for pair in metric.get("results") or ()
        if len(pair) == 2 and pair[1] is False
    }


def failing_evaluation_ids(run: Mapping[str, Any]) -> set[str]:
    """Evaluation ids of every failed check in a run: what justifications are needed for."""
    return set().union(*(result_failures(r) for r in run.get("unit_test_run_results") or ()))


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
                return {**cache, key: _describe(exc, "read the unit test set definitions")}
            return {**cache, **{k: set_to_json(v) for k, v in loaded.items()}}

        cache = self.state.update("definitions.json", fetch_missing, {})
        if key in cache:
            raise DefinitionError(cache[key])
        return {s: set_from_json(cache[s]) for s in wanted}

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
                return {**cache, key: {"error": _describe(exc, f"read run {run_id}")}}
            if not runs:
                error = (
                    f"run {run_id} (from --amigo-run) not found in organization "
                    f"{self.api.organization_id!r}: check the id and AMIGO_ORGANIZATION_ID; "
                    f"the runs list also leaves out runs the API key's user may not read "
                    f"({PERMISSION_RUN})."
                )
                return {**cache, key: {"error": error}}
            return {**cache, key: {"set_id": _dump(runs[0])["simulation_unit_test_set_id"]}}

        entry = self.state.update("definitions.json", fetch_missing, {})[key]
        if "error" in entry:
            raise DefinitionError(entry["error"])
        return str(entry["set_id"])

    # ------------------------------------------------------------------ runs
    def records(self) -> dict[str, RunRecord]:
        data = self.state.read("runs.json", {})
        return {k: RunRecord.from_json(v) for k, v in data.items()}

    def start(self, set_ids: Sequence[str], attach: Mapping[str, str] | None = None) -> None:
        """Make sure every set has a run: attach the given ones, start the others.

        One process of the session (whoever takes the ``starter`` lock first) creates every
        run, one after the other, so the 20-a-minute create limit is paced by a single pacer;
        the others find the records as they appear.
        """
        with self.state.locked("starter", timeout=0) as starter:
            if not starter:
                return
            for set_id, run_id in (attach or {}).items():
                if set_id not in self.records():
                    note = f"reporting existing run {run_id} (--amigo-run)"
                    self._put(RunRecord(set_id, run_id, False, note, self.clock()))
            for set_id in set_ids:
                if set_id not in self.records():
                    self._put(self._create(set_id))

    def _put(self, record: RunRecord) -> None:
        self._update_records(lambda runs: {**runs, record.set_id: record.__dict__})

    def _update_records(self, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self.state.update("runs.json", change, {})

    def _create(self, set_id: str) -> RunRecord:
        """Start a run; retried when the answer is lost (5xx, dropped connection).

        Creating is safe to retry: the service refuses a second unfinished run of the set by
        the same user (409), and after a lost answer that run is ours: find it and report it,
        so there is exactly one run per set whatever the faults.
        """
        now = self.clock()
        lost: str | None = None
        delay = 1.0
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                run_id = self.api.create_run(set_id)
                return RunRecord(set_id, run_id, True, f"started run {run_id}", now)
            except ConflictError:
                if lost is None:
                    return self._resolve_conflict(set_id, now)
                return self._recover_lost_create(set_id, now, lost)
            except API_ERRORS as exc:
                if not transient(exc) or attempt == CREATE_ATTEMPTS:
                    if lost is not None:  # the earlier attempt may have created it after all
                        recovered = self._recover_lost_create(set_id, now, lost)
                        if recovered.run_id is not None and recovered.error is None:
                            return recovered
                    return RunRecord.refused(set_id, now, _describe(exc, "start a run"))
                lost = _describe(exc, "start a run")
                log.warning("pytest-amigo: %s; retrying", lost)
                self.sleep(delay)
                delay = min(delay * 2, 8.0)
                found = self._run_created_since_collection(set_id)
                if found is not None:  # the lost create was processed (and may be done by now)
                    note = f"started run {found} (its create answer was lost: {lost})"
                    return RunRecord(set_id, found, True, note, now)
        raise AssertionError("unreachable")  # pragma: no cover

    def _run_created_since_collection(self, set_id: str) -> str | None:
        """This user's run of the set created after collection read the set, if any.

        The set's ``last_triggered_run_id`` as collection read it is the baseline: a run of
        ours newer than that one can only come from this session's create."""
        user_id = self.api.user_id
        cached = self.state.read("definitions.json", {}).get(set_id)
        if not user_id or not isinstance(cached, dict):
            return None
        try:
            mine = self.api.list_runs(
                set_ids=[set_id],
                creators=[f"{self.api.organization_id},{user_id}"],
                sort_by=["-created_at"],
                limit=1,
            )
            if not mine:
                return None
            newest = _dump(mine[0])
            baseline = cached.get("last_run_id")
            if baseline is None:
                return str(newest["id"])
            if newest["id"] == baseline:
                return None
            before = self.api.list_runs(ids=[baseline])
        except API_ERRORS:
            return None
        if not before:
            return None
        created = str(newest.get("created_at") or "")
        previous = str(_dump(before[0]).get("created_at") or "")
        return str(newest["id"]) if _parse_time(created) > _parse_time(previous) else None

    def _recover_lost_create(self, set_id: str, now: float, lost: str) -> RunRecord:
        try:
            existing = self._unfinished_run(set_id)
        except API_ERRORS as exc:
            return RunRecord.refused(set_id, now, _describe(exc, "find the run just created"))
        if existing is None:
            return RunRecord.refused(
                set_id,
                now,
                f"{lost}; a retry was refused (HTTP 409) but no unfinished run of yours is "
                f"visible: check {PERMISSION_RUN}",
            )
        note = f"started run {existing} (its create answer was lost: {lost}; found it by creator)"
        return RunRecord(set_id, existing, True, note, now)

    def _resolve_conflict(self, set_id: str, now: float) -> RunRecord:
        policy = self.settings.on_conflict
        hint = "(HTTP 409: one unfinished run per user per set)"
        try:
            existing = self._unfinished_run(set_id)
        except API_ERRORS as exc:
            return RunRecord.refused(set_id, now, _describe(exc, "find the run"))
        if policy == "fail" or existing is None:
            which = f" {existing}" if existing else ""
            return RunRecord.refused(
                set_id,
                now,
                f"you already have an unfinished run{which} of this set {hint}; wait for "
                "it, cancel it, or use --amigo-on-conflict=attach (report it) or "
                "--amigo-on-conflict=cancel (cancel it and start anew).",
                run_id=existing,
            )
        if policy == "attach":
            return RunRecord(
                set_id,
                existing,
                False,
                f"attached to your unfinished run {existing} {hint}; --amigo-on-conflict=attach",
                now,
            )
        try:
            self.api.cancel_run(existing)
        except ConflictError:
            pass  # finished meanwhile
        except API_ERRORS as exc:
            return RunRecord.refused(
                set_id, now, _describe(exc, f"cancel the unfinished run {existing}")
            )
        delay = 1.0
        for _ in range(6):
            try:
                run_id = self.api.create_run(set_id)
            except ConflictError:
                self.sleep(delay)
                delay = min(delay * 2, 15.0)
                continue
            except API_ERRORS as exc:
                return RunRecord.refused(set_id, now, _describe(exc, "start a run"))
            return RunRecord(
                set_id,
                run_id,
                True,
                f"cancelled your unfinished run {existing} and started run {run_id}",
                now,
            )
        return RunRecord.refused(
            set_id,
            now,
            f"cancelled your unfinished run {existing} but the platform still reports it "
            "unfinished; try again shortly.",
        )

    def _unfinished_run(self, set_id: str) -> str | None:
        kwargs: dict[str, Any] = {
            "set_ids": [set_id],
            "is_completed": False,
            "sort_by": ["-created_at"],
        }
        user_id = self.api.user_id  # from the SDK config: environment or .env
        if not user_id:
            return None  # never take another user's run for ours
        kwargs["creators"] = [f"{self.api.organization_id},{user_id}"]
        runs = [_dump(r) for r in self.api.list_runs(**kwargs)]
        return str(runs[0]["id"]) if runs else None

    def mark_cancelled(self, set_id: str, why: str) -> None:
        self._mark(set_id, cancelled=why)

    def _mark(self, set_id: str, **fields: Any) -> None:
        def change(runs: dict[str, Any]) -> dict[str, Any]:
            if set_id not in runs:
                return runs
            return {**runs, set_id: {**runs[set_id], **fields}}

        self._update_records(change)

    # ------------------------------------------------------------------ items (xdist)
    def publish_items(self, items: Mapping[str, Mapping[str, Any]]) -> None:
        """Workers' Amigo items (node id -> set id, position, ...), for the controller to report
        those still waiting when the session is interrupted."""
        self.state.update("items.json", lambda known: {**known, **items}, {})

    def published_items(self) -> dict[str, dict[str, Any]]:
        return dict(self.state.read("items.json", {}, fresh=True))

    # ------------------------------------------------------------------ snapshot
    def snapshot(self) -> dict[str, Any]:
        return self.state.read("snapshot.json", None) or _empty_snapshot()

    def poll_if_due(self, *, force: bool = False) -> bool:
        """Poll the active runs if the shared cadence says so and nobody else is; True if polled."""
        if not force and self.clock() < self.snapshot()["next_poll"]:
            return False
        with self.state.locked("poll", timeout=0 if not force else -1) as acquired:
            if not acquired:
                return False
            snap = self.state.read("snapshot.json", None, fresh=True) or _empty_snapshot()
            now = self.clock()
            if not force and now < snap["next_poll"]:
                return False
            self._poll(snap, now)
            return True

    def _active_run_ids(self, snap: Mapping[str, Any]) -> list[str]:
        active = []
        for record in self.records().values():
            if record.run_id is None or record.run_id in snap["poll_fatal"]:
                continue
            run = snap["runs"].get(record.run_id)
            artifacts_pending = (
                self.settings.artifacts_dir is not None and record.run_id not in snap["artifacts"]
            )
            if (
                run is None
                or not run["is_completed"]
                or (artifacts_pending and not run["artifacts_generated"])
            ):
                active.append(record.run_id)
        return sorted(set(active))

    def _poll(self, snap: dict[str, Any], now: float) -> None:
        active = self._active_run_ids(snap)
        changed = False
        requests = 0
        for start in range(0, len(active), RUN_IDS_PER_REQUEST):
            chunk = active[start : start + RUN_IDS_PER_REQUEST]
            try:
                fetched = [_dump(model) for model in self.api.list_runs(ids=chunk)]
            except API_ERRORS as exc:
                snap["poll_error"] = _describe(exc, "poll the runs")
                log.warning("pytest-amigo: %s", snap["poll_error"])
                self._poll_failed(snap, chunk, exc, now)
                break
            requests += 1
            snap.pop("poll_error", None)
            seen = set()
            for run in fetched:
                seen.add(run["id"])
                snap["poll_failures"].pop(run["id"], None)
                snap["unseen"].pop(run["id"], None)
                if snap["runs"].get(run["id"]) != run:
                    snap["runs"][run["id"]] = run
                    snap["changed_at"][run["id"]] = now
                    changed = True
            self._missing_from_list(snap, [r for r in chunk if r not in seen], now)
        snap["polls"] += 1
        self._fetch_evaluations(snap, now)
        interval = (
            self.settings.poll_min
            if changed
            else min(snap["interval"] * 1.5, self.settings.poll_max, self._expected_gap(snap, now))
        )
        # Never faster than the documented limit of the list endpoint allows.
        floor = 60.0 / ENDPOINTS[LIST_RUNS].per_minute * max(1, requests) * 1.05
        snap["interval"] = max(interval, floor, self.settings.poll_min)
        snap["next_poll"] = now + snap["interval"]
        snap["polled_at"] = now
        self.state.write("snapshot.json", snap)
        if self._download_artifacts(snap):  # after the results are out: downloads take time
            self.state.write("snapshot.json", snap)

    def _expected_gap(self, snap: Mapping[str, Any], now: float) -> float:
        """How soon the next result is due, from each running run's progress so far.

        Back-off stops there: while a run keeps producing results, polls keep up with them."""
        gaps = [self.settings.poll_max]
        for record in self.records().values():
            run = snap["runs"].get(record.run_id or "")
            if not run or run.get("is_completed"):
                continue
            results = run.get("unit_test_run_results") or []
            done = sum(1 for r in results if r is not None)
            if 0 < done < len(run.get("unit_test_run_specs") or ()):
                gaps.append((now - record.started_at) / done)
        return max(self.settings.poll_min, min(gaps))

    def _poll_failed(
        self, snap: dict[str, Any], run_ids: Sequence[str], exc: BaseException, now: float
    ) -> None:
        """Count failures; a non-transient one that persists ends the runs' items."""
        message = _describe(exc, "read the runs")
        for run_id in run_ids:
            failures = snap["poll_failures"].get(run_id)
            if failures is None or transient(exc):
                failures = {"count": 0, "since": now}
            if transient(exc):
                snap["poll_failures"][run_id] = failures
                continue
            failures = {**failures, "count": failures["count"] + 1}
            snap["poll_failures"][run_id] = failures
            if failures["count"] >= FATAL_POLLS or now - failures["since"] >= FATAL_AFTER_S:
                snap["poll_fatal"][run_id] = (
                    f"{message} ({failures['count']} polls in a row failed for a reason that "
                    "is not transient)"
                )

    def _missing_from_list(self, snap: dict[str, Any], run_ids: Sequence[str], now: float) -> None:
        """Runs asked for by id but left out of the answer: invisible to this user."""
        for run_id in run_ids:
            unseen = snap["unseen"].get(run_id) or {"count": 0, "since": now}
            unseen = {**unseen, "count": unseen["count"] + 1}
            snap["unseen"][run_id] = unseen
            if unseen["count"] >= UNSEEN_POLLS and now - unseen["since"] >= UNSEEN_AFTER_S:
                snap["poll_fatal"][run_id] = (
                    f"run {run_id} exists (it was created or named for this session) but the "
                    f"runs list has left it out {unseen['count']} polls in a row: lists leave "
                    "out what the caller may not read, so the API key's user probably lacks "
                    f"{PERMISSION_RUN}. Grant it, then report the run with "
                    f"pytest --amigo-run={run_id}"
                )

    def _fetch_evaluations(self, snap: dict[str, Any], now: float) -> None:
        """Justifications (and run indexes) of failed checks not fetched yet.

        One request covers every run that needs them. Only rows newer than those already read
        are asked for (``timestamp_after``, with an overlap), a running run is fetched at most
        every EVALUATION_SPACING_S, and a finished one once more: about two requests per run.
        Fetches stay within the endpoint's 10-a-minute limit, shared through the snapshot.
        """
        tried = set(snap["evaluations_tried"])
        wanted: dict[str, set[str]] = {}
        for run_id, run in snap["runs"].items():
            missing = failing_evaluation_ids(run) - snap["evaluations"].keys() - tried
            last = snap["evaluation_fetched"].get(run_id)
            spaced = last is None or now - last >= EVALUATION_SPACING_S
            if missing and (spaced or run.get("is_completed")):
                wanted[run_id] = missing
        if not wanted:
            return
        sent: list[float] = [t for t in snap["evaluation_requests"] if now - t < 60.0]
        snap["evaluation_requests"] = sent
        if len(sent) >= ENDPOINTS[EVALUATIONS].per_minute - 1:
            return  # this minute's budget is spent; a later poll tries again
        cursors = [snap["evaluation_cursor"].get(r) for r in wanted]
        after = None
        if all(cursors):
            after = min(_parse_time(c) for c in cursors if c) - dt.timedelta(
                seconds=EVALUATION_OVERLAP_S
            )
        kwargs: dict[str, Any] = {"run_ids": sorted(wanted)}
        if after is not None:
            kwargs["timestamp_after"] = after
        before = self._count(EVALUATIONS)
        try:
            results = self.api.list_metric_evaluation_results(**kwargs)
        except API_ERRORS as exc:
            message = _describe(exc, "fetch the judges' justifications")
            for run_id in wanted:
                snap["evaluation_errors"][run_id] = message
            return
        finally:
            sent.extend([now] * max(1, self._count(EVALUATIONS) - before))
        for model in results:
            evaluation = _dump(model)
            snap["evaluations"][evaluation["id"]] = {
                "result": evaluation.get("result"),
                "justification": evaluation.get("justification"),
                "metric_id": evaluation.get("metric_id"),
                "source": evaluation.get("source"),
            }
            source = evaluation.get("source")
            run_id = (
                source.get("simulation_unit_test_set_run_id") if isinstance(source, dict) else None
            )
            created = evaluation.get("created_at")
            if run_id in wanted and isinstance(created, str) and _parse_time(created):
                current = snap["evaluation_cursor"].get(run_id)
                if current is None or _parse_time(created) > _parse_time(current):
                    snap["evaluation_cursor"][run_id] = created
        misses = snap["evaluation_misses"]
        for run_id, missing in wanted.items():
            snap["evaluation_errors"].pop(run_id, None)
            snap["evaluation_fetched"][run_id] = now
            finished = bool(snap["runs"][run_id].get("is_completed"))
            for evaluation_id in missing - snap["evaluations"].keys():
                misses[evaluation_id] = misses.get(evaluation_id, 0) + 1
                if finished or misses[evaluation_id] >= 2:
                    tried.add(evaluation_id)  # not coming: explain without it
        snap["evaluations_tried"] = sorted(tried)

    def _count(self, operation_id: str) -> int:
        counts = getattr(self.api, "request_counts", None)
        return int(counts().get(operation_id, 0)) if counts is not None else 0

    def _download_artifacts(self, snap: dict[str, Any]) -> bool:
        """Download the artifacts of runs that have them; True if the snapshot changed."""
        target = self.settings.artifacts_dir
        if target is None:
            return False
        changed = False
        for record in self.records().values():
            run = snap["runs"].get(record.run_id or "")
            if not run or not run["artifacts_generated"] or record.run_id in snap["artifacts"]:
                continue
            assert record.run_id is not None
            path = artifacts_path(target, record.run_id)
            try:
                self.api.download_artifacts(record.run_id, path)
                snap["artifacts"][record.run_id] = {"path": str(path)}
            except BadRequestError:
                continue  # not retrievable yet; try on the next poll
            except FAILURES as exc:
                snap["artifacts"][record.run_id] = {
                    "error": _describe(exc, "download the artifacts")
                }
            changed = True
        return changed

    # ------------------------------------------------------------------ waiting
    def wait(
        self,
        set_id: str,
        judge: Callable[[dict[str, Any] | None, RunRecord], set[str] | None],
        *,
        on_tick: Callable[[dict[str, Any]], None] | None = None,
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
            if record.run_id in snap["poll_fatal"]:
                run = snap["runs"].get(record.run_id)
                failure = snap["poll_fatal"][record.run_id]
                return Observation(record, run, snap["evaluations"], None, False, failure)
            run = snap["runs"].get(record.run_id)
            needed = judge(run, record)
            if needed is not None:
                error = snap["evaluation_errors"].get(record.run_id)
                missing = needed - snap["evaluations"].keys() - set(snap["evaluations_tried"])
                if not missing or error:
                    return Observation(record, run, snap["evaluations"], error, False)
            if self.clock() >= deadline:
                return Observation(record, run, snap["evaluations"], None, True)
            if not self.poll_if_due() and on_tick is not None:
                on_tick(snap)
            wake = min(snap["next_poll"], deadline) - self.clock()
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
            run = snap["runs"].get(record.run_id)
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
            run = snap["runs"].get(record.run_id) or {}
            entry = snap["artifacts"].get(record.run_id) or {}
            if "error" in entry:
                reason = str(entry["error"])
            elif record.run_id in snap["poll_fatal"]:
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
                and r.run_id in snap["runs"]
                and snap["runs"][r.run_id]["is_completed"]
                and not snap["runs"][r.run_id]["errored"]
                and r.run_id not in snap["artifacts"]
            ]
            if not pending:
                return
            self.poll_if_due()
            self.sleep(0.25)


def artifacts_path(directory: Path, run_id: str) -> Path:
    return directory / f"run-{run_id}.zip"


def _empty_snapshot() -> dict[str, Any]:
    return {
        "runs": {},
        "changed_at": {},
        "evaluations": {},
        "evaluation_errors": {},
        "evaluations_tried": [],
        "evaluation_requests": [],
        "artifacts": {},
        "poll_failures": {},
        "poll_fatal": {},
        "unseen": {},
        "evaluation_cursor": {},
        "evaluation_fetched": {},
        "evaluation_misses": {},
        "next_poll": 0.0,
        "interval": 0.0,
        "polls": 0,
        "polled_at": None,
    }


def transient(exc: BaseException) -> bool:
    """Worth retrying: transport errors, 408, 429 and 5xx. Not: other 4xx, unreadable answers."""
    if isinstance(exc, httpx.TransportError):
        return True
    status = getattr(exc, "status_code", None)
    if isinstance(exc, SDKInternalError) and (status is None or status < 300):
        return False  # an answer we could not read: the same answer will come again
    if status is None:
        return True
    return status in (408, 429) or status >= 500


def _parse_time(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _describe(exc: BaseException, doing: str) -> str:
    """A one-line, secret-free account of an API failure and what to do about it."""
    status = getattr(exc, "status_code", None)
    text = str(exc).strip() or type(exc).__name__
    advice = {
        401: "check AMIGO_API_KEY, AMIGO_API_KEY_ID and AMIGO_USER_ID",
        403: "grant the missing permission to the API key's user",
        404: "check the id and AMIGO_ORGANIZATION_ID",
        429: "the organization's rate limit was hit; retry later",
        503: "Amigo is under maintenance; retry later",
    }.get(status or 0)
    return f"could not {doing}: {text}" + (f" ({advice})" if advice else "")
