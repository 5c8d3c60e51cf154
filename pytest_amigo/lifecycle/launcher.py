"""Giving every set of the session its run: attached (``--amigo-run``), started, deferred while
the create limit is spent, or refused (``--amigo-max-sessions``).

One process of the session (whoever takes the ``starter`` lock first) creates every run, one
after the other through its ``RunStarter``, so the 20-a-minute create limit is paced by a single
pacer; the others find the records in ``runs.json`` as they appear. A set of ``--amigo-subset``
runs a temporary set of just those unit tests, and with ``--amigo-version-set`` every set runs
its unit tests' copies on the candidate version set (``TemporaryRuns``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from pytest_amigo.domain import UnitTestSet
from pytest_amigo.lifecycle.failures import API_ERRORS, describe, dump
from pytest_amigo.lifecycle.records import RunRecord, RunRecords
from pytest_amigo.lifecycle.service import Api
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.lifecycle.starter import CREATE, RunStarter
from pytest_amigo.lifecycle.state_files import STARTER_LOCK
from pytest_amigo.lifecycle.temporary_runs import TemporaryRuns

log = logging.getLogger("pytest_amigo")

Subset = tuple[UnitTestSet, Sequence[tuple[str, int]]]
"""A set and the (unit test id, run count) entries of it to run."""


@dataclass
class RunLauncher:
    """Attaches, starts, defers and refuses the runs of the session's sets."""

    state: SharedState
    records: RunRecords
    starter: RunStarter
    temporary_runs: TemporaryRuns
    api: Callable[[], Api]
    clock: Callable[[], float]
    # the sets to start once the create limit allows, and the sets of --amigo-subset
    _deferred: list[str] = field(default_factory=list, init=False)
    _subsets: dict[str, Subset] = field(default_factory=dict, init=False)

    def add_subsets(self, subsets: Mapping[str, Subset]) -> None:
        """Sets that run only some of their unit tests (``--amigo-subset``): a temporary set of
        just those unit tests is started instead."""
        self._subsets.update(subsets)

    def start(
        self, set_ids: Sequence[str], attach: Mapping[str, str] | None = None, *, wait: bool = True
    ) -> None:
        """Make sure every set has a run: attach the given ones (``--amigo-run``), start the
        others.

        ``wait=False``: once the organization's create limit is spent (other pipelines draw
        from it too), the sets left are deferred instead of waited for: items waiting for the
        runs already started poll them meanwhile and start the deferred ones as the limit
        allows (:meth:`start_deferred`), so a verdict never waits behind another set's create.
        """
        with self.state.locked(STARTER_LOCK, timeout=0) as starter:
            if not starter:
                if not wait:  # another process is creating: try these again later
                    self._defer(set_ids, set_ids)
                return
            self._attach(attach or {})
            if not self._copy(set_ids):
                return
            given: list[str] = []  # the sets given a run of the set itself just now
            for i, set_id in enumerate(set_ids):
                if set_id in self.records.all():
                    continue
                if set_id in self._subsets:
                    subset = self._subsets[set_id]
                    self.records.put(self.temporary_runs.start_subset(*subset, key=set_id))
                    continue
                record = self.starter.create(set_id) if wait else self.starter.try_create(set_id)
                if record is None:  # the create limit is spent: these wait for the next try
                    self._defer(set_ids, set_ids[i:])
                    self._note_other_users(given)
                    return
                self.records.put(record)
                if record.run_id is not None and record.error is None:
                    given.append(set_id)
            self._defer(set_ids, [])
            self._note_other_users(given)

    def _note_other_users(self, set_ids: Sequence[str]) -> None:
        """In one shard of a sharded job, say in the record's note when a set just given a run
        also has an unfinished run by another API user: shards with different users each
        simulate the set, where shards with one user share one run. One run list for all of
        ``set_ids`` (the list is limited and shared with polling), read after the creates: of
        two shards with different users creating at once, the later one sees the other's run."""
        if not set_ids or self.starter.settings.runs.shard is None:
            return  # outside a sharded job, other users' runs are other pipelines' own
        api = self.api()
        if not api.user_id:
            return
        me = (api.organization_id, api.user_id)
        try:
            runs = [dump(r) for r in api.list_runs(set_ids=list(set_ids), is_completed=False)]
        except API_ERRORS as exc:
            log.info("pytest-amigo: %s", describe(exc, "look for other users' runs"))
            return
        records = self.records.all()
        for run in runs:
            creator = run.get("creator") or {}
            who = (str(creator.get("org_id") or ""), str(creator.get("user_id") or ""))
            set_id = str(run.get("simulation_unit_test_set_id") or "")
            record = records.get(set_id)
            if who == me or not who[1] or record is None or run.get("id") == record.run_id:
                continue
            note = (
                f"set {set_id} already has an unfinished run {run.get('id')} by another user "
                f"({who[1]}): shards with different API users each simulate the set (give "
                "every shard the same API user to share one run)"
            )
            if note not in record.note:
                record = replace(record, note=f"{record.note}; {note}")
                records[set_id] = record
                self.records.mark(set_id, note=record.note)

    def _copy(self, set_ids: Sequence[str]) -> bool:
        """``--amigo-version-set`` and ``--amigo-compare``: copy every unit test to run onto
        the candidate's (and the reference's) version set before any run starts. A refusal (no
        such version set, a missing permission) refuses the whole session (a usage error, exit
        4) with the copies made deleted: False."""
        recorded = self.records.all()  # read once, not once per set
        wanted: dict[str, list[str]] = {}
        for key in set_ids:
            version_set = self.temporary_runs.target(key)
            if key not in self._subsets or key in recorded or version_set is None:
                continue
            found = self.temporary_runs.off_version_set(*self._subsets[key], key=key)
            wanted[version_set] = list(dict.fromkeys([*wanted.get(version_set, []), *found]))
        why = self.temporary_runs.make_copies(wanted)
        if why is None:
            return True
        self.refuse(set_ids, why)
        return False

    def _attach(self, attach: Mapping[str, str]) -> None:
        for set_id, run_id in attach.items():
            if set_id not in self.records.all():
                note = f"reporting existing run {run_id} (--amigo-run)"
                self.records.put(RunRecord(set_id, run_id, False, note, self.clock()))

    def _defer(self, tried: Sequence[str], left: Sequence[str]) -> None:
        """Of the deferred sets, those just ``tried`` are replaced by those ``left``."""
        kept = [s for s in self._deferred if s not in tried]
        self._deferred = list(dict.fromkeys([*left, *kept]))

    def start_deferred(self) -> None:
        """Start the sets :meth:`start` deferred, as far as the create limit allows now.

        Called on every tick of a waiting item: while the limit is spent, it costs no lock."""
        if self._deferred and self.api().would_wait(CREATE) <= 0:
            self.start(self._deferred, wait=False)

    def refuse(self, set_ids: Iterable[str], why: str) -> None:
        """No run for these sets in this session (``--amigo-max-sessions``): items report why,
        and the records say the session was refused, for the controller to end it."""
        now = self.clock()
        for set_id in set_ids:
            if set_id not in self.records.all():
                self.records.put(replace(RunRecord.refused(set_id, now, why), session_refused=True))

    def refusals(self) -> list[str]:
        """The reasons sets were refused as a whole (a usage error of the session)."""
        found = {r.error for r in self.records.all().values() if r.session_refused and r.error}
        return sorted(found)
