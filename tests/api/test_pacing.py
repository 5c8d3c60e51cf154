"""Pacer unit tests with a fake clock (no real sleeping)."""

from __future__ import annotations

import threading

import pytest

from pytest_amigo.api.endpoints import ENDPOINTS
from pytest_amigo.api.pacing import Pacer, parse_retry_after


class FakeTime:
    def __init__(self, start: float = 1000.0, wall: float = 1_700_000_000.0) -> None:
        self.now = start
        self.wall0 = wall
        self.start = start
        self.sleeps: list[float] = []
        self.lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.wall0 + (self.now - self.start)

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.now += seconds


def make(limits: dict[str, int] | None = None, **kw: float) -> tuple[Pacer, FakeTime]:
    t = FakeTime()
    pacer = Pacer(
        limits if limits is not None else {"op": 3},
        clock=t.clock,
        sleep=t.sleep,
        wall_clock=t.wall,
        **kw,  # type: ignore[arg-type]
    )
    return pacer, t


def test_defaults_come_from_endpoint_table() -> None:
    pacer = Pacer()
    for op, endpoint in ENDPOINTS.items():
        assert pacer.limit(op) == endpoint.per_minute
    assert pacer.window == 60.0
    assert pacer.margin == 1.0


def test_sliding_window_allows_limit_then_waits() -> None:
    pacer, t = make(window=10.0, margin=0.5)
    assert [pacer.acquire("op") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert t.sleeps == []
    assert pacer.delay("op") == pytest.approx(10.5)
    waited = pacer.acquire("op")
    assert waited == pytest.approx(10.5)
    assert t.now == pytest.approx(1010.5)


def test_sliding_log_never_exceeds_limit_in_any_window() -> None:
    pacer, t = make({"op": 4}, window=10.0, margin=0.1)
    sent: list[float] = []
    for i in range(40):
        pacer.acquire("op")
        sent.append(t.now)
        t.now += 0.7 * (i % 3)  # irregular work between requests
    for i, start in enumerate(sent):
        in_window = [s for s in sent[i:] if s < start + 10.0]
        assert len(in_window) <= 4


def test_spread_requests_do_not_wait() -> None:
    pacer, t = make(window=10.0, margin=0.0)
    for _ in range(10):
        assert pacer.acquire("op") == 0.0
        t.now += 4.0
    assert t.sleeps == []


def test_keys_are_independent_and_unknown_keys_unlimited() -> None:
    pacer, t = make({"a": 1, "b": 1}, window=10.0)
    pacer.acquire("a")
    assert pacer.delay("b") == 0.0
    assert pacer.delay("a") > 0.0
    for _ in range(100):
        assert pacer.acquire("unknown") == 0.0
    assert t.sleeps == []


def test_delay_has_no_side_effect() -> None:
    pacer, _ = make({"op": 1}, window=10.0)
    for _ in range(5):
        assert pacer.delay("op") == 0.0
    assert pacer.acquire("op") == 0.0


def test_observe_remaining_zero_holds_until_reset() -> None:
    pacer, t = make({"op": 100}, window=60.0, margin=0.0)
    reset = int(t.wall()) + 7
    pacer.observe(
        "op",
        {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
    )
    assert pacer.delay("op") == pytest.approx(7.0)
    assert pacer.acquire("op") == pytest.approx(7.0)
    assert pacer.delay("op") == 0.0


def test_observe_remaining_positive_does_not_hold() -> None:
    pacer, _ = make({"op": 100})
    pacer.observe(
        "op",
        {
            "x-ratelimit-limit": "100",
            "x-ratelimit-remaining": "3",
            "x-ratelimit-reset": "99999999999",
        },
    )
    assert pacer.delay("op") == 0.0


def test_observe_adopts_lower_server_limit_only() -> None:
    pacer, t = make({"op": 5}, window=10.0, margin=0.0)
    pacer.observe("op", {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "49"})
    assert pacer.limit("op") == 5
    pacer.observe("op", {"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "1"})
    assert pacer.limit("op") == 2
    pacer.acquire("op")
    pacer.acquire("op")
    assert pacer.delay("op") == pytest.approx(10.0)
    assert t.sleeps == []


def test_hold_and_retry_after() -> None:
    pacer, _ = make({"op": 100})
    pacer.hold("op", 3.0)
    pacer.hold("op", 1.0)  # a shorter hold never shortens a longer one
    assert pacer.delay("op") == pytest.approx(3.0)
    pacer.observe("op", {"Retry-After": "12"})
    assert pacer.delay("op") == pytest.approx(12.0)
    assert pacer.delay("other") == 0.0
    assert pacer.acquire("op") == pytest.approx(12.0)


def test_garbage_headers_are_ignored() -> None:
    pacer, _ = make({"op": 3})
    pacer.observe(
        "op", {"X-RateLimit-Limit": "lots", "X-RateLimit-Remaining": "", "Retry-After": "soon"}
    )
    assert pacer.limit("op") == 3
    assert pacer.delay("op") == 0.0


def test_parse_retry_after_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == pytest.approx(
        10.0
    )
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after(None) is None


def test_invalid_configuration() -> None:
    with pytest.raises(ValueError):
        Pacer({"op": 0})
    with pytest.raises(ValueError):
        Pacer(window=0)


def test_thread_safety_never_over_admits() -> None:
    # Real threads, fake time: the fake clock only moves when someone "sleeps".
    pacer, t = make({"op": 5}, window=10.0, margin=0.0)
    stamps: list[float] = []
    stamps_lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            pacer.acquire("op")
            with stamps_lock:
                stamps.append(t.now)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=10)
    assert len(stamps) == 40
    # Every admission happened while at most 5 were recorded in the trailing window.
    assert sum(pacer.snapshot().values()) <= 5
    # 40 admissions at 5 per 10 s need at least 7 full windows of (fake) time.
    assert t.now - t.start >= 70.0 - 1e-9
