"""The emulator against the official contract: route table, every answer's schema, CRUD."""

from __future__ import annotations

from typing import Any

import httpx
from amigo_sdk.config import AmigoConfig
from amigo_sdk.generated import model as m
from amigo_sdk.http_client import AmigoHttpClient
from fastapi.routing import APIRoute

from pytest_amigo.api.endpoints import ENDPOINTS
from pytest_amigo.emulator import Emulator, World
from support.emulator import Api, set_id, unit_test_id

ADMIN_PREFIXES = ("/_emulator", "/_presigned")


def _routes(emu: Emulator) -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for route in emu.app.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }


def test_every_served_route_is_in_the_contract(emu: Emulator, spec: dict[str, Any]) -> None:
    served = {(m_, p) for m_, p in _routes(emu) if not p.startswith(ADMIN_PREFIXES)}
    assert served
    for method, path in served:
        assert path in spec["paths"], f"{path} is not a contract path (trailing slash?)"
        assert method.lower() in spec["paths"][path], f"{method} {path} not in the contract"


def test_every_documented_endpoint_is_served(emu: Emulator) -> None:
    served = _routes(emu)
    missing = [
        f"{e.method} {e.full_path}"
        for e in ENDPOINTS.values()
        if (e.method, e.full_path) not in served
    ]
    assert missing == []


def test_listings_validate_against_the_contract(api: Api, emu: Emulator, world: World) -> None:
    run_id = api.start(set_id(world, "Main"))
    emu.advance(500)
    api.run(run_id)
    before = api.checked
    sid = set_id(world, "Main")
    persona = world.personas[0].id
    scenario = world.scenarios[0].id
    for path, params in [
        ("/simulation/unit_test_set/", {"id": sid}),
        ("/simulation/unit_test_set/search/", {"query": "MAI"}),
        ("/simulation/unit_test/", {"limit": 500}),
        ("/simulation/unit_test/search/", {"query": "mix"}),
        ("/simulation/persona/", {}),
        ("/simulation/persona/search", {"query": "busy"}),
        (f"/simulation/persona/{persona}/version/", {}),
        ("/simulation/scenario/", {}),
        ("/simulation/scenario/search", {"query": "refund"}),
        (f"/simulation/scenario/{scenario}/version/", {"version": "latest"}),
        ("/metric/", {"type": ["numerical", "boolean"]}),
        ("/metric/metric_evaluation_result", {"simulation_unit_test_set_run_id": run_id}),
        ("/tool/invocation", {"simulation_unit_test_set_run_id": run_id}),
        (f"/simulation/unit_test_set_run/{run_id}/artifacts/", {}),
    ]:
        resp = api.get(path, **params)
        assert resp.status_code == 200, (path, resp.text)
    assert api.checked - before == 14


def test_searches_are_case_insensitive_substrings(api: Api, world: World) -> None:
    sets = api.get("/simulation/unit_test_set/search/", query="ROKE").json()
    assert [s["_id"] for s in sets["simulation_unit_test_sets"]] == [set_id(world, "Broken")]
    tests = api.get("/simulation/unit_test/search/", query="slo").json()
    assert [t["_id"] for t in tests["simulation_unit_tests"]] == [unit_test_id(world, "Slow")]
    assert api.get("/simulation/persona/search", query="nobody").json() == {
        "simulation_personas": []
    }


def test_lists_page_with_continuation_tokens(api: Api, world: World) -> None:
    first = api.get("/simulation/unit_test_set/", limit=2).json()
    assert len(first["simulation_unit_test_sets"]) == 2
    assert first["has_more"] is True and first["continuation_token"] == 2
    assert first["filter_values"] is not None
    seen = [s["id"] for s in first["simulation_unit_test_sets"]]
    token = first["continuation_token"]
    while token is not None:
        page = api.get("/simulation/unit_test_set/", limit=2, continuation_token=token).json()
        assert page["filter_values"] is None
        seen += [s["id"] for s in page["simulation_unit_test_sets"]]
        token = page["continuation_token"]
    assert seen == [s.id for s in world.sets]
    metrics = api.get("/metric/", type="categorical").json()["metrics"]
    assert [x["name"] for x in metrics] == ["Outcome"]
    assert api.get("/metric/", is_deleted=True).json()["metrics"] == []


def test_crud_round_trip(api: Api, world: World) -> None:
    persona = api.post(
        "/simulation/persona/",
        {
            "name": "Retiree",
            "role": "Customer",
            "tags": {"team": "care"},
            "initial_version": {
                "background": "Retired teacher.",
                "user_models": [],
                "nonsensitive_user_variables": {},
                "sensitive_user_variables": {},
            },
        },
    )
    assert persona.status_code == 201, persona.text
    pid = persona.json()["simulation_persona_id"]
    dup = api.post(
        "/simulation/persona/",
        {
            "name": "Retiree",
            "role": "Customer",
            "tags": {},
            "initial_version": {
                "background": "x",
                "user_models": [],
                "nonsensitive_user_variables": {},
                "sensitive_user_variables": {},
            },
        },
    )
    assert dup.status_code == 409
    version = api.post(
        f"/simulation/persona/{pid}/version/",
        {
            "background": "Retired teacher, hard of hearing.",
            "user_models": [],
            "nonsensitive_user_variables": {},
            "sensitive_user_variables": {},
        },
    )
    assert version.status_code == 201 and version.json() == {"version": 2}
    wrong = api.post(
        f"/simulation/persona/{pid}/version/?version=5",
        {
            "background": "b",
            "user_models": [],
            "nonsensitive_user_variables": {},
            "sensitive_user_variables": {},
        },
    )
    assert wrong.status_code == 400
    versions = api.get(f"/simulation/persona/{pid}/version/", version="1-latest").json()
    assert [v["version"] for v in versions["simulation_persona_versions"]] == [1, 2]
    assert api.post(f"/simulation/persona/{pid}/", {"tags": {"team": None}}).status_code == 204

    scenario = api.post(
        "/simulation/scenario/",
        {
            "name": "Lost card",
            "tags": {},
            "initial_version": {
                "objective": "Block a lost card.",
                "instructions": "Be anxious.",
                "initial_message_type": "user-message",
                "conversation_starts_at": None,
            },
        },
    )
    assert scenario.status_code == 201, scenario.text
    scid = scenario.json()["simulation_scenario_id"]
    metric_id = world.metrics[0].id
    empathy = world.metrics[1].id
    unit_test = {
        "name": "Card blocked",
        "description": "The agent blocks the card.",
        "service_id": world.services[0].id,  # a world service: unknown services are 404
        "service_version_set_name": "release",
        "persona_id": pid,
        "scenario_id": scid,
        "max_interactions": 5,
        "success_criterions": [
            {
                "name": "Done",
                "metric_id": metric_id,
                "criterion": {"type": "boolean", "expected_value": True},
            }
        ],
        "tags": {"area": "cards"},
    }
    mismatched = {
        **unit_test,
        "name": "Mismatch",
        "success_criterions": [
            {
                "name": "Bad",
                "metric_id": empathy,
                "criterion": {"type": "boolean", "expected_value": True},
            }
        ],
    }
    assert api.post("/simulation/unit_test/", mismatched).status_code == 400
    missing = {**unit_test, "name": "Ghost", "persona_id": "b" * 24}
    assert api.post("/simulation/unit_test/", missing).status_code == 404
    created = api.post("/simulation/unit_test/", unit_test)
    assert created.status_code == 201, created.text
    uid = created.json()["simulation_unit_test_id"]
    assert api.post("/simulation/unit_test/", unit_test).status_code == 409
    assert api.delete(f"/simulation/persona/{pid}/").status_code == 400  # used by a unit test
    update = {"max_interactions": 7, "run_count": 2}
    assert api.post(f"/simulation/unit_test/{uid}/", update).status_code == 204
    listed = api.get("/simulation/unit_test/", id=uid).json()["simulation_unit_tests"]
    assert listed[0]["max_interactions"] == 7
    assert listed[0]["tags"] == [{"key": "area", "value": "cards"}]

    new_set = api.post(
        "/simulation/unit_test_set/",
        {
            "name": "Cards",
            "description": None,
            "unit_test_runs": [{"unit_test_id": uid, "run_count": 2}],
            "tags": {},
        },
    )
    assert new_set.status_code == 201, new_set.text
    sid = new_set.json()["simulation_unit_test_set_id"]
    clash = api.post(f"/simulation/unit_test_set/{sid}", {"name": "Main"})
    assert clash.status_code == 409
    assert (
        api.post(f"/simulation/unit_test_set/{sid}", {"description": "Cards."}).status_code == 204
    )
    got = api.get("/simulation/unit_test_set/", id=sid).json()["simulation_unit_test_sets"][0]
    assert got["description"] == "Cards." and got["name"] == "Cards"
    assert api.delete(f"/simulation/unit_test/{uid}/").status_code == 400  # used by a set
    assert api.delete(f"/simulation/unit_test_set/{sid}").status_code == 204
    assert (
        api.get("/simulation/unit_test_set/", id=sid, is_deleted=False).json()[
            "simulation_unit_test_sets"
        ]
        == []
    )
    assert api.delete(f"/simulation/unit_test/{uid}/").status_code == 204
    assert api.delete(f"/simulation/persona/{pid}/").status_code == 204
    assert api.delete(f"/simulation/scenario/{scid}/").status_code == 204


def test_api_created_unit_test_set_runs(api: Api, emu: Emulator, world: World) -> None:
    created = api.post(
        "/simulation/unit_test_set/",
        {
            "name": "Ad hoc",
            "description": "Built through the API.",
            "unit_test_runs": [{"unit_test_id": unit_test_id(world, "Quick"), "run_count": 4}],
            "tags": {},
        },
    )
    sid = created.json()["simulation_unit_test_set_id"]
    run_id = api.start(sid)
    emu.advance(60)
    run = api.run(run_id)
    assert run["is_completed"] is True and run["failed_metrics"] is False
    assert run["unit_test_run_results"][0]["run_errors"] == [None] * 4


def test_official_sdk_signs_in_and_parses(emu: Emulator, world: World) -> None:
    cfg = AmigoConfig(base_url=emu.base_url, organization_id=emu.organization_id, **emu.credentials)
    client = AmigoHttpClient(cfg)
    try:
        resp = client.request("GET", f"/v1/{emu.organization_id}/simulation/unit_test_set/")
        parsed = m.SimulationGetSimulationUnitTestSetsResponse.model_validate_json(resp.content)
        assert {s.id for s in world.sets} <= {s.id for s in parsed.simulation_unit_test_sets}
        resp = client.request("GET", f"/v1/{emu.organization_id}/metric/")
        metrics = m.MetricGetMetricsResponse.model_validate_json(resp.content)
        assert {x.name for x in metrics.metrics} == {x.name for x in world.metrics}
        assert cfg.organization_id == emu.env()["AMIGO_ORGANIZATION_ID"]
    finally:
        client.close()


def test_admin_endpoints(emu: Emulator, world: World) -> None:
    with httpx.Client(base_url=emu.base_url) as http:
        assert http.get("/_emulator/health").json()["status"] == "ok"
        before = http.get("/_emulator/world").json()
        assert [s["id"] for s in before["sets"]] == [s.id for s in world.sets]
        moved = http.post("/_emulator/clock", json={"advance": 1000}).json()
        assert moved["world_time"] >= before["world_time"] + 1000
