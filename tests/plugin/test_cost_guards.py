"""Cost guards and subset runs (issue 11, parts 2 and 3), black-box against the emulator.

``--amigo-plan`` prints what would be simulated and starts nothing; ``--amigo-max-sessions``
refuses an over-budget session before any run; ``--amigo-subset`` runs only the selected unit
tests of a set in a temporary set, deleted afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_amigo.emulator import Emulator, World
from support.plugin import AmigoProject

WORLD = World.from_toml(Path(__file__).parent / "worlds" / "evidence.toml")
SET = {s.name: s.id for s in WORLD.sets}
UNIT = {u.name: u.id for u in WORLD.unit_tests}
EVIDENCE = f"--amigo-set={SET['Evidence']}"
FEW = f"--amigo-set={SET['Few sessions']}"
CREATE_RUN = "create-simulation-unit-test-set-run"
CREATE_SET = "create-simulation-unit-test-set"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(WORLD) as emulator:
        yield emulator


def subset_sets(emu: Emulator) -> list[dict[str, Any]]:
    return [s for s in emu.store.sets.values() if s["name"].startswith("pytest-amigo subset of")]


def test_plan_prints_the_sessions_and_starts_nothing(amigo: AmigoProject) -> None:
    out = amigo.run(EVIDENCE, FEW, "--amigo-plan")
    assert out.result.ret == 0, out.output
    assert not out.runs and out.count(CREATE_RUN) == 0
    assert "Amigo plan (--amigo-plan: nothing was simulated)" in out.output
    assert f"Evidence ({SET['Evidence']}): 30 sessions, whole set" in out.output
    assert "  10 x Shaky" in out.output
    assert f"Few sessions ({SET['Few sessions']}): 2 sessions, whole set" in out.output
    assert "total: 32 sessions in 2 sets; no run was started" in out.output


def test_plan_shows_what_a_subset_would_run(amigo: AmigoProject) -> None:
    out = amigo.run(EVIDENCE, "--amigo-plan", "--amigo-subset", "-k", "Shaky")
    assert out.result.ret == 0, out.output
    assert "Evidence" in out.output and "10 sessions, subset (--amigo-subset)" in out.output
    assert "10 x Solid  (not selected, not run)" in out.output
    assert "total: 10 sessions in 1 set;" in out.output
    assert not out.runs


def test_plan_without_subset_counts_the_whole_set(amigo: AmigoProject) -> None:
    out = amigo.run(EVIDENCE, "--amigo-plan", "-k", "Shaky")
    assert "30 sessions, whole set" in out.output
    assert "10 x Solid  (not selected)" in out.output


@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
def test_max_sessions_refuses_before_any_run(amigo: AmigoProject, workers: list[str]) -> None:
    out = amigo.run(EVIDENCE, FEW, "--amigo-max-sessions=31", *workers)
    assert out.result.ret == pytest.ExitCode.USAGE_ERROR, out.output
    assert (
        "--amigo-max-sessions=31: the selected sets would simulate 32 sessions "
        "('Evidence' 30, 'Few sessions' 2); no run was started" in out.output
    )
    assert not out.runs and out.count(CREATE_RUN) == 0


def test_max_sessions_with_k_says_the_whole_set_runs_and_what_subset_does(
    amigo: AmigoProject,
) -> None:
    """Issue 24: refused under ``-k``, the message suggested "select fewer unit tests (-k ...)";
    it says the whole set runs anyway and that --amigo-subset would simulate only those."""
    out = amigo.run(EVIDENCE, "--amigo-max-sessions=12", "-k", "Shaky")
    assert out.result.ret == pytest.ExitCode.USAGE_ERROR, out.output
    assert "would simulate 30 sessions ('Evidence' 30); no run was started" in out.output
    assert (
        "A set runs whole however few of its unit tests are selected ('Evidence' 1 of 3 "
        "selected): --amigo-subset would simulate only the selected ones" in out.output
    )
    assert "Select fewer unit tests" not in out.output
    assert not out.runs and out.count(CREATE_RUN) == 0


def test_max_sessions_counts_only_what_runs(amigo: AmigoProject) -> None:
    out = amigo.run(EVIDENCE, FEW, "--amigo-max-sessions=12", "--amigo-subset", "-k", "Shaky")
    assert out.result.ret == 1, out.output  # Shaky fails (9/10 under every-session rule)
    assert len(out.runs) == 1


def test_subset_runs_only_the_selected_unit_tests_and_deletes_its_set(
    amigo: AmigoProject, emu: Emulator
) -> None:
    before = len(subset_sets(emu))
    out = amigo.run(EVIDENCE, "--amigo-subset", "--deselect", "amigo::Evidence::Broken")
    assert {c.name: c.outcome for c in out.cases} == {"Solid": "passed", "Shaky": "failure"}
    created = subset_sets(emu)[before:]
    assert len(created) == 1
    (subset,) = created
    assert subset["name"].startswith("pytest-amigo subset of Evidence")
    assert [u["unit_test_id"] for u in subset["unit_test_runs"]] == [UNIT["Solid"], UNIT["Shaky"]]
    assert subset["is_deleted"] is True
    (run,) = out.runs
    assert run.set_id == subset["id"]
    shaky = out.case("amigo.Evidence", "Shaky")
    assert shaky.prop("amigo_set_id") == SET["Evidence"]
    assert shaky.prop("amigo_run_id") == run.id
    assert "--amigo-subset: ran 2 of 3 unit tests in temporary set" in shaky.text
    assert "--amigo-subset: ran 2 of 3 unit tests" in out.output  # the summary says it too


def test_subset_of_a_fully_selected_set_runs_the_set(amigo: AmigoProject, emu: Emulator) -> None:
    before = len(subset_sets(emu))
    out = amigo.run(FEW, "--amigo-subset")
    assert [r.set_id for r in out.runs] == [SET["Few sessions"]]
    assert len(subset_sets(emu)) == before
    assert out.count(CREATE_SET) == 0


def test_subset_without_permission_names_it(amigo: AmigoProject, emu: Emulator) -> None:
    amigo.use_user("no-authoring")
    out = amigo.run(EVIDENCE, "--amigo-subset", "-k", "Shaky")
    (case,) = out.cases
    assert case.outcome == "error"
    assert "--amigo-subset" in (case.message or "")
    assert "Simulation:CreateSimulationUnitTestSet" in case.text
    assert not out.runs


def test_last_failed_with_subset_resimulates_only_what_failed(
    pytester: pytest.Pytester, amigo: AmigoProject, emu: Emulator
) -> None:
    """pytest --lf --amigo-subset: the second session runs only the unit test that failed."""
    first = pytester.runpytest_subprocess(f"--amigo-set={SET['Evidence']}")
    first.assert_outcomes(passed=1, failed=2)
    before = set(emu.store.runs)
    second = pytester.runpytest_subprocess(
        f"--amigo-set={SET['Evidence']}", "--lf", "--amigo-subset", "-k", "not Shaky"
    )
    second.assert_outcomes(failed=1, deselected=2)
    (run,) = [r for rid, r in emu.store.runs.items() if rid not in before]
    (subset,) = [s for s in subset_sets(emu) if s["id"] == run.set_id]
    assert [u["unit_test_id"] for u in subset["unit_test_runs"]] == [UNIT["Broken"]]
