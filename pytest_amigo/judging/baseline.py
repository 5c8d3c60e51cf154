"""Baselines: how each unit test of a set did before, read from a JSON report or a run.

``--amigo-baseline=last|RUN_ID|PATH``. A JSON report (``--amigo-json`` of an earlier session) is
read here; a run (``last`` or an explicit id) is fetched by the coordinator and judged by the
caller with today's rules. Plain data and functions: no HTTP, no pytest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_amigo.contract import OBJECT_ID
from pytest_amigo.domain import UnitTestRef
from pytest_amigo.judging.evidence import BaselineEntry
from pytest_amigo.judging.provenance import what_ran
from pytest_amigo.judging.run_data import run_spec


def is_run_id(text: str) -> bool:
    return OBJECT_ID.fullmatch(text) is not None


def key_of(unit_test_id: str, occurrence: int) -> str:
    """A unit test's key in a baseline: its id, ``#2`` for its second listing in the set."""
    return unit_test_id if occurrence == 0 else f"{unit_test_id}#{occurrence + 1}"


@dataclass(frozen=True)
class BaselineSet:
    """How the unit tests of one set did in the baseline (``run_id`` None: no baseline)."""

    run_id: str | None
    entries: Mapping[str, BaselineEntry] = field(default_factory=dict)
    note: str = ""  # where the baseline came from, or why there is none

    def entry(self, ref: UnitTestRef) -> BaselineEntry | None:
        return self.entries.get(key_of(ref.unit_test.id, ref.occurrence))

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "note": self.note,
            "entries": {k: e.to_json() for k, e in self.entries.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BaselineSet:
        entries = {k: BaselineEntry.from_json(e) for k, e in data.get("entries", {}).items()}
        return cls(data.get("run_id"), entries, str(data.get("note", "")))


class BaselineError(Exception):
    """The baseline named by the user cannot be used (the message says why and what to do)."""


def read_report(path: Path) -> dict[str, Any]:
    """A JSON report saved by ``--amigo-json``, checked enough to be used as a baseline."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(
            f"--amigo-baseline: no file {str(path)!r}; give 'last', a run id, or the path of "
            "a report written by --amigo-json"
        ) from None
    except (OSError, ValueError) as exc:
        raise BaselineError(f"--amigo-baseline: cannot read {str(path)!r}: {exc}") from None
    if (
        not isinstance(data, dict)
        or "pytest_amigo" not in data
        or not isinstance(data.get("sets"), list)
    ):
        raise BaselineError(
            f"--amigo-baseline: {str(path)!r} is not a pytest-amigo JSON report (--amigo-json)"
        )
    return data


def from_report(report: Mapping[str, Any], set_id: str, source: str) -> BaselineSet:
    """The baseline of one set from a JSON report (no run of the set in it: no baseline)."""
    for entry in report.get("sets", []):
        if not isinstance(entry, dict) or entry.get("id") != set_id or not entry.get("run_id"):
            continue
        run_id = str(entry["run_id"])
        entries: dict[str, BaselineEntry] = {}
        seen: dict[str, int] = {}
        for test in entry.get("unit_tests", []):
            try:
                unit_test_id = str(test["id"])
                occurrence = seen.get(unit_test_id, 0)
                seen[unit_test_id] = occurrence + 1
                sessions = test["sessions"]
                fingerprint = test.get("what_ran")
                entries[key_of(unit_test_id, occurrence)] = BaselineEntry(
                    str(test.get("run_id") or run_id),
                    str(test["outcome"]),
                    int(sessions["passed"]),
                    int(sessions["valid"]),
                    fingerprint if isinstance(fingerprint, dict) else None,
                )
            except (KeyError, TypeError, ValueError):
                continue
        return BaselineSet(run_id, entries, f"baseline run {run_id} from {source}")
    return BaselineSet(None, note=f"no baseline: set {set_id} is not in {source}")


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
        ran = what_ran(spec, ref.unit_test.version_set).to_json()
        entries[key_of(ref.unit_test.id, ref.occurrence)] = BaselineEntry(
            run_id, outcome, passed, valid, ran
        )
    return BaselineSet(run_id, entries, f"baseline run {run_id} ({how})")
