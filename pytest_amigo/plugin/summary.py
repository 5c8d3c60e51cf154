"""The terminal summary per set: passed, failed, errors, pass rate, run id, duration; the set gate;
then each unit test's pass^k and baseline transition, regressions first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from pytest_amigo.judging.evidence import attention_rank
from pytest_amigo.judging.provenance import what_ran_words
from pytest_amigo.judging.verdict import one_line
from pytest_amigo.plugin import wire

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
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)  # nodeid -> JSON entry
    gate: str = ""  # the set gate's outcome and counts

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes.values() if o == outcome)


@dataclass
class SetSummary:
    sets: dict[str, SetTally] = field(default_factory=dict)

    def add(self, report: pytest.TestReport) -> None:
        """Count a report of an Amigo item. Reads a unit test's JSON entry and a set gate's
        counts (``plugin/wire.py``): plain data that crosses xdist, whatever
        ``amigo_junit_properties`` leaves in the JUnit properties."""
        entry = wire.entry_of(report)
        gate = wire.gate_of(report)
        source = entry if isinstance(entry, dict) else gate
        set_id = str((source or {}).get("set_id") or "")
        if not set_id or source is None:
            return
        tally = self.sets.setdefault(set_id, SetTally(str(source.get("set_name") or set_id)))
        if source is gate:
            if report.when == "call" or report.failed:
                verdict = (
                    "passed" if report.passed else "failed" if report.when == "call" else "error"
                )
                counts = gate.get("counts")
                tally.gate = f"{verdict}, {counts} unit tests passed" if counts else verdict
            return
        assert isinstance(entry, dict)
        tally.evidence[report.nodeid] = entry
        tally.run_id = str(entry.get("run_id") or tally.run_id)
        tally.last_report = max(tally.last_report, getattr(report, "stop", 0.0) or 0.0)
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
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
        shard = coordinator.settings.shard
        for run_id in left_running:
            shared = shard if coordinator.canceller.shares(run_id) else None
            reporter.write_line(left_running_line(run_id, shared))


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
    baseline_notes = {e.get("baseline_note") for e in tally.evidence.values()} - {None, ""}
    notes += [f"baseline: {note}" for note in sorted(str(n) for n in baseline_notes)]
    ran = {what_ran_words(e.get("what_ran")) for e in tally.evidence.values()} - {""}
    notes += sorted(ran)
    apart = sum(
        1
        for e in tally.evidence.values()
        if (e.get("baseline") or {}).get("transition") == "not-comparable"
    )
    if apart:
        notes.append(f"not comparable with the baseline (the test changed): {apart} unit tests")
    notes += compare_lines(tally)
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


def _compared_words(compared: Mapping[str, Any]) -> str:
    """A unit test against the reference: ``worse than release (8/8, adjusted p=0.0004)``."""
    reference = compared.get("reference_sessions") or {}
    label = str(compared.get("label"))
    if label == "not compared":
        return f"not compared with {compared.get('reference')}: {compared.get('why')}"
    p = compared.get("p_better_adjusted" if label == "better" else "p_worse_adjusted")
    than = " than" if label in ("worse", "better") else ""
    shown = f", adjusted p={p:.3g}" if isinstance(p, float | int) else ""
    return (
        f"{label}{than} {compared.get('reference')} "
        f"({reference.get('passed')}/{reference.get('valid')}{shown})"
    )


def compare_lines(tally: SetTally) -> list[str]:
    """``--amigo-compare``: the set against the reference, and the A/A warning, loud."""
    found = [
        e["compare"]["set"] for e in tally.evidence.values() if (e.get("compare") or {}).get("set")
    ]
    if not found:
        return []
    of_set = found[0]
    lines = []
    if of_set.get("warning"):
        lines.append(f"WARNING: {of_set['warning']}")
    counts = (
        f"{of_set['worse']} worse, {of_set['better']} better, {of_set['same']} no detectable "
        "difference"
    )
    if of_set.get("not_compared"):
        counts += f", {of_set['not_compared']} not compared"
    label = str(of_set.get("label"))
    p = of_set.get("p_better_adjusted" if label == "better" else "p_worse_adjusted")
    overall = f"; overall: {label}" + (
        f" (Cochran-Mantel-Haenszel, adjusted p={p:.3g})" if isinstance(p, float | int) else ""
    )
    run = f" (run {of_set['run_id']})" if of_set.get("run_id") else ""
    lines.append(f"compared with {of_set.get('reference')}{run}: {counts}{overall}")
    return lines


def evidence_lines(tally: SetTally) -> list[str]:
    """One line per unit test with pass^k or a baseline: outcome, pass^k, transition."""
    rows = []
    for nodeid, entry in tally.evidence.items():
        outcome = tally.outcomes.get(nodeid, str(entry.get("outcome")))
        if entry.get("outcome") == "inconclusive":
            outcome = "inconclusive"
        pass_k, baseline = entry.get("pass_k"), entry.get("baseline")
        compared = entry.get("compare")
        if not pass_k and not baseline and not compared:
            continue
        sessions = entry.get("sessions") or {}
        parts = [f"{sessions.get('passed', 0)}/{sessions.get('valid', 0)} sessions"]
        if pass_k:
            parts.append(f"pass^1 {pass_k['pass_1']:.2f}, pass^{pass_k['k']} {pass_k['value']:.2f}")
        interval = entry.get("pass_rate_interval")
        if interval:
            parts.append(
                f"{entry['confidence'] * 100:.4g}% interval {interval[0]:.2f}-{interval[1]:.2f}"
            )
        if baseline and baseline.get("transition") == "not-comparable":
            parts.append(f"not comparable: {'; '.join(map(str, baseline.get('changes') or ()))}")
        elif baseline:
            words = str(baseline["transition"])
            if baseline.get("sessions_valid") is not None:
                words += f" (baseline {baseline['sessions_passed']}/{baseline['sessions_valid']}"
                if baseline.get("p_value") is not None:
                    words += f", p={baseline['p_value']:.3g}"
                    if baseline.get("significant"):
                        words += ", significant"
                words += ")"
            parts.append(words)
        if compared:
            parts.append(_compared_words(compared))
        transition = baseline.get("transition") if baseline else None
        label = "REGRESSED" if transition == "regressed" else outcome
        rank = attention_rank(outcome, transition)
        if compared and compared.get("label") == "worse":  # worse than the reference: first
            label, rank = f"WORSE ({outcome})", -1
        rows.append((rank, f"{label}: {one_line(str(entry['name']))}: {'; '.join(parts)}"))
    rows.sort(key=lambda row: row[0])  # what needs attention first, stable within a rank
    lines = [line for _, line in rows[:MAX_LINES]]
    if len(rows) > MAX_LINES:
        lines.append(f"... and {len(rows) - MAX_LINES} more (--amigo-json has them all)")
    return lines
