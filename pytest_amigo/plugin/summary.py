"""The terminal summary per set: passed, failed, errors, pass rate, run id, duration; the set gate;
then each unit test's pass^k and baseline transition, regressions first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from pytest_amigo.judging.evidence import attention_rank
from pytest_amigo.judging.text import one_line
from pytest_amigo.judging.words import xpassed_words
from pytest_amigo.plugin import wire
from pytest_amigo.reports.compare_words import baseline_sentence, set_sentence, unit_sentence
from pytest_amigo.reports.document import (
    ReportError,
    SetCompare,
    UnitTestEntry,
    UnitTestReport,
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
        for set_id, tally in self.sets.items():
            for line in set_lines(set_id, tally, records.get(set_id), snap, missing):
                reporter.write_line(line)
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


def set_lines(
    set_id: str,
    tally: SetTally,
    record: RunRecord | None,
    snap: Snapshot,
    missing: Mapping[str, str],
) -> list[str]:
    """A set's line (counts, pass rate, run, duration), then its notes, gate, evidence lines,
    run error and artifacts, indented."""
    total = len(tally.outcomes)
    passed = tally.count("passed")
    rate = f"{passed / total:.0%}" if total else "-"
    duration = ""
    if record is not None and tally.last_report:
        duration = f", {max(0.0, tally.last_report - record.started_at):.0f}s"
    parts = [
        f"{passed} passed",
        f"{tally.count('failed')} failed",
        f"{tally.count('error')} errors",
    ]
    parts += [
        f"{tally.count(extra)} {extra}" for extra in ("xfailed", "xpassed") if tally.count(extra)
    ]
    head = (
        f"{one_line(tally.name)} ({set_id}): {', '.join(parts)}; pass rate {rate}; "
        f"run {tally.run_id or '-'}"
    )
    notes = []
    if record is not None and record.note and (not record.started_here or record.temporary_set):
        notes.append(record.note)
    elif record is not None and record.note.startswith(f"started run {record.run_id}; "):
        notes.append(record.note)  # what else there is to know: another user's run of the set
    if tally.gate:
        notes.append(f"set gate: {tally.gate}")
    tests = [e.unit_test for e in tally.evidence.values()]
    baseline_notes = {t.baseline_note for t in tests} - {None, ""}
    notes += [f"baseline: {note}" for note in sorted(str(n) for n in baseline_notes)]
    notes += sorted({t.what_ran.words() for t in tests if t.what_ran is not None})
    apart = sum(1 for t in tests if t.baseline and t.baseline.transition == "not-comparable")
    if apart:
        notes.append(f"not comparable with the baseline (the test changed): {apart} unit tests")
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
    return [head + duration, *(f"    {note}" for note in notes)]


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
    """A unit test's line and its rank (what needs attention first); None without pass^k, a
    baseline or a comparison."""
    pass_k, baseline, compared = test.pass_k, test.baseline, test.compare
    if not pass_k and not baseline and not compared:
        return None
    parts = [f"{test.sessions.passed}/{test.sessions.valid} sessions"]
    if pass_k:
        parts.append(f"pass^1 {pass_k.pass_1:.2f}, pass^{pass_k.k} {pass_k.value:.2f}")
    interval, confidence = test.pass_rate_interval, test.confidence
    if interval and confidence is not None:
        parts.append(f"{confidence * 100:.4g}% interval {interval[0]:.2f}-{interval[1]:.2f}")
    if baseline:
        parts.append(baseline_sentence(baseline))
    if compared:
        parts.append(unit_sentence(compared))
    transition = baseline.transition if baseline else None
    label = "REGRESSED" if transition == "regressed" else outcome
    rank = attention_rank(outcome, transition)
    if compared and compared.label == "worse":  # worse than the reference: first
        label, rank = f"WORSE ({outcome})", -1
    return rank, f"{label}: {one_line(test.name)}: {'; '.join(parts)}"


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
