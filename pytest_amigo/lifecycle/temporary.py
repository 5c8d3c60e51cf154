"""Temporary unit test sets: made for one run of some unit tests of a set, deleted afterwards.

Re-sampling inconclusive unit tests and subset runs run a set made for the occasion (e.g.
``pytest-amigo resample of <set name> [3f9a1c]``). This module creates such sets and deletes
them. It does not start or judge their runs.

Every temporary set is recorded in the session's state file ``temporary.json``, which all of
the session's processes share. The record is written before the create is sent, so the end
of the session can delete the set even after a lost answer or a crash, or name it so a person
can delete it by hand::

    {"sets": {"<set name>": {"name": str, "source_set_id": str, "set_id": str | null,
                             "status": "creating" | "created" | "deleted" | "absent",
                             "error": str | null}}}

``creating``: the create was sent and its id is not known yet (the name finds it). ``absent``:
the set was never created.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal, NoReturn, Protocol, TypedDict

from amigo_sdk.errors import ConflictError, ForbiddenError

from pytest_amigo.contract import PERMISSION_SET
from pytest_amigo.domain import UnitTestSet
from pytest_amigo.lifecycle.failures import API_ERRORS, describe, transient
from pytest_amigo.lifecycle.ledger import Ledger, delete_until, id_named
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.lifecycle.state_files import TEMPORARY

log = logging.getLogger("pytest_amigo")

PERMISSION_CREATE = "Simulation:CreateSimulationUnitTestSet"  # create-simulation-unit-test-set
PERMISSION_DELETE = "Simulation:DeleteSimulationUnitTestSet"  # delete-simulation-unit-test-set
TAGS = {"pytest-amigo": "temporary"}  # leftovers can be listed with tag=pytest-amigo:temporary
CREATE_ATTEMPTS = 4
DELETE_CAP = 30.0
"""Seconds ``delete`` keeps retrying by default (transient failures, a run not yet over)."""

Status = Literal["creating", "created", "deleted", "absent"]


class Entry(TypedDict):
    name: str
    source_set_id: str
    set_id: str | None
    status: Status
    error: str | None


class TemporarySetError(Exception):
    """A temporary set could not be created. The message says why and what to do."""


class TemporaryApi(Protocol):
    """What this module needs of the API (``SimulationApi`` provides it)."""

    def create_unit_test_set(self, body: dict[str, Any]) -> str: ...

    def delete_unit_test_set(self, set_id: str) -> None: ...

    def search_unit_test_sets(self, query: str) -> Sequence[Any]: ...


def temporary_set(
    prefix: str,
    source: UnitTestSet,
    entries: Sequence[tuple[str, int]],
    suffix: str,
    copies: Mapping[str, str] | None = None,
) -> UnitTestSet:
    """The set to create (its id still empty): ``entries`` are (unit test id, run count) pairs,
    and each unit test must belong to ``source``; ``copies`` replace unit tests by their copies
    (original id -> copy id, ``--amigo-version-set``)."""
    if not entries:
        raise ValueError("a temporary unit test set needs at least one unit test")
    members = {u.id: u for u in reversed(source.unit_tests)}  # the first occurrence wins
    chosen = []
    for unit_test_id, run_count in entries:
        if unit_test_id not in members:
            raise ValueError(
                f"unit test {unit_test_id} is not in unit test set {source.id} ({source.name!r})"
            )
        if run_count < 1:
            raise ValueError(f"run_count of unit test {unit_test_id} must be > 0, not {run_count}")
        copy_id = (copies or {}).get(unit_test_id, unit_test_id)
        chosen.append(replace(members[unit_test_id], id=copy_id, run_count=run_count))
    description = (
        f"Temporary unit test set created by pytest-amigo ({prefix} {source.name!r}, "
        f"{source.id}). pytest-amigo deletes it when its run is over; if it is left behind, "
        "delete it."
    )
    return UnitTestSet(
        id="",
        name=f"{prefix} {source.name} [{suffix}]",
        unit_tests=tuple(chosen),
        description=description,
    )


def create_body(planned: UnitTestSet, tags: Mapping[str, str] = TAGS) -> dict[str, Any]:
    """The contract's create-simulation-unit-test-set body for ``planned``."""
    return {
        "name": planned.name,
        "description": planned.description,
        "unit_test_runs": [
            {"unit_test_id": u.id, "run_count": u.run_count} for u in planned.unit_tests
        ],
        "tags": dict(tags),
    }


def _one_line(text: str) -> str:
    return " ".join(text.split())


class TemporarySets:
    """Creates temporary sets and deletes them; ``temporary.json`` records every one."""

    def __init__(
        self,
        state: SharedState,
        api: Callable[[], TemporaryApi],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        tags: Callable[[], Mapping[str, str]] = lambda: TAGS,
    ) -> None:
        self.state = state
        self.tags = tags  # those of each new set (sweep.temporary_tags: user, time, session)
        self.ledger = Ledger(state, TEMPORARY, "sets")
        self.api = api
        self.clock = clock
        self.sleep = sleep

    # -- the state file -------------------------------------------------------------------------

    def entries(self) -> list[Entry]:
        """Every recorded temporary set, in creation order."""
        return self.ledger.entries()  # type: ignore[return-value]

    def pending(self) -> list[Entry]:
        """The recorded sets that may still exist (``creating`` or ``created``)."""
        return self.ledger.pending()  # type: ignore[return-value]

    def _record(self, name: str, **fields: Any) -> None:
        self.ledger.record(name, **fields)

    # -- create ---------------------------------------------------------------------------------

    def create(
        self,
        prefix: str,
        source_set: UnitTestSet,
        entries: Sequence[tuple[str, int]],
        copies: Mapping[str, str] | None = None,
    ) -> UnitTestSet:
        """Create a set of some unit tests of ``source_set`` (``entries``: unit test id, run
        count; ``copies`` run instead of their originals), record it and return it. Raises
        :class:`TemporarySetError`."""
        planned = temporary_set(prefix, source_set, entries, secrets.token_hex(3), copies)
        name = planned.name
        self._record(name, source_set_id=source_set.id, set_id=None, status="creating", error=None)
        set_id = self._send_create(name, create_body(planned, self.tags()))
        self._record(name, set_id=set_id, status="created", error=None)
        return replace(planned, id=set_id)

    def _send_create(self, name: str, body: dict[str, Any]) -> str:
        """Create the set. If an answer is lost, send the same create again. The name is
        unique, so a 409 on the retry means the lost create went through: search the name to
        find it. This gives exactly one set whatever the faults."""
        doing = f"create the temporary unit test set {name!r}"
        lost: str | None = None
        delay = 1.0
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            try:
                return self.api().create_unit_test_set(body)
            except ForbiddenError as exc:
                self._give_up(name, lost, self._forbidden(exc, doing))
            except ConflictError as exc:
                if lost is None:
                    self._give_up(name, lost, describe(exc, doing))
                found = self._find_after(name)
                if found is not None:
                    return found
                self._give_up(
                    name,
                    lost,
                    f"{lost}; a retry was refused (HTTP 409: the name exists) but no set of that "
                    f"name is visible: check the permission {PERMISSION_SET}",
                )
            except API_ERRORS as exc:
                if not transient(exc) or attempt == CREATE_ATTEMPTS:
                    found = self._find_after(name) if lost is not None else None
                    if found is not None:
                        return found
                    self._give_up(name, lost, describe(exc, doing))
                lost = describe(exc, doing)
                log.warning("pytest-amigo: %s; retrying", lost)
                self.sleep(delay)
                delay = min(delay * 2, 8.0)
        raise AssertionError("unreachable")  # pragma: no cover

    def _find_after(self, name: str) -> str | None:
        try:
            return self._find(name)
        except API_ERRORS as exc:
            log.warning("pytest-amigo: %s", describe(exc, f"look up the set {name!r}"))
            return None

    def _find(self, name: str) -> str | None:
        """The id of the undeleted set named exactly ``name``, if the caller can see it."""
        return id_named(self.api().search_unit_test_sets(name), name)

    def _give_up(self, name: str, lost: str | None, message: str) -> NoReturn:
        """Record the failure and raise it. The create was refused, so nothing exists,
        unless an earlier answer was lost: then the name stays to be resolved at clean-up."""
        self._record(name, status="absent" if lost is None else "creating", error=message)
        raise TemporarySetError(message)

    @staticmethod
    def _forbidden(exc: BaseException, doing: str) -> str:
        return (
            f"could not {doing}: the API key's user lacks the permission {PERMISSION_CREATE} "
            f"(HTTP 403: {_one_line(str(exc))}). Grant it, and {PERMISSION_DELETE} to delete "
            "the set afterwards, to the API key's user in Amigo."
        )

    # -- delete ---------------------------------------------------------------------------------

    def delete(self, set_id: str, *, time_cap: float = DELETE_CAP) -> str | None:
        """Delete a set: None once it is gone (a 404 counts), else a one-line reason."""
        reason = self._delete(set_id, self.clock() + time_cap)
        for entry in self.entries():
            if entry["set_id"] == set_id:
                status: Status = "deleted" if reason is None else entry["status"]
                self._record(entry["name"], status=status, error=reason)
        return reason

    def _delete(self, set_id: str, deadline: float) -> str | None:
        """Retry transient failures until ``deadline``. Also retry 409 and 400: the contract
        documents neither for this delete. But cancelling a run is "best effort" and may not
        take effect at once, so a refusal while the set's run is unfinished is possible."""
        return delete_until(
            lambda: self.api().delete_unit_test_set(set_id),
            f"delete unit test set {set_id}",
            PERMISSION_DELETE,
            retried=(400, 409),
            deadline=deadline,
            clock=self.clock,
            sleep=self.sleep,
        )

    def delete_all(self, time_cap: float) -> list[str]:
        """Delete every recorded set not yet deleted (each gets at least one attempt).
        Returns one line for each set still left, naming it so a person can delete it."""
        deadline = self.clock() + time_cap
        lines = []
        for entry in self.pending():
            name, set_id = entry["name"], entry["set_id"]
            if set_id is None:  # its create answer was never read: the name finds it
                try:
                    set_id = self._find(name)
                except API_ERRORS as exc:
                    lines.append(
                        f"temporary unit test set {name!r} may exist (its create answer was "
                        f"lost) and {describe(exc, 'look it up')}: search for that name in "
                        "Amigo and delete the set by hand"
                    )
                    continue
                if set_id is None:
                    self._record(name, status="absent")
                    continue
                self._record(name, set_id=set_id, status="created")
            reason = self._delete(set_id, deadline)
            self._record(name, status="deleted" if reason is None else "created", error=reason)
            if reason is not None:
                lines.append(
                    f"temporary unit test set {set_id} ({name!r}) was not deleted: {reason}. "
                    f"Delete unit test set {set_id} by hand in Amigo."
                )
        return lines
