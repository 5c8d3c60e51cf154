"""``pytest-amigo merge``: the JSON reports of CI shards as one report of the whole suite.

Each shard of a sharded suite writes its own ``--amigo-json`` report. Merged, they read as one
session's report: every unit test once, the same set's results from every shard as one set (its
run, or the runs of the shards' ``--amigo-subset`` subsets in ``run_ids``), and the
``--amigo-compare`` comparison recomputed over the merged suite, since its multiplicity
correction spans every compared unit test of a session and each shard saw only its own.

A unit test reported by two shards with the same result is kept once; with different results it
is a problem to report, never a silent pick. Plain functions over plain documents: reading the
files and writing the reports is the command's (``reports/cli.py``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_amigo.judging.ab import (
    Correction,
    Pair,
    SetComparison,
    UnitComparison,
    compare_sets,
    compare_units,
    same_agent_warning,
)
from pytest_amigo.reports import schema_check
from pytest_amigo.reports.document_compare import side_of

PASSED, FAILED, UNMERGEABLE = 0, 1, 2  # the command's exit status
FAILING_REPORTED = ("failed", "error")
FAILING_OUTCOMES = ("failed", "error", "inconclusive")
_OCCURRENCE = re.compile(r" #(\d+)\]?$")  # "Greets customer #2": the second listing in the set


@dataclass(frozen=True)
class Shard:
    """One input: the report's document and how messages name it (its path as given)."""

    source: str
    document: Mapping[str, Any]


class MergeError(Exception):
    """The inputs cannot be merged; ``problems`` says why, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass
class Merged:
    """The merged document and notes worth a line (nothing wrong, but worth knowing)."""

    document: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@dataclass
class _Set:
    """One set as gathered from every shard."""

    entry: dict[str, Any]
    run_ids: list[str] = field(default_factory=list)
    tests: dict[tuple[str, str], tuple[dict[str, Any], str]] = field(default_factory=dict)
    compares: list[Mapping[str, Any]] = field(default_factory=list)  # the shards' set compares


def check(shard: Shard, schema: Mapping[str, Any]) -> list[str]:
    """Why ``shard`` cannot be merged ([] when it can): not a report, or not a valid one."""
    data = shard.document
    if not isinstance(data, Mapping) or "pytest_amigo" not in data or "sets" not in data:
        return [f"{shard.source}: not a pytest-amigo JSON report (--amigo-json)"]
    return [
        f"{shard.source}: not a valid pytest-amigo JSON report: {problem}"
        for problem in schema_check.problems(data, schema)
    ]


def merge(
    shards: Sequence[Shard],
    schema: Mapping[str, Any],
    *,
    version: str,
    now: dt.datetime | None = None,
) -> Merged:
    """The shards as one report; raises ``MergeError`` naming every problem found."""
    problems = [p for shard in shards for p in check(shard, schema)]
    if problems:
        raise MergeError(problems)
    problems = _compare_settings(shards)
    gathered: dict[str, _Set] = {}
    for shard in shards:
        problems += _gather(shard, gathered)
    if problems:
        raise MergeError(problems)
    sets = [_finish(found) for found in gathered.values()]
    notes = _recompare(sets, gathered)
    created = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    merged_from = [
        {
            "file": s.source,
            "pytest_amigo": str(s.document.get("pytest_amigo")),
            "created_at": str(s.document.get("created_at")),
        }
        for s in shards
    ]
    document = {"pytest_amigo": version, "created_at": created, "sets": sets}
    return Merged({**document, "merged_from": merged_from}, notes)


def exit_status(document: Mapping[str, Any]) -> int:
    """0 when nothing failed (an expected failure is not failing), 1 otherwise: what pytest said
    of each unit test (``reported``), else its outcome."""
    for entry in document.get("sets") or []:
        for test in entry.get("unit_tests") or []:
            reported = test.get("reported")
            if reported in FAILING_REPORTED:
                return FAILED
            if reported is None and test.get("outcome") in FAILING_OUTCOMES:
                return FAILED
    return PASSED


def counts(document: Mapping[str, Any]) -> dict[str, int]:
    """How many unit tests had each outcome, in the order first seen."""
    found: dict[str, int] = {}
    for entry in document.get("sets") or []:
        for test in entry.get("unit_tests") or []:
            outcome = str(test.get("outcome"))
            found[outcome] = found.get(outcome, 0) + 1
    return found


# -- gathering ---------------------------------------------------------------------------------


def _gather(shard: Shard, gathered: dict[str, _Set]) -> list[str]:
    """Adds the shard's sets to ``gathered``; returns its conflicts with what is there."""
    problems = []
    for entry in shard.document["sets"]:
        set_id = str(entry["id"])
        found = gathered.get(set_id)
        if found is None:
            head = {k: v for k, v in entry.items() if k not in ("unit_tests", "compare", "run_ids")}
            found = gathered[set_id] = _Set({**head, "started_here": False})
        found.entry["started_here"] = bool(found.entry["started_here"] or entry["started_here"])
        for run_id in [entry.get("run_id"), *entry.get("run_ids", [])]:  # a merged report too
            if run_id and run_id not in found.run_ids:
                found.run_ids.append(str(run_id))
        if isinstance(entry.get("compare"), Mapping):
            found.compares.append(entry["compare"])
        for test in entry["unit_tests"]:
            key = (str(test["id"]), str(test["nodeid"]))
            if key not in found.tests:
                found.tests[key] = (dict(test), shard.source)
                continue
            kept, source = found.tests[key]
            if _evidence(kept) != _evidence(test):
                problems.append(_conflict(found.entry, test, (kept, source), shard.source))
    return problems


def _evidence(test: Mapping[str, Any]) -> tuple[Any, ...]:
    """What two reports of one unit test must agree on to be the same result."""
    sessions = test.get("sessions") or {}
    criteria = [
        (c.get("name"), c.get("passed"), c.get("valid"), c.get("sessions"))
        for c in test.get("criteria") or []
    ]
    found = test.get("compare")
    compared: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    sides = [
        (side.get("outcome"), side.get("passed"), side.get("valid"))
        for side in (compared.get("candidate") or {}, compared.get("reference_sessions") or {})
    ]
    fields = ("total", "valid", "passed", "errored")
    return (
        test.get("outcome"),
        test.get("reported"),
        test.get("run_id"),
        tuple(sessions.get(k) for k in fields),
        criteria,
        sides if compared else None,
    )


def _conflict(
    entry: Mapping[str, Any],
    test: Mapping[str, Any],
    kept: tuple[Mapping[str, Any], str],
    source: str,
) -> str:
    first, first_source = kept
    what = "outcomes" if first.get("outcome") != test.get("outcome") else "evidence"
    return (
        f"unit test {test.get('name')!r} ({test['id']}, {test['nodeid']}) of set "
        f"{entry.get('name')!r} ({entry['id']}) has different {what} in two reports: "
        f"{first_source} says {_said(first)}; {source} says {_said(test)}"
    )


def _said(test: Mapping[str, Any]) -> str:
    sessions = test.get("sessions") or {}
    said = str(test.get("outcome"))
    if test.get("reported") and test.get("reported") != test.get("outcome"):
        said += f" (reported {test['reported']})"
    said += f", {sessions.get('passed')}/{sessions.get('valid')} sessions passed"
    return said + (f" in run {test['run_id']}" if test.get("run_id") else "")


def _finish(found: _Set) -> dict[str, Any]:
    """The set's entry: one run id, or the first with every run listed."""
    head = dict(found.entry)
    entry = {"id": head.pop("id"), "name": head.pop("name")}
    entry["run_id"] = found.run_ids[0] if found.run_ids else head.get("run_id")
    head.pop("run_id", None)
    if len(found.run_ids) > 1:
        entry["run_ids"] = list(found.run_ids)
    entry.update(head)
    entry["unit_tests"] = _in_listing_order([test for test, _ in found.tests.values()])
    return entry


def _in_listing_order(tests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tests in the order first reported, except that the listings of one unit test listed
    more than once follow their order in the set (``#2`` after the first): a baseline read from
    the report counts occurrences in that order (``judging.baseline.key_of``)."""
    slots: dict[str, list[int]] = {}
    for i, test in enumerate(tests):
        slots.setdefault(str(test["id"]), []).append(i)
    ordered = list(tests)
    for places in slots.values():
        if len(places) > 1:
            listed = sorted((tests[i] for i in places), key=_occurrence)
            for place, test in zip(places, listed, strict=True):
                ordered[place] = test
    return ordered


def _occurrence(test: Mapping[str, Any]) -> int:
    found = _OCCURRENCE.search(str(test.get("nodeid", "")))
    return int(found.group(1)) if found else 1


# -- the comparison (--amigo-compare) ---------------------------------------------------------


def _compare_settings(shards: Sequence[Shard]) -> list[str]:
    """The shards must have compared against one reference with one correction."""
    seen: dict[tuple[str, str], str] = {}  # (reference, correction) -> the first file
    for shard in shards:
        for entry in shard.document["sets"]:
            compares = [t["compare"] for t in entry["unit_tests"] if t.get("compare")]
            compares += [entry["compare"]] if entry.get("compare") else []
            for compared in compares:
                seen.setdefault((compared["reference"], compared["correction"]), shard.source)
    if len(seen) < 2:
        return []
    said = "; ".join(f"{file}: against {ref} ({how})" for (ref, how), file in seen.items())
    return [
        "the reports compared against different references or with different corrections "
        f"(--amigo-compare, amigo_compare_correction): {said}"
    ]


def _recompare(sets: list[dict[str, Any]], gathered: Mapping[str, _Set]) -> list[str]:
    """Recomputes every unit test's and set's comparison over the merged suite, as one session
    comparing all of them would have; returns a note per unit test whose label changed."""
    tests = [(e, t) for e in sets for t in e["unit_tests"] if isinstance(t.get("compare"), dict)]
    if not tests:
        return []
    first = tests[0][1]["compare"]
    reference: str = first["reference"]
    correction: Correction = first["correction"]
    pairs = [
        Pair(
            str(entry["id"]),
            i,
            side_of(test["compare"]["candidate"]),
            side_of(test["compare"]["reference_sessions"]),
        )
        for i, (entry, test) in enumerate(tests)
    ]
    units = compare_units(pairs, reference, correction)
    by_set = compare_sets(pairs, units, reference, correction)
    notes = []
    for (entry, test), unit in zip(tests, units, strict=True):
        before = test["compare"].get("label")
        _restate_unit(test, unit)
        if before != unit.label:
            notes.append(
                f"unit test {test.get('name')!r} of set {entry.get('name')!r}: compared as "
                f"{before} in its shard, {unit.label} over the merged suite (its outcome is "
                "what its shard decided)"
            )
    for entry in sets:
        found = by_set.get(str(entry["id"]))
        if found is not None:
            _restate_set(entry, found, gathered[str(entry["id"])].compares)
    return notes


def _restate_unit(test: dict[str, Any], unit: UnitComparison) -> None:
    """The unit test's comparison replaced by ``unit`` (its sides, reference run and grid kept),
    and the words of the old one in its texts by the new words."""
    old = test["compare"]
    sides = ("candidate", "reference_sessions")
    fresh = {k: v for k, v in unit.to_json().items() if k not in sides}
    test["compare"] = {**old, **fresh}
    before, after = _unit_of(old).words(), unit.words()
    for key in ("reason", "expected", "explanation"):
        if isinstance(test.get(key), str) and before != after:
            test[key] = test[key].replace(before, after)


def _unit_of(data: Mapping[str, Any]) -> UnitComparison:
    """A unit test's comparison read back from the report."""
    return UnitComparison(
        str(data["reference"]),
        side_of(data["candidate"]),
        side_of(data["reference_sessions"]),
        data["label"],
        data["correction"],
        data.get("p_worse"),
        data.get("p_worse_adjusted"),
        data.get("p_better"),
        data.get("p_better_adjusted"),
        str(data.get("why") or ""),
    )


_SET_LINE = re.compile(r"^(\s*set compared ).*$", re.MULTILINE)


def _restate_set(
    entry: dict[str, Any], found: SetComparison, before: Sequence[Mapping[str, Any]]
) -> None:
    """The set's comparison over the merged suite, with the reference run and the A/A warning
    the shards reported; each unit test's explanation says it."""
    runs = [c["run_id"] for c in before if c.get("run_id")]
    warning = None
    if found.same_agent:
        said = [c["warning"] for c in before if c.get("warning")]
        warning = said[0] if said else same_agent_warning("the candidate", found.reference_name)
    entry["compare"] = {**found.to_json(), "run_id": runs[0] if runs else None, "warning": warning}
    line = found.words()
    for test in entry["unit_tests"]:
        if isinstance(test.get("explanation"), str):
            test["explanation"] = _SET_LINE.sub(lambda m: m.group(1) + line, test["explanation"])
