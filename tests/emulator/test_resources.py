"""The catalog resources (personas, scenarios, unit tests, sets, metrics) served by the shared
resource routes (``routes/resource.py``): exact error bodies, the order of 422 errors, the
route table and the fault plan's numeric checks."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from pytest_amigo.contract import PERMISSION_SET, PERMISSION_UNIT_TEST
from pytest_amigo.emulator import Emulator, World
from pytest_amigo.emulator.routes import resource
from pytest_amigo.emulator.traffic import FaultPlanError, parse_fault_plan
from support.emulator import Api

UNKNOWN = "0123456789abcdef01234567"
PERSONA_VERSION = {
    "background": "Retired teacher.",
    "user_models": [],
    "nonsensitive_user_variables": {},
    "sensitive_user_variables": {},
}
SCENARIO_VERSION = {
    "objective": "Block a lost card.",
    "instructions": "Be anxious.",
    "initial_message_type": "user-message",
    "conversation_starts_at": None,
}


def _persona(api: Api, name: str) -> str:
    body = {"name": name, "role": "Customer", "tags": {}, "initial_version": PERSONA_VERSION}
    resp = api.post("/simulation/persona/", body)
    assert resp.status_code == 201, resp.text
    pid: str = resp.json()["simulation_persona_id"]
    return pid


def _scenario(api: Api, name: str) -> str:
    resp = api.post(
        "/simulation/scenario/", {"name": name, "tags": {}, "initial_version": SCENARIO_VERSION}
    )
    assert resp.status_code == 201, resp.text
    sid: str = resp.json()["simulation_scenario_id"]
    return sid


def _detail(resp: Any, status: int) -> Any:
    assert resp.status_code == status, resp.text
    return resp.json()["detail"]


@pytest.mark.parametrize(
    ("kind", "what", "version"),
    [
        ("persona", "simulation persona", PERSONA_VERSION),
        ("scenario", "simulation scenario", SCENARIO_VERSION),
    ],
)
def test_persona_and_scenario_rules_answer_their_own_messages(
    api: Api, world: World, kind: str, what: str, version: dict[str, Any]
) -> None:
    base = f"/simulation/{kind}"
    oid = _persona(api, "Rules persona") if kind == "persona" else _scenario(api, "Rules scenario")
    body: dict[str, Any] = {"name": f"Rules {kind}", "tags": {}, "initial_version": version}
    if kind == "persona":
        body["role"] = "Customer"
    assert _detail(api.post(base + "/", body), 409) == (f"A {what} with this name already exists.")
    wrong = api.post(f"{base}/{oid}/version/?version=3", version)
    assert _detail(wrong, 400) == f"The next version of this {what} is 2."
    assert api.post(f"{base}/{oid}/version/?version=2", version).json() == {"version": 2}
    missing = f"{what[0].upper()}{what[1:]} not found."
    assert _detail(api.post(f"{base}/{UNKNOWN}/", {"tags": {}}), 404) == missing
    assert _detail(api.delete(f"{base}/{UNKNOWN}/"), 404) == missing
    assert _detail(api.post(f"{base}/{UNKNOWN}/version/", version), 404) == missing
    assert _detail(api.get(f"{base}/{UNKNOWN}/version/"), 404) == missing
    used = world.personas[0].id if kind == "persona" else world.scenarios[0].id
    assert _detail(api.delete(f"{base}/{used}/"), 400) == (
        f"The {what} is used by a simulation unit test."
    )
    assert api.delete(f"{base}/{oid}/").status_code == 204
    assert api.post(base + "/", body).status_code == 201  # a deleted name is free again


def test_unit_test_and_set_rules_answer_their_own_messages(api: Api, world: World) -> None:
    unit_test = world.unit_tests[0].id
    assert _detail(api.post(f"/simulation/unit_test/{UNKNOWN}/", {}), 404) == (
        "Simulation unit test not found."
    )
    assert _detail(api.post(f"/simulation/unit_test_set/{UNKNOWN}", {}), 404) == (
        "Simulation unit test set not found."
    )
    assert _detail(api.delete(f"/simulation/unit_test/{unit_test}/"), 400) == (
        "The simulation unit test is used by a unit test set."
    )
    clash = api.post(f"/simulation/unit_test_set/{world.sets[1].id}", {"name": world.sets[0].name})
    assert _detail(clash, 409) == "A simulation unit test set with this name already exists."


@pytest.mark.parametrize(
    ("path", "params", "locs"),
    [
        (
            "/simulation/unit_test/",
            {"limit": 501, "metric_id": "m", "persona_id": "p", "service_id": "s", "id": "i"},
            [["query", "id", 0], ["query", "limit"], ["query", "service_id", 0],
             ["query", "persona_id", 0], ["query", "metric_id", 0]],
        ),
        (
            "/simulation/persona/",
            {"is_deleted": "maybe", "continuation_token": "x", "limit": 51},
            [["query", "limit"], ["query", "continuation_token"], ["query", "is_deleted"]],
        ),
        (
            "/simulation/unit_test_set/",
            {"unit_test_id": "u", "is_deleted": "maybe", "limit": 21},
            [["query", "limit"], ["query", "is_deleted"], ["query", "unit_test_id", 0]],
        ),
        (
            "/metric/",
            {"is_deleted": "maybe", "type": "fuzzy", "applied_to_service": "a", "limit": 51},
            [["query", "limit"], ["query", "applied_to_service", 0], ["query", "type", 0],
             ["query", "is_deleted"]],
        ),
        (
            "/simulation/unit_test/search/",
            {"metric_id": "m", "query": ""},
            [["query", "query"], ["query", "metric_id", 0]],
        ),
    ],
)  # fmt: skip
def test_422_errors_follow_the_declared_parameter_order(
    api: Api, path: str, params: dict[str, Any], locs: list[list[Any]]
) -> None:
    detail = _detail(api.get(path, **params), 422)
    assert [e["loc"] for e in detail] == locs


def test_routes_keep_their_names(emu: Emulator) -> None:
    """The emulator's own OpenAPI (``/_emulator/openapi.json``) derives operation ids from them."""
    names = {
        (method, route.path.removeprefix("/v1/{organization}")): route.name
        for route in emu.app.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    expected = {
        ("GET", "/simulation/persona/"): "list_personas",
        ("GET", "/simulation/persona/search"): "search_personas",
        ("POST", "/simulation/persona/"): "create_persona",
        ("POST", "/simulation/persona/{simulation_persona_id}/"): "update_persona",
        ("DELETE", "/simulation/persona/{simulation_persona_id}/"): "delete_persona",
        ("POST", "/simulation/persona/{simulation_persona_id}/version/"): "create_persona_version",
        ("GET", "/simulation/persona/{simulation_persona_id}/version/"): "list_persona_versions",
        ("GET", "/simulation/scenario/"): "list_scenarios",
        ("GET", "/simulation/scenario/search"): "search_scenarios",
        ("POST", "/simulation/scenario/"): "create_scenario",
        ("POST", "/simulation/scenario/{simulation_scenario_id}/"): "update_scenario",
        ("DELETE", "/simulation/scenario/{simulation_scenario_id}/"): "delete_scenario",
        ("POST", "/simulation/scenario/{simulation_scenario_id}/version/"):
            "create_scenario_version",
        ("GET", "/simulation/scenario/{simulation_scenario_id}/version/"):
            "list_scenario_versions",
        ("GET", "/simulation/unit_test/"): "list_unit_tests",
        ("GET", "/simulation/unit_test/search/"): "search_unit_tests",
        ("POST", "/simulation/unit_test/"): "create_unit_test",
        ("POST", "/simulation/unit_test/{simulation_unit_test_id}/"): "update_unit_test",
        ("DELETE", "/simulation/unit_test/{simulation_unit_test_id}/"): "delete_unit_test",
        ("GET", "/simulation/unit_test_set/"): "list_sets",
        ("GET", "/simulation/unit_test_set/search/"): "search_sets",
        ("POST", "/simulation/unit_test_set/"): "create_set",
        ("POST", "/simulation/unit_test_set/{simulation_unit_test_set_id}"): "update_set",
        ("DELETE", "/simulation/unit_test_set/{simulation_unit_test_set_id}"): "delete_set",
        ("GET", "/metric/"): "list_metrics",
    }  # fmt: skip
    assert {k: names.get(k) for k in expected} == expected


@pytest.mark.parametrize(
    ("field", "value", "msg"),
    [
        ("latency", -1, "expected a number of seconds >= 0, got -1"),
        ("answer_latency", "x", "expected a number of seconds >= 0, got 'x'"),
        ("maintenance_for", float("inf"), "expected a number of seconds >= 0, got inf"),
        ("error_rate", 1.5, "expected a fraction between 0 and 1, got 1.5"),
        ("drop_rate", True, "expected a fraction between 0 and 1, got True"),
        ("burst_429", 1.0, "expected an integer >= 0, got 1.0"),
        ("processed_errors", -2, "expected an integer >= 0, got -2"),
        ("processed_drops", None, "expected an integer >= 0, got None"),
    ],
)
def test_fault_plan_numbers_are_checked(field: str, value: Any, msg: str) -> None:
    with pytest.raises(FaultPlanError) as caught:
        parse_fault_plan({field: value})
    assert caught.value.errors == [{"loc": ["body", field], "msg": msg, "type": "value_error"}]


def test_fault_plan_numbers_are_converted() -> None:
    plan = parse_fault_plan(
        {"latency": 1, "error_rate": 0, "drop_rate": 1, "burst_429": 2, "processed_drops": 0}
    )
    assert (plan.latency, plan.error_rate, plan.drop_rate) == (1.0, 0.0, 1.0)
    assert isinstance(plan.latency, float) and isinstance(plan.error_rate, float)
    assert (plan.burst_429, plan.processed_drops) == (2, 0)


def test_simulation_naming_follows_the_contract() -> None:
    """The names ``resource.simulation`` derives are those of the contract's permissions."""
    assert resource.simulation("unit_test_set", name="set") == resource.Naming(
        path="/simulation/unit_test_set",
        name="set",
        key="simulation_unit_test_sets",
        read=PERMISSION_SET,
        write="Simulation:ModifySimulationUnitTestSet",
        id_name="simulation_unit_test_set_id",
    )
    assert resource.simulation("unit_test").read == PERMISSION_UNIT_TEST
    assert resource.simulation("persona").names == "personas"
