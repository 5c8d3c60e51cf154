"""Read every definitions file, then report every problem with file and line.

Nothing is sent before ``load`` returns without problems: ``DefinitionsError`` lists them all
(syntax, unknown keys, wrong types, duplicates, dangling names, thresholds a metric cannot meet).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .checks import check
from .model import (
    INITIAL_MESSAGE_TYPES,
    VERBS,
    Catalog,
    Criterion,
    Definitions,
    Persona,
    Problem,
    Scenario,
    SetEntry,
    UnitTest,
    UnitTestSet,
    Where,
)
from .nodes import NULL, NodeReader

SECTIONS = ("personas", "scenarios", "unit_tests", "sets")
PERSONA_KEYS: tuple[str, ...] = ("name", "role", "background", "preferred_language", "timezone")
PERSONA_KEYS += ("user_models", "nonsensitive_user_variables", "sensitive_user_variables", "tags")
SCENARIO_KEYS: tuple[str, ...] = ("name", "objective", "instructions", "initial_message_type")
SCENARIO_KEYS += ("conversation_starts_at", "tags")
UNIT_TEST_KEYS: tuple[str, ...] = ("name", "description", "persona", "scenario", "service")
UNIT_TEST_KEYS += ("version_set", "max_interactions", "criteria", "tags")
CRITERION_KEYS = ("name", "metric", "expected", "verb", "threshold", "expected_values")
SET_KEYS = ("name", "description", "unit_tests", "tags")
T = TypeVar("T")


class DefinitionsError(Exception):
    """The definitions have problems; ``str()`` lists each on its own line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        lines = [f"{count} in the definitions (nothing was sent):", *map(str, problems)]
        super().__init__("\n".join(lines))


def files_of(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load(directory: Path, catalog: Catalog | None = None) -> Definitions:
    """The definitions of every file under ``directory``; raises ``DefinitionsError``."""
    if not directory.is_dir():
        raise DefinitionsError([Problem(Where(str(directory), 0), "no such directory")])
    texts = {str(path): path.read_text(encoding="utf-8") for path in files_of(directory)}
    definitions, problems = read_texts(texts, catalog)
    if problems:
        raise DefinitionsError(problems)
    return definitions


def read_texts(
    texts: dict[str, str], catalog: Catalog | None = None
) -> tuple[Definitions, list[Problem]]:
    """The definitions of files given as ``{file name: text}`` and every problem found in them."""
    parts: dict[str, list[Any]] = {section: [] for section in SECTIONS}
    problems: list[Problem] = []
    for file, text in texts.items():
        reader = NodeReader(file)
        for section, found in read_file(reader, text).items():
            parts[section] += found
        problems += reader.problems
    definitions = Definitions(*(tuple(parts[section]) for section in SECTIONS))
    problems += check(definitions, catalog or Catalog())
    return definitions, sorted(problems, key=lambda p: (p.where.file, p.where.line))


def read_file(reader: NodeReader, text: str) -> dict[str, list[Any]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        reason = error.problem or error.context or "unreadable"
        reader.problems.append(Problem(Where(reader.file, line), f"not valid YAML: {reason}"))
        return {}
    if root is None or root.tag == NULL:
        return {}
    top = reader.mapping(root, "a definitions file", SECTIONS) or {}
    readers: dict[str, Callable[[NodeReader, yaml.Node], Any]] = {
        "personas": persona,
        "scenarios": scenario,
        "unit_tests": unit_test,
        "sets": unit_test_set,
    }
    found: dict[str, list[Any]] = {}
    for section, node in top.items():
        items = (readers[section](reader, item) for item in reader.items(node, section))
        found[section] = [item for item in items if item is not None]
    return found


def _name(reader: NodeReader, keys: dict[str, yaml.Node], kind: str) -> tuple[str, str] | None:
    name = reader.text(keys["name"], f"the name of a {kind}") if "name" in keys else None
    return (name, f"{kind} '{name}'") if name is not None else None


def _complete(values: dict[str, Any], texts: tuple[str, ...]) -> dict[str, Any]:
    """The values read well; the texts missing or wrong are empty (their problem is reported,
    so the object never leaves the loader: it is kept only to check what refers to it)."""
    return {key: "" for key in texts} | {k: v for k, v in values.items() if v is not None}


def persona(reader: NodeReader, node: yaml.Node) -> Persona | None:
    keys = reader.mapping(node, "a persona", PERSONA_KEYS, ("name", "role", "background"))
    if keys is None or (named := _name(reader, keys, "persona")) is None:
        return None
    name, what = named
    values: dict[str, Any] = {"name": name}
    for key in ("role", "background", "preferred_language", "timezone"):
        if key in keys:
            values[key] = reader.optional_text(keys[key], f"{what}: {key}")
    if "user_models" in keys:
        values["user_models"] = reader.texts(keys["user_models"], f"{what}: user_models")
    for key in ("nonsensitive_user_variables", "sensitive_user_variables"):
        if key in keys:
            values[key] = reader.text_map(keys[key], f"{what}: {key}")
    if "tags" in keys:
        values["tags"] = reader.text_map(keys["tags"], f"{what}: tags", empty_values=True)
    return Persona(**_complete(values, ("role", "background")), where=reader.where(node))


def scenario(reader: NodeReader, node: yaml.Node) -> Scenario | None:
    required = ("name", "objective", "instructions")
    keys = reader.mapping(node, "a scenario", SCENARIO_KEYS, required)
    if keys is None or (named := _name(reader, keys, "scenario")) is None:
        return None
    name, what = named
    values: dict[str, Any] = {"name": name}
    for key in ("objective", "instructions"):
        if key in keys:
            values[key] = reader.text(keys[key], f"{what}: {key}")
    if "initial_message_type" in keys:
        kind = reader.choice(
            keys["initial_message_type"], f"{what}: initial_message_type", INITIAL_MESSAGE_TYPES
        )
        values["initial_message_type"] = kind
    if "conversation_starts_at" in keys:
        when = reader.optional_text(
            keys["conversation_starts_at"], f"{what}: conversation_starts_at", dates=True
        )
        values["conversation_starts_at"] = when
    if "tags" in keys:
        values["tags"] = reader.text_map(keys["tags"], f"{what}: tags", empty_values=True)
    return Scenario(**_complete(values, ("objective", "instructions")), where=reader.where(node))


def unit_test(reader: NodeReader, node: yaml.Node) -> UnitTest | None:
    required = UNIT_TEST_KEYS[:-1]
    keys = reader.mapping(node, "a unit test", UNIT_TEST_KEYS, required)
    if keys is None or (named := _name(reader, keys, "unit test")) is None:
        return None
    name, what = named
    values: dict[str, Any] = {"name": name}
    for key in ("description", "persona", "scenario", "service", "version_set"):
        if key in keys:
            values[key] = reader.text(keys[key], f"{what}: {key}")
    if "max_interactions" in keys:
        values["max_interactions"] = reader.integer(
            keys["max_interactions"], f"{what}: max_interactions", 1, 100
        )
    if "criteria" in keys:
        items = reader.items(keys["criteria"], f"{what}: criteria")
        if not items and isinstance(keys["criteria"], yaml.SequenceNode):
            reader.problem(keys["criteria"], f"{what}: criteria must hold at least one criterion")
        found = [criterion(reader, item, what) for item in items]
        values["criteria"] = tuple(c for c in found if c is not None)
    if "tags" in keys:
        values["tags"] = reader.text_map(keys["tags"], f"{what}: tags", empty_values=True)
    values = {"max_interactions": 0, "criteria": (), **_complete(values, required[1:6])}
    places = ("persona", "scenario", "service", "version_set")
    lines = {key: reader.where(keys.get(key, node)) for key in places}
    return UnitTest(
        **values,
        where=reader.where(node),
        persona_where=lines["persona"],
        scenario_where=lines["scenario"],
        service_where=lines["service"],
        version_set_where=lines["version_set"],
    )


def criterion(reader: NodeReader, node: yaml.Node, owner: str) -> Criterion | None:
    keys = reader.mapping(node, f"{owner}: a criterion", CRITERION_KEYS, ("name", "metric"))
    if keys is None or "name" not in keys or "metric" not in keys:
        return None
    name = reader.text(keys["name"], f"{owner}: the name of a criterion")
    what = f"{owner}: criterion '{name}'"
    metric = reader.text(keys["metric"], f"{what}: metric")
    shapes = [k for k in ("expected", "verb", "expected_values") if k in keys]
    if "threshold" in keys and "verb" not in keys:
        reader.problem(node, f"{what}: 'threshold' needs a 'verb' (one of {' '.join(VERBS)})")
        return None
    if len(shapes) != 1:
        given = " and ".join(f"'{k}'" for k in shapes) or "none"
        reader.problem(
            node,
            f"{what} needs exactly one of 'expected' (boolean metric), 'verb' + 'threshold' "
            f"(numerical) or 'expected_values' (categorical); {given} given",
        )
        return None
    built = _criterion_shape(reader, keys, shapes[0], what)
    if name is None or metric is None or built is None:
        return None
    return Criterion(name, metric, **built, where=reader.where(node))


def _criterion_shape(
    reader: NodeReader, keys: dict[str, yaml.Node], shape: str, what: str
) -> dict[str, Any] | None:
    if shape == "expected":
        value = reader.boolean(keys["expected"], f"{what}: expected")
        return None if value is None else {"kind": "boolean", "expected_value": value}
    if shape == "verb":
        verb = reader.choice(keys["verb"], f"{what}: verb", VERBS)
        if "threshold" not in keys:
            reader.problem(keys["verb"], f"{what}: 'verb' needs a 'threshold'")
            return None
        threshold = reader.number(keys["threshold"], f"{what}: threshold")
        if verb is None or threshold is None:
            return None
        return {"kind": "numerical", "verb": verb, "threshold": threshold}
    values = reader.texts(keys["expected_values"], f"{what}: expected_values")
    if not values:
        reader.problem(
            keys["expected_values"], f"{what}: expected_values must name at least one category"
        )
        return None
    return {"kind": "categorical", "expected_values": values}


def unit_test_set(reader: NodeReader, node: yaml.Node) -> UnitTestSet | None:
    keys = reader.mapping(node, "a set", SET_KEYS, ("name", "unit_tests"))
    if keys is None or (named := _name(reader, keys, "set")) is None:
        return None
    name, what = named
    description = reader.optional_text(keys.get("description"), f"{what}: description")
    tags = (
        reader.text_map(keys["tags"], f"{what}: tags", empty_values=True) if "tags" in keys else {}
    )
    if "unit_tests" not in keys:
        return UnitTestSet(name, (), description, tags, where=reader.where(node))
    items = reader.items(keys["unit_tests"], f"{what}: unit_tests")
    if not items and isinstance(keys["unit_tests"], yaml.SequenceNode):
        reader.problem(keys["unit_tests"], f"{what}: unit_tests must hold at least one unit test")
    entries = (_entry(reader, item, what) for item in items)
    kept = tuple(e for e in entries if e is not None)
    return UnitTestSet(name, kept, description, tags, where=reader.where(node))


def _entry(reader: NodeReader, node: yaml.Node, owner: str) -> SetEntry | None:
    keys = reader.mapping(
        node,
        f"{owner}: an entry of unit_tests",
        ("unit_test", "run_count"),
        ("unit_test", "run_count"),
    )
    if keys is None or len(keys) != 2:
        return None
    name = reader.text(keys["unit_test"], f"{owner}: unit_test")
    count = reader.integer(keys["run_count"], f"{owner}: run_count of '{name}'", 1)
    return None if name is None or count is None else SetEntry(name, count, reader.where(node))
