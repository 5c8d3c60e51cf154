"""The terminal summary per set: passed, failed, errors, the set pass rate
(``document.set_pass_rate``, as every report states it), run id, duration; the set gate; then
each unit test's pass^k, baseline transition and, for a failure or an error, its short reason,
what needs attention first. What every set shares (the version set and agent that ran,
``--amigo-version-set``'s temporary copies) is said once, above the sets."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pytest

from pytest_amigo.judging.evidence import attention_rank
from pytest_amigo.judging.text import one_line, plural
from pytest_amigo.judging.words import xpassed_words
from pytest_amigo.plugin import wire
from pytest_amigo.reports.compare_words import baseline_sentence, set_sentence, unit_sentence
from pytest_amigo.reports.document import (
    FAILING_OUTCOMES,
    ReportError,
    SetCompare,
    UnitTestEntry,
    UnitTestReport,
    pass_rate_text,
    set_pass_rate,
)

if TYPE_CHECKING:
    from pytest_amigo.lifecycle.coordinator import Coordinator
    from pytest_amigo.lifecycle.records import RunRecord
    from pytest_amigo.lifecycle.snapshot import Snapshot


@dataclass
class SetTally:
    name: str
    run_id: str = ""
    outcomes: dict[str, str] = field(default_factory=dict)  # nodeid -> outcome
    last_report: float = 0.0
    evidence: dict[str, UnitTestEntry] = field(default_factory=dict)  # nodeid -> its entry
    gate: str = ""  # the set gate's outcome and counts
    xpassed: dict[str, str] = field(default_factory=dict)  # nodeid -> its amigo_xfail reason

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes.values() if o == outcome)


@dataclass
class SetSummary:
    sets: dict[str, SetTally] = field(default_factory=dict)

    def add(self, report: pytest.TestReport) -> None:
        """Count a report of an Amigo item. Reads a unit test's JSON entry and a set gate's
        counts (``plugin/wire.py``): plain data that crosses xdist, whatever
        ``amigo_junit_properties`` leaves in the JUnit properties."""
        entry = _entry_of(report)
        gate = wire.gate_of(report)
        if entry is None:
            if gate is not None and gate.get("set_id"):
                self._add_gate(report, gate)
            return
        if not entry.set_id:
            return
        tally = self.sets.setdefault(entry.set_id, SetTally(entry.set_name or entry.set_id))
        tally.evidence[report.nodeid] = entry
        tally.run_id = str(entry.unit_test.run_id or tally.run_id)
        tally.last_report = max(tally.last_report, getattr(report, "stop", 0.0) or 0.0)
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
            if outcome == "xpassed":
                tally.xpassed[report.nodeid] = str(report.wasxfail or "")
        elif report.failed:
            outcome = "failed" if report.when == "call" else "error"
        elif report.when == "call" and report.passed:
            outcome = "passed"
        else:
            return
        previous = tally.outcomes.get(report.nodeid)
        if previous in ("error", "failed", "xfailed"):
            return
        tally.outcomes[report.nodeid] = outcome

    def _add_gate(self, report: pytest.TestReport, gate: Mapping[str, Any]) -> None:
        """A set gate's report (``report.amigo_gate``): its outcome and counts."""
        set_id = str(gate["set_id"])
        tally = self.sets.setdefault(set_id, SetTally(str(gate.get("set_name") or set_id)))
        if report.when == "call" or report.failed:
            verdict = "passed" if report.passed else "failed" if report.when == "call" else "error"
            counts = gate.get("counts")
            tally.gate = f"{verdict}, {counts} unit tests passed" if counts else verdict

    def write(
        self, reporter: Any, coordinator: Coordinator, left_running: Sequence[str] = ()
    ) -> None:
        records = {r.set_id: r for r in coordinator.records().values()}
        cancelled = [r.run_id for r in records.values() if r.cancelled and r.started_here]
        if not self.sets and not cancelled and not left_running:
            return
        snap = coordinator.snapshot()
        missing = coordinator.missing_artifacts()
        reporter.write_sep("=", "Amigo simulation sets")
        found = [
            set_lines(set_id, tally, records.get(set_id), snap, missing)
            for set_id, tally in self.sets.items()
        ]
        once, found = shared_context(found)
        for line in once:
            reporter.write_line(f"every set: {line}")
        for lines in found:
            reporter.write_line(lines.head)
            for note in (*lines.context, *lines.notes):
                reporter.write_line(f"    {note}")
        for run_id in cancelled:
            reporter.write_line(f"cancelled run {run_id} (started by this session)")
        shard = coordinator.settings.runs.shard
        for run_id in left_running:
            shared = shard if coordinator.canceller.shares(run_id) else None
            reporter.write_line(left_running_line(run_id, shared))


def _entry_of(report: pytest.TestReport) -> UnitTestEntry | None:
    """The unit test an item reported (``report.amigo``, the wire dict), typed; None for any
    other report."""
    entry = wire.entry_of(report)
    if entry is None:
        return None
    try:
        return UnitTestEntry.from_json(entry, str(entry.get("nodeid")))
    except ReportError:  # not an entry this plugin wrote: nothing to count
        return None


def left_running_line(run_id: str, shard: str | None = None) -> str:
    """What to do about a run this session did not cancel; ``shard``: it was left running on
    purpose, shared with the other shards of a sharded job (how the shard knows it is one)."""
    if shard is None:
        return (
            f"run {run_id} is still running: cancel it, or report it later with "
            f"pytest --amigo-run={run_id}"
        )
    return (
        f"run {run_id} left running: this session is one shard of a sharded job ({shard}) and "
        "the other shards may be reporting the run, so no shard cancels it; cancel it once no "
        f"shard needs it, or report it later with pytest --amigo-run={run_id}"
    )


@dataclass(frozen=True)
class SetLines:
    """A set's part of the summary: its line, what ran (``context``: the notes every set may
    share, printed once when they do) and its results, indented under it."""

    head: str
    context: tuple[str, ...]
    notes: tuple[str, ...]


def set_lines(
    set_id: str,
    tally: SetTally,
    record: RunRecord | None,
    snap: Snapshot,
    missing: Mapping[str, str],
) -> SetLines:
    """A set's line (counts, pass rate, run, duration), then its notes, gate, evidence lines,
    run error and artifacts."""
    tests = [tally.evidence[n].unit_test for n in tally.outcomes if n in tally.evidence]
    rate = pass_rate_text(set_pass_rate(t.outcome for t in tests))
    duration = ""
    if record is not None and tally.last_report:
        duration = f", {max(0.0, tally.last_report - record.started_at):.0f}s"
    parts = [
        f"{tally.count('passed')} passed",
        f"{tally.count('failed')} failed",
        plural(tally.count("error"), "error"),
    ]
    parts += [
        f"{tally.count(extra)} {extra}" for extra in ("xfailed", "xpassed") if tally.count(extra)
    ]
    head = (
        f"{one_line(tally.name)} ({set_id}): {', '.join(parts)}; pass rate {rate}; "
        f"run {tally.run_id or '-'}"
    )
    context = []
    if record is not None and record.note and (not record.started_here or record.temporary_set):
        context.append(record.note)
    elif record is not None and record.note.startswith(f"started run {record.run_id}; "):
        context.append(record.note)  # what else there is to know: another user's run of the set
    every = [e.unit_test for e in tally.evidence.values()]
    context += sorted({t.what_ran.words() for t in every if t.what_ran is not None})
    notes = []
    if tally.gate:
        notes.append(f"set gate: {tally.gate}")
    baseline_notes = {t.baseline_note for t in every} - {None, ""}
    notes += [f"baseline: {note}" for note in sorted(str(n) for n in baseline_notes)]
    apart = sum(1 for t in every if t.baseline and t.baseline.transition == "not-comparable")
    if apart:
        notes.append(
            f"not comparable with the baseline (the test changed): {plural(apart, 'unit test')}"
        )
    notes += compare_lines(tally)
    notes += xpassed_lines(tally)
    notes += evidence_lines(tally)
    if (snap.run(tally.run_id) or {}).get("errored"):
        notes.append("the run errored: only unit tests whose results were complete were judged")
    artifact = snap.artifacts.get(tally.run_id or "")
    gone = [reason for path, reason in missing.items() if tally.run_id and tally.run_id in path]
    if artifact and "path" in artifact:
        notes.append(f"artifacts: {artifact['path']}")
    elif gone:
        notes.append(f"no artifacts: {gone[0]}")
    return SetLines(head + duration, tuple(context), tuple(notes))


# The note of a set run as a temporary copy on --amigo-version-set (lifecycle.temporary_runs):
# what every set shares, and the part that is the set's own.
_CANDIDATE_NOTE = re.compile(
    r"(?P<option>--amigo-version-set=[^:]+): ran (?P<ran>\d+) of (?P<of>\d+) unit tests? in "
    r"temporary set .* \((?P<set>[^()]+)\), deleted at the end, with copies .* on the version "
    r"set, deleted at the end too"
)


def _own_part(note: re.Match[str]) -> str:
    """The part of a set's ``--amigo-version-set`` note that is its own."""
    ran, of = int(note["ran"]), int(note["of"])
    return f"ran {ran} of {plural(of, 'unit test')} in temporary set {note['set']}"


def shared_context(found: Sequence[SetLines]) -> tuple[list[str], list[SetLines]]:
    """What ran, said once for every set when the sets share it (the version set and its
    agent version, the ``--amigo-version-set`` copies), and each set's lines without it."""
    if len(found) < 2:
        return [], list(found)
    matches = [[_CANDIDATE_NOTE.fullmatch(line) for line in s.context] for s in found]
    options = {m["option"] for each in matches for m in each if m is not None}
    shared: list[str] = []
    if len(options) == 1 and all(any(each) for each in matches):
        (option,) = options
        shared.append(
            f"{option}: each set ran in a temporary set with copies of its unit tests on the "
            "version set, all deleted at the end"
        )
        found = [
            replace(
                s,
                context=tuple(
                    line if m is None else _own_part(m)
                    for line, m in zip(s.context, each, strict=True)
                ),
            )
            for s, each in zip(found, matches, strict=True)
        ]
    common = [line for line in found[0].context if all(line in s.context for s in found[1:])]
    shared += common
    rest = [replace(s, context=tuple(n for n in s.context if n not in common)) for s in found]
    return shared, rest


MAX_LINES = 30


def xpassed_lines(tally: SetTally) -> list[str]:
    """Each unit test listed in ``amigo_xfail`` that passed, with its reason and the fix."""
    return [
        f"{one_line(tally.evidence[nodeid].unit_test.name)}: {xpassed_words(reason or None)}"
        for nodeid, reason in tally.xpassed.items()
        if nodeid in tally.evidence and tally.outcomes.get(nodeid) == "xpassed"
    ]


def compare_lines(tally: SetTally) -> list[str]:
    """``--amigo-compare``: the set against the reference, and the A/A warning, loud."""
    found = [e.set_compare for e in tally.evidence.values() if e.set_compare is not None]
    if not found:
        return []
    return _set_compare_lines(found[0])


def _set_compare_lines(of_set: SetCompare) -> list[str]:
    warning = [f"WARNING: {of_set.warning}"] if of_set.warning else []
    return [*warning, set_sentence(of_set)]


def _evidence_row(outcome: str, test: UnitTestReport) -> tuple[int, str] | None:
    """A unit test's line and its rank (what needs attention first): its sessions, pass^k,
    interval, baseline and comparison, and when it fails or errors its short reason (the one
    pytest's short summary gives, which drops it when the node id fills the line); None for a
    passing unit test without pass^k, a baseline or a comparison."""
    pass_k, baseline, compared = test.pass_k, test.baseline, test.compare
    failing = outcome in FAILING_OUTCOMES and bool(test.reason)
    if not pass_k and not baseline and not compared and not failing:
        return None
    parts = (
        [f"{test.sessions.passed}/{test.sessions.valid} sessions"] if test.sessions.valid else []
    )
    if pass_k:
        parts.append(pass_k_text(pass_k.k, pass_k.pass_1, pass_k.value))
    interval, confidence = test.pass_rate_interval, test.confidence
    if interval and confidence is not None:
        parts.append(f"{confidence * 100:.4g}% interval {interval[0]:.2f}-{interval[1]:.2f}")
    if baseline:
        parts.append(baseline_sentence(baseline))
    if compared:
        parts.append(unit_sentence(compared))
    if failing:
        parts.append(one_line(test.reason))
    transition = baseline.transition if baseline else None
    label = "REGRESSED" if transition == "regressed" else outcome
    rank = attention_rank(outcome, transition)
    if compared and compared.label == "worse":  # worse than the reference: first
        label, rank = f"WORSE ({outcome})", -1
    return rank, f"{label}: {one_line(test.name)}: {'; '.join(parts)}"


def pass_k_text(k: int, pass_1: float | None, value: float) -> str:
    """``pass^1 0.90, pass^4 0.60``; pass^1 once when k is 1; pass^k alone from an older
    report without pass^1."""
    if k == 1 or pass_1 is None:
        return f"pass^{k} {value:.2f}"
    return f"pass^1 {pass_1:.2f}, pass^{k} {value:.2f}"


def evidence_lines(tally: SetTally) -> list[str]:
    """One line per unit test with pass^k or a baseline: outcome, pass^k, transition."""
    rows = []
    for nodeid, entry in tally.evidence.items():
        test = entry.unit_test
        outcome = tally.outcomes.get(nodeid, test.outcome)
        if test.outcome == "inconclusive":
            outcome = "inconclusive"
        row = _evidence_row(outcome, test)
        if row is not None:
            rows.append(row)
    rows.sort(key=lambda row: row[0])  # what needs attention first, stable within a rank
    lines = [line for _, line in rows[:MAX_LINES]]
    if len(rows) > MAX_LINES:
        lines.append(f"... and {len(rows) - MAX_LINES} more (--amigo-json has them all)")
    return lines
