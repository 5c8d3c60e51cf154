"""Temporary copies of unit tests on another version set (``--amigo-version-set``).

A unit test names the agent it simulates by ``service_id`` and ``service_version_set_name``; a
run takes only a set id. To simulate a candidate version set, each selected unit test that is
not on it is copied (same service, persona, scenario, success criteria, max_interactions) onto
the candidate, under a name unique in the organization
(``pytest-amigo pr-123 of Refund is processed [3f9a1c]``) and tags that mark it as
pytest-amigo's and name the original. The copies run in a temporary set (``TemporarySets``) and
are deleted after it: the contract answers 400 to deleting a unit test a set still uses.

Every copy is recorded in ``copies.json`` before its create is sent, so the end of the session
deletes it even after a lost answer, or names it for a person to delete::

    {"copies": {"<name>": {"name": str, "original_id": str, "unit_test_id": str | null,
                           "status": "creating" | "created" | "deleted" | "absent",
                           "error": str | null}}}
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from amigo_sdk.errors import ForbiddenError, NotFoundError

from pytest_amigo.lifecycle.failures import API_ERRORS, describe, dump, transient
from pytest_amigo.lifecycle.ledger import Ledger, delete_until, id_named
from pytest_amigo.lifecycle.shared import SharedState
from pytest_amigo.lifecycle.state_files import COPIES
from pytest_amigo.lifecycle.temporary import TAGS

log = logging.getLogger("pytest_amigo")

PERMISSION_CREATE = "Simulation:CreateSimulationUnitTest"
PERMISSION_DELETE = "Simulation:DeleteSimulationUnitTest"
ORIGINAL_TAG = "pytest-amigo-original"  # the copied unit test's id
NAME_LIMIT = 200  # keep names readable; the suffix keeps them unique


class CopyError(Exception):
    """The copies could not be made (the message names what, and what to do); the copies made
    before are deleted already."""


class CopiesApi(Protocol):
    """What this module needs of the API (``SimulationApi`` provides it)."""

    def list_unit_tests(self, **kwargs: Any) -> list[Any]: ...

    def create_unit_test(self, body: dict[str, Any]) -> str: ...

    def delete_unit_test(self, unit_test_id: str) -> None: ...

    def search_unit_tests(self, query: str, **kwargs: Any) -> list[Any]: ...


def copy_name(version_set: str, name: str, suffix: str) -> str:
    head = f"pytest-amigo {version_set} of "
    room = NAME_LIMIT - len(head) - len(suffix) - 3
    return f"{head}{name[:room]} [{suffix}]"


def copy_body(
    definition: Mapping[str, Any],
    version_set: str,
    name: str,
    tags: Mapping[str, str] = TAGS,
) -> dict[str, Any]:
    """The create-simulation-unit-test body of a copy of ``definition`` on ``version_set``."""
    original = str(definition.get("id"))
    return {
        "name": name,
        "description": (
            f"Temporary copy of unit test {original} on version set {version_set}, made by "
            "pytest-amigo; it deletes it when its run is over. If it is left behind, delete it."
        ),
        "service_id": definition.get("service_id"),
        "service_version_set_name": version_set,
        "persona_id": definition.get("persona_id"),
        "scenario_id": definition.get("scenario_id"),
        "max_interactions": definition.get("max_interactions"),
        "success_criterions": [
            {
                "name": c.get("name"),
                "metric_id": c.get("metric_id"),
                "criterion": c.get("criterion"),
            }
            for c in definition.get("success_criterions") or ()
        ],
        "tags": {**tags, ORIGINAL_TAG: original},
    }


def refusal(
    exc: BaseException,
    original: Mapping[str, Any],
    version_set: str,
    option: str = "--amigo-version-set",
) -> str:
    """Why a copy was refused, in one line that says what to do; ``option`` is the one that
    named the version set (``--amigo-version-set`` or ``--amigo-compare``)."""
    what = f"unit test {original.get('name')!r} ({original.get('id')})"
    if isinstance(exc, NotFoundError):
        todo = (
            "push the candidate to that version set first, or check AMIGO_VERSION_SET"
            if option == "--amigo-version-set"
            else "name a version set the service has"
        )
        return (
            f"{option}={version_set}: service {original.get('service_id')} has no version set "
            f"{version_set!r} (or the persona, scenario or metrics of {what} are gone), so "
            f"the set's unit tests cannot run on it (the copy of {what} was refused first): "
            f"{todo}"
        )
    if isinstance(exc, ForbiddenError):
        return (
            f"{option}={version_set}: the API key's user lacks the permission "
            f"{PERMISSION_CREATE} to copy {what} onto the version set; grant it (and "
            f"{PERMISSION_DELETE} to delete the copies afterwards) to the API key's user"
        )
    return f"{option}={version_set}: {describe(exc, f'copy {what}')}"


@dataclass
class UnitTestCopies:
    """Creates copies of unit tests on a version set and deletes them; ``copies.json``."""

    state: SharedState
    api: Callable[[], CopiesApi]
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    tags: Callable[[], Mapping[str, str]] = lambda: TAGS  # those of each new copy

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.state, COPIES, "copies")

    def entries(self) -> list[dict[str, Any]]:
        return self.ledger.entries()

    def pending(self) -> list[dict[str, Any]]:
        return self.ledger.pending()

    def _record(self, name: str, **fields: Any) -> None:
        self.ledger.record(name, **fields)

    def made(self, version_set: str, unit_test_ids: Sequence[str]) -> dict[str, str]:
        """The copies already made of these unit tests on ``version_set``: original -> copy."""
        wanted = set(unit_test_ids)
        return {
            e["original_id"]: e["unit_test_id"]
            for e in self.entries()
            if e["status"] == "created"
            and e.get("version_set") == version_set
            and e["original_id"] in wanted
        }

    def create(
        self,
        version_set: str,
        unit_test_ids: Sequence[str],
        option: str = "--amigo-version-set",
    ) -> dict[str, str]:
        """Copy each unit test onto ``version_set`` (once per session): original id -> copy id.
        On a refusal every copy made is deleted and :class:`CopyError` says why, naming
        ``option`` (what named the version set)."""
        done = self.made(version_set, unit_test_ids)
        unit_test_ids = [u for u in unit_test_ids if u not in done]
        if not unit_test_ids:
            return done
        try:
            found = self.api().list_unit_tests(ids=list(dict.fromkeys(unit_test_ids)))
        except API_ERRORS as exc:
            raise CopyError(
                f"{option}={version_set}: {describe(exc, 'read the unit tests')}"
            ) from None
        definitions = {str(d["id"]): d for d in map(dump, found)}
        copies: dict[str, str] = {}
        for original_id in dict.fromkeys(unit_test_ids):
            definition = definitions.get(original_id)
            if definition is None:
                self._undo()
                raise CopyError(
                    f"{option}={version_set}: unit test {original_id} is not readable; it "
                    "cannot be copied onto the version set"
                )
            copies[original_id] = self._create_one(definition, version_set, option)
        return {**done, **copies}

    def _create_one(self, definition: Mapping[str, Any], version_set: str, option: str) -> str:
        name = copy_name(version_set, str(definition.get("name")), secrets.token_hex(3))
        self._record(
            name,
            original_id=definition.get("id"),
            version_set=version_set,
            unit_test_id=None,
            status="creating",
        )
        body = copy_body(definition, version_set, name, self.tags())
        for attempt in range(1, 4):
            try:
                copy_id = self.api().create_unit_test(body)
            except API_ERRORS as exc:
                if transient(exc) and attempt < 3:
                    self.sleep(attempt)
                    found = self._find(name)  # a lost answer: the unique name finds it
                    if found is None:
                        continue
                    copy_id = found
                else:
                    status = "creating" if transient(exc) else "absent"
                    self._record(name, status=status, error=describe(exc, "copy"))
                    self._undo()
                    raise CopyError(refusal(exc, definition, version_set, option)) from None
            self._record(name, unit_test_id=copy_id, status="created", error=None)
            return copy_id
        raise AssertionError("unreachable")  # pragma: no cover

    def _find(self, name: str) -> str | None:
        try:
            return id_named(self.api().search_unit_tests(name), name)
        except API_ERRORS as exc:
            log.warning("pytest-amigo: %s", describe(exc, f"look up the copy {name!r}"))
            return None

    def _undo(self) -> None:
        for line in self.delete_all(time_cap=30.0):
            log.warning("pytest-amigo: %s", line)

    def delete_all(self, time_cap: float) -> list[str]:
        """Delete every copy not yet deleted (call after their sets are deleted). One line for
        each copy left behind, naming it for a person to delete."""
        deadline = self.clock() + time_cap
        lines = []
        for entry in self.pending():
            name, copy_id = entry["name"], entry.get("unit_test_id") or self._find(entry["name"])
            if copy_id is None:
                self._record(name, status="absent")
                continue
            reason = self._delete(copy_id, deadline)
            self._record(
                name,
                unit_test_id=copy_id,
                status="deleted" if reason is None else "created",
                error=reason,
            )
            if reason is not None:
                lines.append(
                    f"temporary unit test {copy_id} ({name!r}) was not deleted: {reason}. "
                    f"Delete unit test {copy_id} by hand in Amigo."
                )
        return lines

    def _delete(self, copy_id: str, deadline: float) -> str | None:
        """None once the copy is gone (a 404 counts); retries what may pass (transient, 400
        while the set that used it is still being deleted) until ``deadline``."""
        return delete_until(
            lambda: self.api().delete_unit_test(copy_id),
            f"delete unit test {copy_id}",
            PERMISSION_DELETE,
            retried=(400,),
            deadline=deadline,
            clock=self.clock,
            sleep=self.sleep,
        )
