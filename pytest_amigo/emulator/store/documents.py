"""API-shaped documents of catalog objects, and the world's seeding of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pytest_amigo.emulator.store.clock import iso
from pytest_amigo.emulator.store.state import StoreState


def tags_list(tags: dict[str, str | None]) -> list[dict[str, str | None]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


class Documents(StoreState):
    """Builds documents in their API shape; seeds those of the world."""

    def _seed(self) -> None:
        owner = self.world.users[0].user_id if self.world.users else "emulator"
        for m in self.world.metrics:
            self._add_metric(m.id, m.name, m.type, m.description, m.value_spec(), owner)
        for p in self.world.personas:
            self._add_persona(p.id, p.name, p.role, {}, {"background": p.background}, owner)
        for s in self.world.scenarios:
            version = {"objective": s.objective, "instructions": s.instructions}
            self._add_scenario(s.id, s.name, {}, version, owner)
        for u in self.world.unit_tests:
            criteria = [
                {"name": c.name, "metric_id": c.metric_id, "criterion": c.to_api()}
                for c in u.criteria
            ]
            doc = self._unit_test_doc(
                u.id, u.name, u.description, u.service_id, u.version_set, u.persona_id,
                u.scenario_id, u.max_interactions, criteria, {}, owner,
            )  # fmt: skip
            self.unit_tests[u.id] = doc
        for unit_set in self.world.sets:
            self.sets[unit_set.id] = self._set_doc(
                unit_set.id, unit_set.name, unit_set.description,
                [list(x) for x in unit_set.unit_test_runs], {}, owner,
            )  # fmt: skip
            if unit_set.run_error is not None:
                self.set_run_errors[unit_set.id] = unit_set.run_error
            if not unit_set.artifacts:
                self.sets_without_artifacts.add(unit_set.id)
            if unit_set.new_persona_versions:
                self.persona_pushes[unit_set.id] = unit_set.new_persona_versions

    def _add_metric(
        self, mid: str, name: str, kind: str, description: str, value: dict[str, Any], owner: str
    ) -> None:
        now = self.stamp()
        self.metrics[mid] = {
            "id": mid, "org_id": self.org, "name": name, "applied_to_services": [],
            "additional_notes": None, "tags": [], "creator": self._who(owner),
            "updated_by": self._who(owner), "metric_value_type": kind, "is_deleted": False,
            "created_at": now, "updated_at": now,
            "_value": value, "_description": description,
        }  # fmt: skip

    def _add_catalog_doc(
        self,
        docs: dict[str, dict[str, Any]],
        versions: dict[str, list[dict[str, Any]]],
        oid: str,
        name: str,
        fields: dict[str, Any],
        tags: dict[str, str | None],
        owner: str,
    ) -> None:
        """A persona or scenario (``fields``: what its kind adds after the name), no versions."""
        now = self.stamp()
        docs[oid] = {
            "id": oid, "name": name, **fields, "tags": dict(tags), "is_deleted": False,
            "created_at": now, "creator": self._who(owner), "updated_at": now,
            "updated_by": self._who(owner),
        }  # fmt: skip
        versions[oid] = []

    def _append_version(
        self, versions: list[dict[str, Any]], key: str, oid: str, fields: dict[str, Any], owner: str
    ) -> int:
        """Appends the next version (``key``: the field naming ``oid``); returns its number."""
        number = len(versions) + 1
        versions.append(
            {
                "_id": self.new_id(),
                "org_id": self.org,
                "created_at": self.stamp(),
                "updated_at": self.stamp(),
                key: oid,
                "version": number,
                **fields,
                "creator": self._who(owner),
            }
        )
        return number

    def _add_persona(
        self,
        pid: str,
        name: str,
        role: str,
        tags: dict[str, str | None],
        version: dict[str, Any],
        owner: str,
    ) -> None:
        fields = {"role": role}
        self._add_catalog_doc(self.personas, self.persona_versions, pid, name, fields, tags, owner)
        self.add_persona_version(pid, version, owner)

    def add_persona_version(self, pid: str, version: dict[str, Any], owner: str) -> int:
        fields = {
            "background": version["background"],
            "preferred_language": version.get("preferred_language"),
            "timezone": version.get("timezone"),
            "user_models": list(version.get("user_models", [])),
            "nonsensitive_user_variables": dict(version.get("nonsensitive_user_variables", {})),
            "sensitive_user_variables": dict(version.get("sensitive_user_variables", {})),
        }
        versions = self.persona_versions[pid]
        return self._append_version(versions, "simulation_persona_id", pid, fields, owner)

    def _add_scenario(
        self, sid: str, name: str, tags: dict[str, str | None], version: dict[str, Any], owner: str
    ) -> None:
        docs, versions = self.scenarios, self.scenario_versions
        self._add_catalog_doc(docs, versions, sid, name, {}, tags, owner)
        self.add_scenario_version(sid, version, owner)

    def add_scenario_version(self, sid: str, version: dict[str, Any], owner: str) -> int:
        starts = version.get("conversation_starts_at")
        fields = {
            "objective": version["objective"],
            "instructions": version["instructions"],
            "initial_message_type": version.get("initial_message_type", "user-message"),
            "conversation_starts_at": iso(starts) if isinstance(starts, datetime) else starts,
        }
        versions = self.scenario_versions[sid]
        return self._append_version(versions, "simulation_scenario_id", sid, fields, owner)

    def _unit_test_doc(
        self, uid: str, name: str, description: str, service_id: str, version_set: str,
        persona_id: str, scenario_id: str, max_interactions: int,
        criteria: list[dict[str, Any]], tags: dict[str, str | None], owner: str,
    ) -> dict[str, Any]:  # fmt: skip
        now = self.stamp()
        return {
            "id": uid, "org_id": self.org, "created_at": now, "updated_at": now, "name": name,
            "description": description, "service_id": service_id,
            "service_version_set_name": version_set, "persona_id": persona_id,
            "scenario_id": scenario_id, "max_interactions": max_interactions,
            "success_criterions": criteria, "is_deleted": False, "tags": tags_list(tags),
            "creator": self._who(owner), "updated_by": self._who(owner), "_tags": dict(tags),
        }  # fmt: skip

    def _set_doc(
        self,
        sid: str,
        name: str,
        description: str | None,
        runs: list[list[Any]],
        tags: dict[str, str | None],
        owner: str,
    ) -> dict[str, Any]:
        now = self.stamp()
        return {
            "id": sid, "org_id": self.org, "created_at": now, "updated_at": now, "name": name,
            "description": description,
            "unit_test_runs": [{"unit_test_id": u, "run_count": n} for u, n in runs],
            "last_triggered_run_id": None, "is_deleted": False, "tags": tags_list(tags),
            "creator": self._who(owner), "updated_by": self._who(owner), "_tags": dict(tags),
        }  # fmt: skip
