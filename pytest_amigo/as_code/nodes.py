"""Reading YAML nodes with their line numbers: every problem is collected, none raised.

PyYAML's ``compose`` keeps each node's position (``start_mark``), which a plain ``safe_load``
loses; the node's resolved tag says what YAML made of a scalar (``no`` is a boolean, ``1.0`` a
number), so "role must be text" can be said where it is.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from .model import Problem, Where

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
WHAT_YAML_MADE = {INT: "a whole number", FLOAT: "a number", BOOL: "a boolean (yes/no/true/false)"}
WHAT_YAML_MADE |= {NULL: "empty", TIMESTAMP: "a date", STR: "text"}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the closest choice, or nothing."""
    choices = list(choices)
    swapped = [c for c in choices if sorted(c) == sorted(word)]  # '=>' for '>='
    close = swapped or difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping (key: value)"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return WHAT_YAML_MADE.get(node.tag, f"a {node.tag} value")


def scalar(node: yaml.Node) -> Any:
    """The Python value of a scalar node, as ``yaml.safe_load`` would give it."""
    return yaml.SafeLoader("").construct_object(node, deep=True)


def named(node: yaml.MappingNode, what: str) -> str:
    """``a unit test`` -> ``unit test 'Refund'`` when the mapping has a textual name."""
    for key, value in node.value:
        if key.value == "name" and isinstance(value, yaml.ScalarNode) and value.tag == STR:
            return f"{what.removeprefix('a ').removeprefix('an ')} '{value.value}'"
    return what


class NodeReader:
    """Reads the nodes of one file; ``problems`` collects what is wrong, with file and line."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def where(self, node: yaml.Node) -> Where:
        return Where(self.file, node.start_mark.line + 1)

    def problem(self, node: yaml.Node, message: str) -> None:
        self.problems.append(Problem(self.where(node), message))

    def mapping(
        self, node: yaml.Node, what: str, allowed: Sequence[str], required: Sequence[str] = ()
    ) -> dict[str, yaml.Node] | None:
        """The values of a mapping by key; unknown, repeated and missing keys are problems."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a mapping (key: value), not {describe(node)}")
            return None
        what = named(node, what)
        found: dict[str, yaml.Node] = {}
        for key_node, value in node.value:
            key = str(key_node.value)
            if key not in allowed:
                hint = did_you_mean(key, allowed) or f"; expected one of: {', '.join(allowed)}"
                self.problem(key_node, f"{what}: unknown key '{key}'{hint}")
            elif key in found:
                self.problem(key_node, f"{what}: '{key}' is given twice")
            else:
                found[key] = value
        for key in required:
            if key not in found:
                self.problem(node, f"{what}: '{key}' is missing")
        return found

    def items(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        if node.tag != NULL:  # an empty section is an empty list
            self.problem(
                node, f"{what} must be a list (lines starting with '- '), not {describe(node)}"
            )
        return []

    def text(self, node: yaml.Node, what: str, *, dates: bool = False) -> str | None:
        if isinstance(node, yaml.ScalarNode) and (
            node.tag == STR or (dates and node.tag == TIMESTAMP)
        ):
            if str(node.value).strip():
                return str(node.value)
            self.problem(node, f"{what} must not be empty")
            return None
        self.problem(node, f"{what} must be text, not {describe(node)}; quote it if it is text")
        return None

    def optional_text(
        self, node: yaml.Node | None, what: str, *, dates: bool = False
    ) -> str | None:
        if node is None or node.tag == NULL:
            return None
        return self.text(node, what, dates=dates)

    def integer(self, node: yaml.Node, what: str, low: int, high: int | None = None) -> int | None:
        if not (isinstance(node, yaml.ScalarNode) and node.tag == INT):
            self.problem(node, f"{what} must be a whole number, not {describe(node)}")
            return None
        value = int(scalar(node))
        if value < low or (high is not None and value > high):
            limit = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.problem(node, f"{what} must be {limit}, not {value}")
            return None
        return value

    def number(self, node: yaml.Node, what: str) -> float | None:
        if isinstance(node, yaml.ScalarNode) and node.tag in (INT, FLOAT):
            return float(scalar(node))
        self.problem(node, f"{what} must be a number, not {describe(node)}")
        return None

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == BOOL:
            return bool(scalar(node))
        self.problem(node, f"{what} must be true or false, not {describe(node)}")
        return None

    def choice(self, node: yaml.Node, what: str, choices: Sequence[str]) -> str | None:
        value = self.text(node, what)
        if value is not None and value not in choices:
            hint = did_you_mean(value, choices) or f"; one of: {', '.join(choices)}"
            self.problem(node, f"{what} '{value}' is not allowed{hint}")
            return None
        return value

    def texts(self, node: yaml.Node, what: str) -> tuple[str, ...]:
        found = (self.text(item, f"each of {what}") for item in self.items(node, what))
        return tuple(value for value in found if value is not None)

    def text_map(self, node: yaml.Node, what: str, *, empty_values: bool = False) -> dict[str, Any]:
        """A mapping of text to text (``empty_values``: or to nothing, as tags allow)."""
        if not isinstance(node, yaml.MappingNode):
            if node.tag != NULL:
                self.problem(node, f"{what} must be a mapping (key: value), not {describe(node)}")
            return {}
        found: dict[str, Any] = {}
        for key_node, value in node.value:
            key = self.text(key_node, f"a key of {what}")
            if key is None:
                continue
            if key in found:
                self.problem(key_node, f"{what}: '{key}' is given twice")
            elif empty_values and value.tag == NULL:
                found[key] = None
            elif (text := self.text(value, f"{what}: '{key}'")) is not None:
                found[key] = text
        return found
