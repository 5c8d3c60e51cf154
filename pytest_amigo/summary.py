"""The terminal summary per set: passed, failed, errors, pass rate, run id, duration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .coordinator import Coordinator


@dataclass
class SetTally:
    name: str
    run_id: str = ""
    outcomes: dict[str, str] = field(default_factory=dict)  # nodeid -> outcome
    last_report: float = 0.0

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes.values() if o == outcome)


@dataclass
class SetSummary:
    sets: dict[str, SetTally] = field(default_factory=dict)

    def add(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        set_id = str(props.get("amigo_set_id") or "")
        if not set_id:
            return
        tally = self.sets.setdefault(set_id, SetTally(str(props.get("amigo_set", set_id))))
        tally.run_id = str(props.get("amigo_run_id", tally.run_id))
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
            total = len(tally.outcomes)
            passed = tally.count("passed")
            rate = f"{passed / total:.0%}" if total else "-"
            record = records.get(set_id)
            duration = ""
            if record is not None and tally.last_report:
                duration = f", {max(0.0, tally.last_report - record.started_at):.0f}s"
            parts = [
                f"{passed} passed",
                f"{tally.count('failed')} failed",
                f"{tally.count('error')} errors",
            ]
            for extra in ("xfailed", "xpassed"):
                if tally.count(extra):
                    parts.append(f"{tally.count(extra)} {extra}")
            reporter.write_line(
                f"{tally.name} ({set_id}): {', '.join(parts)}; pass rate {rate}; "
                f"run {tally.run_id or '-'}{duration}"
            )
            if record is not None and record.note and not record.started_here:
                reporter.write_line(f"    {record.note}")
            run = snap.run(tally.run_id) or {}
            if run.get("errored"):
                reporter.write_line(
                    "    the run errored: only unit tests whose results were complete were judged"
                )
            artifact = snap.artifacts.get(tally.run_id or "")
            gone = [
                reason for path, reason in missing.items() if tally.run_id and tally.run_id in path
            ]
            if artifact and "path" in artifact:
                reporter.write_line(f"    artifacts: {artifact['path']}")
            elif gone:
                reporter.write_line(f"    no artifacts: {gone[0]}")
        for run_id in cancelled:
            reporter.write_line(f"cancelled run {run_id} (started by this session)")
        for run_id in left_running:
            reporter.write_line(
                f"run {run_id} is still running: cancel it, or report it later with "
                f"pytest --amigo-run={run_id}"
            )
