"""World files and dicts: parsing, deterministic ids, clear errors; the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from pytest_amigo.emulator import Emulator, World, WorldError, derive_id
from support.emulator import WORLDS


def _minimal(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "metrics": [{"name": "Done", "type": "boolean"}],
        "personas": [{"name": "P", "role": "Customer", "background": "b"}],
        "scenarios": [{"name": "S", "objective": "o", "instructions": "i"}],
        "unit_tests": [
            {
                "name": "U",
                "persona": "P",
                "scenario": "S",
                "criteria": [{"name": "Done", "metric": "Done"}],
            }
        ],
        "sets": [{"name": "Set", "unit_tests": [{"unit_test": "U", "run_count": 2}]}],
    }
    data.update(extra)
    return data


def test_ids_are_deterministic_sha1_of_kind_and_name() -> None:
    world = World.from_dict(_minimal())
    assert world.sets[0].id == derive_id("set", "Set")
    assert world.sets[0].id == __import__("hashlib").sha1(b"set:Set").hexdigest()[:24]
    assert world.unit_tests[0].id == derive_id("unit_test", "U")
    assert world.metrics[0].id == derive_id("metric", "Done")
    assert World.from_dict(_minimal()).summary() == world.summary()
    assert world.users[0].user_id == "ci-bot"  # a default user when none is given


def test_explicit_ids_and_references_by_id() -> None:
    data = _minimal()
    data["sets"][0]["id"] = "00000000000000000000abcd"
    data["sets"][0]["unit_tests"] = [{"unit_test": derive_id("unit_test", "U")}]
    world = World.from_dict(data)
    assert world.sets[0].id == "00000000000000000000abcd"
    assert world.sets[0].unit_test_runs == ((derive_id("unit_test", "U"), 1),)


def test_bundled_demo_world_loads() -> None:
    world = World.default()
    assert world.sets and world.users
    assert World.from_toml(WORLDS / "basic.toml").options.organization == "testorg"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["metrics"][0].update(type="fuzzy"), "metrics[0]: 'type' must be"),
        (lambda d: d["unit_tests"][0].update(persona="Nobody"), "persona 'Nobody'"),
        (lambda d: d["unit_tests"][0].update(criteria=[]), "'criteria' must be a non-empty"),
        (
            lambda d: d["unit_tests"][0]["criteria"][0].update(metric="Missing"),
            "metric 'Missing'",
        ),
        (lambda d: d["sets"][0].update(unit_tests=[{"unit_test": "X"}]), "'X' is not a"),
        (lambda d: d["sets"][0]["unit_tests"][0].update(run_count=0), "'run_count'"),
        (lambda d: d["sets"][0].update(id="XYZ"), "24 lowercase hex"),
        (lambda d: d.update(emulator={"speed": 0}), "'speed' must be positive"),
        (lambda d: d.update(emulator={"sped": 2}), "unknown key(s) ['sped']"),
        (lambda d: d["sets"].append({"name": "Set", "unit_tests": ["U"]}), "duplicate"),
        (
            lambda d: d["unit_tests"][0].update(sessions=[{"values": {"Nope": 1}}]),
            "'Nope' is not a criterion name",
        ),
        (
            lambda d: d["unit_tests"][0].update(random={"pass_rate": 2}),
            "within 0..1",
        ),
        (lambda d: d.update(emulator={"partial_results": "yes"}), "'partial_results' must be"),
        (lambda d: d.update(emulator={"pair_order": "random"}), "'pair_order' must be one of"),
        (
            lambda d: d.update(
                users=[{"user_id": "u", "api_key_id": "k", "api_key": "s", "hidden": ["metrics"]}]
            ),
            "'hidden' must be a list of ['runs', 'sets']",
        ),
        (lambda d: d["sets"][0].update(artifacts="no"), "'artifacts' must be true or false"),
        (lambda d: d.update(faults={"drop_fields": "metric_version"}), "drop_fields"),
        (lambda d: d.update(faults={"processed_errors": 1.5}), "processed_errors"),
    ],
)
def test_bad_worlds_say_what_is_wrong(mutate: Any, message: str) -> None:
    data = _minimal()
    mutate(data)
    with pytest.raises(WorldError) as info:
        World.from_dict(data, source="w.toml")
    assert str(info.value).startswith("w.toml: ")
    assert message in str(info.value)


def test_bad_world_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(WorldError, match=r"bad_metric\.toml: metrics\[0\]: 'type' must be"):
        World.from_toml(WORLDS / "bad_metric.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[emulator\n")
    with pytest.raises(WorldError, match=r"broken\.toml: invalid TOML"):
        World.from_toml(broken)
    with pytest.raises(WorldError, match="not found"):
        World.from_toml(tmp_path / "missing.toml")


def test_emulator_api(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text((WORLDS / "basic.toml").read_text())
    with Emulator(path, speed=100.0) as emu:
        assert emu.base_url.startswith("http://127.0.0.1:")
        assert emu.organization_id == "testorg"
        assert emu.credentials == {
            "api_key": "secret-ci",
            "api_key_id": "key-ci",
            "user_id": "ci-bot",
        }
        env = emu.env("no-sets")
        assert env == {
            "AMIGO_API_KEY": "secret-no-sets",
            "AMIGO_API_KEY_ID": "key-no-sets",
            "AMIGO_USER_ID": "no-sets",
            "AMIGO_ORGANIZATION_ID": "testorg",
            "AMIGO_BASE_URL": emu.base_url,
        }
        assert emu.world.options.speed == 100.0
        start = emu.advance(0)
        assert emu.advance(50) >= start + 50
        assert httpx.get(emu.base_url + "/_emulator/health").status_code == 200
    with pytest.raises(httpx.TransportError):
        httpx.get(emu.base_url + "/_emulator/health", timeout=1)


def test_cli_list_prints_ids() -> None:
    world_file = str(WORLDS / "basic.toml")
    out = subprocess.run(
        [sys.executable, "-m", "pytest_amigo.emulator", "--world", world_file, "--list", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    summary = json.loads(out)
    assert summary["sets"][0]["id"] == derive_id("set", "Main")


def test_cli_bad_world_exits_2() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest_amigo.emulator", "--world", str(WORLDS / "bad_metric.toml")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "bad_metric.toml" in proc.stderr


def test_cli_serves_until_sigint() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest_amigo.emulator", "--port", "0", "--no-rate-limits"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line:
                break
        base = next(x.split("=", 1)[1].strip() for x in lines if "AMIGO_BASE_URL" in x)
        assert any(x.startswith("export AMIGO_API_KEY=") for x in lines)
        assert httpx.get(base + "/_emulator/health").json()["status"] == "ok"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_documented_example_world_is_valid() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "emulator.md").read_text()
    block = doc.split("## World file", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    world = World.from_dict(__import__("tomllib").loads(block), source="docs/emulator.md")
    assert [s.name for s in world.sets] == ["Support smoke"]
    assert world.sets[0].run_error is not None
    assert world.unit_tests[1].random is not None


def test_faults_from_the_world_are_in_force_from_the_start() -> None:
    world = World.from_dict(
        _minimal(faults={"error_rate": 1.0, "only": ["get-simulation-unit-test-sets"]})
    )
    with Emulator(world) as emu, emu.client() as client:
        c = emu.credentials
        token = client.post(
            f"/v1/{emu.organization_id}/user/signin_with_api_key",
            headers={
                "x-api-key": c["api_key"],
                "x-api-key-id": c["api_key_id"],
                "x-user-id": c["user_id"],
            },
        ).json()["id_token"]
        auth = {"Authorization": f"Bearer {token}"}
        sets = client.get(f"/v1/{emu.organization_id}/simulation/unit_test_set/", headers=auth)
        assert sets.status_code in (500, 502, 503)
        tests = client.get(f"/v1/{emu.organization_id}/simulation/unit_test/", headers=auth)
        assert tests.status_code == 200
        assert client.get("/_emulator/faults").json()["error_rate"] == 1.0


def test_bad_faults_in_the_world_are_world_errors() -> None:
    with pytest.raises(WorldError, match=r"\[faults\].*error_rate"):
        World.from_dict(_minimal(faults={"error_rate": 2}))
    with pytest.raises(WorldError, match=r"\[faults\].*unknown field"):
        World.from_dict(_minimal(faults={"eror_rate": 0.5}))


def test_misbehaviour_keys_are_read() -> None:
    data = _minimal()
    data["emulator"] = {"partial_results": True, "pair_order": "rotated"}
    data["users"] = [
        {"user_id": "u", "api_key_id": "k", "api_key": "s", "hidden": ["runs", "sets"]}
    ]
    data["sets"][0]["artifacts"] = False
    data["faults"] = {"add_fields": {"new": 1}, "processed_drops": 2}
    world = World.from_dict(data)
    assert (world.options.partial_results, world.options.pair_order) == (True, "rotated")
    assert world.users[0].hidden == frozenset({"runs", "sets"})
    assert world.sets[0].artifacts is False
    assert world.faults == {"add_fields": {"new": 1}, "processed_drops": 2}
    defaults = World.from_dict(_minimal())
    assert (defaults.options.partial_results, defaults.options.pair_order) == (False, "session")
    assert defaults.users[0].hidden == frozenset() and defaults.sets[0].artifacts is True
    with pytest.raises(WorldError, match="pair_order"):
        defaults.with_options(pair_order="sideways")
