"""What a session created in the organization, by name, in one of its state files: the list the
end of the session deletes from, written before each create is sent (a lost answer or a crash
still leaves the name to find)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .shared import SharedState

PENDING = ("creating", "created")  # may still exist: the end of the session deletes them


@dataclass(frozen=True)
class Ledger:
    """One section (``sets``, ``copies``) of one state file: entries by name, with a status."""

    state: SharedState
    file: str
    section: str

    def entries(self) -> list[dict[str, Any]]:
        """Every entry, in creation order."""
        return list(self.state.read(self.file, {}, fresh=True).get(self.section, {}).values())

    def pending(self) -> list[dict[str, Any]]:
        """The entries that may still exist (``creating`` or ``created``)."""
        return [e for e in self.entries() if e["status"] in PENDING]

    def record(self, name: str, **fields: Any) -> None:
        """Set some fields of the entry ``name`` (created with its name if new)."""

        def change(data: dict[str, Any]) -> dict[str, Any]:
            section = data.setdefault(self.section, {})
            section[name] = {**section.get(name, {"name": name}), **fields}
            return data

        self.state.update(self.file, change, {})
