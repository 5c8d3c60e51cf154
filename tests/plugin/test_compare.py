"""A/B in one job (issue 17), black-box: ``--amigo-compare=REF`` simulates every selected unit
test on REF too, in the same session, and compares the candidate with it; pytest with the plugin
in a subprocess against the emulator over loopback (``worlds/compare.toml``).

Eight sessions per side: "Greets" is significantly worse on the candidate pr-7, "Refunds"
significantly better, "Flaky" fails on both sides, "Slips" fails its criteria on pr-7 (7/8)
without being significantly worse, "Steady" passes on both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from statsmodels.stats.multitest import multipletests

from pytest_amigo.emulator import Emulator, World
from pytest_amigo.reports.json_report import schema
from support.plugin import AmigoProject, Outcome

WORLD = World.from_toml(Path(__file__).parent / "worlds" / "compare.toml")
SET = {s.name: s.id for s in WORLD.sets}
AB = f"--amigo-set={SET['A/B']}"
CANDIDATE = ("--amigo-version-set=pr-7", "--amigo-compare=release")
CREATE_RUN = "create-simulation-unit-test-set-run"
CREATE_SET = "create-simulation-unit-test-set"
DELETE_SET = "delete-simulation-unit-test-set"
CREATE_UNIT_TEST = "create-simulation-unit-test"
DELETE_UNIT_TEST = "delete-simulation-unit-test"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(WORLD) as emulator:
        yield emulator


def report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema())
    return data


def unit_tests(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for s in data["sets"] for t in s["unit_tests"]}


def outcomes(out: Outcome) -> dict[str, str]:
    return {c.name: c.outcome for c in out.cases}


def text_of(out: Outcome, name: str) -> str:
    (case,) = [c for c in out.cases if c.name == name]
    return f"{case.message}\n{case.text}\n{case.system_out}"


def test_worse_and_better_unit_tests_with_holm_adjusted_p_values(amigo: AmigoProject) -> None:
    out = amigo.run(AB, *CANDIDATE, "--amigo-json=r.json", "-rA")
    # the default policy (any): the candidate's own verdicts decide
    assert outcomes(out) == {
        "Greets": "failure",
        "Refunds": "passed",
        "Flaky": "failure",
        "Slips": "failure",
        "Steady": "passed",
    }
    data = report(amigo.pytester.path / "r.json")
    tests = unit_tests(data)
    labels = {name: t["compare"]["label"] for name, t in tests.items()}
    assert labels == {
        "Greets": "worse",
        "Refunds": "better",
        "Flaky": "no detectable difference",
        "Slips": "no detectable difference",
        "Steady": "no detectable difference",
    }
    greets = tests["Greets"]["compare"]
    assert greets["reference"] == "release"
    assert greets["candidate"]["passed"] == 0 and greets["candidate"]["valid"] == 8
    assert greets["reference_sessions"]["passed"] == 8
    assert greets["difference"] == -1.0
    assert greets["candidate"]["what_ran"]["version_set"] == "pr-7"
    assert greets["reference_sessions"]["what_ran"]["version_set"] == "release"
    # the adjusted p-values are Holm's over every compared unit test of the session
    names = sorted(tests)
    raw = [tests[n]["compare"]["p_worse"] for n in names]
    _, holm, _, _ = multipletests(raw, method="holm")
    assert [tests[n]["compare"]["p_worse_adjusted"] for n in names] == pytest.approx(list(holm))
    assert greets["p_worse"] == pytest.approx(1 / 12870)
    # the set: one worse, one better, three the same, and the stratified test
    [entry] = data["sets"]
    assert entry["compare"]["worse"] == 1 and entry["compare"]["better"] == 1
    assert entry["compare"]["same"] == 3
    # the terminal and JUnit say it
    assert "WORSE than release: release 8/8, candidate 0/8" in text_of(out, "Greets")
    assert "Cochran-Mantel-Haenszel" in out.output
    # one run per set per side, both created before either ended
    assert out.count(CREATE_RUN) == 2
    first, second = sorted(out.runs, key=lambda r: r.created)
    assert second.created < first.end  # simulated side by side
