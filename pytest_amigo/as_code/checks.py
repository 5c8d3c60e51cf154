"""Checks across files: duplicate names, dangling references, criteria a metric cannot meet."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .model import Catalog, Criterion, Definitions, MetricShape, Problem, UnitTest, Where
from .nodes import did_you_mean


def check(definitions: Definitions, catalog: Catalog) -> list[Problem]:
    """Every problem across the definitions (each file on its own is read already)."""
    problems: list[Problem] = []
    for kind, objects in (
        ("persona", definitions.personas),
        ("scenario", definitions.scenarios),
        ("unit test", definitions.unit_tests),
        ("set", definitions.sets),
    ):
        problems += duplicates(kind, [(o.name, o.where) for o in objects])
    personas = [p.name for p in definitions.personas]
    scenarios = [s.name for s in definitions.scenarios]
    for test in definitions.unit_tests:
        what = f"unit test '{test.name}'"
        problems += reference(what, "persona", test.persona, personas, test.persona_where)
        problems += reference(what, "scenario", test.scenario, scenarios, test.scenario_where)
        problems += service_of(test, catalog)
        problems += duplicates(f"{what}: criterion", [(c.name, c.where) for c in test.criteria])
        if catalog.metrics is not None:
            problems += (p for c in test.criteria for p in criterion(what, c, catalog.metrics))
    tests = [t.name for t in definitions.unit_tests]
    for unit_set in definitions.sets:
        what = f"set '{unit_set.name}'"
        problems += duplicates(
            f"{what}: unit test", [(e.unit_test, e.where) for e in unit_set.unit_tests]
        )
        for entry in unit_set.unit_tests:
            problems += reference(what, "unit test", entry.unit_test, tests, entry.where)
    return problems


def duplicates(kind: str, named: Iterable[tuple[str, Where]]) -> list[Problem]:
    first: dict[str, Where] = {}
    problems = []
    for name, where in named:
        if name in first:
            problems.append(
                Problem(where, f"{kind} '{name}' is defined twice (first at {first[name]})")
            )
        else:
            first[name] = where
    return problems


def reference(
    what: str, kind: str, name: str, defined: Sequence[str], where: Where
) -> list[Problem]:
    if not name or name in defined:  # empty: missing or wrong, reported where it is read
        return []
    hint = did_you_mean(name, defined)
    return [Problem(where, f"{what} names {kind} '{name}', which is not defined{hint}")]


def service_of(test: UnitTest, catalog: Catalog) -> list[Problem]:
    if catalog.services is None or not test.service or not test.version_set:
        return []
    what = f"unit test '{test.name}'"
    if test.service not in catalog.services:
        hint = did_you_mean(test.service, catalog.services)
        return [
            Problem(
                test.service_where,
                f"{what} names service '{test.service}', which the platform does not have{hint}",
            )
        ]
    version_sets = catalog.services[test.service]
    if test.version_set not in version_sets:
        hint = did_you_mean(test.version_set, version_sets)
        message = (
            f"{what} names version set '{test.version_set}', "
            f"which service '{test.service}' does not have{hint}"
        )
        return [Problem(test.version_set_where, message)]
    return []


def criterion(what: str, c: Criterion, metrics: Mapping[str, MetricShape]) -> list[Problem]:
    shape = metrics.get(c.metric)
    what = f"{what}: criterion '{c.name}'"
    if shape is None:
        hint = did_you_mean(c.metric, metrics)
        message = f"{what} names metric '{c.metric}', which the platform does not have{hint}"
        return [Problem(c.where, message)]
    if shape.kind != c.kind:
        message = f"{what}: metric '{c.metric}' is {shape.kind}, the criterion {c.kind}"
        return [Problem(c.where, f"{message}; {FORMS[shape.kind]}")]
    if c.kind == "numerical" and c.threshold is not None:
        low, high = shape.lower_bound, shape.upper_bound
        if (low is not None and c.threshold < low) or (high is not None and c.threshold > high):
            bounds = f"from {_number(low)} to {_number(high)}"
            message = f"{what}: threshold {c.threshold:g} is outside metric '{c.metric}' ({bounds})"
            return [Problem(c.where, message)]
    if c.kind == "categorical" and shape.categories is not None:
        unknown = [v for v in c.expected_values if v not in shape.categories]
        if unknown:
            hint = did_you_mean(unknown[0], shape.categories)
            categories = ", ".join(shape.categories)
            return [
                Problem(
                    c.where,
                    f"{what}: '{unknown[0]}' is not a category of metric '{c.metric}' "
                    f"({categories}){hint}",
                )
            ]
    return []


FORMS = {
    "boolean": "write 'expected: true' (or false)",
    "numerical": "write 'verb' and 'threshold'",
    "categorical": "write 'expected_values'",
}


def _number(value: float | None) -> str:
    return "unbounded" if value is None else f"{value:g}"
