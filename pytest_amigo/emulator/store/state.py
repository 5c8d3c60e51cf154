"""The store's shared state: documents by kind, runs, tokens, clock, lock, ids."""

from __future__ import annotations

import itertools
import random
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.errors import NotFound, invalid
from pytest_amigo.emulator.planned_runs import Run
from pytest_amigo.emulator.store.clock import Clock, iso


@dataclass
class Token:
    user: w.User
    expires_at: float
    """Epoch seconds (real time)."""


class StoreState:
    """What every part of the store shares: the world, the clock, the lock, the documents."""

    def __init__(self, world: w.World) -> None:
        self.world = world
        self.options = world.options
        self.org = world.options.organization
        self.clock = Clock(world.options.speed)
        self.lock = threading.RLock()
        self.secret = secrets.token_bytes(32)
        self.rng = random.Random(world.options.seed)
        self._counter = itertools.count(1)
        self._epoch = int(time.time())
        self.tokens: dict[str, Token] = {}
        self.users = {u.api_key_id: u for u in world.users}
        self.personas: dict[str, dict[str, Any]] = {}
        self.persona_versions: dict[str, list[dict[str, Any]]] = {}
        self.scenarios: dict[str, dict[str, Any]] = {}
        self.scenario_versions: dict[str, list[dict[str, Any]]] = {}
        self.metrics: dict[str, dict[str, Any]] = {}
        self.unit_tests: dict[str, dict[str, Any]] = {}
        self.world_unit_tests = {u.id: u for u in world.unit_tests}
        """The world's unit tests by id: how their sessions go (see ``services``)."""
        self.sets: dict[str, dict[str, Any]] = {}
        self.set_run_errors: dict[str, w.RunError] = {}
        self.sets_without_artifacts: set[str] = set()
        self.persona_pushes: dict[str, int] = {}
        """Set id -> runs still to be created just after a new persona version (a fault)."""
        self.runs: dict[str, Run] = {}
        self.artifact_tokens: dict[str, str] = {}

    # -- ids, time, documents ----------------------------------------------------------------
    def new_id(self) -> str:
        return f"{self._epoch:08x}{next(self._counter):016x}"

    def now(self) -> float:
        return self.clock.now()

    def stamp(self) -> str:
        return iso(self.clock.at(self.now()))

    def _who(self, user_id: str) -> dict[str, str]:
        return {"org_id": self.org, "user_id": user_id}

    @staticmethod
    def public(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if not k.startswith("_")}

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise invalid(["body", "advance"], "must not be negative", seconds)
        with self.lock:
            return self.clock.advance(float(seconds))

    def _touch(self, doc: dict[str, Any], user: w.User) -> None:
        doc["updated_at"] = self.stamp()
        doc["updated_by"] = self._who(user.user_id)

    @staticmethod
    def _found(docs: dict[str, dict[str, Any]], oid: str, what: str) -> dict[str, Any]:
        """The document ``oid`` of ``docs``; ``404 "<what> not found."`` when there is none."""
        doc = docs.get(oid)
        if doc is None:
            raise NotFound(f"{what} not found.")
        return doc

    @staticmethod
    def _name_taken(docs: Iterable[dict[str, Any]], name: str, but: Any = None) -> bool:
        return any(d["name"] == name and not d["is_deleted"] and d is not but for d in docs)
