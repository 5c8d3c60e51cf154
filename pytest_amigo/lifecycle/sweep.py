"""Temporaries left behind: how every temporary is tagged, and the sweep that deletes old ones.

A session deletes what it creates on every exit it lives through; a SIGKILL, a CI runner that
vanished or a create whose record was never written can still leave temporary sets and unit
test copies in the organization. Each carries tags that make it findable::

    pytest-amigo: temporary
    pytest-amigo-user: <the API key's user>
    pytest-amigo-created: <UTC time, ISO 8601>
    pytest-amigo-session: <the creating session>

The sweep (``pytest --amigo-cleanup``, and once per session before it creates temporaries)
deletes this user's temporaries created more than ``amigo_cleanup_after`` ago that no unfinished
run uses: sets first, then the unit tests no remaining set uses (the contract refuses to delete
a unit test a set uses). Never another user's, never a recent one, never anything without the
``pytest-amigo: temporary`` tag.

Whose and how old: the server's word, not the tags'. A document's ``creator`` and
``created_at`` are written by the API; the tags by a client whose clock may be wrong (a CI
runner's). The age is measured on the server's clock too (``server_now``: the ``Date`` of its
last answer), the client's own clock only when the server gave none. The user and time tags
are read only when the server leaves its fields out, so a temporary an earlier pytest-amigo
tagged with ``pytest-amigo: temporary`` alone is swept like the others.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pytest_amigo.lifecycle.failures import API_ERRORS, describe, dump
from pytest_amigo.lifecycle.ledger import delete_until

TEMPORARY_TAG = ("pytest-amigo", "temporary")
USER_TAG = "pytest-amigo-user"
CREATED_TAG = "pytest-amigo-created"
SESSION_TAG = "pytest-amigo-session"
DEFAULT_AFTER = 24 * 3600.0
PERMISSION_DELETE_SET = "Simulation:DeleteSimulationUnitTestSet"
PERMISSION_DELETE_UNIT_TEST = "Simulation:DeleteSimulationUnitTest"


def temporary_tags(user_id: str, session: str, now: dt.datetime) -> dict[str, str]:
    """The tags of a temporary this session creates now."""
    key, value = TEMPORARY_TAG
    return {
        key: value,
        USER_TAG: user_id,
        CREATED_TAG: now.astimezone(dt.UTC).isoformat(timespec="seconds"),
        SESSION_TAG: session,
    }


def tags_of(doc: Mapping[str, Any]) -> dict[str, str]:
    """A document's tags, as the API lists them (``[{key, value}]``) or as sent (a dict)."""
    found = doc.get("tags") or []
    if isinstance(found, Mapping):
        return {str(k): str(v) for k, v in found.items()}
    return {
        str(t.get("key")): str(t.get("value"))
        for t in found
        if isinstance(t, Mapping) and t.get("key") is not None
    }


def created_at(tags: Mapping[str, str]) -> dt.datetime | None:
    """The time a client wrote in the ``pytest-amigo-created`` tag (its own clock)."""
    return _moment(tags.get(CREATED_TAG))


def _moment(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        when = value
    else:
        try:
            when = dt.datetime.fromisoformat(str(value or ""))
        except ValueError:
            return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def creator_of(doc: Mapping[str, Any]) -> str | None:
    """The user who created a document, as the server says (``creator.user_id``)."""
    creator = doc.get("creator")
    found = creator.get("user_id") if isinstance(creator, Mapping) else None
    return str(found) if found else None


def _mine_created(doc: Mapping[str, Any], user_id: str) -> dt.datetime | None:
    """When this user's live pytest-amigo temporary was created (the server's ``created_at``,
    else the time tag); None for anything else (another user's, not a temporary, deleted)."""
    tags = tags_of(doc)
    key, value = TEMPORARY_TAG
    if tags.get(key) != value or not user_id or doc.get("is_deleted"):
        return None
    if (creator_of(doc) or tags.get(USER_TAG)) != user_id:
        return None
    return _moment(doc.get("created_at")) or created_at(tags)


def stale(doc: Mapping[str, Any], user_id: str, cutoff: dt.datetime) -> bool:
    """Whether a document is this user's pytest-amigo temporary created before ``cutoff``
    (pure). Another user's, another tool's, one whose creation time nobody says: never."""
    when = _mine_created(doc, user_id)
    return when is not None and when < cutoff


def young(doc: Mapping[str, Any], user_id: str, cutoff: dt.datetime) -> bool:
    """Whether a document is this user's pytest-amigo temporary too recent to sweep (pure)."""
    when = _mine_created(doc, user_id)
    return when is not None and when >= cutoff


YOUNG = "young"  # kept: created after the cutoff
BUSY = "busy"  # kept: an unfinished run uses the set
USED = "used"  # kept: a remaining set lists the unit test


@dataclass
class SweepReport:
    """What a sweep did: one line per temporary deleted or left, how many it kept and why,
    and, when it could not list what to sweep (the API unreachable, refused), why it stopped."""

    lines: list[str] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=lambda: {YOUNG: 0, BUSY: 0, USED: 0})
    stopped: str | None = None
    stopped_by: BaseException | None = None

    def stop(self, exc: BaseException, doing: str) -> SweepReport:
        self.stopped, self.stopped_by = describe(exc, doing), exc
        return self

    @property
    def failed(self) -> bool:
        """Some temporary that should go could not be deleted."""
        return any(line.startswith("left ") for line in self.lines)


class SweepApi(Protocol):
    organization_id: str
    user_id: str

    def list_unit_test_sets(self, **kwargs: Any) -> list[Any]: ...
    def list_unit_tests(self, **kwargs: Any) -> list[Any]: ...
    def list_runs(self, **kwargs: Any) -> list[Any]: ...
    def delete_unit_test_set(self, set_id: str) -> None: ...
    def delete_unit_test(self, unit_test_id: str) -> None: ...


@dataclass
class Sweeper:
    """Deletes this user's old pytest-amigo temporaries (see the module docstring)."""

    api: Callable[[], SweepApi]
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def sweep(self, older_than: float, time_cap: float = 60.0) -> SweepReport:
        """Delete; one line per temporary deleted or left (and why), the kept ones counted."""
        report = SweepReport()
        try:
            api = self.api()
        except API_ERRORS as exc:
            return report.stop(exc, "reach the API")
        mine = {
            "creators": [f"{api.organization_id},{api.user_id}"],
            "tags": [":".join(TEMPORARY_TAG)],
        }
        deadline = self.clock() + time_cap
        kinds = (  # sets first: a unit test a remaining set lists is kept
            (
                "unit test set",
                api.list_unit_test_sets,
                self._busy,
                BUSY,
                "an unfinished run uses it",
            ),
            ("unit test", api.list_unit_tests, self._used, USED, "a unit test set uses it"),
        )
        for what, listing, in_use, key, why in kinds:
            try:
                found_all = [dump(x) for x in listing(is_deleted=False, **mine)]
                cutoff = self._now(api) - dt.timedelta(seconds=older_than)
                old = [x for x in found_all if stale(x, api.user_id, cutoff)]
                kept = in_use(api, [str(x["id"]) for x in old])
            except API_ERRORS as exc:
                return report.stop(exc, f"list the temporary {what}s")
            report.kept[YOUNG] += sum(young(x, api.user_id, cutoff) for x in found_all)
            for found in old:
                if str(found["id"]) in kept:
                    report.kept[key] += 1
                    report.lines.append(f"kept {_words(what, found)}: {why}")
                else:
                    report.lines.append(self._delete(api, what, found, deadline))
        return report

    def _now(self, api: SweepApi) -> dt.datetime:
        """The server's time (its last answer's ``Date``), else this machine's clock."""
        server_now = getattr(api, "server_now", None)
        found = server_now() if callable(server_now) else None
        return found if isinstance(found, dt.datetime) else self.now()

    @staticmethod
    def _busy(api: SweepApi, set_ids: Sequence[str]) -> set[str]:
        """The sets among ``set_ids`` an unfinished run (anyone's) uses."""
        if not set_ids:
            return set()
        runs = map(dump, api.list_runs(set_ids=list(set_ids), is_completed=False))
        return {str(r.get("simulation_unit_test_set_id")) for r in runs}

    @staticmethod
    def _used(api: SweepApi, unit_test_ids: Sequence[str]) -> set[str]:
        """The unit tests among ``unit_test_ids`` a remaining set (anyone's) lists."""
        if not unit_test_ids:
            return set()
        wanted = set(unit_test_ids)
        sets = map(dump, api.list_unit_test_sets(unit_test_ids=list(wanted), is_deleted=False))
        return {
            str(entry.get("unit_test_id"))
            for found in sets
            for entry in found.get("unit_test_runs") or ()
            if str(entry.get("unit_test_id")) in wanted
        }

    def _delete(self, api: SweepApi, what: str, found: Mapping[str, Any], deadline: float) -> str:
        ident = str(found["id"])
        is_set = what == "unit test set"
        delete: Callable[[str], None] = api.delete_unit_test_set if is_set else api.delete_unit_test
        permission = PERMISSION_DELETE_SET if is_set else PERMISSION_DELETE_UNIT_TEST
        reason = delete_until(
            lambda: delete(ident),
            f"delete {what} {ident}",
            permission,
            retried=(),
            deadline=deadline,
            clock=self.clock,
            sleep=self.sleep,
        )
        if reason is None:
            return f"deleted {_words(what, found)}"
        return f"left {_words(what, found)}: {reason}"


def _words(what: str, found: Mapping[str, Any]) -> str:
    tags = tags_of(found)
    when = found.get("created_at") or tags.get(CREATED_TAG)
    session = tags.get(SESSION_TAG)
    by = f" by session {session}" if session else " by an earlier pytest-amigo"
    return f"temporary {what} {found.get('id')} ({found.get('name')!r}, created {when}{by})"
