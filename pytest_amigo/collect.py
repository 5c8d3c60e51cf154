"""The collection tree: ``amigo`` (under the session) -> one node per set -> one item per unit test.

Node ids are readable and stable: ``amigo::<set name>::<unit test name>``. A name never contains
``::``; duplicate names get the unit test id as a parameter-like suffix (``name[<id>]``), and the
same unit test listed twice in a set gets ``#2``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from .domain import UnitTestSet
from .outcome import AmigoError, AmigoFailure, UnitTestRef

if TYPE_CHECKING:
    from .plugin import AmigoSession

ROOT_NAME = "amigo"


def clean_name(name: str) -> str:
    name = re.sub(r"\s+", " ", name.replace("::", ":")).strip()
    return name.replace("[", "(").replace("]", ")") or "unnamed"


def unique_names(items: Iterable[tuple[str, str]]) -> list[str]:
    """Readable unique names for (name, id) pairs: duplicates get ``[id]``, repeats ``#n``."""
    pairs = [(clean_name(name), ident) for name, ident in items]
    counts: dict[str, set[str]] = {}
    for name, ident in pairs:
        counts.setdefault(name, set()).add(ident)
    seen: dict[str, int] = {}
    result = []
    for name, ident in pairs:
        base = name if len(counts[name]) == 1 else f"{name}[{ident}]"
        seen[base] = seen.get(base, 0) + 1
        result.append(base if seen[base] == 1 else f"{base} #{seen[base]}")
    return result


def refs_for(
    unit_set: UnitTestSet, *, min_pass_rate: float | None = None, enforce_verdict: bool = True
) -> list[tuple[str, UnitTestRef]]:
    names = unique_names((u.name, u.id) for u in unit_set.unit_tests)
    occurrences: dict[str, int] = {}
    refs = []
    for position, (name, unit_test) in enumerate(zip(names, unit_set.unit_tests, strict=True)):
        occurrence = occurrences.get(unit_test.id, 0)
        occurrences[unit_test.id] = occurrence + 1
        refs.append(
            (
                name,
                UnitTestRef(
                    unit_set, unit_test, position, occurrence, min_pass_rate, enforce_verdict
                ),
            )
        )
    return refs


class AmigoRoot(pytest.Collector):
    """Session-level collector of the sets named by options, ini and --amigo-run."""

    def __init__(self, *, amigo: AmigoSession, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.amigo = amigo

    def collect(self) -> Iterator[pytest.Collector]:
        sets = self.amigo.collected_sets()
        names = unique_names((s.name, s.id) for s in sets)
        for name, unit_set in zip(names, sets, strict=True):
            yield AmigoSetNode.from_parent(self, name=name, unit_set=unit_set)


class AmigoSetNode(pytest.Collector):
    def __init__(self, *, unit_set: UnitTestSet, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.unit_set = unit_set
        self.add_marker(pytest.mark.amigo)

    def collect(self) -> Iterator[pytest.Item]:
        amigo: AmigoSession = self.parent.amigo  # type: ignore[union-attr]
        for name, ref in refs_for(self.unit_set, min_pass_rate=amigo.settings.min_pass_rate):
            yield AmigoItem.from_parent(self, name=name, ref=ref)


class AmigoItem(pytest.Item):
    """One unit test of a set: waits for its result in setup, judges it in call."""

    def __init__(self, *, ref: UnitTestRef, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ref = ref
        self.add_marker(pytest.mark.amigo)

    @property
    def amigo(self) -> AmigoSession:
        return self.parent.parent.amigo  # type: ignore[union-attr]

    def setup(self) -> None:
        result = self.amigo.resolve(self, self.ref)
        if result.outcome == "error":
            raise AmigoError(result)

    def runtest(self) -> None:
        result = self.amigo.result_of(self)
        if result is not None and result.outcome == "failed":
            raise AmigoFailure(result)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"amigo: {self.ref.set.name} :: {self.ref.unit_test.name}"
