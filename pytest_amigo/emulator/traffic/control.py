"""The traffic layer's state and its per-request decision, without the ASGI side.

:class:`TrafficControl` holds the request log, the fault plan and the rate-limit counters under
one lock. The admin endpoints (``admin.py``) read and change it; the middleware
(``middleware.py``) is a ``TrafficControl`` that also speaks ASGI: it asks ``decide`` what to do
with each request, then answers and logs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pytest_amigo.api.endpoints import Endpoint
from pytest_amigo.emulator.traffic.faults import Decision, FaultInjector, FaultPlan
from pytest_amigo.emulator.traffic.log import RequestLog
from pytest_amigo.emulator.traffic.rate_limits import RateLimiter, TrafficPolicy


class TrafficControl:
    """The request log, the fault plan and the rate limits, changed and consulted under a lock."""

    def __init__(self, policy: TrafficPolicy, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.log = RequestLog()
        self._lock = threading.Lock()
        self._limiter = RateLimiter(policy)
        self._injector = FaultInjector(clock)

    @property
    def policy(self) -> TrafficPolicy:
        return self._limiter.policy

    @property
    def faults(self) -> FaultPlan:
        return self._injector.plan

    @faults.setter
    def faults(self, plan: FaultPlan) -> None:
        with self._lock:
            self._injector.install(plan)

    def reset_rate_limits(self) -> None:
        with self._lock:
            self._limiter.reset()

    def set_rate_limits(self, policy: TrafficPolicy) -> None:
        """Switch to the settings of ``policy`` and reset the counters."""
        with self._lock:
            self._limiter.adopt(policy)

    def decide(self, endpoint: Endpoint, org: str, now: float) -> Decision:
        """Faults first (see the package's order), the rate limit in between."""
        with self._lock:
            decision = Decision()
            self._injector.anchor_maintenance()
            faulty = self._injector.plan.applies_to(endpoint)
            self._injector.outage(decision, endpoint, now)
            if faulty and decision.fault is None:
                self._injector.refuse(decision, now)
            if self.policy.rate_limits:
                allowed, decision.headers, end = self._limiter.check(
                    endpoint, org, now, consume=decision.fault is None
                )
                if not allowed:
                    decision.fault, decision.status = "rate_limit", 429
                    decision.retry_after = end - now
            if faulty:
                if decision.fault is None:
                    self._injector.draw(decision)
                self._injector.shape(decision)
            return decision
