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
  (e.g. a plan has lower limits); ``Retry-After`` holds the key (same as :meth:`hold`).
* **Sharing the organization's budget** (several pytest sessions, pipelines, scripts of one
  organization draw from the same per-endpoint budget, which no process sees but through the
  headers). Between two of our answers in the same window (same ``X-RateLimit-Reset``), the
  drop of ``X-RateLimit-Remaining`` is our own request plus everybody else's: that drop is the
  *share* (:func:`consumer_share`), and the others' requests over the time between the two
  answers their rate. When somebody else draws (share > 1), our next request waits
  :func:`budget_spacing`: the budget affords ``remaining / time to reset`` requests a second;
  we take what the others leave of it, never less than a fair share (``1 / share``) of it. So
  the remaining requests are spread over the time left instead of going out in a burst until
  0, and the spacing widens as the budget falls. A reset in the past restores the budget (no
  spacing). Alone (share 1) nothing changes: the sliding log keeps us below the limit and a
  burst up to it is fine.
* **The first polls** (:func:`window_share`, :func:`early_poll_gap`, :meth:`Pacer.early_gap`):
  one answer already tells how much of the window's budget went to others (the limit less
  what remains, per request of ours in the window), and a poller whose runs can have no result
  yet asks for the time of its next poll from it, so that sessions started together keep
  their part of the budget for when their runs can be done (issue 24).
* **Jitter** (:func:`jittered`): the waits derived from the budget (remaining 0 until the
  reset, spacing) are lengthened by a random extra of at most ``jitter`` of it (capped at
  ``jitter_cap`` seconds), drawn from a per-pacer random generator, so sessions started
  together or refused together do not come back in lockstep. Never shorter than asked; a bare
  ``Retry-After`` is held exactly (a 429 of Amigo also says remaining 0, which is jittered).

Keys are operation ids from :data:`pytest_amigo.api.endpoints.ENDPOINTS`; a key without a known
limit is only subject to holds. The pacer is thread-safe; it never sleeps while holding its lock.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from pytest_amigo.api.endpoints import ENDPOINTS

__all__ = [
    "Pacer",
    "budget_spacing",
    "consumer_share",
    "default_limits",
    "early_poll_gap",
    "fair_pace",
    "jittered",
    "parse_retry_after",
    "seconds_to_reset",
    "window_share",
]

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


def seconds_to_reset(reset: float | None, now: float) -> float | None:
    """Seconds from ``now`` (UTC epoch) until ``X-RateLimit-Reset``; ``None`` when unknown.

    The contract says epoch seconds; a small value is read as a delta (some gateways send one).
    Negative when the reset has passed (the budget is restored)."""
    if reset is None:
        return None
    return reset - now if reset >= _EPOCH_THRESHOLD else float(reset)


def budget_spacing(
    remaining: int, to_reset: float | None, share: float = 1.0, others_rate: float | None = None
) -> float:
    """Seconds between our requests so the budget lasts until it resets.

    ``remaining`` requests are left for ``to_reset`` seconds: the budget affords
    ``remaining / to_reset`` requests a second. Everybody else draws ``others_rate`` of them;
    we take what they leave, but never less than a fair share among ``share`` consumers
    (ourselves included): one request every ``to_reset * share / remaining`` seconds at most
    (also when ``others_rate`` is unknown). The spacing widens as the budget falls; never beyond
    the reset (the budget is restored then); 0 when the reset has passed or is unknown, or when
    we are alone (``share <= 1``: our own log keeps us below the limit, bursts included)."""
    if to_reset is None or to_reset <= 0 or share <= 1.0:
        return 0.0
    if remaining <= 0:
        return to_reset
    afford = remaining / to_reset
    ours = afford / share
    if others_rate is not None:
        ours = max(ours, afford - max(0.0, others_rate))
    return min(to_reset, 1.0 / ours)


def fair_pace(share: float, limit: int | None, window: float = 60.0) -> float | None:
    """Seconds between requests at a fair share of the budget: ``limit`` requests a ``window``
    for ``share`` consumers (ourselves included). ``None`` when alone (``share <= 1``) or the
    limit is unknown: then only the caller's own cadence counts.

    A poller that backs off while nothing changes need not back off beyond this: the requests
    it leaves unsent are no use to the others, each of whom keeps to its own share
    (:func:`budget_spacing`), so they would only lengthen its wait for a result."""
    if limit is None or limit < 1 or share <= 1.0 or window <= 0:
        return None
    return window * share / limit


def window_share(limit: int | None, remaining: int, ours: int) -> float | None:
    """Requests of the current window per one of ours, from a single answer: the limit less
    ``remaining`` is what the window has spent, ``ours`` of it ours (our requests since the
    window began, the one answered included). ``None`` when it can't be told (no limit, none of
    ours counted). Sessions started together see 1, 2, 3, 4 on their first answers; a session
    started after others stopped overestimates (their requests count as if still going): the
    callers bound what they do with it (:func:`early_poll_gap`)."""
    if limit is None or ours < 1:
        return None
    return max(1.0, (limit - remaining) / ours)


def early_poll_gap(
    remaining: int,
    to_reset: float | None,
    share: float,
    limit: int | None,
    *,
    window: float = 60.0,
    until_result: float | None = None,
) -> float:
    """Seconds from now to the next poll of runs none of which has a result yet; 0: no rule.

    A poll before any run can be done spends the shared budget on nothing, and the runs that end
    once it is spent wait for the window's reset (4 sessions of one organization started
    together, a list limit of 12 a minute, sets of 6-8 s: two polls each in the first seconds
    left 4 requests for 50 s, and the verdicts waited for the next minute). So, while the budget
    is shared (``share`` > 1, ourselves included):

    * **what the budget has left**: our part of the ``remaining`` requests, ``remaining /
      share``, spread evenly until the reset ``to_reset`` seconds away, i.e. a poll every
      ``to_reset * share / remaining`` seconds; never slower than the fair pace of the whole
      budget (:func:`fair_pace`, 20 s for 4 sessions and 12 a minute): a budget the first polls
      overspent is not made up by waiting alone, and an overestimated share
      (:func:`window_share`) costs at most one fair spacing;
    * **how long the runs can take**: not before ``until_result`` seconds from now, the earliest
      a run could give a result when that is known (the caller's estimate); ``None``: unknown.

    Alone (``share <= 1``), with the reset unknown or past, there is no rule (0): the poll
    interval and the pacer's own log apply as they are."""
    if to_reset is None or to_reset <= 0 or share <= 1.0:
        return 0.0
    gap = to_reset if remaining <= 0 else min(to_reset, to_reset * share / remaining)
    pace = fair_pace(share, limit, window)
    if pace is not None:
        gap = min(gap, pace)
    if until_result is not None:
        gap = max(gap, until_result)
    return max(0.0, gap)


def consumer_share(previous: int | None, remaining: int, same_window: bool) -> float | None:
    """How many requests went out per one of ours, from two consecutive answers' remaining.

    ``previous`` and ``remaining`` are ``X-RateLimit-Remaining`` of our last two answers; in the
    same window the drop is our request plus everybody else's. ``None`` when it can't be told
    (first answer, new window, answers out of order)."""
    if previous is None or not same_window:
        return None
    drop = previous - remaining
    return float(drop) if drop >= 1 else None


def jittered(seconds: float, u: float, *, fraction: float = 0.2, cap: float = 2.0) -> float:
    """``seconds`` plus a random extra: ``u`` in [0, 1) times ``min(cap, fraction * seconds)``.

    Bounded (``seconds <= result < seconds + min(cap, fraction * seconds)``) and never shorter
    than asked, so a ``Retry-After`` is always honoured."""
    if seconds <= 0:
        return max(0.0, seconds)
    return seconds + min(cap, fraction * seconds) * min(max(u, 0.0), 1.0)


@dataclass
class _Budget:
    """What the server last said about a key's budget."""

    remaining: int
    reset: float
    at: float
    """Our clock when the answer was read."""
    share: float = 1.0
    others_rate: float | None = None
    """Requests a second everybody else sent between our last two answers (None: unknown)."""
    window_share: float | None = None
    """:func:`window_share` of this answer (None: unknown)."""


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
        jitter: float = 0.2,
        jitter_cap: float = 2.0,
        rng: random.Random | None = None,
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
        self._spaced_until: dict[str, float] = {}
        self._budget: dict[str, _Budget] = {}
        self._jitter = max(0.0, jitter)
        self._jitter_cap = max(0.0, jitter_cap)
        # Seeded from the OS: two processes started together draw different jitter.
        self._rng = rng if rng is not None else random.Random()

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

    def share(self, key: str) -> float:
        """Requests sent per one of ours on ``key``'s budget, as last measured (1: alone)."""
        with self._lock:
            budget = self._budget.get(key)
            return 1.0 if budget is None else budget.share

    def fair_pace(self, key: str) -> float | None:
        """Seconds between requests at our fair share of ``key``'s budget (see
        :func:`fair_pace`); None when alone or without a known limit."""
        with self._lock:
            budget = self._budget.get(key)
            share = 1.0 if budget is None else budget.share
            return fair_pace(share, self._limits.get(key), self._window)

    def early_gap(self, key: str, until_result: float | None = None) -> float:
        """Seconds before the next request of a poller none of whose runs has a result yet (see
        :func:`early_poll_gap`), from the last answer on ``key``: the share measured between
        two answers of the window, else the one answer's :func:`window_share`. 0: no answer
        yet, or alone."""
        with self._lock:
            budget = self._budget.get(key)
            limit = self._limits.get(key)
        if budget is None:
            return 0.0
        share = budget.share if budget.others_rate is not None else budget.window_share
        to_reset = seconds_to_reset(budget.reset, self._wall())
        return early_poll_gap(
            budget.remaining,
            to_reset,
            1.0 if share is None else share,
            limit,
            window=self._window,
            until_result=until_result,
        )

    def jitter(self, seconds: float) -> float:
        """``seconds`` lengthened by this pacer's random jitter (see :func:`jittered`)."""
        with self._lock:
            u = self._rng.random()
        return jittered(seconds, u, fraction=self._jitter, cap=self._jitter_cap)

    # -- core ----------------------------------------------------------------------------------

    def _delay_locked(self, key: str, now: float) -> float:
        wait = max(self._hold_until.get(key, now), self._spaced_until.get(key, now)) - now
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

    def _space(self, key: str, remaining: int, reset: float, to_reset: float) -> None:
        """Learn the share from this answer and space our next request (see module docs)."""
        with self._lock:
            now = self._clock()
            last = self._budget.get(key)
            measured = consumer_share(
                None if last is None else last.remaining,
                remaining,
                last is not None and last.reset == reset,
            )
            if measured is not None and last is not None:
                share = measured
                elapsed = now - last.at
                others = (measured - 1.0) / elapsed if elapsed > 0 else None
            elif last is not None:
                share, others = last.share, last.others_rate
            else:
                share, others = 1.0, None
            ours = sum(1 for t in self._log.get(key, ()) if t >= now + to_reset - self._window)
            in_window = window_share(self._limits.get(key), remaining, ours)
            self._budget[key] = _Budget(remaining, reset, now, share, others, in_window)
            spacing = budget_spacing(remaining, to_reset, share, others)
            if spacing <= 0:
                self._spaced_until.pop(key, None)
                return
            u = self._rng.random()
            self._spaced_until[key] = self._clock() + jittered(
                spacing, u, fraction=self._jitter, cap=self._jitter_cap
            )

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
        to_reset = seconds_to_reset(reset, self._wall())
        if remaining is not None and reset is not None and to_reset is not None:
            if remaining <= 0:
                # Reset is whole seconds; the margin covers a server that truncates it.
                self.hold(key, self.jitter(to_reset + self._margin))
            self._space(key, remaining, reset, to_reset)
        retry_after = parse_retry_after(h.get("retry-after"), now=self._wall())
        if retry_after is not None:
            # Exactly as asked: a 429 of Amigo also carries remaining 0 (held with jitter above).
            self.hold(key, retry_after)

    def snapshot(self) -> dict[str, int]:
        """Requests recorded per key within the current window (for diagnostics)."""
        with self._lock:
            now = self._clock()
            for key in list(self._log):
                self._delay_locked(key, now)
            return {k: len(v) for k, v in self._log.items() if v}
