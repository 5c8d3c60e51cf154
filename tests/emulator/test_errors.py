"""Every documented error answer: 400, 401, 403, 404, 409, 422 (and the 429 wiring)."""

from __future__ import annotations

import time

import httpx
import pytest

from pytest_amigo.emulator import Emulator, World
from support.emulator import UNBROKEN_WINDOW, Api, set_id

UNKNOWN = "0123456789abcdef01234567"


def test_sign_in_rejects_bad_key_and_user(api: Api) -> None:
    assert api.sign_in(api_key="wrong").status_code == 401
    assert api.sign_in(user_id="someone-else").status_code == 401
    assert api.sign_in(api_key_id="key-unknown").status_code == 401
    body = api.sign_in(api_key="wrong").json()
    assert "API key" in body["detail"]


def test_sign_in_without_headers_is_422(api: Api) -> None:
    resp = api.http.post(api.prefix + "/user/signin_with_api_key", headers={"x-api-key": "k"})
    assert resp.status_code == 422
    locs = {tuple(e["loc"]) for e in resp.json()["detail"]}
    assert {("header", "x-api-key-id"), ("header", "x-user-id")} <= locs


def test_sign_in_to_unknown_org_is_404(api: Api) -> None:
    c = api.credentials
    resp = api.http.post(
        "/v1/other-org/user/signin_with_api_key",
        headers={"x-api-key": c["api_key"], "x-api-key-id": c["api_key_id"], "x-user-id": "ci-bot"},
    )
    assert resp.status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "emulator-secret"}],
)
def test_missing_or_bad_token_is_401(api: Api, headers: dict[str, str]) -> None:
    resp = api.request("GET", "/simulation/unit_test_set/", headers=headers)
    assert resp.status_code == 401
    assert isinstance(resp.json()["detail"], str)


def test_api_key_as_bearer_is_401(api: Api) -> None:
    bearer = {"Authorization": f"Bearer {api.credentials['api_key']}"}
    assert api.request("GET", "/metric/", headers=bearer).status_code == 401


def test_other_organization_is_404(api: Api) -> None:
    resp = api.http.get(
        "/v1/other-org/simulation/unit_test_set/",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert resp.status_code == 404


def test_missing_permission_is_403(emu: Emulator, api: Api) -> None:
    no_ut = Api(emu, api.contract, "no-unit-tests")
    resp = no_ut.get("/simulation/unit_test/")
    assert resp.status_code == 403
    assert "Simulation:GetSimulationUnitTest" in resp.json()["detail"]
    no_sets = Api(emu, api.contract, "no-sets")
    resp = no_sets.get("/simulation/unit_test_set/")
    assert resp.status_code == 403
    assert "Simulation:GetSimulationUnitTestSet" in resp.json()["detail"]
    assert no_sets.get("/simulation/unit_test/").status_code == 200


def test_unknown_ids_are_404(api: Api) -> None:
    body = {"simulation_unit_test_set_id": UNKNOWN}
    assert api.post("/simulation/unit_test_set_run/", body).status_code == 404
    assert api.delete(f"/simulation/unit_test_set_run/{UNKNOWN}/").status_code == 404
    assert api.get(f"/simulation/unit_test_set_run/{UNKNOWN}/artifacts/").status_code == 404
    assert api.delete(f"/simulation/unit_test_set/{UNKNOWN}").status_code == 404
    assert api.get(f"/simulation/persona/{UNKNOWN}/version/").status_code == 404
    assert api.delete(f"/simulation/unit_test/{UNKNOWN}/").status_code == 404


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/simulation/unit_test_set_run/", {"id": "not-hex"}),
        ("/simulation/unit_test_set_run/", {"limit": 51}),
        ("/simulation/unit_test_set_run/", {"limit": -1}),
        ("/simulation/unit_test_set_run/", {"is_completed": "maybe"}),
        ("/simulation/unit_test_set_run/", {"created_after": "yesterday"}),
        ("/simulation/unit_test_set/", {"limit": 21}),
        ("/simulation/unit_test/", {"limit": 501}),
        ("/metric/", {"limit": 51}),
        ("/metric/", {"type": "fuzzy"}),
        ("/metric/metric_evaluation_result", {"limit": 501}),
        ("/metric/metric_evaluation_result", {"simulation_unit_test_set_run_id": "ABC"}),
        ("/metric/metric_evaluation_result", {"source_type": "telepathy"}),
        ("/tool/invocation", {"limit": 101}),
        ("/tool/invocation", {"succeeded": "perhaps"}),
        ("/tool/invocation", {"invocation_source_type": "dream"}),
        ("/simulation/unit_test_set_run/", {"sort_by": "name"}),
        ("/simulation/unit_test_set/", {"sort_by": "-colour"}),
        ("/simulation/unit_test_set_run/ABCDEF0123456789abcdef01/artifacts/", {}),
    ],
)
def test_validation_errors_are_fastapi_style_422(
    api: Api, path: str, params: dict[str, object]
) -> None:
    resp = api.get(path, **params)
    assert resp.status_code == 422, resp.text
    detail = resp.json()["detail"]
    assert isinstance(detail, list) and detail
    assert {"loc", "msg", "type"} <= set(detail[0])


def test_tool_versions_must_pair_with_tool_ids_400(api: Api) -> None:
    assert api.get("/tool/invocation", version=">=1").status_code == 400


def test_bad_bodies_are_422(api: Api) -> None:
    assert api.post("/simulation/unit_test_set_run/", {}).status_code == 422
    bad = {"simulation_unit_test_set_id": "xyz"}
    resp = api.post("/simulation/unit_test_set_run/", bad)
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"][:2] == ["body", "simulation_unit_test_set_id"]
    empty_set = {"name": "Empty", "description": None, "unit_test_runs": [], "tags": {}}
    assert api.post("/simulation/unit_test_set/", empty_set).status_code == 422


def test_artifacts_before_they_are_generated_is_400(api: Api, emu: Emulator, world: World) -> None:
    run_id = api.start(set_id(world, "Quick"))
    resp = api.get(f"/simulation/unit_test_set_run/{run_id}/artifacts/")
    assert resp.status_code == 400
    assert resp.json() == {
        "detail": "The artifacts for the unit test set run are not yet available for retrieval"
    }
    emu.advance(7)  # done at 5, artifacts 5 s later
    assert api.get(f"/simulation/unit_test_set_run/{run_id}/artifacts/").status_code == 400
    emu.advance(5)
    assert api.get(f"/simulation/unit_test_set_run/{run_id}/artifacts/").status_code == 200


def test_expired_token_is_401(world: World) -> None:
    # The first request must reach the emulator within the token's life, even on a loaded
    # machine; the expiry is certain (the sleep starts after the sign-in was answered).
    ttl = 3.0
    with Emulator(world, token_ttl=ttl) as short:
        caller = Api(short, None)
        assert caller.get("/metric/").status_code == 200
        time.sleep(ttl + 0.1)
        resp = caller.get("/metric/")
        assert resp.status_code == 401
        assert "expired" in resp.json()["detail"]


def test_rate_limits_are_wired_in(world: World) -> None:
    with Emulator(world, rate_limits=True, rate_limit_window=UNBROKEN_WINDOW) as limited:
        c = limited.credentials
        headers = {"x-api-key": c["api_key"], "x-api-key-id": c["api_key_id"]}
        headers["x-user-id"] = c["user_id"]
        url = f"{limited.base_url}/v1/{limited.organization_id}/user/signin_with_api_key"
        statuses = [httpx.post(url, headers=headers).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        last = httpx.post(url, headers=headers)
        assert "retry-after" in last.headers
