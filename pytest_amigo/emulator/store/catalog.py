"""Personas and scenarios: names, tags, versions and deletion rules."""

from __future__ import annotations

from typing import Any

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.errors import BadRequest, Conflict, NotFound
from pytest_amigo.emulator.store.documents import Documents


class Personas(Documents):
    """Simulation personas and their versions."""

    def persona(self, pid: str) -> dict[str, Any]:
        doc = self.personas.get(pid)
        if doc is None:
            raise NotFound("Simulation persona not found.")
        return doc

    def create_persona(self, data: dict[str, Any], user: w.User) -> str:
        with self.lock:
            name = data["name"].strip()
            if self._name_taken(self.personas.values(), name):
                raise Conflict("A simulation persona with this name already exists.")
            pid = self.new_id()
            self._add_persona(
                pid, name, data["role"].strip(), data["tags"], data["initial_version"], user.user_id
            )
            return pid

    def update_persona(self, pid: str, tags: dict[str, Any] | None, user: w.User) -> None:
        with self.lock:
            doc = self.persona(pid)
            if tags is not None:
                doc["tags"] = tags
            self._touch(doc, user)

    def delete_persona(self, pid: str, user: w.User) -> None:
        with self.lock:
            doc = self.persona(pid)
            if any(
                u["persona_id"] == pid and not u["is_deleted"] for u in self.unit_tests.values()
            ):
                raise BadRequest("The simulation persona is used by a simulation unit test.")
            doc["is_deleted"] = True
            self._touch(doc, user)

    def create_persona_version(
        self, pid: str, data: dict[str, Any], version: int | None, user: w.User
    ) -> int:
        with self.lock:
            self.persona(pid)
            expected = len(self.persona_versions[pid]) + 1
            if version is not None and version != expected:
                raise BadRequest(f"The next version of this simulation persona is {expected}.")
            return self.add_persona_version(pid, data, user.user_id)

    def persona_version_list(self, pid: str) -> list[dict[str, Any]]:
        self.persona(pid)
        return self.persona_versions[pid]


class Scenarios(Documents):
    """Simulation scenarios and their versions."""

    def scenario(self, sid: str) -> dict[str, Any]:
        doc = self.scenarios.get(sid)
        if doc is None:
            raise NotFound("Simulation scenario not found.")
        return doc

    def create_scenario(self, data: dict[str, Any], user: w.User) -> str:
        with self.lock:
            name = data["name"].strip()
            if self._name_taken(self.scenarios.values(), name):
                raise Conflict("A simulation scenario with this name already exists.")
            sid = self.new_id()
            self._add_scenario(sid, name, data["tags"], data["initial_version"], user.user_id)
            return sid

    def update_scenario(self, sid: str, tags: dict[str, Any] | None, user: w.User) -> None:
        with self.lock:
            doc = self.scenario(sid)
            if tags is not None:
                doc["tags"] = tags
            self._touch(doc, user)

    def delete_scenario(self, sid: str, user: w.User) -> None:
        with self.lock:
            doc = self.scenario(sid)
            if any(
                u["scenario_id"] == sid and not u["is_deleted"] for u in self.unit_tests.values()
            ):
                raise BadRequest("The simulation scenario is used by a simulation unit test.")
            doc["is_deleted"] = True
            self._touch(doc, user)

    def create_scenario_version(
        self, sid: str, data: dict[str, Any], version: int | None, user: w.User
    ) -> int:
        with self.lock:
            self.scenario(sid)
            expected = len(self.scenario_versions[sid]) + 1
            if version is not None and version != expected:
                raise BadRequest(f"The next version of this simulation scenario is {expected}.")
            return self.add_scenario_version(sid, data, user.user_id)

    def scenario_version_list(self, sid: str) -> list[dict[str, Any]]:
        self.scenario(sid)
        return self.scenario_versions[sid]
