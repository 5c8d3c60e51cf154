"""JUnit details: properties per JUnit family, item locations, safe classnames, attachment paths.

This module's emulator serves the plugin world plus a set whose name has dots and a slash
("Release 2.1 / smoke"), which Jenkins would split into a package and a class.
"""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import xmlschema

from pytest_amigo.emulator import Emulator, World
from support.junit_schema import validate
from support.plugin import WORLD_PATH, AmigoProject

DOTTED = "Release 2.1 / smoke"
SETS: dict[str, str] = {}


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    data = tomllib.loads(WORLD_PATH.read_text(encoding="utf-8"))
    data["sets"].append(
        {
            "name": DOTTED,
            "unit_tests": [
                {"unit_test": "Greets customer", "run_count": 1},
                {"unit_test": "Refund is processed", "run_count": 1},
            ],
        }
    )
    world = World.from_dict(data, source="plugin.toml + a dotted set")
    SETS.update({s.name: s.id for s in world.sets})
    with Emulator(world) as emulator:
        yield emulator


def junit_cases(path: Path) -> list[ET.Element]:
    return list(ET.parse(path).getroot().iter("testcase"))


# -- properties per family (amigo_junit_properties) ---------------------------------------------


def test_xunit2_writes_no_testcase_properties_and_validates(amigo: AmigoProject) -> None:
    """auto under xunit2 (pytest's default): the XML validates against junit-10.xsd; the
    summary (read from report.amigo / report.amigo_gate) is unchanged, set gate included."""
    out = amigo.run(
        "--amigo-set",
        SETS["Mixed bag"],
        "-o",
        "junit_family=xunit2",
        "-o",
        "junit_logging=system-out",
        "--amigo-set-min-pass-rate=0.5",
    )
    out.result.assert_outcomes(passed=1, failed=3)
    validate(out.junit_path, "xunit2")
    cases = junit_cases(out.junit_path)
    assert len(cases) == 4
    assert all(c.find("properties") is None for c in cases)
    out.result.stdout.fnmatch_lines(
        [
            "*Amigo simulation sets*",
            f"Mixed bag ({SETS['Mixed bag']}): 1 passed, 2 failed, 0 errors; pass rate 33%; run *",
            "    set gate: failed, 1/3 (needs 50%) unit tests passed",
        ]
    )
    # The evidence is still in the body: the failure text and the attachment line.
    [refund] = [c for c in cases if c.get("name") == "Refund is processed"]
    assert "The agent ignored the customer's frustration twice." in (
        refund.findtext("failure") or ""
    )
    assert "[[ATTACHMENT|.amigo-artifacts/run-" in (refund.findtext("system-out") or "")


def test_xunit2_with_properties_always_is_what_strict_readers_reject(
    amigo: AmigoProject,
) -> None:
    out = amigo.run(
        "--amigo-set",
        SETS["All green"],
        "-o",
        "junit_family=xunit2",
        "-o",
        "amigo_junit_properties=always",
    )
    out.result.assert_outcomes(passed=1)
    [case] = out.cases
    assert case.prop("amigo_set") == "All green"
    with pytest.raises(xmlschema.XMLSchemaValidationError, match="properties"):
        validate(out.junit_path, "xunit2")


def test_xunit1_keeps_properties_and_never_drops_them(amigo: AmigoProject) -> None:
    out = amigo.run("--amigo-set", SETS["All green"], "--amigo-set-min-pass-rate=1")
    out.result.assert_outcomes(passed=2)
    validate(out.junit_path, "xunit1")
    cases = {c.name: c for c in out.cases}
    assert cases["Greets customer"].prop("amigo_outcome") == "passed"
    assert cases["set gate"].prop("amigo_set_gate") == "1/1 (needs 100%)"

    never = amigo.run(
        "--amigo-set",
        SETS["All green"],
        "--amigo-set-min-pass-rate=1",
        "-o",
        "amigo_junit_properties=never",
    )
    never.result.assert_outcomes(passed=2)
    assert all(not c.properties for c in never.cases)
    never.result.stdout.fnmatch_lines(["    set gate: passed, 1/1 (needs 100%) unit tests passed"])


def test_bad_junit_properties_value_is_a_usage_error(amigo: AmigoProject) -> None:
    out = amigo.run("--amigo-set", SETS["All green"], "-o", "amigo_junit_properties=sometimes")
    assert out.result.ret == pytest.ExitCode.USAGE_ERROR
    assert "amigo_junit_properties must be one of auto, always, never" in out.output


# -- locations ------------------------------------------------------------------------------------


def test_ini_set_points_at_its_line_and_cli_set_at_the_config_file(amigo: AmigoProject) -> None:
    amigo.ini(f"amigo_sets =\n    {SETS['All green']}\n")
    ini_text = (amigo.pytester.path / "pytest.ini").read_text(encoding="utf-8")
    line = ini_text.splitlines().index(f"    {SETS['All green']}")
    out = amigo.run("--amigo-set", SETS["Second green"], "-vv")
    out.result.assert_outcomes(passed=2)
    validate(out.junit_path, "xunit1")
    where = {
        (c.get("classname"), c.get("file"), c.get("line")) for c in junit_cases(out.junit_path)
    }
    assert where == {
        ("amigo.All green", "pytest.ini", str(line)),
        ("amigo.Second green", "pytest.ini", "0"),
    }
    out.result.stdout.fnmatch_lines(["amigo::All green::Greets customer <- pytest.ini PASSED*"])
    assert ".:?" not in out.output


def test_failure_location_names_the_ini_line(amigo: AmigoProject) -> None:
    amigo.ini(f"amigo_sets = {SETS['Mixed bag']}\n")
    out = amigo.run("-k", "Refund", "--tb=line")  # the crash location: path:line: message
    out.result.assert_outcomes(failed=1, deselected=2)
    line = 1 + (amigo.pytester.path / "pytest.ini").read_text().splitlines().index(
        f"amigo_sets = {SETS['Mixed bag']}"
    )
    out.result.stdout.fnmatch_lines([f"pytest.ini:{line}: Empathy ✘ 0/1*"])


# -- classnames -----------------------------------------------------------------------------------


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
def test_set_name_with_dots_gets_a_safe_classname(amigo: AmigoProject, family: str) -> None:
    out = amigo.run(
        "--amigo-set",
        SETS[DOTTED],
        "-o",
        f"junit_family={family}",
        "--junitprefix=ci",
    )
    out.result.assert_outcomes(passed=1, failed=1)
    classnames = {c.classname for c in out.cases}
    assert classnames == {"ci.amigo.Release 2_1 _ smoke"}
    # node ids and the summary keep the real name
    out.result.stdout.fnmatch_lines(
        [f"{DOTTED} ({SETS[DOTTED]}): *", f"FAILED amigo::{DOTTED}::Refund is processed - *"]
    )
    if family == "xunit1":
        assert {c.prop("amigo_set") for c in out.cases} == {DOTTED}
    validate(out.junit_path, family)


def test_safe_classname_under_xdist(amigo: AmigoProject) -> None:
    out = amigo.run("--amigo-set", SETS[DOTTED], "-n", "2")
    out.result.assert_outcomes(passed=1, failed=1)
    assert {c.classname for c in out.cases} == {"amigo.Release 2_1 _ smoke"}
    assert {c.prop("amigo_set") for c in out.cases} == {DOTTED}


# -- attachment paths -----------------------------------------------------------------------------


def test_attachment_paths_relative_absolute_and_outside_the_rootdir(
    amigo: AmigoProject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    logging = ("-o", "junit_logging=system-out")
    green = ("--amigo-set", SETS["All green"])
    relative = amigo.run(*green, *logging)
    [run] = relative.runs
    [case] = relative.cases
    written = f".amigo-artifacts/run-{run.id}.zip"
    assert case.prop("amigo_artifacts") == written
    assert f"[[ATTACHMENT|{written}]]" in case.system_out
    assert (amigo.pytester.path / written).is_file()

    absolute = amigo.run(*green, *logging, "-o", "amigo_attachment_paths=absolute")
    [run] = absolute.runs
    [case] = absolute.cases
    path = amigo.pytester.path / f".amigo-artifacts/run-{run.id}.zip"
    assert case.prop("amigo_artifacts") == str(path)
    assert f"[[ATTACHMENT|{path}]]" in case.system_out

    outside = tmp_path_factory.mktemp("elsewhere")
    away = amigo.run(*green, *logging, f"--amigo-artifacts-dir={outside}")
    [run] = away.runs
    [case] = away.cases
    assert case.prop("amigo_artifacts") == str(outside / f"run-{run.id}.zip")


# Settling relative references to artifacts that never arrived: test_misbehaving_service.py
# test_12 (relative by default now) and tests/unit/plugin/test_reporting_details.py.
