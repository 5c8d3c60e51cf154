"""The example project's A/B job (example_project/ci/github-actions-ab.yml): the candidate
against release in one session (``--amigo-compare=release --amigo-fail-on=worse``), against the
example's own world served by an emulator started here (faster than the demo's, same sessions)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_amigo.emulator import Emulator
from pytest_amigo.reports.json_report import schema
from support.inner import INNER_ADDOPTS

from .test_demo import ROOT, run_demo

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "example_project"
# The A/B job's options (the recipes name the version sets through CANDIDATE and REFERENCE).
AB = ("--amigo-version-set=candidate", "--amigo-compare=release", "--amigo-fail-on=worse")
SPEED = 240.0  # the demo runs at 48: the slowest session (240 world s) takes 1 s here
WORSE = "Duplicate copay is refunded"
BETTER = "Out-of-window refund is declined politely"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(EXAMPLE / "amigo-world.toml", speed=SPEED) as emu:
        yield emu


def test_recipes_run_the_ab_job_with_these_options() -> None:
    """What the test below runs is what the A/B recipes run."""
    for name in ("github-actions-ab.yml", "gitlab-ci-ab.yml"):
        recipe = (EXAMPLE / "ci" / name).read_text(encoding="utf-8")
        for option in (
            '--amigo-version-set="$CANDIDATE"',
            '--amigo-compare="$REFERENCE"',
            "--amigo-fail-on=worse",
            "--amigo-json=reports/amigo-ab.json",
            "--amigo-html=reports/amigo-ab.html",
            "--junitxml=reports/amigo-ab-junit.xml",
        ):
            assert option in recipe, (name, option)
        assert "REFERENCE: release" in recipe, name


def test_candidate_against_release_one_worse_one_better(emulator: Emulator, tmp_path: Path) -> None:
    junit, report, html = tmp_path / "ab.xml", tmp_path / "ab.json", tmp_path / "ab.html"
    done = run_demo(
        *AB,
        f"--amigo-json={report}",
        f"--amigo-html={html}",
        f"--junitxml={junit}",
        f"--amigo-artifacts-dir={tmp_path / 'artifacts'}",
        "-rA",
        env={**emulator.env(), "PYTEST_ADDOPTS": INNER_ADDOPTS},
    )
    output = done.stdout + done.stderr
    # the candidate regresses the copay refund: significantly worse, so the job fails on it
    assert done.returncode == 1, output[-4000:]
    assert "1 failed, 7 passed, 2 xfailed, 1 xpassed" in done.stdout, output[-4000:]
    assert f"FAILED example_project/tests/test_refunds.py::test_billing_and_refunds[{WORSE}]" in (
        done.stdout
    )
    assert "candidate 0/6 vs release 6/6 sessions passed (-100 pts): significantly WORSE" in (
        done.stdout
    )
    # the set reads no different overall (worse and better cancel): its line says so
    assert "but 1 unit test is significantly worse on its own" in done.stdout
    # two sessions per side: "no detectable difference" says that nothing could be detected
    assert (
        "candidate 1/2 vs release 1/2 sessions passed (0 pts): no detectable difference, "
        "adjusted p = 1 (one-sided Fisher for worse, Holm over 6 unit tests) - but with 2 "
        "sessions per side even a drop from 100% to 0% would not be detected"
    ) in done.stdout
    # failures release has too are not significantly worse: xfail, saying so
    assert "High fever is escalated to a nurse - not significantly worse than release" in (
        done.stdout
    )

    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema())
    tests = {t["name"]: t for s in data["sets"] for t in s["unit_tests"]}
    labels = {name: t["compare"]["label"] for name, t in tests.items()}
    assert labels == {
        WORSE: "worse",
        BETTER: "better",
        "Portal unlock without SMS": "no detectable difference",
        "Caregiver cannot change address": "no detectable difference",
        "High fever is escalated to a nurse": "no detectable difference",
        "Frustration is acknowledged": "no detectable difference",
    }
    worse, better = tests[WORSE]["compare"], tests[BETTER]["compare"]
    assert (worse["candidate"]["passed"], worse["candidate"]["valid"]) == (0, 6)
    assert (worse["reference_sessions"]["passed"], worse["reference_sessions"]["valid"]) == (6, 6)
    assert (better["candidate"]["passed"], better["reference_sessions"]["passed"]) == (6, 0)
    # 0/6 against 6/6: one-sided Fisher p = 1/C(12, 6); Holm over the 6 compared unit tests
    assert worse["p_worse"] == pytest.approx(1 / 924)
    assert worse["p_worse_adjusted"] == pytest.approx(6 / 924)
    assert better["p_better"] == pytest.approx(1 / 924)
    assert better["p_better_adjusted"] == pytest.approx(6 / 924)
    assert worse["correction"] == "holm"
    for side, version_set in (("candidate", "candidate"), ("reference_sessions", "release")):
        assert worse[side]["what_ran"]["version_set"] == version_set
    assert (
        worse["candidate"]["what_ran"]["agent"] != worse["reference_sessions"]["what_ran"]["agent"]
    )
    sets = {s["name"]: s["compare"] for s in data["sets"]}
    assert (sets["Billing and refunds"]["worse"], sets["Billing and refunds"]["better"]) == (1, 1)
    for name in ("Account access", "Clinical safety"):
        assert (sets[name]["worse"], sets[name]["better"], sets[name]["same"]) == (0, 0, 2)
    assert not any(s["same_agent"] for s in sets.values())

    # JUnit: the worse unit test is the only failure; nothing errored
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    failed = [name for name, c in cases.items() if c.find("failure") is not None]
    assert failed == [f"test_billing_and_refunds[{WORSE}]"]
    assert not [name for name, c in cases.items() if c.find("error") is not None]
    page = html.read_text(encoding="utf-8")
    assert WORSE in page
    assert (
        '<p class="headline gate-failed">Gate failed: 1 unit test significantly worse than '
        "release</p>"
    ) in page

    # both sides of every set simulated side by side: 3 runs each, all started before any ended
    runs = list(emulator.store.runs.values())
    assert len(runs) == 6
    assert max(r.created for r in runs) < min(r.end for r in runs)
    assert len(list((tmp_path / "artifacts").glob("run-*.zip"))) == 6
    # the temporary sets and unit test copies of both sides are gone: only the world's are left
    store = emulator.store
    live_sets = [s for s in store.sets.values() if not s["is_deleted"]]
    live_unit_tests = [u for u in store.unit_tests.values() if not u["is_deleted"]]
    assert len(store.sets) > len(live_sets) == len(emulator.world.sets)
    assert len(store.unit_tests) > len(live_unit_tests) == len(emulator.world.unit_tests)
