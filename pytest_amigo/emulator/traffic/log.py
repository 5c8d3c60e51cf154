"""The request log: what reached the emulator, with counters."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any

LOG_VIEW_SIZE = 1000
"""How many log entries ``GET /_emulator/requests`` returns (the most recent ones)."""


@dataclass(frozen=True)
class LogEntry:
    t: float
    method: str
    path: str
    operation_id: str | None
    status: int
    fault: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class RequestLog:
    """What reached the emulator: entries (bounded) and counters (unbounded). Thread-safe."""

    def __init__(self, maxlen: int = 10_000) -> None:
        self._lock = threading.Lock()
        self.entries: deque[LogEntry] = deque(maxlen=maxlen)
        self.total = 0
        self.by_endpoint: Counter[str] = Counter()
        self.status_counts: Counter[int] = Counter()
        self.rate_limited = 0

    def record(self, entry: LogEntry) -> None:
        with self._lock:
            self.entries.append(entry)
            self.total += 1
            if entry.operation_id is not None:
                self.by_endpoint[entry.operation_id] += 1
            self.status_counts[entry.status] += 1
            if entry.status == 429:
                self.rate_limited += 1

    def reset(self) -> None:
        with self._lock:
            self.entries.clear()
            self.total = 0
            self.by_endpoint.clear()
            self.status_counts.clear()
            self.rate_limited = 0

    def count(self, operation_id: str | None = None) -> int:
        """Requests seen in total, or for one operation id."""
        with self._lock:
            return self.total if operation_id is None else self.by_endpoint[operation_id]

    def snapshot(self, last: int = LOG_VIEW_SIZE) -> dict[str, Any]:
        with self._lock:
            tail = list(self.entries)[-last:] if last > 0 else []
            return {
                "total": self.total,
                "by_endpoint": dict(self.by_endpoint),
                "status_counts": {str(k): v for k, v in sorted(self.status_counts.items())},
                "rate_limited": self.rate_limited,
                "log": [e.to_json() for e in tail],
            }
