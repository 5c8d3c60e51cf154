"""Client-side pacing of Amigo requests, one bucket per documented operation.

Amigo enforces per-organization, per-endpoint limits ("N requests per minute") and answers 429
beyond them. :class:`Pacer` keeps a session below those limits instead of relying on 429 and
retries:

* **Sliding log.** For every key the pacer remembers when each request was let out. A new request
  may go out only if fewer than ``limit`` requests were let out in the last ``window + margin``
  seconds. A sliding log is at least as strict as the fixed-window or sliding-window counter a
  server may use, so at the documented limit we never exceed it.
* **Safety margin (time, not count).** The client stamps a request when it *sends* it, the
  server when it *receives* it; network latency can make two requests look closer together to the
  server than they were to us. Rather than giving up a whole request per window (``limit - 1``
  would cost 10% of the 10/min endpoints), a slot is only reused ``window + margin`` seconds after
  it was taken. ``margin`` defaults to 2% of the window capped at one second (1 s for the 60 s
  window: far above any sane request latency, and it also absorbs the whole-second rounding of
  ``X-RateLimit-Reset``). Pass ``margin=`` explicitly to change it.
* **Server feedback** (:meth:`observe`): ``X-RateLimit-Remaining: 0`` holds the key until
  ``X-RateLimit-Reset`` (UTC epoch seconds); an ``X-RateLimit-Limit`` lower than ours is adopted
  (e.g. several processes share the organization's budget, or a plan has lower limits);
  ``Retry-After`` holds the key (same as :meth:`hold`).

Keys are operation ids from :data:`pytest_amigo.api.endpoints.ENDPOINTS`; a key without a known
limit is only subject to holds. The pacer is thread-safe; it never sleeps while holding its lock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

from pytest_amigo.api.endpoints import ENDPOINTS

__all__ = ["Pacer", "default_limits", "parse_retry_after"]

# Reset values below this are treated as "seconds from now" rather than epoch seconds
# (defensive: the contract says epoch, some gateways send a delta).
_EPOCH_THRESHOLD = 1_000_000_000


def default_limits() -> dict[str, int]:
    """Documented per-minute limits of every operation pytest-amigo uses."""
    return {op: e.per_minute for op, e in ENDPOINTS.items()}


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds (numeric or HTTP-date), ``None`` when absent or unparsable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None


class Pacer:
    """Thread-safe per-endpoint pacing (see module docstring). Use one per process."""

    def __init__(
        self,
        limits: Mapping[str, int] | None = None,
        *,
        window: float = 60.0,
        margin: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if window <= 0:
            raise ValueError("window must be positive")
        self._limits: dict[str, int] = dict(default_limits() if limits is None else limits)
        for key, limit in self._limits.items():
            if limit < 1:
                raise ValueError(f"limit for {key!r} must be >= 1, got {limit}")
        self._window = float(window)
        self._margin = min(1.0, 0.02 * self._window) if margin is None else max(0.0, margin)
        self._clock = clock
        self._sleep = sleep
        self._wall = wall_clock
        self._lock = threading.Lock()
        self._log: dict[str, deque[float]] = {}
        self._hold_until: dict[str, float] = {}

    # -- introspection -------------------------------------------------------------------------

    @property
    def window(self) -> float:
        return self._window

    @property
    def margin(self) -> float:
        return self._margin

    def limit(self, key: str) -> int | None:
        """Current limit for ``key`` (documented, or lower if the server said so)."""
        with self._lock:
            return self._limits.get(key)

    # -- core ----------------------------------------------------------------------------------

    def _delay_locked(self, key: str, now: float) -> float:
        wait = self._hold_until.get(key, now) - now
        limit = self._limits.get(key)
        log = self._log.get(key)
        if limit is not None and log:
            span = self._window + self._margin
            while log and log[0] <= now - span:
                log.popleft()
            if len(log) >= limit:
                wait = max(wait, log[len(log) - limit] + span - now)
        return max(0.0, wait)

    def delay(self, key: str) -> float:
        """How long :meth:`acquire` would wait now (no side effect besides pruning old entries)."""
        with self._lock:
            return self._delay_locked(key, self._clock())

    def acquire(self, key: str) -> float:
        """Block until a request for ``key`` may go out, record it, return the seconds waited."""
        start = self._clock()
        while True:
            with self._lock:
                now = self._clock()
                wait = self._delay_locked(key, now)
                if wait <= 0.0:
                    if key in self._limits:
                        self._log.setdefault(key, deque()).append(now)
                    return max(0.0, now - start)
            self._sleep(wait)

    def hold(self, key: str, seconds: float) -> None:
        """Nobody sends to ``key`` before now + ``seconds`` (e.g. ``Retry-After``)."""
        if seconds <= 0:
            return
        with self._lock:
            until = self._clock() + seconds
            if until > self._hold_until.get(key, float("-inf")):
                self._hold_until[key] = until

    def observe(self, key: str, headers: Mapping[str, str]) -> None:
        """Learn from a response's ``X-RateLimit-*`` and ``Retry-After`` headers."""
        h = _lower(headers)
        server_limit = _int(h.get("x-ratelimit-limit"))
        if server_limit is not None and server_limit >= 1:
            with self._lock:
                ours = self._limits.get(key)
                if ours is None or server_limit < ours:
                    self._limits[key] = server_limit
        remaining = _int(h.get("x-ratelimit-remaining"))
        reset = _int(h.get("x-ratelimit-reset"))
        if remaining is not None and remaining <= 0 and reset is not None:
            seconds = reset - self._wall() if reset >= _EPOCH_THRESHOLD else float(reset)
            # Reset is whole seconds; the margin covers a server that truncates it.
            self.hold(key, seconds + self._margin)
        retry_after = parse_retry_after(h.get("retry-after"), now=self._wall())
        if retry_after is not None:
            self.hold(key, retry_after)

    def snapshot(self) -> dict[str, int]:
        """Requests recorded per key within the current window (for diagnostics)."""
        with self._lock:
            now = self._clock()
            for key in list(self._log):
                self._delay_locked(key, now)
            return {k: len(v) for k, v in self._log.items() if v}
