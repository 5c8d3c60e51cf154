"""Fault injection: the fault plan, its parsing, and what it decides for each request."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from pytest_amigo.api.endpoints import Endpoint
from pytest_amigo.emulator.traffic.validation import BodyErrors, body_fields, is_int, is_number

MAINTENANCE_DETAIL = "The service is under temporary maintenance."
ERROR_DETAILS: dict[int, str] = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class FaultPlan:
    maintenance: list[tuple[float, float]] = field(default_factory=list)
    """Absolute ``(start, end)`` epoch windows answering 503."""
    maintenance_for: float = 0.0
    """Convenience: a maintenance window of this many seconds starting when the plan is set."""
    error_rate: float = 0.0
    """Fraction (0..1) of requests answering a random 500/502/503."""
    latency: float = 0.0
    """Seconds added before the app answers."""
    answer_latency: float = 0.0
    """Seconds an answer is held after the app made it (its state changes happened)."""
    drop_rate: float = 0.0
    """Fraction (0..1) of requests whose connection is cut mid-response."""
    burst_429: int = 0
    """The next N requests answer 429 with ``Retry-After: 1``."""
    only: list[str] = field(default_factory=list)
    """Operation ids the faults apply to; empty means every documented endpoint."""
    seed: int = 0
    """Seed of the random draws (error_rate, drop_rate)."""
    processed_errors: int = 0
    """The next N requests are processed by the app, then answered 503."""
    processed_drops: int = 0
    """The next N requests are processed by the app, then the connection is closed unanswered."""
    outage_after_drop: float = 0.0
    """Seconds the ``outage_only`` endpoints answer 503 after each processed drop: the lookups
    that would recover a lost answer fail too, for a while."""
    outage_only: list[str] = field(default_factory=list)
    """Operation ids of that outage; empty means those of ``only``."""
    drop_fields: list[str] = field(default_factory=list)
    """Keys removed at any depth from JSON answers (response-shape drift)."""
    add_fields: dict[str, Any] = field(default_factory=dict)
    """Keys added to every JSON object of JSON answers (fields a newer API might add)."""

    @property
    def drifts(self) -> bool:
        return bool(self.drop_fields or self.add_fields)

    def applies_to(self, endpoint: Endpoint) -> bool:
        return not self.only or endpoint.operation_id in self.only

    def maintenance_end(self, now: float) -> float | None:
        """End of the maintenance covering ``now`` (the latest if windows overlap), if any."""
        ends = [end for start, end in self.maintenance if start <= now < end]
        return max(ends) if ends else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["maintenance"] = [[start, end] for start, end in self.maintenance]
        return data


def parse_fault_plan(data: Any) -> FaultPlan:
    """Validate a JSON object into a :class:`FaultPlan`; raise :class:`FaultPlanError`."""
    data, errors = body_fields(data, sorted(f.name for f in fields(FaultPlan)))
    kwargs: dict[str, Any] = {}
    for check in _FIELD_CHECKS:
        check(data, kwargs, errors)
    errors.raise_any()
    return FaultPlan(**kwargs)


def _maintenance(data: dict[str, Any], kwargs: dict[str, Any], errors: BodyErrors) -> None:
    if "maintenance" not in data:
        return
    windows: list[tuple[float, float]] = []
    raw = data["maintenance"]
    if not isinstance(raw, list):
        errors.add("maintenance", "expected a list of [start, end] pairs")
    else:
        for item in raw:
            if (
                not isinstance(item, list | tuple)
                or len(item) != 2
                or not all(is_number(v) for v in item)
            ):
                errors.add("maintenance", f"expected [start, end] epoch seconds, got {item!r}")
            elif item[1] <= item[0]:
                errors.add("maintenance", f"window {item!r} ends before it starts")
            else:
                windows.append((float(item[0]), float(item[1])))
    kwargs["maintenance"] = windows


_NUMBERS: tuple[tuple[tuple[str, ...], Callable[[Any], bool], str, Callable[[Any], Any]], ...] = (
    (
        ("maintenance_for", "latency", "answer_latency", "outage_after_drop"),
        lambda v: is_number(v) and v >= 0,
        "expected a number of seconds >= 0",
        float,
    ),
    (
        ("error_rate", "drop_rate"),
        lambda v: is_number(v) and 0 <= v <= 1,
        "expected a fraction between 0 and 1",
        float,
    ),
    (
        ("burst_429", "processed_errors", "processed_drops"),
        lambda v: is_int(v) and v >= 0,
        "expected an integer >= 0",
        lambda v: v,
    ),
)
"""The numeric fields: (names, valid, what the error says is expected, conversion)."""


def _numbers(data: dict[str, Any], kwargs: dict[str, Any], errors: BodyErrors) -> None:
    for names, valid, expected, convert in _NUMBERS:
        for name in names:
            if name in data:
                value = data[name]
                if not valid(value):
                    errors.add(name, f"{expected}, got {value!r}")
                else:
                    kwargs[name] = convert(value)


def _drift(data: dict[str, Any], kwargs: dict[str, Any], errors: BodyErrors) -> None:
    if "drop_fields" in data:
        value = data["drop_fields"]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            errors.add("drop_fields", "expected a list of field names")
        else:
            kwargs["drop_fields"] = list(value)
    if "add_fields" in data:
        value = data["add_fields"]
        if not isinstance(value, dict) or not all(isinstance(k, str) and k for k in value):
            errors.add("add_fields", "expected an object {field name: value}")
        else:
            try:
                kwargs["add_fields"] = json.loads(json.dumps(value))
            except (TypeError, ValueError):
                errors.add("add_fields", "values must be JSON values")


def _only_and_seed(data: dict[str, Any], kwargs: dict[str, Any], errors: BodyErrors) -> None:
    for name in ("only", "outage_only"):
        if name not in data:
            continue
        value = data[name]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.add(name, "expected a list of operation ids")
        elif errors.known_operations(name, value):
            kwargs[name] = list(value)
    if "seed" in data:
        value = data["seed"]
        if not is_int(value):
            errors.add("seed", f"expected an integer, got {value!r}")
        else:
            kwargs["seed"] = value


_FIELD_CHECKS: tuple[Callable[[dict[str, Any], dict[str, Any], BodyErrors], None], ...] = (
    _maintenance,
    _numbers,
    _drift,
    _only_and_seed,
)
"""In the order their errors are reported."""


@dataclass
class Decision:
    """What the traffic layer does with one request of a documented endpoint."""

    fault: str | None = None
    status: int = 0
    retry_after: float | None = None
    """Seconds, for answers refused before the app (maintenance, 429s)."""
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    error: bool = False
    drop: bool = False
    processed: str | None = None
    """``processed_error`` or ``processed_drop``: the app answers, the client never sees it."""
    latency: float = 0.0
    answer_latency: float = 0.0
    drift: FaultPlan | None = None

    @property
    def refused(self) -> bool:
        """Answered before the app with ``Retry-After``."""
        return self.fault in ("maintenance", "burst_429", "rate_limit")


class FaultInjector:
    """The fault plan in force and its random draws. Callers hold the traffic lock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.plan = FaultPlan()
        self.rng = random.Random(0)
        self.outage_end: float | None = None  # the outage after the last processed drop

    def install(self, plan: FaultPlan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.outage_end = None
        self.anchor_maintenance()

    def anchor_maintenance(self) -> None:
        """Turn ``maintenance_for`` into an absolute window starting now."""
        plan = self.plan
        if plan.maintenance_for > 0:
            now = self.clock()
            plan.maintenance.append((now, now + plan.maintenance_for))
            plan.maintenance_for = 0.0

    def outage(self, decision: Decision, endpoint: Endpoint, now: float) -> None:
        """The 503 of an outage after a processed drop (``outage_after_drop``): a plain
        "Service Unavailable" without ``Retry-After``, as an overloaded backend answers."""
        end, plan = self.outage_end, self.plan
        if end is None or now >= end:
            return
        if endpoint.operation_id in (plan.outage_only or plan.only):
            decision.fault, decision.status, decision.error = "outage", 503, True

    def refuse(self, decision: Decision, now: float) -> None:
        """Maintenance or an injected 429 (neither counted against the rate limit)."""
        plan = self.plan
        if (m_end := plan.maintenance_end(now)) is not None:
            decision.fault, decision.status, decision.retry_after = "maintenance", 503, m_end - now
        elif plan.burst_429 > 0:
            plan.burst_429 -= 1
            decision.fault, decision.status, decision.retry_after = "burst_429", 429, 1.0

    def draw(self, decision: Decision) -> None:
        """For an admitted request: processed errors/drops first, then the random draws."""
        plan = self.plan
        if plan.processed_errors > 0:
            plan.processed_errors -= 1
            decision.processed = decision.fault = "processed_error"
        elif plan.processed_drops > 0:
            plan.processed_drops -= 1
            decision.processed = decision.fault = "processed_drop"
            if plan.outage_after_drop > 0:
                self.outage_end = self.clock() + plan.outage_after_drop
        else:
            if plan.error_rate > 0 and self.rng.random() < plan.error_rate:
                decision.error = True
                decision.status = self.rng.choice(sorted(ERROR_DETAILS))
                decision.fault = "error"
            if not decision.error and plan.drop_rate > 0 and self.rng.random() < plan.drop_rate:
                decision.drop = True
                decision.fault = "drop"

    def shape(self, decision: Decision) -> None:
        """Latency and response drift of a request the plan applies to."""
        decision.latency = self.plan.latency
        decision.answer_latency = self.plan.answer_latency
        decision.drift = self.plan if self.plan.drifts else None
