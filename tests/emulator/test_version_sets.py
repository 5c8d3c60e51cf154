"""Services and their version sets: world keys, what run specs echo, sessions per version set,
API-created copies behaving like their twin, and the contract's unit test rules (404/400/409)."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_amigo.emulator import Emulator, World, WorldError, derive_id
from support.emulator import Api, set_id, unit_test_id

BOT = derive_id("service", "Bot")
OTHER = derive_id("service", "Other bot")
WORLD: dict[str, Any] = {
    "emulator": {"organization": "vsorg"},
    "metrics": [
        {"name": "Done", "type": "boolean"},
        {"name": "Empathy", "type": "numerical", "lower_bound": 0, "upper_bound": 10},
    ],
    "personas": [{"name": "P"}, {"name": "Q"}],
    "scenarios": [{"name": "S"}],
    "services": [
        {
            "name": "Bot",
            "version_sets": [
                {"name": "release", "agent_version": 5, "state_machine_version": 3},
                {"name": "pr-123", "agent_version": 6, "state_machine_version": 3},
            ],
        },
        {"name": "Other bot"},  # version_sets default: release (1, 1)
    ],
    "unit_tests": [
        {
            "name": "Greets",
            "persona": "P",
            "scenario": "S",
            "service": "Bot",
            "criteria": [
                {"name": "Done", "metric": "Done"},
                {"name": "Kind", "metric": "Empathy", "verb": ">=", "threshold": 7},
            ],
            "sessions": [{"duration": 10}, {"duration": 20, "values": {"Kind": 8}}],
            "version_sets": {
                "pr-123": {
                    "sessions": [
                        {
                            "duration": 15,
                            "values": {"Done": False},
                            "justifications": {"Done": "The candidate forgot to greet."},
                        }
                    ]
                }
            },
        },
        {
            "name": "On candidate",
            "persona": "Q",
            "scenario": "S",
            "service": BOT,
            "version_set": "pr-123",
            "duration": 12,
            "criteria": [{"name": "Done", "metric": "Done"}],
        },
    ],
    "sets": [
        {"name": "Main", "unit_tests": [{"unit_test": "Greets", "run_count": 2}]},
        {"name": "Candidate", "unit_tests": ["On candidate"]},
    ],
}


@pytest.fixture(scope="module")
def world() -> World:
    return World.from_dict(copy.deepcopy(WORLD))


def _run(api: Api, emu: Emulator, sid: str) -> dict[str, Any]:
    """A finished run of set ``sid``."""
    run_id = api.start(sid)
    emu.advance(1000)
    run = api.run(run_id)
    assert run["is_completed"] is True
    return run


def _passed(run: dict[str, Any]) -> list[list[list[bool]]]:
    """Per unit test, per criterion: the verdicts of its sessions."""
    return [
        [[pair[1] for pair in m["results"]] for m in r["metric_evaluation_results"]]
        for r in run["unit_test_run_results"]
    ]


def _copy_body(world: World, name: str, version_set: str, **changes: Any) -> dict[str, Any]:
    """A create body copying world unit test "Greets" (criteria in the other order)."""
    greets = next(u for u in world.unit_tests if u.name == "Greets")
    criteria = [
        {"name": c.name, "metric_id": c.metric_id, "criterion": c.to_api()}
        for c in reversed(greets.criteria)
    ]
    return {
        "name": name,
        "description": "A copy of Greets.",
        "service_id": BOT,
        "service_version_set_name": version_set,
        "persona_id": greets.persona_id,
        "scenario_id": greets.scenario_id,
        "max_interactions": 10,
        "success_criterions": criteria,
        "tags": {},
        **changes,
    }


def _create_set(api: Api, name: str, uid: str, run_count: int = 2) -> str:
    body = {
        "name": name,
        "description": None,
        "unit_test_runs": [{"unit_test_id": uid, "run_count": run_count}],
        "tags": {},
    }
    resp = api.post("/simulation/unit_test_set/", body)
    assert resp.status_code == 201, resp.text
    new_id: str = resp.json()["simulation_unit_test_set_id"]
    return new_id


def _create_unit_test(api: Api, body: dict[str, Any]) -> str:
    resp = api.post("/simulation/unit_test/", body)
    assert resp.status_code == 201, resp.text
    uid: str = resp.json()["simulation_unit_test_id"]
    return uid


# -- the world file ------------------------------------------------------------------------


def test_world_keys_parse(world: World) -> None:
    bot, other = world.services
    assert (bot.id, bot.name, other.id) == (BOT, "Bot", OTHER)
    assert [(v.name, v.agent_version, v.state_machine_version) for v in bot.version_sets] == [
        ("release", 5, 3),
        ("pr-123", 6, 3),
    ]
    assert [(v.name, v.agent_version) for v in other.version_sets] == [("release", 1)]
    greets, candidate = world.unit_tests
    assert (greets.service_id, greets.version_set) == (BOT, "release")
    assert (candidate.service_id, candidate.version_set) == (BOT, "pr-123")
    on_pr = greets.behaviour("pr-123")
    assert [s.values for s in on_pr.sessions] == [{"Done": False}]
    assert [s.duration for s in greets.behaviour("release").sessions] == [10, 20]
    assert candidate.behaviour("pr-123").duration == 12  # no version_sets: its own
    data = copy.deepcopy(WORLD)
    data["unit_tests"][0]["version_sets"]["pr-123"] = {"duration": 30, "random": {"pass_rate": 0.5}}
    on_pr = World.from_dict(data).unit_tests[0].behaviour("pr-123")
    assert (on_pr.duration, on_pr.sessions, on_pr.random.pass_rate if on_pr.random else None) == (
        30,
        (),
        0.5,
    )


def test_without_services_the_world_has_todays_one_service() -> None:
    data = copy.deepcopy(WORLD)
    del data["services"]
    for u in data["unit_tests"]:
        u.pop("service"), u.pop("version_sets", None), u.pop("version_set", None)
    data["unit_tests"][1]["service"] = "Legacy"  # as before: derive_id("service", "Legacy")
    world = World.from_dict(data)
    default = derive_id("service", "Emulated service")
    assert [(s.id, [v.name for v in s.version_sets]) for s in world.services] == [
        (default, ["release"]),
        (derive_id("service", "Legacy"), ["release"]),
    ]
    assert [u.service_id for u in world.unit_tests] == [default, derive_id("service", "Legacy")]
    assert world.summary()["services"][0] == {
        "id": default,
        "name": "Emulated service",
        "version_sets": [{"name": "release", "agent_version": 1, "state_machine_version": 1}],
    }


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["unit_tests"][0].update(service="Nobody"),
            "unit_tests[0]: service 'Nobody' is not a [[services]] name or id",
        ),
        (
            lambda d: d["unit_tests"][0].update(version_set="pr-9"),
            "unit_tests[0]: version set 'pr-9' is not one of service 'Bot''s version sets",
        ),
        (
            lambda d: d["unit_tests"][0]["version_sets"].update({"pr-9": {}}),
            "unit_tests[0].version_sets.pr-9: version set 'pr-9' is not one of",
        ),
        (
            lambda d: d["unit_tests"][0]["version_sets"]["pr-123"].update(retries=2),
            "unit_tests[0].version_sets.pr-123: unknown key(s) ['retries']",
        ),
        (
            lambda d: d["unit_tests"][0]["version_sets"]["pr-123"]["sessions"][0].update(
                values={"Nope": 1}
            ),
            "unit_tests[0].version_sets.pr-123.sessions[0]: 'Nope' is not a criterion name",
        ),
        (
            lambda d: d["unit_tests"][0]["version_sets"]["pr-123"].update(random={}),
            "unit_tests[0].version_sets.pr-123: use either 'sessions' or 'random', not both",
        ),
        (
            lambda d: d["unit_tests"][0].update(
                version_sets={"pr-123": {"random": {"pass_rate": 2}}}
            ),
            "unit_tests[0].version_sets.pr-123.random: 'pass_rate' and 'error_rate'",
        ),
        (
            lambda d: d["unit_tests"][0].update(version_sets={"pr-123": 3}),
            "unit_tests[0].version_sets.pr-123: expected a table",
        ),
        (
            lambda d: d["services"][0]["version_sets"][1].update(agent_version=0),
            "services[0].version_sets[1]: 'agent_version' must be a positive integer",
        ),
        (
            lambda d: d["services"][0]["version_sets"][1].update(state_machine_version="3"),
            "services[0].version_sets[1]: 'state_machine_version' must be a positive integer",
        ),
        (
            lambda d: d["services"][0]["version_sets"][1].update(name="release"),
            "services[0].version_sets: duplicate name 'release'",
        ),
        (
            lambda d: d["services"][0].update(version_sets=[]),
            "services[0]: 'version_sets' must be a non-empty list",
        ),
        (lambda d: d["services"][0].update(agent=1), "services[0]: unknown key(s) ['agent']"),
        (lambda d: d["services"].append({"name": "Bot"}), "services: duplicate"),
    ],
)
def test_bad_version_set_keys_are_world_errors(mutate: Any, message: str) -> None:
    data = copy.deepcopy(WORLD)
    mutate(data)
    with pytest.raises(WorldError) as info:
        World.from_dict(data, source="w.toml")
    assert str(info.value).startswith("w.toml: ")
    assert message in str(info.value)


def test_admin_world_lists_services_and_version_sets(emu: Emulator, world: World) -> None:
    summary = httpx.get(emu.base_url + "/_emulator/world").json()
    assert summary["services"] == world.summary()["services"]
    assert [v["name"] for v in summary["services"][0]["version_sets"]] == ["release", "pr-123"]
    assert summary["unit_tests"][1]["version_set"] == "pr-123"


# -- runs ------------------------------------------------------------------------------------


def test_run_specs_echo_the_version_sets_agent_and_state_machine(
    api: Api, emu: Emulator, world: World
) -> None:
    (spec,) = _run(api, emu, set_id(world, "Main"))["unit_test_run_specs"]
    assert spec["agent_version_info"] == [derive_id("agent", BOT), 5]
    assert spec["service_hierarchical_state_machine_version_info"] == [
        derive_id("state_machine", BOT),
        3,
    ]
    assert spec["persona_version_info"][1] == 1
    run = _run(api, emu, set_id(world, "Candidate"))
    (spec,) = run["unit_test_run_specs"]
    assert spec["agent_version_info"] == [derive_id("agent", BOT), 6]
    assert spec["service_hierarchical_state_machine_version_info"][1] == 3
    listed = api.get("/simulation/unit_test/", id=unit_test_id(world, "On candidate")).json()
    assert listed["simulation_unit_tests"][0]["service_version_set_name"] == "pr-123"


def test_a_world_unit_test_goes_its_version_sets_way(api: Api, emu: Emulator, world: World) -> None:
    sid, uid = set_id(world, "Main"), unit_test_id(world, "Greets")
    assert _passed(_run(api, emu, sid)) == [[[True, True], [True, True]]]
    path = f"/simulation/unit_test/{uid}/"
    assert api.post(path, {"service_version_set_name": "pr-123"}).status_code == 204
    try:
        run = _run(api, emu, sid)
        assert _passed(run) == [[[False, False], [True, True]]]  # Done fails, Kind is met
    finally:
        assert api.post(path, {"service_version_set_name": "release"}).status_code == 204
    assert run["unit_test_run_specs"][0]["agent_version_info"][1] == 6


def test_an_api_copy_behaves_like_its_twin_on_its_version_set(
    api: Api, emu: Emulator, world: World
) -> None:
    on_release = _create_unit_test(api, _copy_body(world, "Greets copy (release)", "release"))
    on_pr = _create_unit_test(api, _copy_body(world, "Greets copy (pr-123)", "pr-123"))
    release = _run(api, emu, _create_set(api, "Copy on release", on_release))
    candidate = _run(api, emu, _create_set(api, "Copy on pr-123", on_pr))
    # criteria in the copy's order (Kind, Done): Greets on release meets both, on pr-123 fails Done
    assert _passed(release) == [[[True, True], [True, True]]]
    assert _passed(candidate) == [[[True, True], [False, False]]]
    assert candidate["unit_test_run_specs"][0]["agent_version_info"][1] == 6
    evaluations = api.get(
        "/metric/metric_evaluation_result", simulation_unit_test_set_run_id=candidate["id"]
    ).json()["metric_evaluation_results"]
    assert "The candidate forgot to greet." in {e["justification"] for e in evaluations}


def test_an_api_unit_test_without_a_twin_meets_every_criterion_in_60_seconds(
    api: Api, emu: Emulator, world: World
) -> None:
    body = _copy_body(world, "No twin", "pr-123")
    body["success_criterions"][0]["name"] = "Kindness"  # another criterion name: no twin
    sid = _create_set(api, "No twin set", _create_unit_test(api, body), run_count=1)
    run_id = api.start(sid)
    emu.advance(59)
    assert api.run(run_id)["unit_test_run_results"] == [None]
    emu.advance(1)
    assert _passed(api.run(run_id)) == [[[True], [True]]]


# -- unit test rules ------------------------------------------------------------------------


def test_create_and_update_answer_404_for_an_unknown_service_or_version_set(
    api: Api, world: World
) -> None:
    unknown_set = api.post("/simulation/unit_test/", _copy_body(world, "Ghost", "pr-9"))
    assert unknown_set.status_code == 404
    assert unknown_set.json() == {
        "detail": f"Service version set 'pr-9' not found for service {BOT}."
    }
    unknown_service = api.post(
        "/simulation/unit_test/", _copy_body(world, "Ghost", "release", service_id="b" * 24)
    )
    assert unknown_service.status_code == 404
    assert unknown_service.json() == {"detail": f"Service {'b' * 24} not found."}

    uid = _create_unit_test(api, _copy_body(world, "Updated copy", "release"))
    path = f"/simulation/unit_test/{uid}/"
    resp = api.post(path, {"service_version_set_name": "pr-9"})
    assert resp.status_code == 404
    assert "'pr-9' not found for service" in resp.json()["detail"]
    moved = api.post(path, {"service_id": OTHER, "service_version_set_name": "pr-123"})
    assert moved.status_code == 404  # Other bot has no pr-123
    assert moved.json() == {
        "detail": f"Service version set 'pr-123' not found for service {OTHER}."
    }
    assert api.post(path, {"service_id": "c" * 24}).status_code == 404
    listed = api.get("/simulation/unit_test/", id=uid).json()["simulation_unit_tests"][0]
    assert (listed["service_id"], listed["service_version_set_name"]) == (BOT, "release")
    assert api.post(path, {"service_id": OTHER}).status_code == 204  # Other bot has release
    assert api.post(path, {"service_version_set_name": "pr-123"}).status_code == 404


def test_delete_answers_400_while_a_set_uses_the_unit_test(api: Api, world: World) -> None:
    uid = _create_unit_test(api, _copy_body(world, "In use", "release"))
    sid = _create_set(api, "Uses it", uid)
    resp = api.delete(f"/simulation/unit_test/{uid}/")
    assert resp.status_code == 400
    assert resp.json() == {"detail": "The simulation unit test is used by a unit test set."}
    assert api.delete(f"/simulation/unit_test_set/{sid}").status_code == 204
    assert api.delete(f"/simulation/unit_test/{uid}/").status_code == 204


def test_create_answers_409_for_a_name_taken(api: Api, world: World) -> None:
    resp = api.post("/simulation/unit_test/", _copy_body(world, "Greets", "pr-123"))
    assert resp.status_code == 409
    assert resp.json() == {"detail": "A simulation unit test with this name already exists."}


# -- the demo world --------------------------------------------------------------------------


def test_demo_world_candidate_fixes_one_unit_test_and_regresses_another() -> None:
    world = World.default()
    (service,) = world.services
    assert [(v.name, v.agent_version) for v in service.version_sets] == [
        ("release", 1),
        ("candidate", 2),
    ]
    with Emulator(world, speed=1.0) as emu:
        store, user = emu.store, world.users[0]
        smoke = set_id(world, "Support smoke")
        release = store.run_instance(_finished(emu, store.create_run(smoke, user)))
        runs = [
            {
                "unit_test_id": store.create_unit_test(_candidate_copy(store, uid), user),
                "run_count": n,
            }
            for uid, n in world.sets[0].unit_test_runs
        ]
        sid = store.create_set(
            {"name": "Candidate", "description": None, "unit_test_runs": runs, "tags": {}}, user
        )
        candidate = store.run_instance(_finished(emu, store.create_run(sid, user)))
    verdicts = [_verdict(r) for r in release["unit_test_run_results"]]
    assert verdicts == [False, True]  # release: the refund fails Empathy, the reset passes
    assert [_verdict(r) for r in candidate["unit_test_run_results"]] == [True, False]
    assert [s["agent_version_info"][1] for s in release["unit_test_run_specs"]] == [1, 1]
    assert [s["agent_version_info"][1] for s in candidate["unit_test_run_specs"]] == [2, 2]


def _candidate_copy(store: Any, uid: str) -> dict[str, Any]:
    """A create body copying unit test ``uid`` onto version set ``candidate``."""
    doc = store.unit_tests[uid]
    keys = ("description", "service_id", "persona_id", "scenario_id", "max_interactions")
    return {
        **{k: doc[k] for k in keys},
        "name": f"{doc['name']} (candidate)",
        "service_version_set_name": "candidate",
        "success_criterions": doc["success_criterions"],
        "tags": {},
    }


def _finished(emu: Emulator, run_id: str) -> Any:
    emu.advance(1000)
    return emu.store.get_run(run_id)


def _verdict(result: dict[str, Any]) -> bool:
    return all(pair[1] for m in result["metric_evaluation_results"] for pair in m["results"])


def test_documented_example_has_services_and_version_sets() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "emulator.md").read_text()
    block = doc.split("## World file", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    world = World.from_dict(tomllib.loads(block), source="docs/emulator.md")
    (service,) = world.services
    assert [v.name for v in service.version_sets] == ["release", "pr-123", "main"]
    assert (service.version_sets[2].agent_version, service.agent_versions) == (None, 6)
    refund = world.unit_tests[0]
    assert (refund.service_id, refund.version_set) == (service.id, "release")
    assert refund.behaviour("pr-123").duration == 45
    assert refund.behaviour("pr-123").sessions[0].values == {"Completed": False}
