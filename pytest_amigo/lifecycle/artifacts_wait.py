"""The runs' artifacts at the end of the session: the bounded wait for those still to come, and
why any reported artifacts file is missing (for the summary and the JUnit references).

The poller downloads artifacts as runs generate them; this module only waits and explains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pytest_amigo.lifecycle.poller import Poller
from pytest_amigo.lifecycle.records import RunRecord, RunRecords, artifacts_path
from pytest_amigo.lifecycle.snapshot import Snapshot
from pytest_amigo.settings import Settings


def missing_reason(record: RunRecord, snap: Snapshot, artifacts_wait: float) -> str:
    """Why the artifacts of a run with a run id were not downloaded (pure)."""
    assert record.run_id is not None
    run = snap.runs.get(record.run_id) or {}
    entry = snap.artifacts.get(record.run_id) or {}
    if "error" in entry:
        return str(entry["error"])
    if record.run_id in snap.poll_fatal:
        return "the run could not be read, so its artifacts could not be fetched"
    if record.cancelled:
        return f"this session cancelled the run ({record.cancelled})"
    if run.get("errored"):
        return "the run errored and no artifacts were generated"
    if not run.get("is_completed"):
        return "the run had not finished when the session ended"
    if not run.get("artifacts_generated"):
        return (
            "the run's artifacts were not generated within amigo_artifacts_wait "
            f"({artifacts_wait:g} s)"
        )
    return "the artifacts were not downloaded"


def awaited(records: dict[str, RunRecord], snap: Snapshot) -> list[str]:
    """The runs whose artifacts may still come: completed, not errored, not cancelled, and
    none fetched yet (pure)."""
    return [
        r.run_id
        for r in records.values()
        if r.run_id
        and not r.cancelled
        and r.run_id in snap.runs
        and snap.runs[r.run_id]["is_completed"]
        and not snap.runs[r.run_id]["errored"]
        and r.run_id not in snap.artifacts
    ]


@dataclass
class ArtifactsStatus:
    """Waits (bounded) for the last artifacts and says why any are missing."""

    settings: Settings
    records: RunRecords
    poller: Poller
    clock: Callable[[], float]
    sleep: Callable[[float], None]

    def missing(self) -> dict[str, str]:
        """Artifact paths reported for runs whose file is not there, with the reason."""
        directory = self.settings.artifacts.dir
        if directory is None:
            return {}
        snap = self.poller.snapshot()
        missing: dict[str, str] = {}
        for record in self.records.all().values():
            if record.run_id is None:
                continue
            path: Path = artifacts_path(directory, record.run_id)
            if not path.exists():
                missing[str(path)] = missing_reason(record, snap, self.settings.artifacts.wait)
        return missing

    def finish(self) -> None:
        """Wait (bounded) for the artifacts of completed runs and download them."""
        if self.settings.artifacts.dir is None or self.settings.artifacts.wait <= 0:
            return
        deadline = self.clock() + self.settings.artifacts.wait
        while self.clock() < deadline:
            if not awaited(self.records.all(), self.poller.snapshot()):
                return
            self.poller.poll_if_due()
            self.sleep(0.25)
