"""World time: the emulator's clock and its ISO timestamps."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


def aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Clock:
    """World seconds since start = real seconds * speed + advanced offset."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._real0 = time.monotonic()
        self._wall0 = datetime.now(UTC)
        self._offset = 0.0

    def now(self) -> float:
        return (time.monotonic() - self._real0) * self.speed + self._offset

    def advance(self, seconds: float) -> float:
        self._offset += max(0.0, seconds)
        return self.now()

    def at(self, world_seconds: float) -> datetime:
        return self._wall0 + timedelta(seconds=world_seconds)

    def seconds(self, dt: datetime) -> float:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return (dt - self._wall0).total_seconds()
