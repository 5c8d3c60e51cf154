"""Sections of the organization: ``[emulator]`` options, users, metrics, personas, scenarios."""

from __future__ import annotations

from typing import Any

from pytest_amigo.emulator.model import (
    PAIR_ORDERS,
    Metric,
    Options,
    Persona,
    Scenario,
    User,
)
from pytest_amigo.emulator.world_parser.reader import Reader

PERMISSIONS_HINT = "e.g. 'Simulation:GetSimulationUnitTest'"
HIDDEN_KINDS = ("runs", "sets")


class CatalogSections(Reader):
    """``[emulator]``, ``[[users]]``, ``[[metrics]]``, ``[[personas]]``, ``[[scenarios]]``."""

    def options(self, t: dict[str, Any]) -> Options:
        where = "[emulator]"
        self._check_keys(t, set(Options.__dataclass_fields__), where)
        d = Options()
        speed = self._num(t, "speed", where, d.speed)
        if speed <= 0:
            raise self.fail(where, "'speed' must be positive")
        rate_limits = t.get("rate_limits", d.rate_limits)
        if not isinstance(rate_limits, bool):
            raise self.fail(where, "'rate_limits' must be true or false")
        padding = t.get("artifact_padding_bytes", 0)
        seed = t.get("seed", 0)
        if not isinstance(padding, int) or isinstance(padding, bool) or padding < 0:
            raise self.fail(where, "'artifact_padding_bytes' must be a non-negative integer")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise self.fail(where, "'seed' must be an integer")
        partial = t.get("partial_results", d.partial_results)
        if not isinstance(partial, bool):
            raise self.fail(where, "'partial_results' must be true or false")
        pair_order = t.get("pair_order", d.pair_order)
        if pair_order not in PAIR_ORDERS:
            raise self.fail(where, f"'pair_order' must be one of {list(PAIR_ORDERS)}")
        return Options(
            organization=self._str(t, "organization", where, d.organization),
            speed=speed,
            token_ttl=self._num(t, "token_ttl", where, d.token_ttl),
            artifacts_delay=self._num(t, "artifacts_delay", where, d.artifacts_delay),
            artifact_url_ttl=self._num(t, "artifact_url_ttl", where, d.artifact_url_ttl),
            artifact_padding_bytes=padding,
            seed=seed,
            rate_limits=rate_limits,
            rate_limit_window=self._num(t, "rate_limit_window", where, d.rate_limit_window),
            partial_results=partial,
            pair_order=pair_order,
        )

    def user(self, t: dict[str, Any], where: str) -> User:
        self._check_keys(
            t, {"user_id", "api_key_id", "api_key", "denied_permissions", "hidden"}, where
        )
        denied = t.get("denied_permissions", [])
        if not isinstance(denied, list) or not all(isinstance(p, str) for p in denied):
            raise self.fail(
                where, f"'denied_permissions' must be a list of strings, {PERMISSIONS_HINT}"
            )
        hidden = t.get("hidden", [])
        if not isinstance(hidden, list) or not all(h in HIDDEN_KINDS for h in hidden):
            raise self.fail(where, f"'hidden' must be a list of {list(HIDDEN_KINDS)}")
        return User(
            self._str(t, "user_id", where),
            self._str(t, "api_key_id", where),
            self._str(t, "api_key", where),
            frozenset(denied),
            frozenset(hidden),
        )

    def metric(self, t: dict[str, Any], where: str) -> Metric:
        allowed = {"id", "name", "type", "description", "lower_bound", "upper_bound", "categories"}
        self._check_keys(t, allowed, where)
        name = self._str(t, "name", where)
        kind = self._str(t, "type", where, "boolean")
        if kind not in ("boolean", "numerical", "categorical"):
            raise self.fail(
                where, f"'type' must be boolean, numerical or categorical, got {kind!r}"
            )
        categories = t.get("categories", [])
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            raise self.fail(where, "'categories' must be a list of strings")
        if kind == "categorical" and not categories:
            raise self.fail(where, "a categorical metric needs 'categories'")
        lower = self._num(t, "lower_bound", where, 0.0) if "lower_bound" in t else None
        upper = self._num(t, "upper_bound", where, 10.0) if "upper_bound" in t else None
        return Metric(
            self._id(t, "metric", name, where),
            name,
            kind,
            str(t.get("description", f"Judge whether: {name}.")),
            lower,
            upper,
            tuple(categories),
        )

    def persona(self, t: dict[str, Any], where: str) -> Persona:
        name = self._str(t, "name", where)
        return Persona(
            self._id(t, "persona", name, where),
            name,
            self._str(t, "role", where, "Customer"),
            self._str(t, "background", where, f"{name} is a typical customer."),
        )

    def scenario(self, t: dict[str, Any], where: str) -> Scenario:
        name = self._str(t, "name", where)
        return Scenario(
            self._id(t, "scenario", name, where),
            name,
            self._str(t, "objective", where, f"Get help with: {name}."),
            self._str(t, "instructions", where, "Describe the problem politely."),
        )
