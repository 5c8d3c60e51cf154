"""What every process of a session knows about its runs: the shared snapshot, typed.

One poll (by whichever process is due and holds the poll lock) refreshes it; everybody else reads
it. The containers are plain JSON (run instances and evaluation results exactly as the API sent
them, with only what pytest-amigo reads of the evaluations); scalars change through ``replace``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class Snapshot:
    runs: dict[str, Json] = field(default_factory=dict)  # run id -> run instance
    changed_at: dict[str, float] = field(default_factory=dict)  # run id -> last change seen
    # justifications: evaluation id -> {result, justification, metric_id, source}
    evaluations: dict[str, Json] = field(default_factory=dict)
    evaluation_errors: dict[str, str] = field(default_factory=dict)  # run id -> why none
    evaluations_tried: list[str] = field(default_factory=list)  # ids asked for, not found
    evaluation_requests: list[float] = field(default_factory=list)  # times, last minute
    evaluation_cursor: dict[str, str] = field(default_factory=dict)  # run id -> newest created_at
    evaluation_fetched: dict[str, float] = field(default_factory=dict)  # run id -> last fetch
    evaluation_misses: dict[str, int] = field(default_factory=dict)  # evaluation id -> fetches
    artifacts: dict[str, Json] = field(default_factory=dict)  # run id -> {path} | {error}
    # completed runs whose artifacts are asked for directly: run id -> {count, next}
    artifact_tries: dict[str, Json] = field(default_factory=dict)
    poll_failures: dict[str, Json] = field(default_factory=dict)  # run id -> {count, since}
    poll_fatal: dict[str, str] = field(default_factory=dict)  # run id -> why it can't be read
    unseen: dict[str, Json] = field(default_factory=dict)  # run id -> {count, since}
    poll_error: str | None = None
    next_poll: float = 0.0
    interval: float = 0.0
    polls: int = 0
    polled_at: float | None = None

    def run(self, run_id: str | None) -> Json | None:
        return self.runs.get(run_id) if run_id else None

    def failure(self, run_id: str | None) -> str | None:
        """Why the run can't be read (non-transient poll failures, invisible run), if so."""
        return self.poll_fatal.get(run_id) if run_id else None

    def to_json(self) -> Json:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Snapshot:
        if not data:
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
