"""The definitions of tests as code: frozen dataclasses of builtins, references by name.

Locations (``Where``) are kept for messages but never compared: two definitions are equal when
their content is, wherever they were read from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

CriterionKind = Literal["boolean", "numerical", "categorical"]
ObjectKind = Literal["persona", "scenario", "unit test", "set"]
Tags = Mapping[str, str | None]
VERBS = ("==", "!=", "<=", "<", ">=", ">")
INITIAL_MESSAGE_TYPES = ("user-message", "external-event", "skip")


@dataclass(frozen=True)
class Where:
    """A place in a definitions file (line counted from 1; 0 when not from a file)."""

    file: str = ""
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.file else "(platform)"


NOWHERE = Where()


@dataclass(frozen=True)
class Persona:
    name: str
    role: str
    background: str
    preferred_language: str | None = None
    timezone: str | None = None
    user_models: tuple[str, ...] = ()
    nonsensitive_user_variables: Mapping[str, str] = field(default_factory=dict)
    sensitive_user_variables: Mapping[str, str] = field(default_factory=dict)
    tags: Tags = field(default_factory=dict)
    where: Where = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Scenario:
    name: str
    objective: str
    instructions: str
    initial_message_type: str = "user-message"
    conversation_starts_at: str | None = None
    tags: Tags = field(default_factory=dict)
    where: Where = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class Criterion:
    """A success criterion: a metric by name and what its value must be (contract shapes)."""

    name: str
    metric: str
    kind: CriterionKind
    expected_value: bool | None = None
    verb: str | None = None
    threshold: float | None = None
    expected_values: tuple[str, ...] = ()
    where: Where = field(default=NOWHERE, compare=False, repr=False)

    def description(self) -> dict[str, Any]:
        """The contract's ``SuccessCriterionDescription`` of this criterion."""
        if self.kind == "boolean":
            return {"type": "boolean", "expected_value": self.expected_value}
        if self.kind == "numerical":
            return {"type": "numerical", "verb": self.verb, "threshold": self.threshold}
        return {"type": "categorical", "expected_values": list(self.expected_values)}


@dataclass(frozen=True)
class UnitTest:
    name: str
    description: str
    persona: str
    scenario: str
    service: str
    version_set: str
    max_interactions: int
    criteria: tuple[Criterion, ...]
    tags: Tags = field(default_factory=dict)
    where: Where = field(default=NOWHERE, compare=False, repr=False)
    persona_where: Where = field(default=NOWHERE, compare=False, repr=False)
    scenario_where: Where = field(default=NOWHERE, compare=False, repr=False)
    service_where: Where = field(default=NOWHERE, compare=False, repr=False)
    version_set_where: Where = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class SetEntry:
    unit_test: str
    run_count: int
    where: Where = field(default=NOWHERE, compare=False, repr=False)


@dataclass(frozen=True)
class UnitTestSet:
    name: str
    unit_tests: tuple[SetEntry, ...]
    description: str | None = None
    tags: Tags = field(default_factory=dict)
    where: Where = field(default=NOWHERE, compare=False, repr=False)


Definition = Persona | Scenario | UnitTest | UnitTestSet


@dataclass(frozen=True)
class Definitions:
    """Everything the definitions directory holds, in file order."""

    personas: tuple[Persona, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    unit_tests: tuple[UnitTest, ...] = ()
    sets: tuple[UnitTestSet, ...] = ()


@dataclass(frozen=True)
class MetricShape:
    """What a metric's values look like (the platform's latest metric version)."""

    name: str
    kind: CriterionKind
    lower_bound: float | None = None
    upper_bound: float | None = None
    categories: tuple[str, ...] | None = None  # None: not known, not checked


@dataclass(frozen=True)
class Catalog:
    """What the platform offers that definitions refer to but do not define.

    ``services`` maps a service name to its version set names. Either may be None: not checked.
    """

    metrics: Mapping[str, MetricShape] | None = None
    services: Mapping[str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the definitions, where it is."""

    where: Where
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
