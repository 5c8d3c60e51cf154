"""Token refresh: min(5 min, half the token's life) before expiry, never more sign-ins than the
documented 5 a minute, no wait while a still-valid token is in hand, one token for every process
of a session, and a second sign-in after a 401 on a token we believed valid.

The emulator tests run over real loopback HTTP with short-lived tokens (``token_ttl``)."""

from __future__ import annotations

import datetime as dt
import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from amigo_sdk.generated.model import UserSignInWithApiKeyResponse
from amigo_sdk.http_client import _should_refresh_token as sdk_should_refresh

from pytest_amigo.api import Pacer, SimulationApi
from pytest_amigo.api.pacing import default_limits
from pytest_amigo.api.tokens import (
    SessionToken,
    is_due,
    is_usable,
    refresh_at,
    sign_in_delay,
    stamped,
)
from pytest_amigo.lifecycle.shared import SharedState, SharedTokenCache

emulator = pytest.importorskip("pytest_amigo.emulator")
Emulator = emulator.Emulator
World = emulator.World

SIGN_IN = "sign-in-with-api-key"
T0 = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
WORLD: dict[str, Any] = {
    "emulator": {"organization": "acme-token-tests"},
    "metrics": [{"name": "Resolved", "type": "boolean"}],
    "personas": [{"name": "Alice", "role": "Customer"}],
    "scenarios": [{"name": "Refund"}],
    "unit_tests": [
        {
            "name": "Refund flow",
            "persona": "Alice",
            "scenario": "Refund",
            "criteria": [{"metric": "Resolved", "expected": True}],
        }
    ],
    "sets": [{"name": "Checkout", "unit_tests": ["Refund flow"]}],
}


def _token(life: dt.timedelta, obtained: dt.datetime | None = T0) -> SessionToken:
    start = obtained or T0
    return SessionToken(id_token="t", expires_at=start + life, obtained_at=obtained)


# -- the rules ---------------------------------------------------------------------------------


def test_sdk_rule_refreshes_a_short_token_before_every_request() -> None:
    """Why we override: amigo-sdk's rule (http_client.py:85-88) says a brand-new 6 s token
    (or any token of 5 minutes or less) must already be refreshed."""
    fresh = UserSignInWithApiKeyResponse(
        id_token="t", expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=6)
    )
    assert sdk_should_refresh(fresh)
    assert not is_due(stamped(fresh, dt.datetime.now(dt.UTC)), dt.datetime.now(dt.UTC))


@pytest.mark.parametrize(
    ("life", "margin"),
    [
        (dt.timedelta(hours=1), dt.timedelta(minutes=5)),
        (dt.timedelta(minutes=10), dt.timedelta(minutes=5)),
        (dt.timedelta(minutes=6), dt.timedelta(minutes=3)),
        (dt.timedelta(seconds=6), dt.timedelta(seconds=3)),
    ],
)
def test_refresh_at_min_of_five_minutes_and_half_the_life(
    life: dt.timedelta, margin: dt.timedelta
) -> None:
    token = _token(life)
    assert refresh_at(token) == token.expires_at - margin
    assert not is_due(token, refresh_at(token) - dt.timedelta(milliseconds=1))
    assert is_due(token, refresh_at(token))
    assert is_due(None, T0)


def test_usable_until_just_before_expiry() -> None:
    short, long = _token(dt.timedelta(seconds=10)), _token(dt.timedelta(hours=1))
    assert is_usable(short, T0 + dt.timedelta(seconds=8.9))
    assert not is_usable(short, T0 + dt.timedelta(seconds=9))  # a tenth of its life
    assert is_usable(long, long.expires_at - dt.timedelta(seconds=31))
    assert not is_usable(long, long.expires_at - dt.timedelta(seconds=30))  # at most 30 s
    assert not is_usable(None, T0)


def test_unknown_obtained_at_counts_from_now() -> None:
    plain = UserSignInWithApiKeyResponse(id_token="t", expires_at=T0 + dt.timedelta(seconds=8))
    token = stamped(plain, T0 + dt.timedelta(seconds=2))
    assert token is not None and token.obtained_at == T0 + dt.timedelta(seconds=2)
    assert refresh_at(token) == T0 + dt.timedelta(seconds=5)  # half of the 6 s that remain
    kept = _token(dt.timedelta(seconds=8))
    assert stamped(kept, T0 + dt.timedelta(seconds=5)) is kept
    assert stamped(None, T0) is None


def test_sign_in_delay_counts_every_process() -> None:
    assert sign_in_delay([], now=100.0, limit=5, window=61.0) == 0.0
    assert sign_in_delay([50.0, 60.0, 70.0, 80.0], now=100.0, limit=5, window=61.0) == 0.0
    history = [30.0, 50.0, 60.0, 70.0, 80.0]  # 30.0 is out of the window
    assert sign_in_delay(history, now=100.0, limit=5, window=61.0) == 0.0
    history = [45.0, 50.0, 60.0, 70.0, 80.0]
    assert sign_in_delay(history, now=100.0, limit=5, window=61.0) == pytest.approx(6.0)


# -- the shared cache ----------------------------------------------------------------------------


def test_shared_cache_keeps_obtained_at_and_the_sign_in_history(tmp_path: Path) -> None:
    cache = SharedTokenCache(SharedState(tmp_path / "state"))
    assert cache.load() is None and cache.sign_ins() == []
    now = dt.datetime.now(dt.UTC)
    old = now - dt.timedelta(seconds=500)
    with cache.hold():
        cache.store(_token(dt.timedelta(seconds=6), obtained=old))
        cache.store(_token(dt.timedelta(seconds=6), obtained=now - dt.timedelta(seconds=10)))
        cache.store(_token(dt.timedelta(seconds=6), obtained=now))
    loaded = cache.load()
    assert isinstance(loaded, SessionToken)
    assert loaded.obtained_at == now and loaded.expires_at == now + dt.timedelta(seconds=6)
    # the sign-in 500 s ago is pruned, the two recent ones are kept
    assert cache.sign_ins() == pytest.approx(
        [(now - dt.timedelta(seconds=10)).timestamp(), now.timestamp()]
    )
    mode = stat.S_IMODE(os.stat(cache.state.path(cache.name)).st_mode)
    assert mode == 0o600


def test_shared_cache_reads_a_token_without_obtained_at(tmp_path: Path) -> None:
    cache = SharedTokenCache(SharedState(tmp_path / "state"))
    plain = UserSignInWithApiKeyResponse(id_token="t", expires_at=T0)
    with cache.hold():
        cache.store(plain)  # the SDK's own model, as before
    loaded = cache.load()
    assert loaded is not None and loaded.id_token == "t" and loaded.expires_at == T0
    assert len(cache.sign_ins()) == 1


def test_shared_cache_hold_can_decline_to_wait(tmp_path: Path) -> None:
    cache = SharedTokenCache(SharedState(tmp_path / "state"))
    got: list[bool] = []
    with cache.hold() as held:
        assert held

        def other_process() -> None:
            with cache.hold(timeout=0) as second:
                got.append(second)

        thread = threading.Thread(target=other_process)
        thread.start()
        thread.join()
    assert got == [False]


# -- against the emulator ------------------------------------------------------------------------


def _api(emu: Any, **kwargs: Any) -> SimulationApi:
    return SimulationApi(
        base_url=emu.base_url, organization_id=emu.organization_id, **emu.credentials, **kwargs
    )


def _log(emu: Any) -> dict[str, Any]:
    return httpx.get(f"{emu.base_url}/_emulator/requests").json()


@pytest.fixture
def short_tokens() -> Iterator[Any]:
    with Emulator(World.from_dict(WORLD), port=0, token_ttl=6) as running:
        yield running


def test_short_tokens_are_refreshed_at_half_life_without_429(short_tokens: Any) -> None:
    """6 s tokens, ~15 s of requests: a sign-in every ~3 s (not one per request), no 429."""
    with _api(short_tokens) as api:
        start = time.monotonic()
        requests = 0
        while time.monotonic() - start < 15.0:
            api.list_scenarios()
            requests += 1
            time.sleep(0.1)
        counts = api.request_counts()
    log = _log(short_tokens)
    sign_ins = log["by_endpoint"][SIGN_IN]
    print(f"6 s tokens, 15 s: {requests} requests, {sign_ins} sign-ins")  # for the report
    assert counts[SIGN_IN] == sign_ins
    assert requests >= 50
    assert 3 <= sign_ins <= 6  # t = 0, 3, 6, 9, 12 (half-life refresh); never one per request
    assert log["rate_limited"] == 0 and log["status_counts"].get("429", 0) == 0
    assert log["status_counts"].get("401", 0) == 0  # always refreshed before expiry


def test_early_refresh_never_waits_for_the_sign_in_budget(short_tokens: Any) -> None:
    """Budget spent (1 sign-in a minute): a due refresh is skipped while the token in hand is
    valid, instead of stalling the request for a minute."""
    pacer = Pacer({**default_limits(), SIGN_IN: 1})
    with _api(short_tokens, pacer=pacer) as api:
        start = time.monotonic()
        slowest = 0.0
        while time.monotonic() - start < 4.5:  # refresh due at 3 s, token usable until 5.4 s
            before = time.monotonic()
            api.list_scenarios()
            slowest = max(slowest, time.monotonic() - before)
            time.sleep(0.1)
        assert api.request_counts()[SIGN_IN] == 1
    log = _log(short_tokens)
    assert log["by_endpoint"][SIGN_IN] == 1
    assert log["status_counts"].get("401", 0) == 0
    # Waiting for the budget would stall a request ~58 s (a minute after the first sign-in);
    # a loaded machine may stall one for a second, which says nothing about the refresh.
    assert slowest < 10.0


def test_processes_of_a_session_share_one_token(short_tokens: Any, tmp_path: Path) -> None:
    """Two workers (each its own client and pacer) on one shared cache: one sign-in serves
    both, and refreshes are not doubled."""
    cache = SharedTokenCache(SharedState(tmp_path / "state"))
    with _api(short_tokens, token_cache=cache) as one, _api(short_tokens, token_cache=cache) as two:
        one.list_scenarios()
        two.list_scenarios()
        assert _log(short_tokens)["by_endpoint"][SIGN_IN] == 1
        assert two.request_counts().get(SIGN_IN, 0) == 0
        start = time.monotonic()
        while time.monotonic() - start < 8.0:
            one.list_scenarios()
            two.list_scenarios()
            time.sleep(0.1)
    log = _log(short_tokens)
    sign_ins = log["by_endpoint"][SIGN_IN]
    print(f"two workers, 6 s tokens, 8 s: {sign_ins} sign-ins")  # for the report
    assert sign_ins <= 4  # t = 0, 3, 6 (+1 for timing), as for one process
    assert len(cache.sign_ins()) == sign_ins
    assert log["rate_limited"] == 0 and log["status_counts"].get("401", 0) == 0


def test_401_on_a_token_believed_valid_signs_in_once_again(
    short_tokens: Any, tmp_path: Path
) -> None:
    """A cached token the server refuses (revoked, another deployment): the SDK drops it on the
    401, we do not take the same token from the cache again but sign in, and the request
    succeeds on its one resend."""
    cache = SharedTokenCache(SharedState(tmp_path / "state"))
    now = dt.datetime.now(dt.UTC)
    refused = SessionToken(
        id_token="revoked-token", expires_at=now + dt.timedelta(hours=1), obtained_at=now
    )
    with cache.hold():
        cache.store(refused)
    with _api(short_tokens, token_cache=cache) as api:
        assert api.list_scenarios()
        assert api.request_counts()[SIGN_IN] == 1
    log = _log(short_tokens)
    assert log["status_counts"].get("401", 0) == 1
    assert log["by_endpoint"][SIGN_IN] == 1
    stored = cache.load()
    assert stored is not None and stored.id_token != "revoked-token"
