"""Services and their version sets: which exist, what a version set runs, how sessions go on it.

What a simulated session does depends on the conversation (persona, scenario), the success
criteria and the agent version (the unit test's version set), not on the unit test's id: a unit
test created through the API behaves like its *twin*, the first world unit test with the same
persona, scenario and criteria, so a copy of a unit test on a candidate version set behaves like
the original on that candidate.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from pytest_amigo.domain import Criterion
from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.errors import NotFound
from pytest_amigo.emulator.store.state import StoreState

TwinKey = tuple[str, str, tuple[Criterion, ...]]


def twin_key(persona_id: str, scenario_id: str, criteria: list[Criterion]) -> TwinKey:
    """What a unit test's sessions depend on besides the version set (criteria in any order)."""
    return persona_id, scenario_id, tuple(sorted(criteria, key=repr))


def doc_criteria(doc: dict[str, Any]) -> list[Criterion]:
    """The success criteria of a unit test document."""
    return [
        Criterion.from_api(c["name"], c["metric_id"], c["criterion"])
        for c in doc["success_criterions"]
    ]


class Services(StoreState):
    """The world's services: version set checks, versions of a run, sessions per version set."""

    def _check_version_set(self, service_id: str, name: str) -> None:
        """``404`` unless ``service_id`` is a service of the world with a version set ``name``."""
        service = self.world.service(service_id)
        if service is None:
            raise NotFound(f"Service {service_id} not found.")
        if service.version_set(name) is None:
            raise NotFound(f"Service version set {name!r} not found for service {service_id}.")

    def _version_set(self, service_id: str, name: str) -> w.VersionSet:
        """The version set a unit test document names (version 1 of everything if unknown)."""
        service = self.world.service(service_id)
        found = service.version_set(name) if service is not None else None
        return found if found is not None else w.VersionSet(name)

    @cached_property
    def _twins(self) -> dict[TwinKey, w.UnitTest]:
        twins: dict[TwinKey, w.UnitTest] = {}
        for u in self.world.unit_tests:
            twins.setdefault(twin_key(u.persona_id, u.scenario_id, list(u.criteria)), u)
        return twins

    def _behaviour(self, uid: str) -> w.Behaviour:
        """How the sessions of unit test ``uid`` go on its version set: a world unit test's (or
        its twin's) sessions on that version set; else 60 s sessions meeting every criterion."""
        doc = self.unit_tests[uid]
        model = self.world_unit_tests.get(uid)
        if model is None:
            key = twin_key(doc["persona_id"], doc["scenario_id"], doc_criteria(doc))
            model = self._twins.get(key)
        if model is None:
            return w.Behaviour()
        return model.behaviour(doc["service_version_set_name"])
