"""The life of the runs of one pytest session: the hub every process talks to.

Every process of the session (one, or the xdist controller and its workers) has a Coordinator
over the same ``SharedState`` directory (its files: ``state_files``). The Coordinator makes the
API client on first use and delegates to one collaborator per concern:

- ``SetDefinitions`` (definitions.py): set definitions, runs' sets, baseline runs;
- ``RunLauncher`` (launcher.py): attach, start, defer and refuse the sets' runs;
- ``Waiter`` (waiting.py): an item's wait for its verdict; the items the controller learns of;
- ``Poller`` (poller.py): the shared snapshot and the polls;
- ``Canceller`` (cancelling.py): cancelling the runs this session started;
- ``ArtifactsStatus`` (artifacts_wait.py): the last artifacts, and why any are missing;
- ``TemporaryRuns`` (temporary_runs.py): subset runs, candidate runs on another version set
  (unit test copies: copies.py) and re-sampling rounds, their deletion.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pytest_amigo.domain import UnitTestSet
from pytest_amigo.lifecycle.artifacts_wait import ArtifactsStatus
from pytest_amigo.lifecycle.cancelling import Canceller
from pytest_amigo.lifecycle.copies import UnitTestCopies
from pytest_amigo.lifecycle.definitions import SetDefinitions
from pytest_amigo.lifecycle.launcher import RunLauncher, Subset
from pytest_amigo.lifecycle.poller import Poller
from pytest_amigo.lifecycle.records import Observation, RunRecord, RunRecords
from pytest_amigo.lifecycle.service import Api
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.lifecycle.snapshot import Snapshot
from pytest_amigo.lifecycle.starter import RunStarter
from pytest_amigo.lifecycle.state_files import CREATES, SWEEP_LOCK, SWEPT
from pytest_amigo.lifecycle.sweep import Sweeper, SweepReport, temporary_tags
from pytest_amigo.lifecycle.temporary import TemporarySets
from pytest_amigo.lifecycle.temporary_runs import TemporaryRuns
from pytest_amigo.lifecycle.waiting import Judge, Waiter
from pytest_amigo.settings import Settings

log = logging.getLogger("pytest_amigo")


class Coordinator:
    """One process's view of the session's runs; every method delegates to a collaborator."""

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
        api = self._client
        records = self.run_records = RunRecords(state)
        definitions = self.set_definitions = SetDefinitions(state, api)
        poller = self.poller = Poller(state, settings, api, records.all, clock)
        starter = RunStarter(
            settings, api, definitions.cached, clock=clock, sleep=sleep, state=state
        )
        self.temporary_runs = TemporaryRuns(
            state=state,
            max_sessions=settings.runs.max_sessions,
            definitions=definitions,
            records=records,
            starter=starter,
            temporary=TemporarySets(state, api, tags=self._tags),  # type: ignore[arg-type]
            copies=UnitTestCopies(state, api, tags=self._tags),  # type: ignore[arg-type]
            clock=clock,
            version_set=settings.runs.version_set,
            reference=settings.compare.reference,
            before_temporaries=self.sweep_once,
        )
        self.sweeper = Sweeper(api)  # type: ignore[arg-type]
        self.launcher = RunLauncher(state, records, starter, self.temporary_runs, api, clock)
        self.waiter = Waiter(
            state, settings.runs.timeout, records, poller, self.launcher, clock, sleep
        )
        self.canceller = Canceller(settings.runs.keep_running, records, poller, api, clock, state)
        self.artifacts = ArtifactsStatus(settings, records, poller, clock, sleep)

    # -- API access -----------------------------------------------------------------------------
    @property
    def api(self) -> Api:
        if self._api is None:
            self._api = self._api_factory()
        return self._api

    def _client(self) -> Api:
        """The API client, made on first use (and again after :meth:`close`)."""
        return self.api

    def close(self) -> None:
        api, self._api = self._api, None
        close = getattr(api, "close", None)
        if close is not None:
            close()

    # -- temporaries left behind ----------------------------------------------------------------
    def _tags(self) -> dict[str, str]:
        """The tags of a temporary created now: findable by a later sweep."""
        now = dt.datetime.now(dt.UTC)
        return temporary_tags(self.api.user_id, self.state.root.name, now)

    def sweep(self) -> SweepReport:
        """Delete this user's temporaries older than ``amigo_cleanup_after``."""
        return self.sweeper.sweep(self.settings.runs.cleanup_after)

    def sweep_once(self) -> None:
        """The sweep, once per session, before its first temporary is created."""
        with self.state.locked(SWEEP_LOCK):
            if self.state.read(SWEPT, False, fresh=True):
                return
            self.state.write(SWEPT, True)
            report = self.sweep()
            for line in report.lines:
                log.warning("pytest-amigo: cleanup: %s", line)
            if report.stopped:
                log.warning("pytest-amigo: cleanup stopped: %s", report.stopped)

    # -- definitions ----------------------------------------------------------------------------
    def definitions(self, set_ids: Iterable[str], *, origin: str) -> dict[str, UnitTestSet]:
        """Set definitions, fetched once per session across all processes."""
        return self.set_definitions.load(set_ids, origin=origin)

    def set_of_run(self, run_id: str) -> str:
        """The set an existing run belongs to (for ``--amigo-run``), read once per session."""
        return self.set_definitions.set_of_run(run_id)

    def baseline_run(self, set_id: str, which: str, current_run_id: str | None) -> dict[str, Any]:
        """The run ``--amigo-baseline`` names for a set: ``{"run", "how"}`` or ``{"none"}``."""
        return self.set_definitions.baseline_run(set_id, which, current_run_id)

    # -- runs -----------------------------------------------------------------------------------
    def records(self) -> dict[str, RunRecord]:
        return self.run_records.all()

    def may_have_runs(self) -> bool:
        """Runs were recorded, or a create left whose answer may never have been read."""
        return bool(self.run_records.all() or self.state.read(CREATES, {}, fresh=True))

    def start(
        self,
        set_ids: Sequence[str],
        attach: Mapping[str, str] | None = None,
        subsets: Mapping[str, Subset] | None = None,
        *,
        wait: bool = True,
    ) -> None:
        """Make sure every set has a run: attach the given ones, start the others (of a set in
        ``subsets``, a temporary set of just those unit tests: ``--amigo-subset``); with
        ``wait=False``, defer those the create limit does not allow now (see
        :meth:`RunLauncher.start`)."""
        self.launcher.add_subsets(subsets or {})
        self.launcher.start(set_ids, attach, wait=wait)

    def start_deferred(self) -> None:
        self.launcher.start_deferred()

    def refuse(self, set_ids: Iterable[str], why: str) -> None:
        self.launcher.refuse(set_ids, why)

    def refusals(self) -> list[str]:
        return self.launcher.refusals()

    # -- re-sampling and temporary sets ---------------------------------------------------------
    def sessions_started(self) -> int:
        return self.temporary_runs.sessions_started()

    def resample_round(
        self, unit_set: UnitTestSet, round_no: int, entries: Sequence[tuple[str, int]]
    ) -> dict[str, Any]:
        return self.temporary_runs.resample_round(unit_set, round_no, entries)

    def finish_round(self, set_id: str) -> None:
        self.temporary_runs.finish_round(set_id)

    def delete_temporary_sets(self, time_cap: float = 15.0) -> list[str]:
        return self.temporary_runs.delete_all(time_cap)

    # -- waiting --------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        return self.poller.snapshot()

    def poll_if_due(self, *, force: bool = False) -> bool:
        return self.poller.poll_if_due(force=force)

    def wait(
        self, set_id: str, judge: Judge, *, on_tick: Callable[[Snapshot], None] | None = None
    ) -> Observation:
        """Block until ``judge(run, record)`` is final and its justifications are in, or time
        is up."""
        return self.waiter.wait(set_id, judge, on_tick=on_tick)

    def mark_active(self) -> None:
        self.waiter.mark_active()

    def is_active(self) -> bool:
        return self.waiter.is_active()

    def publish_items(self, items: Mapping[str, Mapping[str, Any]]) -> None:
        self.waiter.publish_items(items)

    def published_items(self) -> dict[str, dict[str, Any]]:
        return self.waiter.published_items()

    # -- end of session -------------------------------------------------------------------------
    def cancel_started(
        self, why: str, *, set_ids: Iterable[str] | None = None, time_cap: float = 20.0
    ) -> tuple[list[str], list[str]]:
        """Cancel unfinished runs this session started; returns (cancelled, left running)."""
        return self.canceller.cancel_started(why, set_ids=set_ids, time_cap=time_cap)

    def mark_cancelled(self, set_id: str, why: str) -> None:
        self.canceller.mark_cancelled(set_id, why)

    def missing_artifacts(self) -> dict[str, str]:
        """Artifact paths reported for runs whose file is not there, with the reason."""
        return self.artifacts.missing()

    def finish_artifacts(self) -> None:
        """Wait (bounded) for the artifacts of completed runs and download them."""
        self.artifacts.finish()
