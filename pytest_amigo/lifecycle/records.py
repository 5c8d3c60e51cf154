"""The records every process shares about a session's runs (``RunRecord`` and their store,
``RunRecords``) and what a waiting item observes (the API they need: ``lifecycle.service``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_amigo.lifecycle.state_files import RUNS

if TYPE_CHECKING:  # light: the pytest side imports this module at start-up
    from pytest_amigo.lifecycle.shared import SharedState


REFERENCE = "@reference"
"""``--amigo-compare``: the record of a set's reference run is kept under ``<set id>@reference``
(a set id never holds ``@``), beside the candidate's under the set id."""


def reference_key(set_id: str) -> str:
    """The key of a set's reference run among the records."""
    return f"{set_id}{REFERENCE}"


def is_reference(key: str) -> bool:
    return key.endswith(REFERENCE)


def set_of(key: str) -> str:
    """The set a record's key belongs to (the set id of a reference key)."""
    return key.removesuffix(REFERENCE)


@dataclass(frozen=True)
class RunRecord:
    set_id: str  # the set, or its reference key (``reference_key``)
    run_id: str | None
    started_here: bool
    note: str
    started_at: float
    error: str | None = None
    cancelled: str | None = None  # why this session cancelled it
    finished: bool = False  # a cancel found it finished (409): never send another
    temporary_set: str | None = None  # the temporary set run instead (--amigo-subset)
    version_set: str | None = None  # --amigo-version-set: the version set simulated
    copies: dict[str, str] | None = None  # original unit test id -> its copy in the run
    # Refused with the whole session by a cost guard (--amigo-max-sessions under xdist, where a
    # worker cannot end the session): the controller makes ``error`` a usage error (exit 4).
    session_refused: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        return cls(**data)

    @classmethod
    def refused(cls, set_id: str, at: float, error: str, run_id: str | None = None) -> RunRecord:
        """No run for this set in this session, and why (its items report the error)."""
        return cls(set_id, run_id, False, "", at, error=error)


@dataclass(frozen=True)
class Observation:
    """What a waiting item learned: its run, the evaluations fetched, and why it stopped."""

    record: RunRecord
    run: dict[str, Any] | None
    evaluations: dict[str, dict[str, Any]] | None
    evaluation_error: str | None
    timed_out: bool
    failure: str | None = None  # the run could not be read (non-transient) or is invisible


@dataclass
class RunRecords:
    """The session's run records (``runs.json``): per set, the run it reports or why none."""

    state: SharedState

    def all(self) -> dict[str, RunRecord]:
        """Every set's record, by set id."""
        data = self.state.read(RUNS, {})
        return {k: RunRecord.from_json(v) for k, v in data.items()}

    def put(self, record: RunRecord) -> None:
        """Record (or replace) the record of ``record.set_id``."""
        self.state.update(RUNS, lambda runs: {**runs, record.set_id: record.__dict__}, {})

    def mark(self, set_id: str, **fields: Any) -> None:
        """Change some fields of a set's record (none if the set has no record)."""

        def change(runs: dict[str, Any]) -> dict[str, Any]:
            if set_id not in runs:
                return runs
            return {**runs, set_id: {**runs[set_id], **fields}}

        self.state.update(RUNS, change, {})


def artifacts_path(directory: Path, run_id: str) -> Path:
    """Where a run's artifacts are downloaded."""
    return directory / f"run-{run_id}.zip"
