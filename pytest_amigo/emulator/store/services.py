"""Services and their version sets: which exist, what a version set runs, how sessions go on it;
the version lists of agents, state machines and metrics.

A version set's ``null`` agent or state machine version is the latest one, resolved when a run is
created (:meth:`Services._resolved`): the run's spec names the number it ran.

What a simulated session does depends on the conversation (persona, scenario), the success
criteria and the agent version (the unit test's version set), not on the unit test's id: a unit
test created through the API behaves like its *twin*, the first world unit test with the same
persona, scenario and criteria, so a copy of a unit test on a candidate version set behaves like
the original on that candidate.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from pytest_amigo.domain import Criterion
from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.errors import NotFound
from pytest_amigo.emulator.store.documents import Documents

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


class Services(Documents):
    """The world's services: version set checks, versions of a run, sessions per version set."""

    def __init__(self, world: w.World) -> None:
        super().__init__(world)
        self.agent_versions = {s.agent_id: s.agent_versions for s in world.services}
        """How many versions each agent has (the latest is that number)."""
        self.state_machine_versions = {
            s.state_machine_id: s.state_machine_versions for s in world.services
        }
        self.metric_versions: dict[str, int] = {}
        """How many versions a metric has, when more than one (see ``push_metric_version``)."""

    def push_agent_version(self, service_id: str) -> int:
        """A new latest version of the service's agent (a version set naming ``latest`` runs it
        from the next run on); returns its number."""
        with self.lock:
            service = self.world.service(service_id)
            if service is None:
                raise NotFound(f"Service {service_id} not found.")
            self.agent_versions[service.agent_id] += 1
            return self.agent_versions[service.agent_id]

    def push_metric_version(self, metric_id: str) -> int:
        """A new latest version of a metric (same description and value): the sessions of
        runs created from now on are judged with it; returns its number."""
        with self.lock:
            self._found(self.metrics, metric_id, "Metric")
            self.metric_versions[metric_id] = self.metric_versions.get(metric_id, 1) + 1
            return self.metric_versions[metric_id]

    def _resolved(self, service_id: str, name: str) -> tuple[int, int, dict[str, Any]]:
        """(agent version, state machine version, LLM preferences) a run of version set ``name``
        runs now: a ``null`` number is the latest version."""
        version_set = self._version_set(service_id, name)
        agent_id, machine_id = (
            w.derive_id("agent", service_id),
            w.derive_id("state_machine", service_id),
        )
        agent = version_set.agent_version or self.agent_versions.get(agent_id, 1)
        machine = version_set.state_machine_version or self.state_machine_versions.get(
            machine_id, 1
        )
        preferences = {k: dict(v) for k, v in version_set.llm_model_preferences.items()}
        return agent, machine, preferences

    def service_docs(self, user: w.User) -> list[dict[str, Any]]:
        """``ServiceInstance`` documents, as the service list answers them (a user without
        ``Service:GetService`` sees none: the list leaves out what the caller may not read)."""
        if "Service:GetService" in user.denied_permissions:
            return []
        owner = self._who(self.world.users[0].user_id if self.world.users else "emulator")
        return [
            {
                "id": s.id, "name": s.name, "description": f"The {s.name} service.",
                "version_sets": {
                    v.name: {
                        "agent_version_number": v.agent_version,
                        "service_hierarchical_state_machine_version_number":
                            v.state_machine_version,
                        "llm_model_preferences": v.llm_model_preferences,
                    }
                    for v in s.version_sets
                },
                "is_active": True, "service_hierarchical_state_machine_id": s.state_machine_id,
                "agent_id": s.agent_id, "tags": [], "keyterms": [], "creator": owner,
                "updated_by": owner,
            }
            for s in self.world.services
        ]  # fmt: skip

    def agent_version_docs(self, agent_id: str) -> list[dict[str, Any]]:
        """``AgentInstance`` of every version of an agent, oldest first (404 if unknown)."""
        return self._numbered(self.agent_versions, agent_id, "Agent", self._agent_version)

    def state_machine_version_docs(self, machine_id: str) -> list[dict[str, Any]]:
        """``ServiceHierarchicalStateMachineInstance`` of every version, oldest first."""
        what = "Service hierarchical state machine"
        counts = self.state_machine_versions
        return self._numbered(counts, machine_id, what, self._state_machine_version)

    def _numbered(
        self,
        counts: dict[str, int],
        oid: str,
        what: str,
        build: Callable[[str, int], dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Versions 1..N of ``oid`` (N: ``counts[oid]``), built by ``build``; ``404 "<what>
        not found."`` if it has none."""
        with self.lock:
            count = counts.get(oid)
            if count is None:
                raise NotFound(f"{what} not found.")
            return [build(oid, n) for n in range(1, count + 1)]

    def metric_version_docs(self, metric_id: str) -> list[dict[str, Any]]:
        """``MetricVersionInstance`` of every version of a metric (one unless pushed), oldest
        first."""
        with self.lock:
            doc = self._found(self.metrics, metric_id, "Metric")
            return [
                {
                    "metric_id": metric_id, "version": number,
                    "description": doc["_description"] or f"Judge '{doc['name']}'.",
                    "metric_value": doc["_value"], "creator": doc["creator"],
                    "created_at": doc["created_at"],
                }
                for number in range(1, self.metric_versions.get(metric_id, 1) + 1)
            ]  # fmt: skip

    def _agent_version(self, agent_id: str, number: int) -> dict[str, Any]:
        return {
            "org_id": self.org, "agent_id": agent_id, "version": number, "voice_config": None,
            "initials": "EA",
            "identity": {
                "name": "Emulated agent", "role": "Support agent", "developed_by": self.org,
                "default_spoken_language": "eng",
                "relationship_to_developer": {
                    "ownership": self.org, "type": "assistant",
                    "conversation_visibility": "visible", "thought_visibility": "visible",
                },
            },
            "background": f"Version {number} of the emulated agent.", "behaviors": [],
            "communication_patterns": [], "created_at": self.stamp(),
            "creator": self._who("emulator"),
        }  # fmt: skip

    def _state_machine_version(self, machine_id: str, number: int) -> dict[str, Any]:
        return {
            "org_id": self.org, "service_hierarchical_state_machine_id": machine_id,
            "version": number, "created_at": self.stamp(), "creator": self._who("emulator"),
            "description": f"Version {number} of the emulated state machine.", "states": [],
            "new_user_initial_state": "start", "returning_user_initial_state": "start",
            "terminal_state": "end", "references": {},
            "global_intra_state_navigation_guidelines": [], "global_action_guidelines": [],
            "global_boundary_constraints": [],
        }  # fmt: skip

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
