"""The emulator's world: what exists in the emulated organization and how its simulations behave.

A world is read from a TOML file (``World.from_toml``) or built from a plain dict
(``World.from_dict``); both produce the same frozen model. Every object may name its ``id``;
otherwise the id is a deterministic 24-hex string derived from its kind and name
(``derive_id("set", "Checkout")``), so tests and users can reference objects across restarts.
The parts of a world (``Options``, ``User``, ``UnitTest``, ...) are defined in ``model.py`` and
re-exported here; the world file is read by ``world_parser``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pytest_amigo.emulator.model import (
    DEFAULT_SERVICES,
    PAIR_ORDERS,
    RELEASE,
    Behaviour,
    Metric,
    Options,
    Persona,
    RandomSessions,
    RunError,
    Scenario,
    Service,
    Session,
    ToolCall,
    UnitTest,
    UnitTestSet,
    User,
    VersionSet,
    WorldError,
    derive_id,
)
from pytest_amigo.emulator.world_parser import WorldParser

__all__ = [
    "PAIR_ORDERS",
    "RELEASE",
    "Behaviour",
    "Metric",
    "Options",
    "Persona",
    "RandomSessions",
    "RunError",
    "Scenario",
    "Service",
    "Session",
    "ToolCall",
    "UnitTest",
    "UnitTestSet",
    "User",
    "VersionSet",
    "World",
    "WorldError",
    "derive_id",
]


@dataclass(frozen=True)
class World:
    options: Options = field(default_factory=Options)
    users: tuple[User, ...] = ()
    metrics: tuple[Metric, ...] = ()
    personas: tuple[Persona, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    services: tuple[Service, ...] = DEFAULT_SERVICES
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
        parts = WorldParser(source).parts(data)
        return cls(**parts._asdict(), source=source)

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

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def summary(self) -> dict[str, Any]:
        """Ids of everything in the world (GET /_emulator/world, ``--list``)."""
        return {
            "organization": self.options.organization,
            "services": [
                {
                    "id": s.id,
                    "name": s.name,
                    "version_sets": [
                        {
                            "name": v.name,
                            "agent_version": v.agent_version,
                            "state_machine_version": v.state_machine_version,
                        }
                        for v in s.version_sets
                    ],
                }
                for s in self.services
            ],
            "sets": [
                {
                    "id": s.id,
                    "name": s.name,
                    "unit_tests": [{"id": u, "run_count": n} for u, n in s.unit_test_runs],
                }
                for s in self.sets
            ],
            "unit_tests": [
                {
                    "id": u.id,
                    "name": u.name,
                    "service_id": u.service_id,
                    "version_set": u.version_set,
                }
                for u in self.unit_tests
            ],
            "metrics": [{"id": m.id, "name": m.name, "type": m.type} for m in self.metrics],
            "personas": [{"id": p.id, "name": p.name} for p in self.personas],
            "scenarios": [{"id": s.id, "name": s.name} for s in self.scenarios],
            "users": [u.user_id for u in self.users],
        }
