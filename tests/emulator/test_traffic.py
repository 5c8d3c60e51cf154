"""TrafficMiddleware around a tiny app: rate limits, faults, request log, admin endpoints."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pytest_amigo.emulator.traffic import FaultPlan, TrafficMiddleware, TrafficPolicy
from support.emulator import UNBROKEN_WINDOW

SIGNIN = "/v1/acme/user/signin_with_api_key"
RUNS = "/v1/acme/simulation/unit_test_set_run/"
T0 = 1_700_000_040.0  # a multiple of 60 and of 10

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeClock:
    def __init__(self, now: float = T0 + 5) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def signin(request: Request) -> Response:
    return JSONResponse(
        {"id_token": "jwt", "org": request.path_params["org"]}, headers={"X-Custom": "kept"}
    )


async def list_runs(request: Request) -> Response:
    return JSONResponse({"simulation_unit_test_set_runs": [], "has_more": False})


async def cancel_run(request: Request) -> Response:
    request.app.state.cancelled.append(request.path_params["run"])
    return Response(status_code=204)


async def presigned(request: Request) -> Response:
    return Response(b"zip-bytes", media_type="application/zip")


async def app_admin(request: Request) -> Response:
    return JSONResponse({"from": "app"})


def make_app() -> Starlette:
    app = Starlette(
        routes=[
            Route("/v1/{org}/user/signin_with_api_key", signin, methods=["POST"]),
            Route("/v1/{org}/simulation/unit_test_set_run/", list_runs, methods=["GET"]),
            Route("/v1/{org}/simulation/unit_test_set_run/{run}/", cancel_run, methods=["DELETE"]),
            Route("/_presigned/{key}", presigned, methods=["GET"]),
            Route("/_emulator/world", app_admin, methods=["GET"]),
        ]
    )
    app.state.cancelled = []
    return app


def make(
    policy: TrafficPolicy | None = None, clock: FakeClock | None = None
) -> tuple[TrafficMiddleware, httpx.AsyncClient]:
    mw = TrafficMiddleware(make_app(), policy or TrafficPolicy(), clock=clock or FakeClock())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=mw), base_url="http://emu")
    return mw, client


# -- rate limits ---------------------------------------------------------------------------


async def test_headers_present_and_remaining_decreases() -> None:
    clock = FakeClock(T0 + 5)
    _, client = make(clock=clock)
    remaining = []
    for _ in range(3):
        r = await client.post(SIGNIN)
        assert r.status_code == 200
        assert r.headers["x-ratelimit-limit"] == "5"
        assert r.headers["x-ratelimit-reset"] == str(int(T0 + 60))
        assert r.headers["x-custom"] == "kept"  # the app's own headers pass through
        assert r.headers["content-type"] == "application/json"
        remaining.append(int(r.headers["x-ratelimit-remaining"]))
    assert remaining == [4, 3, 2]
    r = await client.get(RUNS)
    assert r.headers["x-ratelimit-limit"] == "50"
    assert r.headers["x-ratelimit-remaining"] == "49"


async def test_sixth_signin_is_429_and_does_not_reach_app() -> None:
    clock = FakeClock(T0 + 15.5)
    mw, client = make(clock=clock)
    for _ in range(5):
        assert (await client.post(SIGNIN)).status_code == 200
    r = await client.post(SIGNIN)
    assert r.status_code == 429
    assert r.json() == {
        "detail": "You have exceeded the rate limit of 5 requests per minute for this endpoint."
    }
    assert r.headers["retry-after"] == "45"  # ceil(T0 + 60 - (T0 + 15.5))
    assert r.headers["x-ratelimit-reset"] == str(int(T0 + 60))
    assert r.headers["x-ratelimit-remaining"] == "0"
    assert r.headers["x-ratelimit-limit"] == "5"
    assert "x-custom" not in r.headers
    assert mw.log.rate_limited == 1
    assert mw.log.status_counts[429] == 1
    # other endpoints of the same org are unaffected
    assert (await client.get(RUNS)).status_code == 200


async def test_limits_are_per_organization() -> None:
    _, client = make()
    for _ in range(5):
        await client.post(SIGNIN)
    assert (await client.post(SIGNIN)).status_code == 429
    r = await client.post("/v1/other-org/user/signin_with_api_key")
    assert r.status_code == 200
    assert r.headers["x-ratelimit-remaining"] == "4"


async def test_window_rollover_with_injected_clock() -> None:
    clock = FakeClock(T0 + 1)
    _, client = make(TrafficPolicy(window=10.0), clock)
    for _ in range(5):
        await client.post(SIGNIN)
    r = await client.post(SIGNIN)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "9"
    assert r.headers["x-ratelimit-reset"] == str(int(T0 + 10))
    clock.now = T0 + 9.99
    assert (await client.post(SIGNIN)).status_code == 429
    clock.now = T0 + 10.0
    r = await client.post(SIGNIN)
    assert r.status_code == 200
    assert r.headers["x-ratelimit-remaining"] == "4"
    assert r.headers["x-ratelimit-reset"] == str(int(T0 + 20))


async def test_retry_after_is_at_least_one_and_reset_rounds_up() -> None:
    clock = FakeClock(T0 + 0.25)
    _, client = make(TrafficPolicy(window=0.5), clock)
    for _ in range(5):
        await client.post(SIGNIN)
    r = await client.post(SIGNIN)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "1"
    assert r.headers["x-ratelimit-reset"] == str(int(T0 + 1))  # ceil(T0 + 0.5)


async def test_limit_overrides() -> None:
    _, client = make(TrafficPolicy(limits={"get-simulation-unit-test-set-runs": 2}))
    assert (await client.get(RUNS)).headers["x-ratelimit-limit"] == "2"
    await client.get(RUNS)
    r = await client.get(RUNS)
    assert r.status_code == 429
    assert "rate limit of 2 requests" in r.json()["detail"]


async def test_rate_limits_off() -> None:
    _, client = make(TrafficPolicy(rate_limits=False))
    for _ in range(10):
        r = await client.post(SIGNIN)
        assert r.status_code == 200
        assert "x-ratelimit-limit" not in r.headers


async def test_undocumented_paths_never_limited_and_not_counted() -> None:
    mw, client = make(TrafficPolicy(limits={"sign-in-with-api-key": 1}))
    mw.faults = FaultPlan(error_rate=1.0, maintenance_for=60)
    for _ in range(20):
        r = await client.get("/_presigned/abc")
        assert r.status_code == 200
        assert r.content == b"zip-bytes"
        assert "x-ratelimit-limit" not in r.headers
    # an undocumented method on a documented path is not an endpoint either
    assert (await client.get(SIGNIN)).status_code == 405
    # app-owned admin paths pass through, unlogged
    assert (await client.get("/_emulator/world")).json() == {"from": "app"}
    assert mw.log.total == 21
    assert mw.log.by_endpoint == {}
    mw.faults = FaultPlan()
    assert (await client.post(SIGNIN)).status_code == 200


# -- faults --------------------------------------------------------------------------------


async def test_maintenance_window() -> None:
    clock = FakeClock(T0)
    mw, client = make(clock=clock)
    mw.faults = FaultPlan(maintenance=[(T0 + 10, T0 + 70.5)])
    assert (await client.post(SIGNIN)).status_code == 200
    clock.now = T0 + 20
    r = await client.post(SIGNIN)
    assert r.status_code == 503
    assert r.json() == {"detail": "The service is under temporary maintenance."}
    assert r.headers["retry-after"] == "51"
    assert r.headers["x-ratelimit-remaining"] == "4"  # not counted against the limit
    clock.now = T0 + 70.5
    assert (await client.post(SIGNIN)).status_code == 200
    assert mw.log.snapshot()["log"][1]["fault"] == "maintenance"


async def test_maintenance_for_starts_now() -> None:
    clock = FakeClock(T0)
    mw, client = make(clock=clock)
    r = await client.post("/_emulator/faults", json={"maintenance_for": 30})
    assert r.status_code == 200
    assert r.json()["maintenance"] == [[T0, T0 + 30]]
    assert r.json()["maintenance_for"] == 0
    clock.now = T0 + 29
    r = await client.get(RUNS)
    assert r.status_code == 503
    assert r.headers["retry-after"] == "1"
    clock.now = T0 + 30
    assert (await client.get(RUNS)).status_code == 200
    # in-process, too
    mw.faults = FaultPlan(maintenance_for=5)
    assert mw.faults.maintenance == [(T0 + 30, T0 + 35)]


async def test_error_rate_one_gives_5xx_and_skips_app() -> None:
    mw, client = make()
    mw.faults = FaultPlan(error_rate=1.0)
    statuses = set()
    for _ in range(10):  # the documented limit of cancel
        r = await client.delete(RUNS + "66aa00000000000000000001/")
        assert r.status_code in (500, 502, 503)
        assert isinstance(r.json()["detail"], str)
        statuses.add(r.status_code)
    assert len(statuses) > 1
    assert mw.app.state.cancelled == []  # type: ignore[attr-defined]


async def test_error_rate_is_deterministic_per_seed() -> None:
    async def run(seed: int) -> list[int]:
        mw, client = make(TrafficPolicy(rate_limits=False))
        mw.faults = FaultPlan(error_rate=0.5, seed=seed)
        return [(await client.get(RUNS)).status_code for _ in range(20)]

    first = await run(7)
    assert first == await run(7)
    assert 200 in first and any(s >= 500 for s in first)


async def test_latency() -> None:
    mw, client = make()
    mw.faults = FaultPlan(latency=0.2)
    started = time.perf_counter()
    assert (await client.get(RUNS)).status_code == 200
    assert time.perf_counter() - started >= 0.2
    started = time.perf_counter()
    await client.get("/_presigned/x")  # undocumented: no latency
    assert time.perf_counter() - started < 0.2


async def test_burst_429() -> None:
    mw, client = make()
    mw.faults = FaultPlan(burst_429=2)
    for _ in range(2):
        r = await client.post(SIGNIN)
        assert r.status_code == 429
        assert r.headers["retry-after"] == "1"
        assert r.headers["x-ratelimit-remaining"] == "5"
    r = await client.post(SIGNIN)
    assert r.status_code == 200
    assert r.headers["x-ratelimit-remaining"] == "4"
    assert mw.faults.burst_429 == 0
    assert mw.log.rate_limited == 2


async def test_only_filter() -> None:
    mw, client = make()
    mw.faults = FaultPlan(error_rate=1.0, burst_429=3, only=["get-simulation-unit-test-set-runs"])
    assert (await client.post(SIGNIN)).status_code == 200
    assert (await client.get(RUNS)).status_code == 429
    assert mw.faults.burst_429 == 2


# -- request log and admin -----------------------------------------------------------------


async def test_request_log_and_reset() -> None:
    clock = FakeClock(T0 + 3)
    mw, client = make(TrafficPolicy(limits={"sign-in-with-api-key": 1}), clock)
    await client.post(SIGNIN)
    await client.post(SIGNIN)
    await client.get(RUNS)
    await client.get("/_presigned/k")
    await client.get("/_emulator/faults")  # admin: not logged
    r = await client.get("/_emulator/requests")
    assert r.status_code == 200
    data = r.json()
    assert data["total"] == 4
    assert data["by_endpoint"] == {
        "sign-in-with-api-key": 2,
        "get-simulation-unit-test-set-runs": 1,
    }
    assert data["status_counts"] == {"200": 3, "429": 1}
    assert data["rate_limited"] == 1
    assert data["log"][0] == {
        "t": T0 + 3,
        "method": "POST",
        "path": SIGNIN,
        "operation_id": "sign-in-with-api-key",
        "status": 200,
        "fault": None,
    }
    assert data["log"][1]["fault"] == "rate_limit"
    assert data["log"][3]["operation_id"] is None
    assert mw.log.count("sign-in-with-api-key") == 2

    r = await client.delete("/_emulator/requests")
    assert r.status_code == 204
    data = (await client.get("/_emulator/requests")).json()
    assert data == {
        "total": 0,
        "by_endpoint": {},
        "status_counts": {},
        "rate_limited": 0,
        "log": [],
    }


async def test_log_view_is_bounded() -> None:
    _, client = make(TrafficPolicy(rate_limits=False))
    for _ in range(1005):
        await client.get("/_presigned/k")
    data = (await client.get("/_emulator/requests")).json()
    assert data["total"] == 1005
    assert len(data["log"]) == 1000


async def test_answer_latency_holds_an_answer_the_app_already_made() -> None:
    mw, client = make()
    mw.faults = FaultPlan(answer_latency=0.5, only=["cancel-simulation-unit-test-set-run"])
    cancel = asyncio.ensure_future(client.delete(RUNS + "r1/"))
    started = time.perf_counter()
    while not mw.app.state.cancelled:  # the app did its work ...
        await asyncio.sleep(0.01)
    assert not cancel.done()  # ... and its answer is still held
    assert (await cancel).status_code == 204
    assert time.perf_counter() - started >= 0.4
    assert mw.app.state.cancelled == ["r1"]
    started = time.perf_counter()
    await client.get(RUNS)  # not in "only": answered at once
    assert time.perf_counter() - started < 0.4


async def test_faults_admin_roundtrip() -> None:
    mw, client = make()
    plan = {
        "maintenance": [[1.0, 2.0]],
        "error_rate": 0.25,
        "latency": 0.0,
        "drop_rate": 0.1,
        "burst_429": 3,
        "only": ["sign-in-with-api-key"],
        "seed": 42,
        "outage_after_drop": 2.0,
        "outage_only": ["get-simulation-unit-test-set-runs"],
    }
    r = await client.post("/_emulator/faults", json=plan)
    assert r.status_code == 200
    assert r.json() == {
        **plan,
        "maintenance_for": 0.0,
        "answer_latency": 0.0,
        "processed_errors": 0,
        "processed_drops": 0,
        "drop_fields": [],
        "add_fields": {},
    }
    assert mw.faults.error_rate == 0.25
    assert mw.faults.maintenance == [(1.0, 2.0)]
    assert (await client.get("/_emulator/faults")).json() == r.json()
    # POST replaces the whole plan
    r = await client.post("/_emulator/faults", json={"latency": 0.01})
    assert r.json()["burst_429"] == 0 and r.json()["latency"] == 0.01
    assert (await client.delete("/_emulator/faults")).status_code == 204
    assert mw.faults == FaultPlan()
    assert (await client.put("/_emulator/faults", json={})).status_code == 405


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"bogus": 1}, "bogus"),
        ({"error_rate": 1.5}, "error_rate"),
        ({"drop_rate": "half"}, "drop_rate"),
        ({"latency": -1}, "latency"),
        ({"answer_latency": "soon"}, "answer_latency"),
        ({"burst_429": 1.5}, "burst_429"),
        ({"burst_429": True}, "burst_429"),
        ({"maintenance": [[5, 1]]}, "maintenance"),
        ({"maintenance": [1, 2]}, "maintenance"),
        ({"only": ["no-such-operation"]}, "only"),
        ({"outage_only": ["no-such-operation"]}, "outage_only"),
        ({"outage_after_drop": -1}, "outage_after_drop"),
        ({"seed": "x"}, "seed"),
        ([1, 2], "body"),
    ],
)
async def test_faults_admin_validation(body: object, field: str) -> None:
    mw, client = make()
    mw.faults = FaultPlan(latency=0.001)
    r = await client.post("/_emulator/faults", json=body)
    assert r.status_code == 422
    errors = r.json()["detail"]
    assert errors
    for error in errors:
        assert error["loc"] == ["body", field]
        assert error["msg"]
    assert mw.faults == FaultPlan(latency=0.001)  # unchanged


async def test_faults_admin_invalid_json() -> None:
    _, client = make()
    r = await client.post("/_emulator/faults", content=b"{not json")
    assert r.status_code == 422
    assert "invalid JSON" in r.json()["detail"][0]["msg"]


async def test_rate_limits_admin() -> None:
    clock = FakeClock(T0 + 1)
    mw, client = make(clock=clock)
    for _ in range(5):
        await client.post(SIGNIN)
    assert (await client.post(SIGNIN)).status_code == 429
    r = await client.post("/_emulator/rate_limits", json={"enabled": False})
    assert r.json() == {"enabled": False, "window": 60.0, "limits": {}}
    assert (await client.post(SIGNIN)).status_code == 200
    r = await client.post("/_emulator/rate_limits", json={"enabled": True, "window": 2})
    assert r.status_code == 200
    assert mw.policy.rate_limits is True and mw.policy.window == 2.0
    r = await client.post(SIGNIN)  # counters were reset
    assert r.status_code == 200
    assert r.headers["x-ratelimit-reset"] == str(int(T0 + 2))
    assert (await client.get("/_emulator/rate_limits")).json()["window"] == 2.0
    for body in ({"enabled": "yes"}, {"window": 0}, {"extra": 1}, {"limits": {"nope": 1}}):
        r = await client.post("/_emulator/rate_limits", json=body)
        assert r.status_code == 422, body
    assert mw.policy.window == 2.0


# -- over a real socket --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served() -> Iterator[tuple[TrafficMiddleware, str]]:
    # Real time: a window no test crosses, so the counts read from the headers hold (with 60 s
    # windows a minute boundary between two sign-ins could reset the remaining count).
    mw = TrafficMiddleware(make_app(), TrafficPolicy(window=UNBROKEN_WINDOW))
    port = _free_port()
    config = uvicorn.Config(mw, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield mw, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)


def test_over_http_drop_and_limits(served: tuple[TrafficMiddleware, str]) -> None:
    mw, base = served
    with httpx.Client(base_url=base, timeout=5) as client:
        r = client.post(SIGNIN)
        assert r.status_code == 200
        assert r.headers["x-ratelimit-remaining"] == "4"
        assert r.headers["x-custom"] == "kept"

        mw.faults = FaultPlan(drop_rate=1.0)
        with pytest.raises(httpx.TransportError):
            client.post(SIGNIN)
        # a body-less 204 is dropped too, after the app did the work
        with pytest.raises(httpx.TransportError):
            client.delete(RUNS + "66aa00000000000000000001/")
        assert mw.app.state.cancelled == ["66aa00000000000000000001"]  # type: ignore[attr-defined]

        r = client.delete("/_emulator/faults")
        assert r.status_code == 204
        r = client.post(SIGNIN)
        assert r.status_code == 200
        assert r.headers["x-ratelimit-remaining"] == "2"
        data = client.get("/_emulator/requests").json()
        assert [e["fault"] for e in data["log"]] == [None, "drop", "drop", None]


def test_event_loop_not_blocked_by_latency(served: tuple[TrafficMiddleware, str]) -> None:
    mw, base = served
    # Concurrent: one latency; in turn: two. The latency is long enough that the client's and
    # server's own time on a loaded machine does not blur the two (0.4 s left 0.35 s for it).
    latency = 1.0
    mw.faults = FaultPlan(latency=latency)

    async def both() -> float:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            started = time.perf_counter()
            results = await asyncio.gather(client.get(RUNS), client.get(RUNS))
            assert [r.status_code for r in results] == [200, 200]
            return time.perf_counter() - started

    elapsed = asyncio.run(both())
    assert latency <= elapsed < 1.9 * latency  # concurrent, not one after the other
