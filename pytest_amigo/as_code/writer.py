"""Write definitions as YAML files (``export``): what ``loader`` reads back unchanged.

Defaults are left out (an empty ``tags``, ``initial_message_type: user-message``), multi-line
text is written as a block (``|``) so a reviewer reads it as written, keys keep the format's order.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .model import Criterion, Definition, Definitions, Persona, Scenario, UnitTest

HEADER = "# Written by `pytest-amigo export`; the format: docs/tests-as-code.md\n"
FILES = {
    "personas": "personas.yaml",
    "scenarios": "scenarios.yaml",
    "unit_tests": "unit_tests.yaml",
    "sets": "sets.yaml",
}


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text; lists indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _number(value: float) -> float | int:
    return int(value) if value.is_integer() else value


def _drop_defaults(values: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v for k, v in values.items() if v not in (None, {}, [], ()) and defaults.get(k, ...) != v
    }


def as_data(definition: Definition) -> dict[str, Any]:
    """A definition as the file's mapping."""
    tags = dict(definition.tags)
    if isinstance(definition, Persona):
        values: dict[str, Any] = {
            "name": definition.name,
            "role": definition.role,
            "background": definition.background,
            "preferred_language": definition.preferred_language,
            "timezone": definition.timezone,
            "user_models": list(definition.user_models),
            "nonsensitive_user_variables": dict(definition.nonsensitive_user_variables),
            "sensitive_user_variables": dict(definition.sensitive_user_variables),
            "tags": tags,
        }
        return _drop_defaults(values, {})
    if isinstance(definition, Scenario):
        values = {
            "name": definition.name,
            "objective": definition.objective,
            "instructions": definition.instructions,
            "initial_message_type": definition.initial_message_type,
            "conversation_starts_at": definition.conversation_starts_at,
            "tags": tags,
        }
        return _drop_defaults(values, {"initial_message_type": "user-message"})
    if isinstance(definition, UnitTest):
        return _unit_test_data(definition)
    entries = [{"unit_test": e.unit_test, "run_count": e.run_count} for e in definition.unit_tests]
    values = {"name": definition.name, "description": definition.description}
    return _drop_defaults(values | {"unit_tests": entries, "tags": tags}, {})


def _unit_test_data(test: UnitTest) -> dict[str, Any]:
    values = {
        "name": test.name,
        "description": test.description,
        "persona": test.persona,
        "scenario": test.scenario,
        "service": test.service,
        "version_set": test.version_set,
        "max_interactions": test.max_interactions,
        "criteria": [criterion_data(c) for c in test.criteria],
        "tags": dict(test.tags),
    }
    return _drop_defaults(values, {})


def criterion_data(c: Criterion) -> dict[str, Any]:
    data: dict[str, Any] = {"name": c.name, "metric": c.metric}
    if c.kind == "boolean":
        return data | {"expected": c.expected_value}
    if c.kind == "numerical" and c.threshold is not None:
        return data | {"verb": c.verb, "threshold": _number(c.threshold)}
    return data | {"expected_values": list(c.expected_values)}


def dump_section(section: str, definitions: Iterable[Definition]) -> str:
    data = {section: [as_data(d) for d in definitions]}
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return HEADER + text


def write_definitions(definitions: Definitions, directory: Path) -> list[Path]:
    """One file per kind under ``directory`` (created); the paths written, empty kinds skipped."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    sections: dict[str, tuple[Definition, ...]] = {
        "personas": definitions.personas,
        "scenarios": definitions.scenarios,
        "unit_tests": definitions.unit_tests,
        "sets": definitions.sets,
    }
    for section, found in sections.items():
        if found:
            path = directory / FILES[section]
            path.write_text(dump_section(section, found), encoding="utf-8")
            written.append(path)
    return written
