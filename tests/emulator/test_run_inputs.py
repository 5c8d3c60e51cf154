"""What a run is made of, readable before it is created: services with version sets naming
``latest`` (``null``), the version lists of agents, state machines, metrics, personas and
scenarios, runs listed by set across sessions, and the ``new_persona_versions`` fault. Over
loopback HTTP; every 2xx answer is checked against the contract."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from openapi_core import OpenAPI

from pytest_amigo.emulator import Emulator, World, WorldError, derive_id
from support.emulator import Api, set_id

BOT = derive_id("service", "Bot")
AGENT, MACHINE = derive_id("agent", BOT), derive_id("state_machine", BOT)
PREFERENCES = {"engage_user": {"llm_name": "model-a", "params": {"temperature": 0.2}}}
WORLD: dict[str, Any] = {
    "emulator": {"organization": "inputs"},
    "users": [
        {"user_id": "ci-bot", "api_key_id": "key-ci", "api_key": "secret-ci"},
        {
            "user_id": "auditor",
            "api_key_id": "key-au",
            "api_key": "secret-au",
            "denied_permissions": ["Service:GetService"],
        },
    ],
    "metrics": [{"name": "Done", "type": "boolean", "description": "Was it done?"}],
    "personas": [{"name": "P", "background": "Busy."}],
    "scenarios": [{"name": "S"}],
    "services": [
        {
            "name": "Bot",
            "agent_versions": 7,
            "state_machine_versions": 4,
            "version_sets": [
                {"name": "release", "agent_version": 5, "state_machine_version": 3},
                {
                    "name": "main",
                    "agent_version": "latest",
                    "state_machine_version": "latest",
                    "llm_model_preferences": {
                        "engage_user": {"llm_name": "model-a", "params": {"temperature": 0.2}}
                    },
                },
            ],
        }
    ],
    "unit_tests": [
        {
            "name": "On main",
            "persona": "P",
            "scenario": "S",
            "service": "Bot",
            "version_set": "main",
            "criteria": [{"name": "Done", "metric": "Done"}],
        },
        {
            "name": "On release",
            "persona": "P",
            "scenario": "S",
            "service": "Bot",
            "criteria": [{"name": "Done", "metric": "Done"}],
        },
    ],
    "sets": [
        {"name": "Main", "unit_tests": ["On main"]},
        {"name": "Release", "unit_tests": [{"unit_test": "On release", "run_count": 2}]},
        {"name": "Drifting", "unit_tests": ["On release"], "new_persona_versions": 1},
    ],
}


@pytest.fixture(scope="module")
def world() -> World:
    return World.from_dict(copy.deepcopy(WORLD))


def _versions(api: Api, path: str, key: str, **params: Any) -> list[int]:
    resp = api.get(path, **params)
    assert resp.status_code == 200, resp.text
    return [v["version"] for v in resp.json()[key]]


def _finished(api: Api, emu: Emulator, sid: str) -> dict[str, Any]:
    run_id = api.start(sid)
    emu.advance(1000)
    return api.run(run_id)


# -- the world file ------------------------------------------------------------------------


def test_latest_versions_counts_and_preferences_parse(world: World) -> None:
    (bot,) = world.services
    assert (bot.agent_versions, bot.state_machine_versions) == (7, 4)
    release, main = bot.version_sets
    assert (release.agent_version, release.state_machine_version) == (5, 3)
    assert (main.agent_version, main.state_machine_version) == (None, None)
    assert main.llm_model_preferences == PREFERENCES
    assert release.llm_model_preferences == {}
    assert world.sets[2].new_persona_versions == 1
    data = copy.deepcopy(WORLD)
    del data["services"][0]["agent_versions"], data["services"][0]["state_machine_versions"]
    bot = World.from_dict(data).services[0]
    assert (bot.agent_versions, bot.state_machine_versions) == (5, 3)  # the highest named


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d["services"][0].update(agent_versions=4),
            "services[0]: 'agent_versions' is 4 but a version set names version 5",
        ),
        (
            lambda d: d["services"][0]["version_sets"][0].update(agent_version="newest"),
            "services[0].version_sets[0]: 'agent_version' must be a positive integer or "
            "\"latest\", got 'newest'",
        ),
        (
            lambda d: d["services"][0]["version_sets"][1]["llm_model_preferences"].update(
                judge={"params": {}}
            ),
            "services[0].version_sets[1].llm_model_preferences.judge: missing required key "
            "'llm_name'",
        ),
        (
            lambda d: d["sets"][2].update(new_persona_versions=-1),
            "sets[2]: 'new_persona_versions' must be an integer >= 0",
        ),
    ],
)
def test_bad_version_keys_are_world_errors(mutate: Any, message: str) -> None:
    data = copy.deepcopy(WORLD)
    mutate(data)
    with pytest.raises(WorldError) as caught:
        World.from_dict(data)
    assert str(caught.value) == f"<dict>: {message}"


# -- the read endpoints --------------------------------------------------------------------


def test_services_list_version_sets_with_null_numbers(api: Api) -> None:
    resp = api.get("/service/", id=BOT)
    assert resp.status_code == 200, resp.text
    (service,) = resp.json()["services"]
    assert (service["agent_id"], service["service_hierarchical_state_machine_id"]) == (
        AGENT,
        MACHINE,
    )
    assert service["version_sets"] == {
        "release": {
            "agent_version_number": 5,
            "service_hierarchical_state_machine_version_number": 3,
            "llm_model_preferences": {},
        },
        "main": {
            "agent_version_number": None,
            "service_hierarchical_state_machine_version_number": None,
            "llm_model_preferences": PREFERENCES,
        },
    }
    assert api.get("/service/", id="0" * 24).json()["services"] == []


def test_services_the_user_may_not_read_are_left_out(emu: Emulator, contract: OpenAPI) -> None:
    resp = Api(emu, contract, "auditor").get("/service/")
    assert (resp.status_code, resp.json()["services"]) == (200, [])


@pytest.mark.parametrize(
    ("path", "key", "count"),
    [
        (f"/organization/agent/{AGENT}/version", "agent_versions", 7),
        (
            f"/organization/service_hierarchical_state_machine/{MACHINE}/version",
            "state_machine_versions",
            4,
        ),
        (f"/metric/{derive_id('metric', 'Done')}/version", "metric_versions", 1),
        (f"/simulation/persona/{derive_id('persona', 'P')}/version/", None, 1),
    ],
)
def test_version_lists_come_oldest_first_and_latest_reads_one(
    api: Api, path: str, key: str | None, count: int
) -> None:
    key = key or "simulation_persona_versions"
    assert _versions(api, path, key) == list(range(1, count + 1))[:10]
    assert _versions(api, path, key, version="latest") == [count]
    assert _versions(api, path, key, sort_by="-version") == list(range(count, 0, -1))[:10]


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/organization/agent/{}/version", "Agent not found."),
        (
            "/organization/service_hierarchical_state_machine/{}/version",
            "Service hierarchical state machine not found.",
        ),
        ("/metric/{}/version", "Metric not found."),
    ],
)
def test_unknown_version_owner_is_404(api: Api, path: str, detail: str) -> None:
    resp = api.get(path.format("0" * 24))
    assert (resp.status_code, resp.json()) == (404, {"detail": detail})


def test_persona_version_create_must_name_the_next_number(api: Api) -> None:
    body = {"name": "Q", "role": "Customer", "tags": {}, "initial_version": _version("One.")}
    created = api.post("/simulation/persona/", body)
    assert created.status_code == 201, created.text
    persona = created.json()["simulation_persona_id"]
    base = f"/simulation/persona/{persona}/version/"
    assert api.post(base + "?version=3", _version("Three.")).status_code == 400
    assert api.post(base + "?version=2", _version("Two.")).json() == {"version": 2}
    listed = api.get(base).json()["simulation_persona_versions"]
    assert [(v["version"], v["background"]) for v in listed] == [(1, "One."), (2, "Two.")]


def _version(background: str) -> dict[str, Any]:
    return {
        "background": background,
        "user_models": [],
        "nonsensitive_user_variables": {},
        "sensitive_user_variables": {},
    }


# -- runs ----------------------------------------------------------------------------------


def test_a_latest_version_set_is_resolved_when_the_run_is_created(
    api: Api, emu: Emulator, world: World
) -> None:
    before = _finished(api, emu, set_id(world, "Main"))
    (spec,) = before["unit_test_run_specs"]
    assert spec["agent_version_info"] == [AGENT, 7]
    assert spec["service_hierarchical_state_machine_version_info"] == [MACHINE, 4]
    assert spec["llm_model_preferences"] == PREFERENCES
    assert emu.store.push_agent_version(BOT) == 8
    after = _finished(api, emu, set_id(world, "Main"))
    assert after["unit_test_run_specs"][0]["agent_version_info"] == [AGENT, 8]
    assert api.run(before["id"])["unit_test_run_specs"] == [spec]  # what ran stays what ran
    pinned = _finished(api, emu, set_id(world, "Release"))["unit_test_run_specs"][0]
    assert pinned["agent_version_info"] == [AGENT, 5]
    assert pinned["llm_model_preferences"] == {}


def test_runs_of_a_set_their_times_and_specs_outlive_the_session_that_made_them(
    emu: Emulator, world: World, contract: OpenAPI
) -> None:
    """A standalone emulator keeps runs for every later session (a new sign-in, a new
    client): listed by set with the creation time and specs the first session saw."""
    sid = set_id(world, "Release")
    first = Api(emu, contract)
    run_id = first.start(sid)
    seen = first.run(run_id)
    first.http.close()
    emu.advance(1000)
    later = Api(emu, contract)
    resp = later.get(
        "/simulation/unit_test_set_run/", simulation_unit_test_set_id=sid, sort_by="-created_at"
    )
    listed = resp.json()["simulation_unit_test_set_runs"]
    assert {r["simulation_unit_test_set_id"] for r in listed} == {sid}
    again = next(r for r in listed if r["id"] == run_id)
    assert again["created_at"] == seen["created_at"]
    assert again["unit_test_run_specs"] == seen["unit_test_run_specs"]
    assert (seen["is_completed"], again["is_completed"]) == (False, True)
    assert [r["created_at"] for r in listed] == sorted(
        (r["created_at"] for r in listed), reverse=True
    )


def test_new_persona_versions_make_the_spec_differ_from_what_was_read_before(
    api: Api, emu: Emulator, world: World
) -> None:
    persona = derive_id("persona", "P")
    path = f"/simulation/persona/{persona}/version/"
    (read_before,) = _versions(api, path, "simulation_persona_versions", version="latest")
    run = _finished(api, emu, set_id(world, "Drifting"))
    assert run["unit_test_run_specs"][0]["persona_version_info"] == [persona, read_before + 1]
    listed = api.get(path).json()["simulation_persona_versions"]
    assert listed[-1]["creator"]["user_id"] == "persona-editor"
    assert listed[-1]["background"] == "Busy. (revised)"
    again = _finished(api, emu, set_id(world, "Drifting"))  # the fault's one push is spent
    assert again["unit_test_run_specs"][0]["persona_version_info"] == [persona, read_before + 1]
