"""Starting a set's run: create it, recover a create whose answer was lost, resolve conflicts.

One process of the session starts every run (``RunLauncher``'s ``starter`` lock), so the
20-a-minute create limit is paced by a single pacer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from amigo_sdk.errors import ConflictError, RateLimitError

from pytest_amigo.contract import PERMISSION_RUN
from pytest_amigo.lifecycle.failures import API_ERRORS, describe, dump, parse_time, transient
from pytest_amigo.lifecycle.records import RunRecord
from pytest_amigo.lifecycle.service import Api
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.lifecycle.state_files import CREATES
from pytest_amigo.settings import Settings

log = logging.getLogger("pytest_amigo")

CREATE_ATTEMPTS = 4
# After a 409 whose unfinished run is not listed: seconds before each look again (a run another
# shard of the job just created may take a moment to show in the runs list).
LOOK_AGAIN = (1.0, 2.0, 4.0)
CREATE = "create-simulation-unit-test-set-run"


class RunStarter:
    def __init__(
        self,
        settings: Settings,
        api: Callable[[], Api],
        definition: Callable[[str], dict[str, Any] | None],
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        state: SharedState | None = None,
    ) -> None:
        self.state = state  # where create requests are marked as they leave (creates.json)
        self.settings = settings
        self.api = api
        self.definition = definition  # a set's cached definition (JSON), as collection read it
        self.clock = clock
        self.sleep = sleep

    def create(self, set_id: str) -> RunRecord:
        """Start a run; retried when the answer is lost (5xx, dropped connection).

        Creating is safe to retry: the service refuses a second unfinished run of the set by
        the same user (409), and after a lost answer that run is ours: find it and report it,
        so there is exactly one run per set whatever the faults.
        """
        record = self._create(set_id, wait=True)
        assert record is not None  # waiting, a create ends with a record
        return record

    def try_create(self, set_id: str) -> RunRecord | None:
        """As :meth:`create`, or None, with nothing started, while the organization's create
        limit is spent (the pacer would wait, or the service answers 429): try again later."""
        return self._create(set_id, wait=False)

    def _create(self, set_id: str, *, wait: bool) -> RunRecord | None:
        if not wait and self.api().would_wait(CREATE) > 0:
            return None
        now = self.clock()
        lost: str | None = None
        delay = 1.0
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                self._mark(set_id)
                run_id = self.api().create_run(set_id, patient=wait or lost is not None)
                return RunRecord(set_id, run_id, True, f"started run {run_id}", now)
            except ConflictError:
                if lost is None:
                    self._mark(set_id, drop=True)  # this create made no run
                    return self._resolve_conflict(set_id, now)
                return self._recover_lost_create(set_id, now, lost)
            except API_ERRORS as exc:
                if isinstance(exc, RateLimitError) and not wait and lost is None:
                    return None  # a 429 is never processed: nothing was started
                if not transient(exc) or attempt == CREATE_ATTEMPTS:
                    if lost is not None:  # the earlier attempt may have created it after all
                        recovered = self._recover_lost_create(set_id, now, lost)
                        if recovered.run_id is not None and recovered.error is None:
                            return recovered
                    return RunRecord.refused(set_id, now, describe(exc, "start a run"))
                lost = describe(exc, "start a run")
                log.warning("pytest-amigo: %s; retrying", lost)
                self.sleep(delay)
                delay = min(delay * 2, 8.0)
                looked = self._look_for_lost_create(set_id, now, lost)
                if looked is not None:  # found (and may be done by now), or it can't be known
                    return looked
        raise AssertionError("unreachable")  # pragma: no cover

    def _mark(self, set_id: str, *, drop: bool = False) -> None:
        """Note that a create of ``set_id`` leaves now (or, ``drop``: that it made no run). An
        interruption may stop the session before its answer is read: the run it made is then
        in no record, and the end of the session finds it by creator and time to cancel it."""
        if self.state is None:
            return
        at = time.time()

        def change(marks: dict[str, Any]) -> dict[str, Any]:
            if drop:
                return {k: v for k, v in marks.items() if k != set_id}
            return {**marks, set_id: at}

        self.state.update(CREATES, change, {})

    def _look_for_lost_create(self, set_id: str, now: float, lost: str) -> RunRecord | None:
        """After a lost create answer, before any other create: the run it made, if it made
        one (a record), or None once a lookup said it did not.

        A lookup that fails (5xx, a dropped connection, maintenance) says nothing: creating
        again then could make a second, paid run of the set (the first may have finished, so no
        409 would stop it). Look again, paced, until a lookup answers or the session's time
        budget (``--amigo-timeout``) runs out; then refuse the set, saying a run may exist."""
        deadline = self.clock() + self.settings.runs.timeout
        delay = 1.0
        while True:
            try:
                found = self._run_created_since_collection(set_id)
            except API_ERRORS as exc:
                why = describe(exc, "look for the run just created")
                if not transient(exc) or self.clock() + delay > deadline:
                    return RunRecord.refused(
                        set_id,
                        now,
                        f"{lost}; {why}: a run of this set may have been created: check the "
                        "set's runs list (and cancel or report it: pytest --amigo-run=RUN_ID) "
                        "before running again",
                    )
                log.warning("pytest-amigo: %s; looking again before any other create", why)
                self.sleep(delay)
                delay = min(delay * 2, 8.0)
                continue
            if found is None:
                return None
            note = f"started run {found} (its create answer was lost: {lost})"
            return RunRecord(set_id, found, True, note, now)

    def _run_created_since_collection(self, set_id: str) -> str | None:
        """This user's run of the set created after collection read the set, if any (the
        API's errors propagate: a failed lookup is not "none").

        The set's ``last_triggered_run_id`` as collection read it is the baseline: a run of
        ours newer than that one can only come from this session's create."""
        user_id = self.api().user_id
        cached = self.definition(set_id)
        if not user_id or cached is None:
            return None
        mine = self.api().list_runs(
            set_ids=[set_id],
            creators=[f"{self.api().organization_id},{user_id}"],
            sort_by=["-created_at"],
            limit=1,
        )
        if not mine:
            return None
        newest = dump(mine[0])
        baseline = cached.get("last_run_id")
        if baseline is None:
            return str(newest["id"])
        if newest["id"] == baseline:
            return None
        before = self.api().list_runs(ids=[baseline])
        if not before:
            return None
        created = str(newest.get("created_at") or "")
        previous = str(dump(before[0]).get("created_at") or "")
        return str(newest["id"]) if parse_time(created) > parse_time(previous) else None

    def _recover_lost_create(self, set_id: str, now: float, lost: str) -> RunRecord:
        try:
            existing = self._unfinished_run(set_id)
        except API_ERRORS as exc:
            return RunRecord.refused(set_id, now, describe(exc, "find the run just created"))
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
        policy = self.settings.runs.on_conflict
        hint = "(HTTP 409: one unfinished run per user per set)"
        try:
            existing = self._unfinished_run(set_id)
        except API_ERRORS as exc:
            return RunRecord.refused(set_id, now, describe(exc, "find the run"))
        for delay in LOOK_AGAIN if existing is None and policy != "fail" else ():
            # The unfinished run finished meanwhile, or is not listed yet (another shard's
            # create just made it): one more create tells; another 409, look again shortly.
            try:
                run_id = self.api().create_run(set_id)
                return RunRecord(set_id, run_id, True, f"started run {run_id}", now)
            except ConflictError:
                pass
            except API_ERRORS as exc:
                return RunRecord.refused(set_id, now, describe(exc, "start a run"))
            self.sleep(delay)
            try:
                existing = self._unfinished_run(set_id)
            except API_ERRORS as exc:
                return RunRecord.refused(set_id, now, describe(exc, "find the run"))
            if existing is not None:
                break
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
        return self._cancel_and_restart(set_id, existing, now)

    def _cancel_and_restart(self, set_id: str, existing: str, now: float) -> RunRecord:
        """--amigo-on-conflict=cancel: cancel the user's unfinished run and start anew."""
        try:
            self.api().cancel_run(existing)
        except ConflictError:
            pass  # finished meanwhile
        except API_ERRORS as exc:
            return RunRecord.refused(
                set_id, now, describe(exc, f"cancel the unfinished run {existing}")
            )
        delay = 1.0
        for _ in range(6):
            try:
                run_id = self.api().create_run(set_id)
            except ConflictError:
                self.sleep(delay)
                delay = min(delay * 2, 15.0)
                continue
            except API_ERRORS as exc:
                return RunRecord.refused(set_id, now, describe(exc, "start a run"))
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
        user_id = self.api().user_id  # from the SDK config: environment or .env
        if not user_id:
            return None  # never take another user's run for ours
        kwargs["creators"] = [f"{self.api().organization_id},{user_id}"]
        runs = [dump(r) for r in self.api().list_runs(**kwargs)]
        return str(runs[0]["id"]) if runs else None
