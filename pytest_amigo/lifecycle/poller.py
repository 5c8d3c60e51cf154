"""Polling the runs of a session: one request for every active run, on a shared cadence.

Polling is cooperative: a process that waits for a result polls when the shared cadence says a
poll is due and it wins the ``poll`` lock; everybody else reads the snapshot. One list request
covers every active run (50 ids a page), so the request count does not grow with the number of
workers. A poll also fetches the justifications failures need (within the evaluation results'
10-a-minute limit, shared through the snapshot) and downloads artifacts once generated.

Only unfinished runs need the runs list. The artifacts of a finished run are asked for directly
(the artifacts endpoint answers 400 until they are generated, and has a budget of its own, 100 a
minute), on a short back-off (:func:`artifact_retry_after`), instead of listing the run again:
when several pipelines share the organization's list budget (12 a minute shared by 4 sessions
is one list request per session every ~20 s), each list request for nothing but
``artifacts_generated`` cost a whole share of it between a set's last result and the end of its
session (issue 18, case 8: bench f4).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from amigo_sdk.errors import BadRequestError

from pytest_amigo.api.endpoints import ENDPOINTS
from pytest_amigo.api.paging import ID_CHUNK as RUN_IDS_PER_REQUEST  # one page of ids per request
from pytest_amigo.contract import PERMISSION_RUN
from pytest_amigo.judging.run_data import failing_evaluation_ids
from pytest_amigo.lifecycle.failures import (
    API_ERRORS,
    FAILURES,
    describe,
    dump,
    parse_time,
    transient,
)
from pytest_amigo.lifecycle.records import RunRecord, artifacts_path
from pytest_amigo.lifecycle.service import Api
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.lifecycle.snapshot import Snapshot
from pytest_amigo.lifecycle.state_files import POLL_LOCK, SNAPSHOT
from pytest_amigo.settings import Settings

log = logging.getLogger("pytest_amigo")

LIST_RUNS = "get-simulation-unit-test-set-runs"
EVALUATIONS = "get-metric-evaluation-results"
# A poll failing for a non-transient reason ends the affected items after this many polls in a
# row, or this long, whichever comes first (never the whole --amigo-timeout).
FATAL_POLLS = 3
FATAL_AFTER_S = 120.0
# A run this session created or attached that the runs list leaves out this many polls in a row
# (and at least this long) is invisible to the caller: a missing permission, not a slow service.
UNSEEN_POLLS = 4
UNSEEN_AFTER_S = 10.0
# Justifications of a run still running are fetched at most this often (10 requests a minute
# for the whole organization); rows already read are not read again (timestamp_after).
EVALUATION_SPACING_S = 10.0
EVALUATION_OVERLAP_S = 120.0
# The artifacts of a finished run are asked for directly this long after the poll that saw the
# run finish without them, then twice as long after each 400 (not generated yet), at most
# ARTIFACT_TRY_MAX_S apart: about 6 requests per run over the default 60 s artifacts wait, for
# at most ARTIFACT_DIRECT_RUNS runs at a time (far below the endpoint's 100 a minute). With more
# runs waiting for artifacts, one list request (50 ids) is cheaper: they are listed as before.
ARTIFACT_TRY_FIRST_S = 1.0
ARTIFACT_TRY_MAX_S = 16.0
ARTIFACT_DIRECT_RUNS = 10


def backed_off(
    interval: float, poll_min: float, poll_max: float, due: float, pace: float | None
) -> float:
    """The next interval while nothing changed: 1.5 times the last, at most ``poll_max``, the
    time until the next result is ``due``, and (when the list budget is shared) the fair pace
    of the budget ``pace`` (:func:`pytest_amigo.api.pacing.fair_pace`); never below
    ``poll_min``.

    Why the pace: 4 sessions sharing a list limit of 12 a minute each afford a poll every 20 s;
    backed off to ``poll_max`` (30 s) a session saw a set's last result 15 s after it on
    average instead of 10, and the requests it saved were no use to the others (each keeps to
    its own share). Alone there is no pace and the back-off is as before."""
    ceiling = min(poll_max, due) if pace is None else min(poll_max, due, max(poll_min, pace))
    return max(poll_min, min(interval * 1.5, ceiling))


def artifact_retry_after(tries: int) -> float:
    """Seconds before the next direct request for a run's artifacts after ``tries`` answers of
    "not generated yet" (0: the poll that saw the run finish without them)."""
    return min(ARTIFACT_TRY_MAX_S, ARTIFACT_TRY_FIRST_S * 2.0 ** max(0, tries))


class Poller:
    """Owns the snapshot: polls, fetches justifications, downloads artifacts."""

    def __init__(
        self,
        state: SharedState,
        settings: Settings,
        api: Callable[[], Api],
        records: Callable[[], dict[str, RunRecord]],
        clock: Callable[[], float],
    ) -> None:
        self.state = state
        self.settings = settings
        self.api = api
        self.records = records
        self.clock = clock

    def snapshot(self, *, fresh: bool = False) -> Snapshot:
        return Snapshot.from_json(self.state.read(SNAPSHOT, None, fresh=fresh))

    def publish(self, snap: Snapshot) -> None:
        self.state.write(SNAPSHOT, snap.to_json())

    def poll_if_due(self, *, force: bool = False) -> bool:
        """Poll the active runs if the shared cadence says so and nobody else is; True if polled."""
        if not force and self.clock() < self.snapshot().next_poll:
            return False
        with self.state.locked(POLL_LOCK, timeout=0 if not force else -1) as acquired:
            if not acquired:
                return False
            snap = self.snapshot(fresh=True)
            now = self.clock()
            if not force and now < snap.next_poll:
                return False
            self._poll(snap, now)
            return True

    def _active_run_ids(self, snap: Snapshot) -> list[str]:
        """The runs to list: unfinished ones, and finished ones whose artifacts are not
        generated yet when they ride along (an unfinished run needs the list anyway) or are too
        many to ask for directly (see :meth:`_direct_artifact_runs`)."""
        unfinished, waiting = [], []
        for record in self.records().values():
            if record.run_id is None or record.run_id in snap.poll_fatal:
                continue
            run = snap.runs.get(record.run_id)
            artifacts_pending = (
                self.settings.artifacts.dir is not None and record.run_id not in snap.artifacts
            )
            if run is None or not run["is_completed"]:
                unfinished.append(record.run_id)
            elif artifacts_pending and not run["artifacts_generated"]:
                waiting.append(record.run_id)
        if not unfinished and len(set(waiting)) <= ARTIFACT_DIRECT_RUNS:
            return []
        return sorted(set(unfinished + waiting))

    def _direct_artifact_runs(self, snap: Snapshot) -> set[str]:
        """Finished runs (not errored, not cancelled) whose artifacts are asked for directly,
        the list having said they are not generated yet: at most ARTIFACT_DIRECT_RUNS."""
        if self.settings.artifacts.dir is None:
            return set()
        found = set()
        for record in self.records().values():
            run = snap.runs.get(record.run_id or "")
            if (
                record.run_id is None
                or record.cancelled
                or not run
                or not run["is_completed"]
                or run["errored"]
                or run["artifacts_generated"]
                or record.run_id in snap.artifacts
            ):
                continue
            found.add(record.run_id)
        return found if len(found) <= ARTIFACT_DIRECT_RUNS else set()

    def _poll(self, snap: Snapshot, now: float) -> None:
        poll_error: str | None = None
        active = self._active_run_ids(snap)
        changed = False
        requests = 0
        for start in range(0, len(active), RUN_IDS_PER_REQUEST):
            chunk = active[start : start + RUN_IDS_PER_REQUEST]
            try:
                fetched = [dump(model) for model in self.api().list_runs(ids=chunk)]
            except API_ERRORS as exc:
                poll_error = describe(exc, "poll the runs")
                log.warning("pytest-amigo: %s", poll_error)
                self._poll_failed(snap, chunk, exc, now)
                break
            requests += 1
            seen = set()
            for run in fetched:
                seen.add(run["id"])
                snap.poll_failures.pop(run["id"], None)
                snap.unseen.pop(run["id"], None)
                if snap.runs.get(run["id"]) != run:
                    # a run seen for the first time without a result is no sign of more to come
                    changed = changed or run["id"] in snap.runs or _has_result(run)
                    snap.runs[run["id"]] = run
                    snap.changed_at[run["id"]] = now
            self._missing_from_list(snap, [r for r in chunk if r not in seen], now)
        snap = self._fetch_evaluations(snap, now)
        interval = (
            self.settings.polling.interval.min
            if changed
            else backed_off(
                snap.interval,
                self.settings.polling.interval.min,
                self.settings.polling.interval.max,
                self._expected_gap(snap, now),
                self._list_pace(),
            )
        )
        records = self.records().values()
        early = first_polls_gap(self._pacer(), snap, now, active, records)
        interval = max(interval, min(early, self.settings.polling.interval.max))
        snap = self._schedule_artifact_tries(snap, now)
        if snap.artifact_tries:  # a direct try for artifacts is due before the back-off ends
            interval = min(interval, min(t["next"] for t in snap.artifact_tries.values()) - now)
        floor = list_floor(getattr(self._pacer(), "limit", None), requests)
        interval = max(interval, floor, self.settings.polling.interval.min)
        snap = replace(
            snap,
            poll_error=poll_error,
            polls=snap.polls + 1,
            interval=interval,
            next_poll=now + interval,
            polled_at=now,
        )
        self.publish(snap)
        if self._download_artifacts(snap, now):  # after the results are out: downloads take time
            self.publish(snap)

    def _schedule_artifact_tries(self, snap: Snapshot, now: float) -> Snapshot:
        """Keep a direct-try schedule for exactly the runs asked for directly (a run seen
        finished without artifacts gets its first try ARTIFACT_TRY_FIRST_S from now)."""
        direct = self._direct_artifact_runs(snap)
        tries = {
            run_id: snap.artifact_tries.get(run_id)
            or {"count": 0, "next": now + artifact_retry_after(0)}
            for run_id in sorted(direct)
        }
        return replace(snap, artifact_tries=tries)

    def _expected_gap(self, snap: Snapshot, now: float) -> float:
        """How long until the next result is due, from each running run's pace so far.

        Back-off stops there: while a run keeps producing results, polls keep up with them.
        A result overdue is polled for again soon (a quarter of the pace), not at once."""
        gaps = [self.settings.polling.interval.max]
        for record in self.records().values():
            run = snap.runs.get(record.run_id or "")
            if not run or run.get("is_completed") or record.run_id is None:
                continue
            results = run.get("unit_test_run_results") or []
            done = sum(1 for r in results if r is not None)
            if not 0 < done < len(run.get("unit_test_run_specs") or ()):
                continue
            last_change = snap.changed_at.get(record.run_id, now)
            pace = max(0.0, last_change - record.started_at) / done
            due = last_change + pace - now
            gaps.append(due if due > 0 else pace / 4)
        return max(self.settings.polling.interval.min, min(gaps))

    def _poll_failed(
        self, snap: Snapshot, run_ids: Sequence[str], exc: BaseException, now: float
    ) -> None:
        """Count failures; a non-transient one that persists ends the runs' items."""
        message = describe(exc, "read the runs")
        for run_id in run_ids:
            if transient(exc):
                snap.poll_failures[run_id] = {"count": 0, "since": now}
                continue
            failures = _streak(snap.poll_failures, run_id, now)
            if failures["count"] >= FATAL_POLLS or now - failures["since"] >= FATAL_AFTER_S:
                snap.poll_fatal[run_id] = (
                    f"{message} ({failures['count']} polls in a row failed for a reason that "
                    "is not transient)"
                )

    def _missing_from_list(self, snap: Snapshot, run_ids: Sequence[str], now: float) -> None:
        """Runs asked for by id but left out of the answer: invisible to this user."""
        for run_id in run_ids:
            unseen = _streak(snap.unseen, run_id, now)
            if unseen["count"] >= UNSEEN_POLLS and now - unseen["since"] >= UNSEEN_AFTER_S:
                snap.poll_fatal[run_id] = (
                    f"run {run_id} exists (it was created or named for this session) but the "
                    f"runs list has left it out {unseen['count']} polls in a row: lists leave "
                    "out what the caller may not read, so the API key's user probably lacks "
                    f"{PERMISSION_RUN}. Grant it, then report the run with "
                    f"pytest --amigo-run={run_id}"
                )

    def _fetch_evaluations(self, snap: Snapshot, now: float) -> Snapshot:
        """Justifications (and run indexes) of failed checks not fetched yet.

        One request covers every run that needs them. Only rows newer than those already read
        are asked for (``timestamp_after``, with an overlap), a running run is fetched at most
        every EVALUATION_SPACING_S, and a finished one once more: about two requests per run.
        Fetches stay within the endpoint's 10-a-minute limit, shared through the snapshot.
        """
        wanted = self._wanted_evaluations(snap, now)
        if not wanted:
            return snap
        sent: list[float] = [t for t in snap.evaluation_requests if now - t < 60.0]
        snap = replace(snap, evaluation_requests=sent)
        if len(sent) >= ENDPOINTS[EVALUATIONS].per_minute - 1:
            return snap  # this minute's budget is spent; a later poll tries again
        kwargs: dict[str, Any] = {"run_ids": sorted(wanted)}
        cursors = [snap.evaluation_cursor.get(r) for r in wanted]
        if all(cursors):
            overlap = dt.timedelta(seconds=EVALUATION_OVERLAP_S)
            kwargs["timestamp_after"] = min(parse_time(c) for c in cursors if c) - overlap
        before = self._count(EVALUATIONS)
        try:
            results = self.api().list_metric_evaluation_results(**kwargs)
        except API_ERRORS as exc:
            message = describe(exc, "fetch the judges' justifications")
            for run_id in wanted:
                snap.evaluation_errors[run_id] = message
            return snap
        finally:
            sent.extend([now] * max(1, self._count(EVALUATIONS) - before))
        for model in results:
            _record_evaluation(snap, dump(model), wanted)
        tried = set(snap.evaluations_tried)
        for run_id, missing in wanted.items():
            snap.evaluation_errors.pop(run_id, None)
            snap.evaluation_fetched[run_id] = now
            finished = bool(snap.runs[run_id].get("is_completed"))
            for evaluation_id in missing - snap.evaluations.keys():
                misses = snap.evaluation_misses.get(evaluation_id, 0) + 1
                snap.evaluation_misses[evaluation_id] = misses
                if finished or misses >= 2:
                    tried.add(evaluation_id)  # not coming: explain without it
        return replace(snap, evaluations_tried=sorted(tried))

    def _wanted_evaluations(self, snap: Snapshot, now: float) -> dict[str, set[str]]:
        """Run id -> failed checks whose evaluation is not in yet, for runs due a fetch."""
        tried = set(snap.evaluations_tried)
        wanted: dict[str, set[str]] = {}
        for run_id, run in snap.runs.items():
            missing = failing_evaluation_ids(run) - snap.evaluations.keys() - tried
            last = snap.evaluation_fetched.get(run_id)
            spaced = last is None or now - last >= EVALUATION_SPACING_S
            if missing and (spaced or run.get("is_completed")):
                wanted[run_id] = missing
        return wanted

    def _pacer(self) -> Any:
        """This process's pacer (None: an API without one)."""
        return getattr(self.api(), "pacer", None)

    def _list_pace(self) -> float | None:
        """Seconds between list requests at this process's fair share of the organization's
        list budget, as its pacer measured it (None: alone, or no pacer)."""
        pace = getattr(self._pacer(), "fair_pace", None)
        result = pace(LIST_RUNS) if callable(pace) else None
        return float(result) if isinstance(result, int | float) else None

    def _count(self, operation_id: str) -> int:
        counts = getattr(self.api(), "request_counts", None)
        return int(counts().get(operation_id, 0)) if counts is not None else 0

    def _download_artifacts(self, snap: Snapshot, now: float) -> bool:
        """Download the artifacts of runs that have them, or whose direct try is due; True if
        the snapshot changed."""
        target = self.settings.artifacts.dir
        if target is None:
            return False
        changed = False
        for record in self.records().values():
            run = snap.runs.get(record.run_id or "")
            if not run or record.run_id is None or record.run_id in snap.artifacts:
                continue
            attempt = snap.artifact_tries.get(record.run_id)
            if not run["artifacts_generated"] and (attempt is None or now < attempt["next"]):
                continue
            path = artifacts_path(target, record.run_id)
            try:
                self.api().download_artifacts(record.run_id, path)
                snap.artifacts[record.run_id] = {"path": str(path)}
            except BadRequestError:  # not retrievable yet
                if attempt is not None:
                    count = int(attempt["count"]) + 1
                    retry = self.clock() + artifact_retry_after(count)
                    snap.artifact_tries[record.run_id] = {"count": count, "next": retry}
                    changed = True
                continue  # listed as generated: try on the next poll
            except FAILURES as exc:
                snap.artifacts[record.run_id] = {"error": describe(exc, "download the artifacts")}
            snap.artifact_tries.pop(record.run_id, None)
            changed = True
        return changed


def _record_evaluation(
    snap: Snapshot, evaluation: dict[str, Any], wanted: Mapping[str, Any]
) -> None:
    """Keep what explanations need of one evaluation, and move its run's cursor."""
    source = evaluation.get("source")
    snap.evaluations[str(evaluation["id"])] = {
        "result": evaluation.get("result"),
        "justification": evaluation.get("justification"),
        "metric_id": evaluation.get("metric_id"),
        "source": source,
    }
    run_id = source.get("simulation_unit_test_set_run_id") if isinstance(source, dict) else None
    created = evaluation.get("created_at")
    if isinstance(run_id, str) and run_id in wanted and isinstance(created, str):
        current = snap.evaluation_cursor.get(run_id)
        if current is None or parse_time(created) > parse_time(current):
            snap.evaluation_cursor[run_id] = created


def first_polls_gap(
    pacer: Any, snap: Snapshot, now: float, active: Sequence[str], records: Iterable[RunRecord]
) -> float:
    """The first polls: while none of the runs still running has a result, the next poll waits
    for what the shared list budget has left and for the earliest the runs could finish
    (:func:`pytest_amigo.api.pacing.early_poll_gap` through ``pacer.early_gap``,
    :func:`earliest_finish`). 0 once a result is in (the pace of results says when the next is
    due), alone, or without a pacer."""
    early = getattr(pacer, "early_gap", None)
    if not callable(early) or not awaiting_first_result(snap, active):
        return 0.0
    return float(early(LIST_RUNS, earliest_finish(records, snap, now)))


def list_floor(limit: Callable[[str], int | None] | None, requests: int) -> float:
    """The shortest interval after a poll of ``requests`` list requests: never faster than the
    list endpoint's limit allows, the documented one or a lower one the server answered (as
    the pacer's ``limit`` knows it)."""
    documented = ENDPOINTS[LIST_RUNS].per_minute
    answered = limit(LIST_RUNS) if callable(limit) else None
    per_minute = (
        min(documented, answered) if isinstance(answered, int) and answered >= 1 else documented
    )
    return 60.0 / per_minute * max(1, requests) * 1.05


def awaiting_first_result(snap: Snapshot, active: Sequence[str]) -> bool:
    """Whether some of the runs polled still run and none of those has a result yet."""
    running = [snap.runs.get(r) for r in active]
    running = [run for run in running if run is None or not run.get("is_completed")]
    return bool(running) and not any(run is not None and _has_result(run) for run in running)


def earliest_finish(records: Iterable[RunRecord], snap: Snapshot, now: float) -> float | None:
    """Seconds from now until the earliest a run still running could finish, estimated from the
    session's runs that finished already: the shortest of their durations (creation to the
    poll that saw them done), after the start of the earliest run still running. None before
    any run finished: the API says nothing of a simulation's length, and a set's size bounds
    nothing (its sessions run at once), so the first polls go by the budget alone."""
    finished, started = [], []
    for record in records:
        run = snap.runs.get(record.run_id or "")
        if run is not None and run.get("is_completed") and not run.get("errored"):
            seen = snap.changed_at.get(record.run_id or "")
            if seen is not None:
                finished.append(seen - record.started_at)
        elif record.run_id is not None and not record.error:
            started.append(record.started_at)
    if not finished or not started:
        return None
    return max(0.0, min(started) + min(finished) - now)


def _has_result(run: Mapping[str, Any]) -> bool:
    """Whether a run instance has at least one unit test result."""
    return any(r is not None for r in run.get("unit_test_run_results") or ())


def _streak(table: dict[str, Any], run_id: str, now: float) -> dict[str, Any]:
    """One more poll in a row in which something was wrong with the run: ``{count, since}``."""
    current = table.get(run_id) or {"count": 0, "since": now}
    table[run_id] = {**current, "count": current["count"] + 1}
    return dict(table[run_id])
