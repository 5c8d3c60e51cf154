"""Several clients of one organization share its per-endpoint budget: 429s are absorbed.

One test against an httpx MockTransport (429s beyond the SDK's attempts), one against the
emulator over loopback HTTP: its limits are per organization, shared by every client.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from amigo_sdk.generated.model import UserSignInWithApiKeyResponse

from pytest_amigo.api import Pacer, RateLimitError, SimulationApi
from pytest_amigo.api import paced_client as client_module
from support.doubles import offline_api

LIST_RUNS = "get-simulation-unit-test-set-runs"
ORG = "acme"


def _page() -> dict[str, Any]:
    return {
        "simulation_unit_test_set_runs": [],
        "has_more": False,
        "continuation_token": None,
        "filter_values": None,
    }


def _mock_api(
    monkeypatch: pytest.MonkeyPatch,
    handler: Callable[[httpx.Request], httpx.Response],
    **kwargs: Any,
) -> SimulationApi:
    def fake(cfg: Any) -> UserSignInWithApiKeyResponse:
        return UserSignInWithApiKeyResponse(
            id_token="tok", expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        )

    monkeypatch.setattr(client_module, "sign_in_with_api_key", fake)
    return offline_api(handler, pacer=Pacer(margin=0.0, jitter=0.0), api_key="key", **kwargs)


def _refusing(times: int) -> tuple[Callable[[httpx.Request], httpx.Response], list[int]]:
    statuses: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        status = 429 if len(statuses) < times else 200
        statuses.append(status)
        if status == 429:
            return httpx.Response(429, headers={"Retry-After": "0.2"}, json={"detail": "slow"})
        return httpx.Response(200, json=_page())

    return handler, statuses


def test_429s_beyond_the_sdk_attempts_are_retried_while_the_server_says_when(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handler, statuses = _refusing(7)  # more than the SDK's 5 attempts
    api = _mock_api(monkeypatch, handler)
    assert api.list_runs(ids=["a" * 24]) == []
    assert statuses == [429] * 7 + [200]
    assert api.status_counts() == {429: 7, 200: 1}
    api.close()


def test_429s_after_the_patience_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    handler, statuses = _refusing(100)
    api = _mock_api(monkeypatch, handler, rate_limit_patience=0.0)
    with pytest.raises(RateLimitError):
        api.list_runs(ids=["a" * 24])
    assert statuses == [429] * 5  # the SDK's attempts only
    api.close()


def test_an_impatient_create_raises_the_first_429_and_the_pacer_then_says_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What lets a session defer its creates instead of blocking its verdicts (issue 11).
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        headers = {"Retry-After": "30", "X-RateLimit-Remaining": "0"}
        return httpx.Response(429, headers=headers, json={"detail": "slow"})

    api = _mock_api(monkeypatch, handler)
    assert api.would_wait("create-simulation-unit-test-set-run") == 0
    started = time.monotonic()
    with pytest.raises(RateLimitError):
        api.create_run("a" * 24, patient=False)
    assert time.monotonic() - started < 5 and sent == ["POST"]  # no retry, no wait
    assert api.would_wait("create-simulation-unit-test-set-run") > 25
    api.close()


# -- against the emulator ---------------------------------------------------------------------

emulator = pytest.importorskip("pytest_amigo.emulator", reason="the emulator extra is missing")

WINDOW = 3.0
LIMIT = 4
CALLS = 5
WORLD: dict[str, Any] = {
    "emulator": {"organization": "acme-shared-limits"},
    "metrics": [{"name": "Resolved", "type": "boolean"}],
    "personas": [{"name": "Alice"}],
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


def _client(emu: Any) -> SimulationApi:
    return SimulationApi(
        base_url=emu.base_url,
        organization_id=emu.organization_id,
        pacer=Pacer(window=WINDOW),
        **emu.credentials,
    )


@pytest.mark.timeout(120)
def test_two_clients_of_one_org_hammering_list_runs_absorb_429s() -> None:
    world = emulator.World.from_dict(WORLD)
    with emulator.Emulator(world, port=0) as emu:
        admin = httpx.Client(base_url=emu.base_url, timeout=30)
        admin.post(
            "/_emulator/rate_limits", json={"window": WINDOW, "limits": {LIST_RUNS: LIMIT}}
        ).raise_for_status()
        clients = [_client(emu) for _ in range(3)]
        for client in clients:  # sign in outside the measured part
            client.list_unit_test_sets()
        # Start just after a window boundary; a third client spends the window's budget first,
        # so both clients begin on a spent budget, then hammer together.
        time.sleep(WINDOW - time.time() % WINDOW + 0.05)
        admin.delete("/_emulator/requests").raise_for_status()
        for _ in range(LIMIT):
            clients[2].list_runs()
        results: dict[int, list[int]] = {0: [], 1: []}
        errors: list[BaseException] = []

        def hammer(index: int) -> None:
            try:
                for _ in range(CALLS):
                    results[index].append(len(clients[index].list_runs()))
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=hammer, args=(i,)) for i in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=100)
        log = admin.get("/_emulator/requests").json()
        statuses = [clients[i].status_counts() for i in (0, 1)]
        for client in clients:
            client.close()
        admin.close()
    assert errors == []
    assert results == {0: [0] * CALLS, 1: [0] * CALLS}
    refused = log["rate_limited"]
    assert refused >= 1, log  # the budget was spent: the clients did meet 429s ...
    assert sum(s.get(429, 0) for s in statuses) == refused  # ... and absorbed every one
    assert log["by_endpoint"][LIST_RUNS] == LIMIT + 2 * CALLS + refused
