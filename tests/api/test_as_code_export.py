"""``export`` then ``plan`` against the emulator over loopback HTTP: the command line, black-box."""

from __future__ import annotations

import io
import json
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_amigo.as_code.cli import main

emulator = pytest.importorskip("pytest_amigo.emulator")
WORLD = Path(emulator.__file__).parent / "default_world.toml"


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    world = tomllib.loads(WORLD.read_text())  # the demo world, without its rate limits
    world["emulator"]["rate_limits"] = False
    with emulator.Emulator(emulator.World.from_dict(world), port=0) as running:
        yield running


@pytest.fixture
def amigo_env(emu: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in emu.env().items():
        monkeypatch.setenv(key, value)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.usefixtures("amigo_env")
def test_export_then_plan_shows_no_change(tmp_path: Path) -> None:
    directory = tmp_path / "amigo"
    status, out, err = run("export", "Support smoke", "--definitions", str(directory))
    assert (status, err) == (0, "")
    assert sorted(p.name for p in directory.iterdir()) == [
        "amigo.lock.json",
        "personas.yaml",
        "scenarios.yaml",
        "sets.yaml",
        "unit_tests.yaml",
    ]
    sets = (directory / "sets.yaml").read_text()
    assert "unit_test: Refund is processed" in sets and "run_count: 3" in sets
    lock = json.loads((directory / "amigo.lock.json").read_text())
    assert lock["personas"]["Busy parent"]["version"] == 1
    assert set(lock["unit_tests"]) == {"Refund is processed", "Password reset without e-mail"}

    status, out, err = run("plan", "--definitions", str(directory))
    assert (status, err) == (0, "")
    assert out.startswith("No changes: the platform matches the definitions.\n")
    assert out.endswith("Plan: 7 unchanged.\n")


@pytest.mark.usefixtures("amigo_env")
def test_a_changed_file_is_planned_and_exits_2(tmp_path: Path) -> None:
    directory = tmp_path / "amigo"
    assert run("export", "Support smoke", "--definitions", str(directory))[0] == 0
    tests = directory / "unit_tests.yaml"
    tests.write_text(tests.read_text().replace("max_interactions: 10", "max_interactions: 12", 1))
    status, out, _ = run("plan", "--definitions", str(directory))
    assert status == 2
    assert (
        "  ~ unit test 'Refund is processed' will be updated\n      max_interactions: 10 -> 12\n"
        in out
    )


@pytest.mark.usefixtures("amigo_env")
def test_an_unknown_set_says_so_and_writes_nothing(tmp_path: Path) -> None:
    status, _, err = run("export", "Support smok", "--definitions", str(tmp_path / "amigo"))
    assert status == 1
    assert err == (
        "no unit test set is named 'Support smok' (give its exact name or id); "
        "did you mean 'Support smoke'?\n"
    )
    assert not (tmp_path / "amigo").exists()


def test_validate_reports_every_problem_and_reads_nothing(tmp_path: Path) -> None:
    (tmp_path / "sets.yaml").write_text(
        "sets:\n  - name: S\n    unit_tests: [{unit_test: Nope, run_count: 0}]\n"
    )
    status, out, err = run("validate", "--definitions", str(tmp_path))
    assert (status, out) == (1, "")
    assert err.splitlines() == [
        "1 problem in the definitions (nothing was sent):",
        f"{tmp_path / 'sets.yaml'}:3: set 'S': run_count of 'Nope' must be at least 1, not 0",
    ]


@pytest.mark.usefixtures("amigo_env")
def test_a_persona_version_made_by_another_user_is_drift_with_who(emu: Any, tmp_path: Path) -> None:
    from pytest_amigo.api import SimulationApi

    directory = tmp_path / "amigo"
    assert run("export", "Support smoke", "--definitions", str(directory))[0] == 0
    persona_id = json.loads((directory / "amigo.lock.json").read_text())["personas"]["New user"][
        "id"
    ]
    body = {
        "background": "Edited in the console.",
        "user_models": [],
        "nonsensitive_user_variables": {},
        "sensitive_user_variables": {},
    }
    with SimulationApi(
        **emu.user("auditor"), base_url=emu.base_url, organization_id=emu.organization_id
    ) as other:
        assert other.create_persona_version(persona_id, body, version=2) == 2
    status, out, _ = run("plan", "--definitions", str(directory))
    assert status == 2
    assert "  ^ persona 'New user' gets version 2\n" in out  # apply would fail: 2 exists
    drift = out.split("Drift: changed on the platform since the lock file was written:\n")[1]
    assert drift.startswith("  ! persona 'New user' changed on the platform by auditor at ")
    assert "      version 2 on the platform, the lock has 1\n" in drift
    assert '      background: platform "Edited in the console.", files "Signed up' in drift


def test_plan_without_settings_says_which_and_writes_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("AMIGO_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no .env either
    (tmp_path / "amigo").mkdir()
    status, out, err = run("plan")
    assert (status, out) == (1, "")
    assert err.startswith("pytest-amigo plan: ") and "Traceback" not in err
    assert "AMIGO_" in err


def test_a_refused_read_is_one_line_and_writes_nothing(
    emu: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in emu.env("auditor").items():  # may not read unit tests
        monkeypatch.setenv(key, value)
    status, out, err = run("export", "Support smoke", "--definitions", str(tmp_path / "amigo"))
    assert (status, out) == (1, "")
    assert err.startswith("pytest-amigo export: the platform answered: ")
    assert len(err.splitlines()) == 1 and "emulator-secret" not in err
    assert not (tmp_path / "amigo").exists()


@pytest.mark.usefixtures("amigo_env")
def test_plan_checks_the_files_against_the_platform_s_metrics_and_services(tmp_path: Path) -> None:
    directory = tmp_path / "amigo"
    assert run("export", "Support smoke", "--definitions", str(directory))[0] == 0
    tests = directory / "unit_tests.yaml"
    text = tests.read_text().replace("metric: Empathy", "metric: Empaty")
    tests.write_text(text.replace("version_set: release", "version_set: relase", 1))
    status, out, err = run("plan", "--definitions", str(directory))
    assert (status, out) == (1, "")
    assert err.splitlines() == [
        "2 problems in the definitions (nothing was sent):",
        f"{tests}:8: unit test 'Refund is processed' names version set 'relase', which service "
        "'Emulated service' does not have; did you mean 'release'?",
        f"{tests}:14: unit test 'Refund is processed': criterion 'Empathy' names metric "
        "'Empaty', which the platform does not have; did you mean 'Empathy'?",
    ]
