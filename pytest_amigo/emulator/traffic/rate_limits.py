"""Rate limits: documented per-minute limits per organization and operation, in fixed windows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from pytest_amigo.api.endpoints import Endpoint
from pytest_amigo.emulator.traffic.validation import body_fields, is_int, is_number


def rate_limit_detail(limit: int) -> str:
    return f"You have exceeded the rate limit of {limit} requests per minute for this endpoint."


@dataclass
class TrafficPolicy:
    rate_limits: bool = True
    """Enforce the documented per-minute limits."""
    window: float = 60.0
    """Rate-limit window length in real seconds (tests shorten it)."""
    limits: dict[str, int] = field(default_factory=dict)
    """Overrides of the documented limit, per operation id."""

    def limit_for(self, endpoint: Endpoint) -> int:
        return self.limits.get(endpoint.operation_id, endpoint.per_minute)

    def to_json(self) -> dict[str, Any]:
        """What ``/_emulator/rate_limits`` answers."""
        return {"enabled": self.rate_limits, "window": self.window, "limits": dict(self.limits)}


@dataclass
class _Window:
    start: float
    count: int = 0


def parse_rate_limits(data: Any, policy: TrafficPolicy) -> TrafficPolicy:
    """The policy a ``POST /_emulator/rate_limits`` body asks for (missing fields: ``policy``'s)."""
    data, errors = body_fields(data, ("enabled", "window", "limits"))
    enabled = data.get("enabled", policy.rate_limits)
    if not isinstance(enabled, bool):
        errors.add("enabled", f"expected true or false, got {enabled!r}")
    window = data.get("window", policy.window)
    if not is_number(window) or window <= 0:
        errors.add("window", f"expected a number of seconds > 0, got {window!r}")
    limits = data.get("limits", policy.limits)
    if not isinstance(limits, dict) or not all(
        isinstance(k, str) and is_int(v) and v >= 0 for k, v in limits.items()
    ):
        errors.add("limits", "expected an object {operation_id: integer >= 0}")
    else:
        errors.known_operations("limits", limits)
    errors.raise_any()
    return TrafficPolicy(enabled, float(window), dict(limits))


class RateLimiter:
    """Counts requests per (organization, operation id) window. Callers hold the traffic lock."""

    def __init__(self, policy: TrafficPolicy) -> None:
        self.policy = policy
        self._windows: dict[tuple[str, str], _Window] = {}

    def reset(self) -> None:
        self._windows.clear()

    def adopt(self, policy: TrafficPolicy) -> None:
        """Take the settings of ``policy`` (the policy object stays the same) and reset."""
        self.policy.rate_limits = policy.rate_limits
        self.policy.window = policy.window
        self.policy.limits = policy.limits
        self._windows.clear()

    def _window_bounds(self, now: float) -> tuple[float, float]:
        window = self.policy.window
        start = math.floor(now / window) * window
        return start, start + window

    @staticmethod
    def _headers(limit: int, remaining: int, end: float) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-ratelimit-limit", str(limit).encode()),
            (b"x-ratelimit-remaining", str(max(0, remaining)).encode()),
            (b"x-ratelimit-reset", str(math.ceil(end)).encode()),
        ]

    def check(
        self, endpoint: Endpoint, org: str, now: float, *, consume: bool
    ) -> tuple[bool, list[tuple[bytes, bytes]], float]:
        """(allowed, headers, window end); counts the request when ``consume``."""
        limit = self.policy.limit_for(endpoint)
        start, end = self._window_bounds(now)
        key = (org, endpoint.operation_id)
        state = self._windows.get(key)
        if state is None or state.start != start:
            state = self._windows[key] = _Window(start)
        allowed = True
        if consume:
            if state.count >= limit:
                allowed = False
            else:
                state.count += 1
        return allowed, self._headers(limit, limit - state.count, end), end
