"""The lock file: what ``apply`` (or ``export``) last saw of each object on the platform.

JSON, sorted and indented, one object per name: ``{"id", "version", "updated_at"}`` (``version``
for personas and scenarios only). It is committed with the definitions, so a pull request shows
which platform objects it was planned against, and drift is anything the platform changed since.
JSON because nobody edits it by hand and the standard library reads and writes it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .model import ObjectKind

LOCK_NAME = "amigo.lock.json"
FORMAT = 1
SECTIONS: dict[ObjectKind, str] = {
    "persona": "personas",
    "scenario": "scenarios",
    "unit test": "unit_tests",
    "set": "sets",
}


class LockError(Exception):
    """The lock file cannot be read; the message says which and why."""


@dataclass(frozen=True)
class Locked:
    """One object as the platform had it when the lock was written."""

    id: str
    version: int | None = None
    updated_at: str | None = None


@dataclass(frozen=True)
class Lock:
    entries: Mapping[ObjectKind, Mapping[str, Locked]] = field(default_factory=dict)

    def get(self, kind: ObjectKind, name: str) -> Locked | None:
        return self.entries.get(kind, {}).get(name)

    def with_entry(self, kind: ObjectKind, name: str, locked: Locked | None) -> Lock:
        """This lock with one object recorded (or forgotten when ``locked`` is None)."""
        section = {k: v for k, v in self.entries.get(kind, {}).items() if k != name}
        if locked is not None:
            section[name] = locked
        return replace(self, entries={**self.entries, kind: section})

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"format": FORMAT}
        for kind, section in SECTIONS.items():
            document[section] = {
                name: {k: v for k, v in vars(locked).items() if v is not None}
                for name, locked in sorted(self.entries.get(kind, {}).items())
            }
        return document

    @classmethod
    def from_json(cls, document: Any, source: str = LOCK_NAME) -> Lock:
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise LockError(
                f"{source}: not a lock file of format {FORMAT}; delete it and run export"
            )
        entries: dict[ObjectKind, dict[str, Locked]] = {}
        for kind, section in SECTIONS.items():
            try:
                found = {n: Locked(**v) for n, v in document.get(section, {}).items()}
                if found:
                    entries[kind] = found
            except (TypeError, AttributeError) as error:
                raise LockError(f"{source}: section '{section}' is malformed ({error})") from None
        return cls(entries)


def read_lock(path: Path) -> Lock:
    """The lock at ``path``; an empty lock when there is none yet."""
    if not path.exists():
        return Lock()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise LockError(f"{path}:{error.lineno}: not valid JSON ({error.msg})") from None
    return Lock.from_json(document, str(path))


def write_lock(path: Path, lock: Lock) -> None:
    """Write atomically (a rename), so an interrupted apply leaves the previous or the new lock."""
    text = json.dumps(lock.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
