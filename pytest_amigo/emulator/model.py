"""The parts of a world: frozen descriptions of the emulated organization's objects.

``world.py`` assembles them into a :class:`~pytest_amigo.emulator.world.World` (and re-exports
them); ``world_parser`` builds them from a world file or dict. This module imports neither, so
both can depend on it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pytest_amigo.domain import Criterion, MetricValue


class WorldError(ValueError):
    """A world file or dict that cannot be used; the message names the source and the problem."""


def derive_id(kind: str, name: str) -> str:
    """The deterministic id of a world object: first 24 hex digits of sha1("<kind>:<name>")."""
    return hashlib.sha1(f"{kind}:{name}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Options:
    organization: str = "acme"
    speed: float = 1.0
    token_ttl: float = 3600.0
    artifacts_delay: float = 5.0
    artifact_url_ttl: float = 300.0
    artifact_padding_bytes: int = 0
    seed: int = 0
    rate_limits: bool = True
    rate_limit_window: float = 60.0
    partial_results: bool = False
    """A run that ends early reports the finished sessions of unfinished unit tests."""
    pair_order: str = "session"
    """``session`` or ``rotated``: the order of the (evaluation id, passed) pairs."""


PAIR_ORDERS = ("session", "rotated")


@dataclass(frozen=True)
class User:
    user_id: str
    api_key_id: str
    api_key: str
    denied_permissions: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()
    """``runs`` and/or ``sets``: what the lists silently leave out for this user."""

    def credentials(self) -> dict[str, str]:
        return {"api_key": self.api_key, "api_key_id": self.api_key_id, "user_id": self.user_id}


@dataclass(frozen=True)
class Metric:
    id: str
    name: str
    type: str
    description: str = ""
    lower_bound: float | None = None
    upper_bound: float | None = None
    categories: tuple[str, ...] = ()

    def value_spec(self) -> dict[str, Any]:
        if self.type == "numerical":
            return {
                "type": "numerical",
                "lower_bound": self.lower_bound if self.lower_bound is not None else 0.0,
                "upper_bound": self.upper_bound if self.upper_bound is not None else 10.0,
            }
        if self.type == "categorical":
            return {"type": "categorical", "categories": list(self.categories)}
        return {"type": "boolean"}


@dataclass(frozen=True)
class Persona:
    id: str
    name: str
    role: str
    background: str


@dataclass(frozen=True)
class Scenario:
    id: str
    name: str
    objective: str
    instructions: str


@dataclass(frozen=True)
class ToolCall:
    tool: str
    succeeded: bool = True
    output: str = "ok"
    exception: str = ""
    exception_type: str = "ToolError"
    stack_trace: tuple[str, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)
    duration_ms: int = 120

    @property
    def tool_id(self) -> str:
        return derive_id("tool", self.tool)


@dataclass(frozen=True)
class Session:
    """How one simulated session of a unit test behaves."""

    duration: float
    values: dict[str, MetricValue] = field(default_factory=dict)
    justifications: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    tools: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class RandomSessions:
    pass_rate: float = 1.0
    error_rate: float = 0.0
    duration: tuple[float, float] = (30.0, 90.0)


@dataclass(frozen=True)
class Behaviour:
    """How the sessions of a unit test go: scripted ``sessions``, ``random`` draws, or (neither)
    sessions of ``duration`` world seconds meeting every criterion."""

    duration: float = 60.0
    sessions: tuple[Session, ...] = ()
    random: RandomSessions | None = None


DEFAULT_SERVICE = "Emulated service"
"""The service of a world without ``[[services]]`` (and of its unit tests)."""
RELEASE = "release"
"""The version set a unit test runs on unless it says otherwise."""


@dataclass(frozen=True)
class VersionSet:
    """A named agent version + state machine version of a service (``release``, ``pr-123``).

    ``None``: the latest version, resolved when a run is created (the contract's ``null``)."""

    name: str
    agent_version: int | None = 1
    state_machine_version: int | None = 1
    llm_model_preferences: dict[str, Any] = field(default_factory=dict)
    """``{LLM interaction: {"llm_name", "params"}}`` as the contract's ``VersionSet`` has it."""


@dataclass(frozen=True)
class Service:
    id: str
    name: str
    version_sets: tuple[VersionSet, ...] = (VersionSet(RELEASE),)
    agent_versions: int = 1
    """How many versions its agent has (the latest is this number)."""
    state_machine_versions: int = 1
    """How many versions its state machine has."""

    def version_set(self, name: str) -> VersionSet | None:
        return next((v for v in self.version_sets if v.name == name), None)

    @property
    def agent_id(self) -> str:
        return derive_id("agent", self.id)

    @property
    def state_machine_id(self) -> str:
        return derive_id("state_machine", self.id)


DEFAULT_SERVICES = (Service(derive_id("service", DEFAULT_SERVICE), DEFAULT_SERVICE),)


@dataclass(frozen=True)
class UnitTest:
    id: str
    name: str
    description: str
    persona_id: str
    scenario_id: str
    criteria: tuple[Criterion, ...]
    max_interactions: int = 10
    duration: float = 60.0
    sessions: tuple[Session, ...] = ()
    random: RandomSessions | None = None
    service_id: str = derive_id("service", DEFAULT_SERVICE)
    version_set: str = RELEASE
    """The ``service_version_set_name`` of its document."""
    version_sets: dict[str, Behaviour] = field(default_factory=dict)
    """How its sessions go on other version sets (``[unit_tests.version_sets.<name>]``)."""

    def behaviour(self, version_set: str) -> Behaviour:
        """How its sessions go on ``version_set``: that version set's, else its own."""
        found = self.version_sets.get(version_set)
        return found if found is not None else Behaviour(self.duration, self.sessions, self.random)


@dataclass(frozen=True)
class RunError:
    after: float
    message: str


@dataclass(frozen=True)
class UnitTestSet:
    id: str
    name: str
    description: str | None
    unit_test_runs: tuple[tuple[str, int], ...]
    run_error: RunError | None = None
    artifacts: bool = True
    """False: runs of this set never get ``artifacts_generated``."""
    new_persona_versions: int = 0
    """A fault: the first N runs of this set are each created just after a new version of
    every persona its unit tests use was pushed (what a reader saw before is then stale)."""


class WorldParts(NamedTuple):
    """Everything a world file describes, as the parser reads it (``World`` adds its source)."""

    options: Options
    users: tuple[User, ...]
    metrics: tuple[Metric, ...]
    personas: tuple[Persona, ...]
    scenarios: tuple[Scenario, ...]
    services: tuple[Service, ...]
    unit_tests: tuple[UnitTest, ...]
    sets: tuple[UnitTestSet, ...]
    faults: dict[str, Any]
