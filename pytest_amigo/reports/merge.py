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
from dataclasses import dataclass, field, replace

from pytest_amigo.judging.ab import (
    Pair,
    SetComparison,
    UnitComparison,
    compare_session,
    same_agent_warning,
)
from pytest_amigo.reports import merge_checks as checks
from pytest_amigo.reports import schema_check
from pytest_amigo.reports.document import (
    Gating,
    MergedFrom,
    Report,
    SetCompare,
    SetGate,
    SetReport,
    UnitCompare,
    UnitTestReport,
)
from pytest_amigo.reports.merge_gates import decide_gate, decide_unit, merged_gating

PASSED, FAILED, UNMERGEABLE = 0, 1, 2  # the command's exit status
_OCCURRENCE = re.compile(r" #(\d+)\]?$")  # "Greets customer #2": the second listing in the set


@dataclass(frozen=True)
class Shard:
    """One input: the report's document (JSON as read) and how messages name it (its path as
    given)."""

    source: str
    document: object


class MergeError(Exception):
    """The inputs cannot be merged; ``problems`` says why, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass
class Merged:
    """The merged report and notes worth a line (nothing wrong, but worth knowing)."""

    document: Report
    notes: list[str] = field(default_factory=list)


@dataclass
class _Set:
    """One set as gathered from every shard."""

    head: SetReport  # the first shard's set (its unit tests and comparison left to the others)
    started_here: bool = False
    run_ids: list[str] = field(default_factory=list)
    tests: dict[tuple[str, str], tuple[UnitTestReport, str]] = field(default_factory=dict)
    compares: list[SetCompare] = field(default_factory=list)  # the shards' set compares
    gates: list[tuple[str, SetGate]] = field(default_factory=list)  # (file, the shard's gate)


def check(shard: Shard, schema: schema_check.Schema) -> list[str]:
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
    schema: schema_check.Schema,
    *,
    version: str,
    now: dt.datetime | None = None,
) -> Merged:
    """The shards as one report; raises ``MergeError`` naming every problem found."""
    problems = [p for shard in shards for p in check(shard, schema)]
    if problems:
        raise MergeError(problems)
    reports = [(shard.source, Report.from_json(shard.document, check=False)) for shard in shards]
    problems = _compare_settings(reports) + checks.mixed_comparisons(reports)
    problems += checks.mixed_gating(reports)
    gathered: dict[str, _Set] = {}
    for source, report in reports:
        problems += _gather(source, report, gathered)
    if not problems:  # two reports that disagree are not the same shard twice
        problems = checks.duplicates([(s.source, s.document) for s in shards], reports)
    if problems:
        raise MergeError(problems)
    gating = merged_gating([report.gating for _, report in reports])
    sets = [_finish(found) for found in gathered.values()]
    sets, notes = _recompare(sets, gathered, gating)
    sets, gate_notes = _regate(sets, gathered, gating)
    notes = checks.mixed_version_sets(reports) + notes + gate_notes
    created = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    merged_from = tuple(
        MergedFrom(source, report.pytest_amigo, report.created_at) for source, report in reports
    )
    document = Report(
        pytest_amigo=version,
        created_at=created,
        sets=tuple(sets),
        merged_from=merged_from,
        gating=gating,
    )
    return Merged(document, notes)


def exit_status(report: Report) -> int:
    """0 when nothing failed (an expected failure is not failing), 1 otherwise: what pytest said
    of each unit test (``reported``, decided again over the merged suite under
    ``--amigo-fail-on=worse``), else its outcome (``UnitTestReport.failing``), and the set
    gates decided over the merged suite."""
    return FAILED if report.failing else PASSED


# -- gathering ---------------------------------------------------------------------------------


def _gather(source: str, report: Report, gathered: dict[str, _Set]) -> list[str]:
    """Adds the report's sets to ``gathered``; returns its conflicts with what is there."""
    problems = []
    for entry in report.sets:
        found = gathered.get(entry.id)
        if found is None:
            found = gathered[entry.id] = _Set(entry)
        found.started_here = found.started_here or entry.started_here
        for run_id in [entry.run_id, *entry.run_ids]:  # a merged report too
            if run_id and run_id not in found.run_ids:
                found.run_ids.append(run_id)
        if entry.compare is not None:
            found.compares.append(entry.compare)
        if entry.gate is not None:
            found.gates.append((source, entry.gate))
        for test in entry.unit_tests:
            key = (test.id, test.nodeid)
            if key not in found.tests:
                found.tests[key] = (test, source)
                continue
            kept, first_source = found.tests[key]
            if _evidence(kept) != _evidence(test):
                problems.append(_conflict(found.head, test, (kept, first_source), source))
    return problems


def _evidence(test: UnitTestReport) -> tuple[object, ...]:
    """What two reports of one unit test must agree on to be the same result."""
    criteria = [(c.name, c.passed, c.valid, c.sessions) for c in test.criteria]
    compared = test.compare
    sides = (
        [(s.outcome, s.passed, s.valid) for s in (compared.candidate, compared.reference)]
        if compared is not None
        else None
    )
    s = test.sessions
    return (
        test.outcome,
        test.reported,
        test.run_id,
        (s.total, s.valid, s.passed, s.errored),
        criteria,
        sides,
    )


def _conflict(
    entry: SetReport, test: UnitTestReport, kept: tuple[UnitTestReport, str], source: str
) -> str:
    first, first_source = kept
    what = "outcomes" if first.outcome != test.outcome else "evidence"
    return (
        f"unit test {test.name!r} ({test.id}, {test.nodeid}) of set "
        f"{entry.name!r} ({entry.id}) has different {what} in two reports: "
        f"{first_source} says {_said(first)}; {source} says {_said(test)}"
    )


def _said(test: UnitTestReport) -> str:
    said: str = test.outcome
    if test.reported and test.reported != test.outcome:
        said += f" (reported {test.reported})"
    said += f", {test.sessions.counts()} sessions passed"
    return said + (f" in run {test.run_id}" if test.run_id else "")


def _finish(found: _Set) -> SetReport:
    """The set: one run id, or the first with every run listed."""
    return replace(
        found.head,
        run_id=found.run_ids[0] if found.run_ids else found.head.run_id,
        run_ids=tuple(found.run_ids) if len(found.run_ids) > 1 else (),
        started_here=found.started_here,
        unit_tests=_in_listing_order([test for test, _ in found.tests.values()]),
        compare=None,
        gate=None,
        omitted=frozenset(),  # the merged set states its pass rate, whatever the shards wrote
    )


def _in_listing_order(tests: list[UnitTestReport]) -> tuple[UnitTestReport, ...]:
    """The tests in the order first reported, except that the listings of one unit test listed
    more than once follow their order in the set (``#2`` after the first): a baseline read from
    the report counts occurrences in that order (``judging.baseline.key_of``)."""
    slots: dict[str, list[int]] = {}
    for i, test in enumerate(tests):
        slots.setdefault(test.id, []).append(i)
    ordered = list(tests)
    for places in slots.values():
        if len(places) > 1:
            listed = sorted((tests[i] for i in places), key=_occurrence)
            for place, test in zip(places, listed, strict=True):
                ordered[place] = test
    return tuple(ordered)


def _occurrence(test: UnitTestReport) -> int:
    found = _OCCURRENCE.search(test.nodeid)
    return int(found.group(1)) if found else 1


# -- the comparison (--amigo-compare) ---------------------------------------------------------


def _compare_settings(reports: Sequence[tuple[str, Report]]) -> list[str]:
    """The shards must have compared against one reference with one correction."""
    seen: dict[tuple[str, str], str] = {}  # (reference, correction) -> the first file
    for source, report in reports:
        for entry in report.sets:
            compares: list[UnitCompare | SetCompare] = [
                t.compare for t in entry.compared if t.compare
            ]
            compares += [entry.compare] if entry.compare else []
            for compared in compares:
                seen.setdefault((compared.reference_name, compared.correction), source)
    if len(seen) < 2:
        return []
    said = "; ".join(f"{file}: against {ref} ({how})" for (ref, how), file in seen.items())
    return [
        "the reports compared against different references or with different corrections "
        f"(--amigo-compare, amigo_compare_correction): {said}"
    ]


def _regate(
    sets: list[SetReport], gathered: Mapping[str, _Set], gating: Gating | None
) -> tuple[list[SetReport], list[str]]:
    """Every set's gate decided over the merged suite (``merge_gates.decide_gate``)."""
    notes: list[str] = []
    regated = []
    for entry in sets:
        gate, said = decide_gate(entry, gathered[entry.id].gates, gating)
        notes += said
        regated.append(replace(entry, gate=gate))
    return regated, notes


def _recompare(
    sets: list[SetReport], gathered: Mapping[str, _Set], gating: Gating | None = None
) -> tuple[list[SetReport], list[str]]:
    """Recomputes every unit test's and set's comparison over the merged suite, as one session
    comparing all of them would have, and, under ``--amigo-fail-on=worse``, how each unit test
    is reported; returns the sets and a note per unit test whose label changed."""
    tests = [(e, t, t.compare) for e in sets for t in e.unit_tests if t.compare is not None]
    if not tests:
        return sets, []
    first = tests[0][2]
    reference, correction = first.reference_name, first.correction
    pairs = [
        Pair(entry.id, i, compared.candidate, compared.reference)
        for i, (entry, _, compared) in enumerate(tests)
    ]
    units, by_set = compare_session(pairs, reference, correction)
    notes, fresh = [], {}
    for (entry, test, compared), unit in zip(tests, units, strict=True):
        fresh[id(test)] = decide_unit(_restate_unit(test, compared, unit), compared, gating)
        if compared.label != unit.label:
            notes.append(_relabelled(entry, test, fresh[id(test)], compared.label, unit.label))
    restated = []
    for entry in sets:
        entry = replace(entry, unit_tests=tuple(fresh.get(id(t), t) for t in entry.unit_tests))
        found = by_set.get(entry.id)
        if found is not None:
            entry = _restate_set(entry, found, gathered[entry.id].compares)
        restated.append(entry)
    return restated, notes


def _relabelled(
    entry: SetReport, before: UnitTestReport, after: UnitTestReport, was: str, now: str
) -> str:
    """The note of a unit test whose label the merged suite changed."""
    decided = (
        f"reported {after.reported_as} (--amigo-fail-on=worse: the merged suite decides)"
        if after.reported != before.reported
        else "its outcome is what its shard decided"
    )
    return (
        f"unit test {before.name!r} of set {entry.name!r}: compared as {was} in its shard, "
        f"{now} over the merged suite ({decided})"
    )


# what a unit test's comparison over the merged suite writes again
_UNIT_KEYS = frozenset(
    {"reference", "label", "difference", "p_worse", "p_worse_adjusted", "p_better"}
    | {"p_better_adjusted", "correction", "why", "compared", "detectable_drop", "power"}
)


def _restate_unit(test: UnitTestReport, old: UnitCompare, unit: UnitComparison) -> UnitTestReport:
    """The unit test's comparison replaced by ``unit`` (its sides, reference run and grid kept),
    and the words of the old one in its texts by the new words."""
    compare = UnitCompare.of(unit, old.run_id, old.reference_criteria, old.omitted - _UNIT_KEYS)
    before, after = old.words(), unit.words()
    if before == after:
        return replace(test, compare=compare)
    return replace(
        test,
        compare=compare,
        reason=test.reason.replace(before, after),
        expected=test.expected.replace(before, after) if test.expected is not None else None,
        explanation=test.explanation.replace(before, after),
    )


_SET_LINE = re.compile(r"^(\s*set(?: compared|:) ).*$", re.MULTILINE)  # ABResult.lines; older


def _restate_set(entry: SetReport, found: SetComparison, before: Sequence[SetCompare]) -> SetReport:
    """The set's comparison over the merged suite, with the reference run and the A/A warning
    the shards reported; each unit test's explanation says it."""
    runs = [c.run_id for c in before if c.run_id]
    warning = None
    if found.same_agent:
        said = [c.warning for c in before if c.warning]
        warning = said[0] if said else same_agent_warning("the candidate", found.reference_name)
    data = {**found.to_json(), "run_id": runs[0] if runs else None, "warning": warning}
    line = found.words()
    tests = tuple(
        replace(t, explanation=_SET_LINE.sub(lambda m: m.group(1) + line, t.explanation))
        for t in entry.unit_tests
    )
    return replace(entry, compare=SetCompare.from_json(data), unit_tests=tests)
