"""``[[services]]``: services and their version sets (which agent and state machine versions run).

Without ``[[services]]`` the world has the default service (``Emulated service``) plus one per
other ``service`` name its unit tests give, each with the one version set ``release`` (agent
version 1, state machine version 1): what worlds got before services were modelled.
"""

from __future__ import annotations

from typing import Any

from pytest_amigo.emulator.model import (
    DEFAULT_SERVICE,
    RELEASE,
    Service,
    VersionSet,
    derive_id,
)
from pytest_amigo.emulator.world_parser.reader import Reader


class ServiceSections(Reader):
    """The world's services, declared or implied by its unit tests."""

    def services(self, data: dict[str, Any]) -> tuple[Service, ...]:
        tables = self._tables(data, "services")
        if not tables:
            return self._implied_services(data)
        services = tuple(self.service(t, f"services[{i}]") for i, t in enumerate(tables))
        self._unique("services", [(s.id, s.name) for s in services])
        return services

    def _implied_services(self, data: dict[str, Any]) -> tuple[Service, ...]:
        names = [DEFAULT_SERVICE]
        for t in self._tables(data, "unit_tests"):
            name = t.get("service")
            if isinstance(name, str) and name not in names:
                names.append(name)
        return tuple(Service(derive_id("service", n), n) for n in names)

    def service(self, t: dict[str, Any], where: str) -> Service:
        keys = {"id", "name", "version_sets", "agent_versions", "state_machine_versions"}
        self._check_keys(t, keys, where)
        name = self._str(t, "name", where)
        raw = t.get("version_sets", [{"name": RELEASE}])
        if not isinstance(raw, list) or not raw:
            raise self.fail(where, "'version_sets' must be a non-empty list of inline tables")
        version_sets = tuple(
            self.version_set(
                self._table(v, f"{where}.version_sets[{j}]"), f"{where}.version_sets[{j}]"
            )
            for j, v in enumerate(raw)
        )
        self._distinct(f"{where}.version_sets", [v.name for v in version_sets], "name")
        agents = self._count(t, "agent_versions", [v.agent_version for v in version_sets], where)
        machines = self._count(
            t, "state_machine_versions", [v.state_machine_version for v in version_sets], where
        )
        service_id = self._id(t, "service", name, where)
        return Service(service_id, name, version_sets, agents, machines)

    def version_set(self, v: dict[str, Any], where: str) -> VersionSet:
        keys = {"name", "agent_version", "state_machine_version", "llm_model_preferences"}
        self._check_keys(v, keys, where)
        return VersionSet(
            self._str(v, "name", where),
            self._version(v, "agent_version", where),
            self._version(v, "state_machine_version", where),
            self._preferences(v, where),
        )

    def _version(self, v: dict[str, Any], key: str, where: str) -> int | None:
        """A version number, or ``"latest"`` (``None``: resolved when a run is created)."""
        value = v.get(key, 1)
        if value == "latest":
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(
                where, f"'{key}' must be a positive integer or \"latest\", got {value!r}"
            )
        return value

    def _count(self, t: dict[str, Any], key: str, named: list[int | None], where: str) -> int:
        """How many versions exist: ``key``, else the highest a version set names (at least 1);
        never fewer than a version set names."""
        highest = max([n for n in named if n is not None], default=1)
        value = t.get(key, highest)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(where, f"'{key}' must be a positive integer, got {value!r}")
        if value < highest:
            raise self.fail(where, f"'{key}' is {value} but a version set names version {highest}")
        return value

    def _preferences(self, v: dict[str, Any], where: str) -> dict[str, Any]:
        """``{interaction: {llm_name, params}}`` with ``params`` defaulting to ``{}``."""
        place = f"{where}.llm_model_preferences"
        out: dict[str, Any] = {}
        for interaction, raw in self._table(v.get("llm_model_preferences", {}), place).items():
            config = self._table(raw, f"{place}.{interaction}")
            self._check_keys(config, {"llm_name", "params"}, f"{place}.{interaction}")
            params = self._table(config.get("params", {}), f"{place}.{interaction}.params")
            llm_name = self._str(config, "llm_name", f"{place}.{interaction}")
            out[interaction] = {"llm_name": llm_name, "params": dict(params)}
        return out
