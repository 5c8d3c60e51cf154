"""Helpers of the emulator tests (tests/emulator): a contract-checking caller, world lookups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from pytest_amigo.emulator import Emulator, World

WORLDS = Path(__file__).resolve().parents[1] / "emulator" / "worlds"
HOST = "http://127.0.0.1"
UNBROKEN_WINDOW = 1e9
"""A rate-limit window length no test run crosses (windows start at multiples of it since the
epoch; the next boundary is in 2033). Tests that count a limit's answers in real time use it:
with the documented 60 s a minute boundary falls inside a two-second test now and then and
resets the count."""


class Api:
    """A signed-in caller that checks every successful answer against the official contract."""

    def __init__(self, emu: Emulator, contract: OpenAPI | None, user_id: str | None = None):
        self.emu = emu
        self.contract = contract
        self.http = httpx.Client(base_url=emu.base_url, timeout=30)
        self.prefix = f"/v1/{emu.organization_id}"
        self.credentials = emu.user(user_id)
        self.checked = 0
        self.token = self.sign_in().json()["id_token"]

    def sign_in(self, **overrides: str) -> httpx.Response:
        c = {**self.credentials, **overrides}
        headers = {"x-api-key": c["api_key"], "x-api-key-id": c["api_key_id"]}
        headers["x-user-id"] = c["user_id"]
        url = self.prefix + "/user/signin_with_api_key"
        return self.check(self.http.post(url, headers=headers))

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {"Authorization": f"Bearer {self.token}"})
        return self.check(self.http.request(method, self.prefix + path, headers=headers, **kwargs))

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=body, **kwargs)

    def delete(self, path: str) -> httpx.Response:
        return self.request("DELETE", path)

    def check(self, resp: httpx.Response) -> httpx.Response:
        """Validate a 2xx answer's body against the contract's response schema."""
        if self.contract is None or not 200 <= resp.status_code < 300:
            return resp
        if resp.status_code == 204:
            assert resp.content == b""
            return resp
        req = MockRequest(HOST, resp.request.method.lower(), resp.request.url.path)
        self.contract.validate_response(
            req,
            MockResponse(
                data=resp.content, status_code=resp.status_code, content_type="application/json"
            ),
        )
        self.checked += 1
        return resp

    # -- conveniences ---------------------------------------------------------------------
    def start(self, set_id: str) -> str:
        resp = self.post("/simulation/unit_test_set_run/", {"simulation_unit_test_set_id": set_id})
        assert resp.status_code == 201, resp.text
        run_id: str = resp.json()["simulation_unit_test_set_run_id"]
        return run_id

    def run(self, run_id: str) -> dict[str, Any]:
        resp = self.get("/simulation/unit_test_set_run/", id=run_id)
        assert resp.status_code == 200, resp.text
        runs = resp.json()["simulation_unit_test_set_runs"]
        assert len(runs) == 1
        run: dict[str, Any] = runs[0]
        return run


def set_id(world: World, name: str) -> str:
    return next(s.id for s in world.sets if s.name == name)


def unit_test_id(world: World, name: str) -> str:
    return next(u.id for u in world.unit_tests if u.name == name)
