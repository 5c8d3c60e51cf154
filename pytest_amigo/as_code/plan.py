"""The plan: what ``apply`` would do to make the platform match the definitions.

Pure: desired definitions, the lock and the platform's objects in, a ``Plan`` out. Objects are
matched by the lock's id first (a renamed or re-created object is still found), then by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from .diff import PERSONA_VERSION_FIELDS, SCENARIO_VERSION_FIELDS, Change, diff
from .lock import Lock, Locked
from .model import Definition, Definitions, ObjectKind
from .platform import Platform, Remote

Action = Literal["create", "update", "new version", "unchanged", "blocked", "prune"]
KINDS: tuple[ObjectKind, ...] = ("persona", "scenario", "unit test", "set")
VERSION_FIELDS: dict[ObjectKind, tuple[str, ...]] = {
    "persona": PERSONA_VERSION_FIELDS,
    "scenario": SCENARIO_VERSION_FIELDS,
}
FIXED_FIELDS: dict[ObjectKind, tuple[str, ...]] = {
    "persona": ("name", "role"),  # the contract updates a persona's tags only
    "scenario": ("name",),
}


@dataclass(frozen=True)
class Step:
    """What apply does to one object. ``version``: the number a new version must get (the
    contract's ``?version=`` precondition), 1 for a created persona or scenario."""

    kind: ObjectKind
    name: str
    action: Action
    changes: tuple[Change, ...] = ()
    id: str | None = None
    version: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Drift:
    """An object the platform changed since the lock was written, and by whom."""

    kind: ObjectKind
    name: str
    reasons: tuple[str, ...]
    updated_by: str | None = None
    updated_at: str | None = None
    changes: tuple[Change, ...] = ()  # the platform's content against the files'


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...] = ()
    drift: tuple[Drift, ...] = ()
    prune: bool = False  # whether managed objects gone from the files are to be deleted

    def pending(self) -> tuple[Step, ...]:
        """The steps apply would carry out."""
        acting = {"create", "update", "new version", *(("prune",) if self.prune else ())}
        return tuple(step for step in self.steps if step.action in acting)

    def exit_code(self) -> int:
        """0: nothing to do; 2: changes pending (as ``terraform plan -detailed-exitcode``);
        1: a change apply cannot make."""
        if any(step.action == "blocked" for step in self.steps):
            return 1
        return 2 if self.pending() else 0


def compute_plan(
    desired: Definitions, lock: Lock, platform: Platform, *, prune: bool = False
) -> Plan:
    steps: list[Step] = []
    drift: list[Drift] = []
    matched: set[str] = set()
    for kind in KINDS:
        remotes = platform.of(kind)
        for definition in _desired(desired, kind):
            locked = lock.get(kind, definition.name)
            remote = match(definition.name, locked, remotes)
            if remote is not None:
                matched.add(remote.id)
            steps.append(step_for(kind, definition, locked, remote))
            found = drift_of(kind, definition, locked, remote)
            drift += [found] if found else []
    for kind in reversed(KINDS):
        steps += (
            Step(kind, r.definition.name, "prune", id=r.id, note="managed, gone from the files")
            for r in platform.of(kind)
            if r.managed and r.id not in matched
        )
    return Plan(tuple(steps), tuple(drift), prune)


def _desired(desired: Definitions, kind: ObjectKind) -> tuple[Definition, ...]:
    found: dict[ObjectKind, tuple[Definition, ...]] = {
        "persona": desired.personas,
        "scenario": desired.scenarios,
        "unit test": desired.unit_tests,
        "set": desired.sets,
    }
    return found[kind]


def match(name: str, locked: Locked | None, remotes: tuple[Remote[Any], ...]) -> Remote[Any] | None:
    """The platform's object for a name: the locked id's, else the one of that name."""
    if locked is not None:
        for remote in remotes:
            if remote.id == locked.id:
                return remote
    return next((r for r in remotes if r.definition.name == name), None)


def step_for(
    kind: ObjectKind, definition: Definition, locked: Locked | None, remote: Remote[Any] | None
) -> Step:
    name = definition.name
    if remote is None:
        gone = "deleted on the platform since the lock; created again" if locked else ""
        return Step(kind, name, "create", diff(None, definition), version=_first(kind), note=gone)
    changes = diff(remote.definition, definition)
    if not changes:
        return Step(kind, name, "unchanged", id=remote.id)
    fixed = [c.field for c in changes if c.root in FIXED_FIELDS.get(kind, ())]
    if fixed:
        note = (
            f"the platform cannot change a {kind}'s {' or '.join(fixed)}: give it a new name "
            f"in the files (a new {kind}) or restore {' and '.join(fixed)}"
        )
        return Step(kind, name, "blocked", changes, remote.id, note=note)
    if any(c.root in VERSION_FIELDS.get(kind, ()) for c in changes):
        base = locked.version if locked is not None and locked.version else remote.version
        return Step(kind, name, "new version", changes, remote.id, version=(base or 0) + 1)
    return Step(kind, name, "update", changes, remote.id)


def _first(kind: ObjectKind) -> int | None:
    return 1 if kind in VERSION_FIELDS else None


def drift_of(
    kind: ObjectKind, definition: Definition, locked: Locked | None, remote: Remote[Any] | None
) -> Drift | None:
    """What the platform changed since the lock (nothing when the object is not locked)."""
    if locked is None:
        return None
    if remote is None:
        return Drift(kind, definition.name, (f"{kind} {locked.id} was deleted on the platform",))
    reasons = []
    who, when = remote.updated_by, remote.updated_at
    if kind in VERSION_FIELDS and remote.version != locked.version:
        reasons.append(f"version {remote.version} on the platform, the lock has {locked.version}")
        who, when = remote.version_by or who, remote.version_at or when  # the version's author
    if remote.updated_at and locked.updated_at and remote.updated_at != locked.updated_at:
        reasons.append(f"updated at {remote.updated_at}, the lock has {locked.updated_at}")
    if not reasons:
        return None
    changes = diff(remote.definition, definition)
    return Drift(kind, definition.name, tuple(reasons), who, when, changes)
