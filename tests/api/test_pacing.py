"""Pacer unit tests with a fake clock (no real sleeping)."""

from __future__ import annotations

import threading

import pytest

from pytest_amigo.api.endpoints import ENDPOINTS
from pytest_amigo.api.pacing import (
    Pacer,
    budget_spacing,
    consumer_share,
    jittered,
    parse_retry_after,
    seconds_to_reset,
)
from support.doubles import FakeTime


def make(limits: dict[str, int] | None = None, **kw: float) -> tuple[Pacer, FakeTime]:
    """A pacer on fake time; no jitter unless asked (exact waits)."""
    kw.setdefault("jitter", 0.0)
    t = FakeTime(start=1000.0)
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


# -- sharing the organization's budget -------------------------------------------------------


def _budget(limit: int, remaining: int, reset: int) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
    }


def test_budget_spacing_widens_as_remaining_falls() -> None:
    spacings = [budget_spacing(r, 30.0, share=4) for r in (40, 20, 10, 5, 2, 1)]
    assert spacings == sorted(spacings)
    assert spacings[0] == pytest.approx(30.0 * 4 / 40)
    assert spacings[2] == pytest.approx(12.0)
    # Never beyond the reset: the budget is restored then.
    assert spacings[-1] == pytest.approx(30.0)
    assert budget_spacing(0, 30.0, share=4) == pytest.approx(30.0)
    # Less time left for the same budget: closer together.
    assert budget_spacing(10, 10.0, share=4) < budget_spacing(10, 30.0, share=4)


def test_budget_spacing_nothing_when_alone_reset_passed_or_unknown() -> None:
    assert budget_spacing(1, 30.0, share=1) == 0.0  # alone: the sliding log suffices
    assert budget_spacing(1, -0.5, share=8) == 0.0  # reset passed: budget restored
    assert budget_spacing(1, 0.0, share=8) == 0.0
    assert budget_spacing(1, None, share=8) == 0.0


def test_seconds_to_reset_epoch_or_delta() -> None:
    assert seconds_to_reset(1_700_000_030, 1_700_000_000.0) == pytest.approx(30.0)
    assert seconds_to_reset(1_700_000_000, 1_700_000_005.0) == pytest.approx(-5.0)
    assert seconds_to_reset(12, 1_700_000_000.0) == 12.0  # a delta
    assert seconds_to_reset(None, 1.0) is None


def test_consumer_share_from_the_drop_between_our_answers() -> None:
    assert consumer_share(40, 39, same_window=True) == 1.0  # only our own request
    assert consumer_share(40, 32, same_window=True) == 8.0  # seven others in between
    assert consumer_share(None, 32, same_window=True) is None
    assert consumer_share(40, 45, same_window=False) is None  # new window
    assert consumer_share(30, 31, same_window=True) is None  # answers out of order


def test_jittered_is_bounded_and_never_shorter() -> None:
    assert jittered(10.0, 0.0) == 10.0
    assert jittered(10.0, 0.999) == pytest.approx(10.0 + 0.2 * 10.0 * 0.999)
    assert jittered(100.0, 0.999, cap=2.0) < 102.0
    assert jittered(0.0, 0.7) == 0.0
    for u in (0.0, 0.3, 0.9999):
        assert 5.0 <= jittered(5.0, u, fraction=0.1) < 5.5


def test_lone_session_is_not_spaced() -> None:
    pacer, t = make({"op": 50}, window=60.0, margin=0.0)
    reset = int(t.wall()) + 40
    for remaining in range(49, 30, -1):  # every drop is our own request
        pacer.acquire("op")
        pacer.observe("op", _budget(50, remaining, reset))
    assert pacer.share("op") == 1.0
    assert pacer.delay("op") == 0.0
    assert t.sleeps == []


def test_others_drawing_spread_the_remaining_budget_until_reset() -> None:
    pacer, t = make({"op": 50}, window=60.0, margin=0.0)
    reset = int(t.wall()) + 40
    pacer.acquire("op")
    pacer.observe("op", _budget(50, 44, reset))
    assert pacer.delay("op") == 0.0  # one answer: nobody known to share
    pacer.acquire("op")
    pacer.observe("op", _budget(50, 40, reset))  # 3 others between our two requests
    assert pacer.share("op") == 4.0
    assert pacer.delay("op") == pytest.approx(40.0 * 4 / 40)
    waited = pacer.acquire("op")
    assert waited == pytest.approx(4.0)
    # The budget keeps falling at the same share: wider spacing.
    pacer.observe("op", _budget(50, 36, reset))
    assert pacer.delay("op") == pytest.approx((40.0 - 4.0) * 4 / 36)
    t.now += 1.0
    pacer.observe("op", _budget(50, 8, reset))  # much less left: much wider
    assert pacer.share("op") == 28.0
    assert pacer.delay("op") == pytest.approx(40.0 - 5.0)  # capped at the reset


def test_reset_passed_restores_the_budget() -> None:
    pacer, t = make({"op": 50}, window=60.0, margin=0.0)
    reset = int(t.wall()) + 10
    pacer.observe("op", _budget(50, 20, reset))
    pacer.observe("op", _budget(50, 12, reset))
    assert pacer.delay("op") == pytest.approx(10.0 * 8 / 12)
    t.now += 10.0
    assert pacer.delay("op") == 0.0
    # A reset already past when the answer is read: no spacing at all.
    pacer.observe("op", _budget(50, 2, reset))
    assert pacer.share("op") == 10.0
    assert pacer.delay("op") == 0.0
    # The next window (new reset) keeps the share until measured again.
    pacer.observe("op", _budget(50, 40, reset + 60))
    assert pacer.share("op") == 10.0
    assert pacer.delay("op") == pytest.approx(60.0 * 10 / 40)


def test_remaining_zero_waits_for_the_reset_with_bounded_jitter() -> None:
    pacer, t = make({"op": 50}, window=60.0, margin=0.5, jitter=0.2, jitter_cap=2.0)
    reset = int(t.wall()) + 20
    pacer.observe("op", _budget(50, 0, reset))
    assert 20.5 <= pacer.delay("op") < 20.5 + 2.0


def test_retry_after_is_honoured_exactly_even_with_jitter() -> None:
    pacer, t = make({"op": 100}, jitter=0.5)
    pacer.observe("op", {"Retry-After": "7"})
    assert pacer.delay("op") == pytest.approx(7.0)
    assert pacer.acquire("op") == pytest.approx(7.0)
    assert t.sleeps == [pytest.approx(7.0)]
    # With the budget headers of a 429 the wait is at least Retry-After, jittered.
    reset = int(t.wall()) + 7
    pacer.observe("op", {"Retry-After": "7", **_budget(100, 0, reset)})
    assert 7.0 <= pacer.delay("op") < 7.0 + 1.0 + 2.0


def test_two_pacers_jitter_differently_within_bounds() -> None:
    delays = []
    for _ in range(2):
        pacer, t = make({"op": 50}, window=60.0, margin=0.0, jitter=0.2, jitter_cap=2.0)
        reset = int(t.wall()) + 30
        pacer.observe("op", _budget(50, 30, reset))
        pacer.observe("op", _budget(50, 20, reset))  # share 10: spacing 30*10/20 -> 15 s
        delays.append(pacer.delay("op"))
    assert all(15.0 <= d < 17.0 for d in delays), delays
    assert delays[0] != delays[1]
    # Two pacers' own random generators draw different sequences.
    a, b = Pacer(), Pacer()
    assert [a.jitter(10.0) for _ in range(5)] != [b.jitter(10.0) for _ in range(5)]
    assert all(10.0 <= a.jitter(10.0) < 12.0 for _ in range(50))


def test_budget_spacing_takes_what_the_others_leave_but_at_least_a_fair_share() -> None:
    # 40 left for 30 s: 1.33 requests a second for everybody.
    fair = budget_spacing(40, 30.0, share=4)
    assert fair == pytest.approx(3.0)
    assert budget_spacing(40, 30.0, share=4, others_rate=0.3) == pytest.approx(1 / (40 / 30 - 0.3))
    assert budget_spacing(40, 30.0, share=4, others_rate=5.0) == pytest.approx(fair)
    # Others at the same rate, less budget left: wider.
    assert budget_spacing(10, 30.0, share=4, others_rate=0.3) > budget_spacing(
        40, 30.0, share=4, others_rate=0.3
    )


def test_slow_others_leave_us_most_of_the_budget() -> None:
    pacer, t = make({"op": 50}, window=60.0, margin=0.0)
    reset = int(t.wall()) + 40
    pacer.observe("op", _budget(50, 44, reset))
    t.now += 10.0
    pacer.observe("op", _budget(50, 40, reset))  # 3 others in 10 s: 0.3 a second
    assert pacer.share("op") == 4.0
    assert pacer.delay("op") == pytest.approx(1 / (40 / 30 - 0.3))
