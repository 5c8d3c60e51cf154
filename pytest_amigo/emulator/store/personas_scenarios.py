"""Personas and scenarios: names, tags, versions and deletion rules.

Both follow the same rules, written once in :class:`Catalog` for a :class:`Kind`; ``Personas``
and ``Scenarios`` are the public methods the routes call, each taking the lock itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.errors import BadRequest, Conflict
from pytest_amigo.emulator.store.documents import Documents
from pytest_amigo.emulator.store.state import StoreState

Doc = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    """A kind of catalog object, as its rules name and find it."""

    what: str
    """In messages: ``simulation persona``."""
    reference: str
    """The unit test field referring to it: ``persona_id``."""
    docs: Callable[[StoreState], dict[str, Doc]]
    versions: Callable[[StoreState], dict[str, list[Doc]]]


PERSONA = Kind(
    "simulation persona", "persona_id", lambda s: s.personas, lambda s: s.persona_versions
)
SCENARIO = Kind(
    "simulation scenario", "scenario_id", lambda s: s.scenarios, lambda s: s.scenario_versions
)


class Catalog(Documents):
    """The rules personas and scenarios share."""

    def _entry(self, kind: Kind, oid: str) -> Doc:
        return self._found(kind.docs(self), oid, kind.what.capitalize())

    def _create_entry(self, kind: Kind, data: Doc, add: Callable[[str, str], None]) -> str:
        """A new object named ``data["name"]`` (unique among live ones), made by ``add(id,
        name)``."""
        with self.lock:
            name = data["name"].strip()
            if self._name_taken(kind.docs(self).values(), name):
                raise Conflict(f"A {kind.what} with this name already exists.")
            oid = self.new_id()
            add(oid, name)
            return oid

    def _update_entry(self, kind: Kind, oid: str, tags: Doc | None, user: w.User) -> None:
        with self.lock:
            doc = self._entry(kind, oid)
            if tags is not None:
                doc["tags"] = tags
            self._touch(doc, user)

    def _delete_entry(self, kind: Kind, oid: str, user: w.User) -> None:
        """Deleted unless a live unit test uses it."""
        with self.lock:
            doc = self._entry(kind, oid)
            if any(
                u[kind.reference] == oid and not u["is_deleted"] for u in self.unit_tests.values()
            ):
                raise BadRequest(f"The {kind.what} is used by a simulation unit test.")
            doc["is_deleted"] = True
            self._touch(doc, user)

    def _create_entry_version(
        self, kind: Kind, oid: str, version: int | None, add: Callable[[], int]
    ) -> int:
        """The next version, made by ``add()``; ``version``, when given, must be its number."""
        with self.lock:
            self._entry(kind, oid)
            expected = len(kind.versions(self)[oid]) + 1
            if version is not None and version != expected:
                raise BadRequest(f"The next version of this {kind.what} is {expected}.")
            return add()

    def _entry_versions(self, kind: Kind, oid: str) -> list[Doc]:
        self._entry(kind, oid)
        return kind.versions(self)[oid]


class Personas(Catalog):
    """Simulation personas and their versions."""

    def persona(self, pid: str) -> Doc:
        return self._entry(PERSONA, pid)

    def create_persona(self, data: Doc, user: w.User) -> str:
        def add(pid: str, name: str) -> None:
            role, tags, version = data["role"].strip(), data["tags"], data["initial_version"]
            self._add_persona(pid, name, role, tags, version, user.user_id)

        return self._create_entry(PERSONA, data, add)

    def update_persona(self, pid: str, tags: Doc | None, user: w.User) -> None:
        self._update_entry(PERSONA, pid, tags, user)

    def delete_persona(self, pid: str, user: w.User) -> None:
        self._delete_entry(PERSONA, pid, user)

    def create_persona_version(self, pid: str, data: Doc, version: int | None, user: w.User) -> int:
        return self._create_entry_version(
            PERSONA, pid, version, lambda: self.add_persona_version(pid, data, user.user_id)
        )

    def persona_version_list(self, pid: str) -> list[Doc]:
        return self._entry_versions(PERSONA, pid)


class Scenarios(Catalog):
    """Simulation scenarios and their versions."""

    def scenario(self, sid: str) -> Doc:
        return self._entry(SCENARIO, sid)

    def create_scenario(self, data: Doc, user: w.User) -> str:
        def add(sid: str, name: str) -> None:
            tags, version = data["tags"], data["initial_version"]
            self._add_scenario(sid, name, tags, version, user.user_id)

        return self._create_entry(SCENARIO, data, add)

    def update_scenario(self, sid: str, tags: Doc | None, user: w.User) -> None:
        self._update_entry(SCENARIO, sid, tags, user)

    def delete_scenario(self, sid: str, user: w.User) -> None:
        self._delete_entry(SCENARIO, sid, user)

    def create_scenario_version(
        self, sid: str, data: Doc, version: int | None, user: w.User
    ) -> int:
        return self._create_entry_version(
            SCENARIO, sid, version, lambda: self.add_scenario_version(sid, data, user.user_id)
        )

    def scenario_version_list(self, sid: str) -> list[Doc]:
        return self._entry_versions(SCENARIO, sid)
