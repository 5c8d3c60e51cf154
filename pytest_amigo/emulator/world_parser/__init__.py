"""Parsing a world file (or dict) into the parts of a world (``model.py``).

One parser per section, sharing the typed readers of :class:`~.reader.Reader`: ``catalog``
(``[emulator]``, users, metrics, personas, scenarios), ``services``, ``unit_tests`` and ``sets``.
:class:`WorldParser` reads the top level and checks what spans sections (unique ids and names,
references, the ``[faults]`` plan).
"""

from __future__ import annotations

from typing import Any

from pytest_amigo.emulator.model import Metric, Persona, Scenario, User, WorldParts
from pytest_amigo.emulator.world_parser.organization import CatalogSections
from pytest_amigo.emulator.world_parser.services import ServiceSections
from pytest_amigo.emulator.world_parser.sets import SetSections
from pytest_amigo.emulator.world_parser.unit_tests import UnitTestSections

__all__ = ["WorldParser"]

_SECTIONS = {
    "emulator", "users", "metrics", "personas", "scenarios", "services", "unit_tests", "sets",
    "faults",
}  # fmt: skip


class WorldParser(CatalogSections, ServiceSections, UnitTestSections, SetSections):
    """A whole world: its sections in dependency order."""

    def parts(self, data: dict[str, Any]) -> WorldParts:
        self._check_keys(self._table(data, "top level"), _SECTIONS, "top level")
        options = self.options(self._table(data.get("emulator", {}), "[emulator]"))
        users, metrics, personas, scenarios = self._organization(data)
        services = self.services(data)
        unit_tests = tuple(
            self.unit_test(t, f"unit_tests[{i}]", metrics, personas, scenarios, services)
            for i, t in enumerate(self._tables(data, "unit_tests"))
        )
        self._unique("unit_tests", [(u.id, u.name) for u in unit_tests])
        sets = tuple(
            self.unit_test_set(t, f"sets[{i}]", unit_tests)
            for i, t in enumerate(self._tables(data, "sets"))
        )
        self._unique("sets", [(s.id, s.name) for s in sets])
        faults = self._faults(data)
        return WorldParts(
            options, users, metrics, personas, scenarios, services, unit_tests, sets, faults
        )

    def _organization(
        self, data: dict[str, Any]
    ) -> tuple[tuple[User, ...], tuple[Metric, ...], tuple[Persona, ...], tuple[Scenario, ...]]:
        """Users (a default one if none), metrics, personas and scenarios, each unique."""
        users = tuple(
            self.user(t, f"users[{i}]") for i, t in enumerate(self._tables(data, "users"))
        )
        if not users:
            users = (User("ci-bot", "key-ci", "emulator-secret-ci"),)
        metrics = tuple(
            self.metric(t, f"metrics[{i}]") for i, t in enumerate(self._tables(data, "metrics"))
        )
        personas = tuple(
            self.persona(t, f"personas[{i}]") for i, t in enumerate(self._tables(data, "personas"))
        )
        scenarios = tuple(
            self.scenario(t, f"scenarios[{i}]")
            for i, t in enumerate(self._tables(data, "scenarios"))
        )
        for kind, items in (("metrics", metrics), ("personas", personas), ("scenarios", scenarios)):
            self._unique(kind, [(x.id, x.name) for x in items])
        self._unique("users", [(u.api_key_id, u.user_id) for u in users], check_names=False)
        return users, metrics, personas, scenarios

    def _faults(self, data: dict[str, Any]) -> dict[str, Any]:
        """``[faults]`` as given, once it parses as a fault plan."""
        faults = dict(self._table(data.get("faults", {}), "[faults]"))
        if faults:
            # imported here: the traffic layer pulls in pytest_amigo.api (amigo-sdk, ~2 s), which
            # a world without [faults] does not need
            from pytest_amigo.emulator.traffic import FaultPlanError, parse_fault_plan

            try:
                parse_fault_plan(faults)
            except FaultPlanError as exc:
                raise self.fail("[faults]", str(exc)) from None
        return faults
