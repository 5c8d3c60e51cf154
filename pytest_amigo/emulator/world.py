"""The emulator's world: what exists in the emulated organization and how its simulations behave.

A world is read from a TOML file (``World.from_toml``) or built from a plain dict
(``World.from_dict``); both produce the same frozen model. Every object may name its ``id``;
otherwise the id is a deterministic 24-hex string derived from its kind and name
(``derive_id("set", "Checkout")``), so tests and users can reference objects across restarts.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

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
    service_id: str = derive_id("service", "Emulated service")


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


@dataclass(frozen=True)
class World:
    options: Options = field(default_factory=Options)
    users: tuple[User, ...] = ()
    metrics: tuple[Metric, ...] = ()
    personas: tuple[Persona, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    unit_tests: tuple[UnitTest, ...] = ()
    sets: tuple[UnitTestSet, ...] = ()
    source: str = "<dict>"
    faults: dict[str, Any] = field(default_factory=dict)
    """``[faults]``: the fault plan in force from the start (see traffic.FaultPlan)."""

    @classmethod
    def from_toml(cls, path: str | Path) -> World:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise WorldError(f"{path}: world file not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise WorldError(f"{path}: invalid TOML: {exc}") from exc
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>") -> World:
        from pytest_amigo.emulator.world_parser import WorldParser

        return WorldParser(source).world(data)

    @classmethod
    def default(cls) -> World:
        """The demo world shipped with the package (``default_world.toml``)."""
        return cls.from_toml(Path(__file__).with_name("default_world.toml"))

    def with_options(self, **overrides: Any) -> World:
        unknown = set(overrides) - set(Options.__dataclass_fields__)
        if unknown:
            raise WorldError(f"{self.source}: unknown emulator option(s) {sorted(unknown)}")
        if overrides.get("pair_order", PAIR_ORDERS[0]) not in PAIR_ORDERS:
            raise WorldError(f"{self.source}: 'pair_order' must be one of {list(PAIR_ORDERS)}")
        return replace(self, options=replace(self.options, **overrides))

    def metric(self, metric_id: str) -> Metric:
        return next(m for m in self.metrics if m.id == metric_id)

    def summary(self) -> dict[str, Any]:
        """Ids of everything in the world (GET /_emulator/world, ``--list``)."""
        return {
            "organization": self.options.organization,
            "sets": [
                {
                    "id": s.id,
                    "name": s.name,
                    "unit_tests": [{"id": u, "run_count": n} for u, n in s.unit_test_runs],
                }
                for s in self.sets
            ],
            "unit_tests": [{"id": u.id, "name": u.name} for u in self.unit_tests],
            "metrics": [{"id": m.id, "name": m.name, "type": m.type} for m in self.metrics],
            "personas": [{"id": p.id, "name": p.name} for p in self.personas],
            "scenarios": [{"id": s.id, "name": s.name} for s in self.scenarios],
            "users": [u.user_id for u in self.users],
        }
