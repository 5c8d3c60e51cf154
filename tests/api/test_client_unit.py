"""SimulationApi against an httpx MockTransport (no network; sign-in stubbed)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from amigo_sdk.errors import AuthenticationError as SdkAuthError
from amigo_sdk.generated.model import (
    SimulationCreateSimulationUnitTestSetRequest,
    UserSignInWithApiKeyResponse,
)

from pytest_amigo.api import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    Pacer,
    RateLimitError,
    SDKInternalError,
    SimulationApi,
)
from pytest_amigo.api import paced_client as client_module
from support.doubles import FakeTime, offline_api

ORG = "acme"
KEY = "sk-live-very-secret-key"
TOKEN = "eyJ.secret-token.sig"
RUN = "a" * 24


def _run(run_id: str) -> dict[str, Any]:
    return {
        "org_id": ORG,
        "id": run_id,
        "is_completed": False,
        "simulation_unit_test_set_id": "b" * 24,
        "failed_metrics": False,
        "errored": False,
        "artifacts_generated": False,
        "unit_test_run_specs": [],
        "unit_test_run_results": [],
        "created_at": "2026-01-01T00:00:00Z",
        "creator": {"org_id": ORG, "user_id": "u"},
    }


@pytest.fixture
def signins(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def fake(cfg: Any) -> UserSignInWithApiKeyResponse:
        calls.append(1)
        return UserSignInWithApiKeyResponse(
            id_token=TOKEN, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        )

    monkeypatch.setattr(client_module, "sign_in_with_api_key", fake)
    return calls


@pytest.fixture
def make_api(
    signins: list[int],
) -> Iterator[Callable[..., tuple[SimulationApi, list[httpx.Request]]]]:
    made: list[SimulationApi] = []

    def make(
        handler: Callable[[httpx.Request], httpx.Response], pacer: Pacer | None = None
    ) -> tuple[SimulationApi, list[httpx.Request]]:
        seen: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return handler(request)

        api = SimulationApi(
            pacer=pacer or Pacer(),
            transport=httpx.MockTransport(record),
            api_key=KEY,
            api_key_id="kid",
            user_id="u",
            organization_id=ORG,
            base_url="https://api.example.test/",
        )
        made.append(api)
        return api, seen

    yield make
    for api in made:
        api.close()


def test_list_runs_query_encoding_and_paging(make_api: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        token = int(request.url.params.get("continuation_token", "0"))
        body = {
            "simulation_unit_test_set_runs": [_run(f"{token:024x}")],
            "has_more": token < 2,
            "continuation_token": token + 1 if token < 2 else None,
            "filter_values": None,
        }
        return httpx.Response(200, json=body)

    api, seen = make_api(handler)
    runs = api.list_runs(
        set_ids=["b" * 24, "c" * 24],
        is_completed=False,
        errored=True,
        created_after=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
        sort_by=["-created_at"],
    )
    assert [r["id"] for r in runs] == [f"{i:024x}" for i in range(3)]
    first = seen[0].url
    assert first.path == f"/v1/{ORG}/simulation/unit_test_set_run/"
    assert first.params.get_list("simulation_unit_test_set_id") == ["b" * 24, "c" * 24]
    assert first.params["is_completed"] == "false" and first.params["errored"] == "true"
    assert first.params["created_after"] == "2026-01-02T00:00:00+00:00"
    assert first.params["limit"] == "50"
    assert "continuation_token" not in first.params
    assert seen[2].url.params["continuation_token"] == "2"
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert api.request_counts() == {
        "sign-in-with-api-key": 1,
        "get-simulation-unit-test-set-runs": 3,
    }


def test_list_runs_overall_limit(make_api: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params["limit"])
        body = {
            "simulation_unit_test_set_runs": [_run(f"{i:024x}") for i in range(n)],
            "has_more": True,
            "continuation_token": 1,
            "filter_values": None,
        }
        return httpx.Response(200, json=body)

    api, seen = make_api(handler)
    assert len(api.list_runs(limit=7)) == 7
    assert seen[0].url.params["limit"] == "7" and len(seen) == 1


def test_ids_are_chunked_by_50(make_api: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        ids = request.url.params.get_list("id")
        body = {
            "simulation_unit_test_set_runs": [_run(i) for i in ids[:2]],
            "has_more": False,
            "continuation_token": None,
            "filter_values": None,
        }
        return httpx.Response(200, json=body)

    api, seen = make_api(handler)
    ids = [f"{i:024x}" for i in range(120)]
    runs = api.list_runs(ids=ids)
    assert [len(r.url.params.get_list("id")) for r in seen] == [50, 50, 20]
    assert len(runs) == 6


def test_create_run_conflict_and_body(make_api: Any) -> None:
    calls: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(json.loads(request.content))
        if len(calls) == 1:
            return httpx.Response(201, json={"simulation_unit_test_set_run_id": RUN})
        return httpx.Response(409, json={"detail": "The user already has an unfinished run"})

    api, seen = make_api(handler)
    assert api.create_run("b" * 24) == RUN
    with pytest.raises(ConflictError, match="unfinished run"):
        api.create_run("b" * 24)
    assert calls[0] == {"simulation_unit_test_set_id": "b" * 24}
    assert len(seen) == 2  # a 409 on POST is never retried


def test_request_models_and_dicts_are_serialized(make_api: Any) -> None:
    bodies: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append((request.method, request.url.path, json.loads(request.content)))
        if request.url.path.endswith("unit_test_set/"):
            return httpx.Response(201, json={"simulation_unit_test_set_id": "d" * 24})
        return httpx.Response(204)

    api, _ = make_api(handler)
    body = SimulationCreateSimulationUnitTestSetRequest(
        name="S",
        description=None,
        unit_test_runs=[{"unit_test_id": "e" * 24, "run_count": 2}],
        tags={},
    )
    assert api.create_unit_test_set(body) == "d" * 24
    api.update_unit_test_set("d" * 24, {"name": "T", "when": dt.date(2026, 1, 1)})
    assert bodies[0][2]["name"] == "S" and bodies[0][2]["description"] is None
    assert bodies[1] == (
        "POST",
        f"/v1/{ORG}/simulation/unit_test_set/{'d' * 24}",
        {"name": "T", "when": "2026-01-01"},
    )


def test_parse_failure_names_operation(make_api: Any) -> None:
    api, _ = make_api(lambda r: httpx.Response(200, json={"unexpected": True}))
    with pytest.raises(SDKInternalError, match="get-simulation-unit-test-set-run-artifacts"):
        api.get_artifacts(RUN)


def test_429_is_observed_held_and_retried(make_api: Any) -> None:
    t = FakeTime()
    pacer = Pacer(clock=t.clock, sleep=t.sleep)
    statuses = iter([429, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(statuses)
        if status == 429:
            return httpx.Response(429, headers={"Retry-After": "0.01"}, json={"detail": "slow"})
        body = {"metrics": [], "has_more": False, "continuation_token": None, "filter_values": None}
        return httpx.Response(
            200,
            json=body,
            headers={
                "X-RateLimit-Limit": "7",
                "X-RateLimit-Remaining": "6",
                "X-RateLimit-Reset": "1",
            },
        )

    api, seen = make_api(handler, pacer)
    assert api.list_metrics(ids=["f" * 24]) == []
    assert len(seen) == 2
    assert api.request_counts()["get-metrics"] == 2
    assert pacer.limit("get-metrics") == 7  # lower server limit adopted


def test_429_exhausted_raises_rate_limit_error(make_api: Any) -> None:
    api, seen = make_api(
        lambda r: httpx.Response(429, headers={"Retry-After": "0"}, json={"detail": "slow"})
    )
    with pytest.raises(RateLimitError):
        api.cancel_run(RUN)
    assert len(seen) == 5
    assert seen[0].url.path == f"/v1/{ORG}/simulation/unit_test_set_run/{RUN}/"


def test_secrets_and_repr(make_api: Any) -> None:
    api, _ = make_api(lambda r: httpx.Response(204))
    assert api.secrets() == (KEY,)
    api.delete_persona("a" * 24)
    assert api.secrets() == (KEY, TOKEN)
    assert KEY not in repr(api) and TOKEN not in repr(api)
    assert api.organization_id == ORG
    assert api.base_url == "https://api.example.test"


def _status_error(status: int, headers: dict[str, str] | None = None) -> SdkAuthError:
    request = httpx.Request("POST", f"https://x/v1/{ORG}/user/signin_with_api_key")
    response = httpx.Response(status, headers=headers or {}, request=request)
    try:
        raise httpx.HTTPStatusError("boom", request=request, response=response)
    except httpx.HTTPStatusError as exc:
        err = SdkAuthError(f"Sign in with API key failed: {exc}")
        err.__cause__ = exc
        return err


def test_sign_in_retries_429_then_succeeds(monkeypatch: pytest.MonkeyPatch) -> None:
    t = FakeTime()
    outcomes: list[Any] = [_status_error(429, {"Retry-After": "3"}), _status_error(503), None]

    def fake(cfg: Any) -> UserSignInWithApiKeyResponse:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return UserSignInWithApiKeyResponse(
            id_token=TOKEN, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        )

    monkeypatch.setattr(client_module, "sign_in_with_api_key", fake)
    api = SimulationApi(
        pacer=Pacer(clock=t.clock, sleep=t.sleep),
        transport=httpx.MockTransport(lambda r: httpx.Response(204)),
        api_key=KEY,
        api_key_id="kid",
        user_id="u",
        organization_id=ORG,
        base_url="https://x",
    )
    api.delete_scenario("a" * 24)
    assert api.request_counts()["sign-in-with-api-key"] == 3
    assert t.sleeps[0] == pytest.approx(3.0)
    api.close()


def test_sign_in_401_is_clear_and_secret_free(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(cfg: Any) -> UserSignInWithApiKeyResponse:
        raise _status_error(401)

    monkeypatch.setattr(client_module, "sign_in_with_api_key", fake)
    with SimulationApi(
        transport=httpx.MockTransport(lambda r: httpx.Response(204)),
        api_key=KEY,
        api_key_id="kid",
        user_id="u",
        organization_id=ORG,
        base_url="https://x",
    ) as api:
        with pytest.raises(AuthenticationError) as info:
            api.delete_unit_test("a" * 24)
    message = str(info.value)
    assert "HTTP 401" in message and "AMIGO_API_KEY" in message and ORG in message
    assert KEY not in message
    assert info.value.__cause__ is None


def test_configuration_error_lists_missing_names_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("API_KEY", "API_KEY_ID", "USER_ID", "ORGANIZATION_ID", "BASE_URL"):
        monkeypatch.delenv(f"AMIGO_{name}", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env
    with pytest.raises(ConfigurationError) as info:
        SimulationApi(api_key=KEY)
    message = str(info.value)
    for name in ("AMIGO_API_KEY_ID", "AMIGO_USER_ID", "AMIGO_ORGANIZATION_ID"):
        assert name in message
    assert "AMIGO_API_KEY," not in message and KEY not in message
    assert info.value.__cause__ is None


def test_early_refresh_refused_keeps_the_usable_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """A due refresh answered 429 does not stall the request while the token in hand is valid:
    the request goes out with it and the refresh is tried again later."""
    t = FakeTime()
    start = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
    clock = {"now": start}
    monkeypatch.setattr(client_module, "_utcnow", lambda: clock["now"])
    answers: list[Any] = [
        UserSignInWithApiKeyResponse(id_token="first", expires_at=start + dt.timedelta(minutes=10)),
        _status_error(429, {"Retry-After": "30"}),
    ]

    def fake(cfg: Any) -> UserSignInWithApiKeyResponse:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(client_module, "sign_in_with_api_key", fake)
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["authorization"])
        return httpx.Response(204)

    with offline_api(
        handler, pacer=Pacer(clock=t.clock, sleep=t.sleep), api_key=KEY, base_url="https://x"
    ) as api:
        api.delete_scenario("a" * 24)
        clock["now"] = start + dt.timedelta(minutes=6)  # refresh due (5 min before expiry)
        api.delete_scenario("a" * 24)
        api.delete_scenario("a" * 24)  # put off: no new attempt yet
        assert api.request_counts()["sign-in-with-api-key"] == 2
    assert sent == ["Bearer first"] * 3
    assert t.sleeps == []  # nothing waited for Retry-After


def test_server_now_follows_the_date_of_the_last_answer(make_api: Any) -> None:
    """The sweep measures ages on the server's clock: its answers' ``Date``, not this one's."""
    sent = "Mon, 01 Jun 2026 12:00:00 GMT"

    def handler(request: httpx.Request) -> httpx.Response:
        body = {"simulation_unit_test_set_runs": [], "has_more": False, "continuation_token": None}
        return httpx.Response(200, json=body, headers={"Date": sent})

    api, _ = make_api(handler)
    assert api.server_now() is None  # no answer yet
    api.list_runs()
    found = api.server_now()
    assert found is not None
    assert (
        dt.timedelta(0)
        <= found - dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
        < dt.timedelta(seconds=5)
    )
