"""What a session created in the organization, by name, in one of its state files: the list the
end of the session deletes from, written before each create is sent (a lost answer or a crash
still leaves the name to find)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from amigo_sdk.errors import ForbiddenError, NotFoundError

from pytest_amigo.lifecycle.failures import API_ERRORS, describe, dump, transient
from pytest_amigo.lifecycle.shared import SharedState

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


def id_named(found: Iterable[Any], name: str) -> str | None:
    """The id of the undeleted object named exactly ``name`` in a search answer (how a create
    whose answer was lost is found again: the names the session gives are unique)."""
    for item in found:
        data = dump(item)
        if data.get("name") == name and not data.get("is_deleted"):
            ident = data.get("id") or data.get("field_id") or data.get("_id")
            return str(getattr(ident, "root", ident))
    return None


def delete_until(
    delete: Callable[[], None],
    doing: str,
    permission: str,
    *,
    retried: tuple[int, ...],
    deadline: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> str | None:
    """Delete something the session created: None once it is gone (a 404 counts), else a
    one-line reason. Transient failures and the ``retried`` statuses are tried again, backing
    off, until ``deadline``; a 403 names ``permission``."""
    delay = 1.0
    while True:
        try:
            delete()
            return None
        except NotFoundError:
            return None
        except ForbiddenError as exc:
            return (
                f"could not {doing}: the API key's user lacks the permission {permission} "
                f"(HTTP 403: {' '.join(str(exc).split())}); grant it to the API key's user in "
                "Amigo"
            )
        except API_ERRORS as exc:
            again = transient(exc) or getattr(exc, "status_code", None) in retried
            if not again or clock() + delay > deadline:
                return " ".join(describe(exc, doing).split())
            sleep(delay)
            delay = min(delay * 2, 8.0)
