"""Unit tests and unit test sets: references (service and version set included), names and
deletion rules."""

from __future__ import annotations

from typing import Any

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.errors import BadRequest, Conflict, NotFound
from pytest_amigo.emulator.store.documents import Documents, tags_list
from pytest_amigo.emulator.store.services import Services


class UnitTests(Services):
    """Simulation unit tests: their service and version set, persona, scenario and metrics must
    exist."""

    def unit_test(self, uid: str) -> dict[str, Any]:
        return self._found(self.unit_tests, uid, "Simulation unit test")

    def _check_unit_test_refs(
        self, data: dict[str, Any], doc: dict[str, Any] | None = None
    ) -> None:
        """``404`` for what ``data`` (a create body, or an update's fields of ``doc``) refers to
        and does not exist; ``400`` for a criterion of another type than its metric."""
        if "service_id" in data or "service_version_set_name" in data:
            now = {**(doc or {}), **data}
            self._check_version_set(now["service_id"], now["service_version_set_name"])
        if data.get("persona_id") is not None:
            p = self.personas.get(data["persona_id"])
            if p is None or p["is_deleted"]:
                raise NotFound("Simulation persona not found.")
        if data.get("scenario_id") is not None:
            s = self.scenarios.get(data["scenario_id"])
            if s is None or s["is_deleted"]:
                raise NotFound("Simulation scenario not found.")
        for c in data.get("success_criterions") or []:
            metric = self.metrics.get(c["metric_id"])
            if metric is None or metric["is_deleted"]:
                raise NotFound(f"Metric {c['metric_id']} not found.")
            if metric["metric_value_type"] != c["criterion"]["type"]:
                raise BadRequest(
                    f"The success criterion {c['name']!r} is {c['criterion']['type']} but metric "
                    f"{c['metric_id']} is {metric['metric_value_type']}."
                )

    def create_unit_test(self, data: dict[str, Any], user: w.User) -> str:
        with self.lock:
            self._check_unit_test_refs(data)
            name = data["name"].strip()
            if self._name_taken(self.unit_tests.values(), name):
                raise Conflict("A simulation unit test with this name already exists.")
            uid = self.new_id()
            self.unit_tests[uid] = self._unit_test_doc(
                uid, name, data["description"], data["service_id"],
                data["service_version_set_name"], data["persona_id"], data["scenario_id"],
                data["max_interactions"], data["success_criterions"], data["tags"], user.user_id,
            )  # fmt: skip
            return uid

    def update_unit_test(self, uid: str, data: dict[str, Any], user: w.User) -> None:
        """``data``: the fields sent (not null)."""
        with self.lock:
            doc = self.unit_test(uid)
            self._check_unit_test_refs(data, doc)
            for key in (
                "description", "service_id", "service_version_set_name", "persona_id",
                "scenario_id", "max_interactions", "success_criterions",
            ):  # fmt: skip
                if key in data:
                    doc[key] = data[key]
            if "tags" in data:
                doc["_tags"] = data["tags"]
                doc["tags"] = tags_list(data["tags"])
            if "run_count" in data:
                doc["_run_count"] = data["run_count"]
            self._touch(doc, user)

    def delete_unit_test(self, uid: str, user: w.User) -> None:
        with self.lock:
            doc = self.unit_test(uid)
            if any(
                r["unit_test_id"] == uid and not s["is_deleted"]
                for s in self.sets.values()
                for r in s["unit_test_runs"]
            ):
                raise BadRequest("The simulation unit test is used by a unit test set.")
            doc["is_deleted"] = True
            self._touch(doc, user)


class UnitTestSets(Documents):
    """Simulation unit test sets: their unit tests must exist."""

    def unit_test_set(self, sid: str) -> dict[str, Any]:
        return self._found(self.sets, sid, "Simulation unit test set")

    def _check_set_runs(self, runs: list[dict[str, Any]]) -> None:
        for r in runs:
            doc = self.unit_tests.get(r["unit_test_id"])
            if doc is None or doc["is_deleted"]:
                raise NotFound(f"Simulation unit test {r['unit_test_id']} not found.")

    def create_set(self, data: dict[str, Any], user: w.User) -> str:
        with self.lock:
            self._check_set_runs(data["unit_test_runs"])
            name = data["name"].strip()
            if self._name_taken(self.sets.values(), name):
                raise Conflict("A simulation unit test set with this name already exists.")
            sid = self.new_id()
            runs = [[r["unit_test_id"], r["run_count"]] for r in data["unit_test_runs"]]
            self.sets[sid] = self._set_doc(
                sid, name, data["description"], runs, data["tags"], user.user_id
            )
            return sid

    def update_set(self, sid: str, changes: dict[str, Any], user: w.User) -> None:
        """``changes``: any of ``name``, ``description``, ``unit_test_runs``, ``tags``."""
        with self.lock:
            doc = self.unit_test_set(sid)
            if "name" in changes:
                name = changes["name"].strip()
                if self._name_taken(self.sets.values(), name, but=doc):
                    raise Conflict("A simulation unit test set with this name already exists.")
                doc["name"] = name
            if "description" in changes:
                description = changes["description"]
                doc["description"] = description if isinstance(description, str) else None
            if "unit_test_runs" in changes:
                runs = changes["unit_test_runs"]
                self._check_set_runs(runs)
                doc["unit_test_runs"] = [
                    {"unit_test_id": r["unit_test_id"], "run_count": r["run_count"]} for r in runs
                ]
            if "tags" in changes:
                doc["_tags"] = changes["tags"]
                doc["tags"] = tags_list(changes["tags"])
            self._touch(doc, user)

    def delete_set(self, sid: str, user: w.User) -> None:
        with self.lock:
            doc = self.unit_test_set(sid)
            doc["is_deleted"] = True
            self._touch(doc, user)
