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
        self._check_keys(t, {"id", "name", "version_sets"}, where)
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
        return Service(self._id(t, "service", name, where), name, version_sets)

    def version_set(self, v: dict[str, Any], where: str) -> VersionSet:
        self._check_keys(v, {"name", "agent_version", "state_machine_version"}, where)
        return VersionSet(
            self._str(v, "name", where),
            self._version(v, "agent_version", where),
            self._version(v, "state_machine_version", where),
        )

    def _version(self, v: dict[str, Any], key: str, where: str) -> int:
        value = v.get(key, 1)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise self.fail(where, f"'{key}' must be a positive integer, got {value!r}")
        return value
