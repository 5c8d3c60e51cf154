"""Baselines: how each unit test of a set did before, from a run or a JSON report.

``--amigo-baseline=last|RUN_ID|PATH``. A run (``last`` or an explicit id) is fetched by the
coordinator and judged by the caller with today's rules (:func:`from_run`); a JSON report
(``--amigo-json`` of an earlier session) is read by ``reports/baseline_file.py``. Plain data and
functions: no I/O, no HTTP, no pytest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_amigo.contract import OBJECT_ID
from pytest_amigo.domain import UnitTestRef
from pytest_amigo.judging.provenance import what_ran
from pytest_amigo.judging.run_data import run_spec
from pytest_amigo.judging.run_outcome import RunOutcome


def is_run_id(text: str) -> bool:
    return OBJECT_ID.fullmatch(text) is not None


def key_of(unit_test_id: str, occurrence: int) -> str:
    """A unit test's key in a baseline: its id, ``#2`` for its second listing in the set."""
    return unit_test_id if occurrence == 0 else f"{unit_test_id}#{occurrence + 1}"


@dataclass(frozen=True)
class BaselineSet:
    """How the unit tests of one set did in the baseline (``run_id`` None: no baseline)."""

    run_id: str | None
    entries: Mapping[str, RunOutcome] = field(default_factory=dict)
    note: str = ""  # where the baseline came from, or why there is none

    def entry(self, ref: UnitTestRef) -> RunOutcome | None:
        return self.entries.get(key_of(ref.unit_test.id, ref.occurrence))

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "note": self.note,
            "entries": {k: e.to_json() for k, e in self.entries.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BaselineSet:
        entries = {k: RunOutcome.from_json(e) for k, e in data.get("entries", {}).items()}
        return cls(data.get("run_id"), entries, str(data.get("note", "")))


def from_run(
    run: Mapping[str, Any],
    refs: Iterable[UnitTestRef],
    judge: Callable[[UnitTestRef, Mapping[str, Any]], tuple[str, int, int]],
    how: str,
) -> BaselineSet:
    """The baseline of one set from a run instance: ``judge(ref, run)`` gives each unit test's
    (outcome, sessions passed, sessions valid) by today's rules; its run spec what ran."""
    run_id = str(run.get("id") or run.get("_id") or "")
    entries = {}
    for ref in refs:
        spec = run_spec(ref.unit_test, ref.position, run, ref.occurrence)
        if spec is None:  # not in the baseline run (the set changed since): new, not unchanged
            continue
        outcome, passed, valid = judge(ref, run)
        if outcome in ("pending",):
            continue
        ran = what_ran(spec, ref.unit_test.version_set)
        entries[key_of(ref.unit_test.id, ref.occurrence)] = RunOutcome(
            outcome, passed, valid, run_id, ran
        )
    return BaselineSet(run_id, entries, f"baseline run {run_id} ({how})")
