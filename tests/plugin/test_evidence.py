"""Deciding with evidence (issue 9), black-box: confidence and the inconclusive outcome, pass^k
gates, re-sampling, baselines and regressions, the set gate and the JSON report.

Each test runs pytest with the plugin in a subprocess against an emulator over loopback HTTP
(``worlds/evidence.toml``). With a minimum pass rate of 0.7 at 95% confidence, "Solid" (10/10)
passes, "Shaky" (9/10, interval 0.60-0.98) is inconclusive and "Broken" (2/10) fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_amigo.emulator import Emulator, World
from pytest_amigo.reports.json_report import schema
from support.plugin import (
    AmigoProject,
    outcomes,
    polled_after_create,
    read_junit,
    report,
    sigterm_when,
    text_of,
    unit_tests,
)

WORLD = World.from_toml(Path(__file__).parent / "worlds" / "evidence.toml")
SET = {s.name: s.id for s in WORLD.sets}
UNIT = {u.name: u.id for u in WORLD.unit_tests}
EVIDENCE = f"--amigo-set={SET['Evidence']}"
DECIDE = ("--amigo-min-pass-rate=0.7", "--amigo-confidence=0.95")
RESAMPLE_PREFIX = "pytest-amigo resample of Evidence"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(WORLD) as emulator:
        yield emulator


def temporary_sets(emu: Emulator) -> list[dict[str, Any]]:
    # list(): one step under the GIL, so it holds while the emulator's thread adds sets
    every = list(emu.store.sets.values())
    return [s for s in every if s["name"].startswith("pytest-amigo resample")]


# -- 1. confidence and the inconclusive outcome ------------------------------------------------
def test_confidence_decides_passed_failed_or_inconclusive(amigo: AmigoProject) -> None:
    out = amigo.run(EVIDENCE, *DECIDE, "--amigo-json=report.json")
    assert outcomes(out) == {"Solid": "passed", "Shaky": "failure", "Broken": "failure"}
    shaky = out.case("amigo.Evidence", "Shaky")
    assert shaky.message is not None and shaky.message.startswith("inconclusive: 9/10 sessions")
    assert "95% interval 0.60-0.98, required 0.70: not enough sessions to decide" in shaky.message
    assert "raise run_count or use --amigo-resample" in shaky.message
    assert shaky.prop("amigo_outcome") == "inconclusive"
    assert shaky.prop("amigo_interval[0.95]") == "0.596-0.982"
    assert out.case("amigo.Evidence", "Broken").prop("amigo_outcome") == "failed"
    assert out.case("amigo.Evidence", "Solid").prop("amigo_outcome") == "passed"
    found = unit_tests(report(amigo.pytester.path / "report.json"))
    assert found["Shaky"]["outcome"] == "inconclusive"
    assert found["Shaky"]["pass_rate_interval"] == pytest.approx([0.5958, 0.9821], abs=1e-4)
    assert found["Shaky"]["confidence"] == 0.95
    assert found["Solid"]["outcome"] == "passed"
    assert found["Broken"]["outcome"] == "failed"


@pytest.mark.parametrize(
    ("policy", "junit", "exit_code"), [("xfail", "skipped", 1), ("pass", "passed", 1)]
)
def test_inconclusive_policy_changes_the_report_not_the_word(
    amigo: AmigoProject, policy: str, junit: str, exit_code: int
) -> None:
    out = amigo.run(EVIDENCE, *DECIDE, f"--amigo-inconclusive={policy}", "--amigo-json=r.json")
    assert out.result.ret == exit_code  # Broken still fails
    shaky = out.case("amigo.Evidence", "Shaky")
    assert shaky.outcome == junit
    assert shaky.prop("amigo_outcome") == "inconclusive"
    assert unit_tests(report(amigo.pytester.path / "r.json"))["Shaky"]["outcome"] == "inconclusive"
    if policy == "xfail":
        assert (shaky.message or "").startswith("inconclusive: 9/10 sessions")


def test_without_confidence_the_rules_stay_as_they_are(amigo: AmigoProject) -> None:
    out = amigo.run(EVIDENCE, "--amigo-min-pass-rate=0.7")
    assert outcomes(out) == {"Solid": "passed", "Shaky": "passed", "Broken": "failure"}
    assert not any(k.startswith("amigo_interval") for k, _ in out.cases[1].properties)


def test_a_minimum_pass_rate_of_one_is_judged_exactly_under_confidence(
    amigo: AmigoProject,
) -> None:
    # Issue 28: 10/10 at 85% was reported failed ("interval 0.83-1.00 below the required 1.00":
    # an upper bound of 0.9999999999999999), and no interval's lower bound ever reaches 1.
    out = amigo.run(
        EVIDENCE, "--amigo-min-pass-rate=1", "--amigo-confidence=0.85", "--amigo-json=r.json"
    )
    assert outcomes(out) == {"Solid": "passed", "Shaky": "failure", "Broken": "failure"}
    solid = out.case("amigo.Evidence", "Solid")
    assert solid.prop("amigo_outcome") == "passed"
    assert solid.prop("amigo_interval[0.85]") == "0.828-1.000"
    shaky = out.case("amigo.Evidence", "Shaky")
    assert shaky.prop("amigo_outcome") == "failed"  # 9/10: decided, never inconclusive
    assert shaky.message is not None
    assert "a minimum pass rate of 1 is judged exactly: every valid session must pass" in (
        shaky.message
    )
    found = unit_tests(report(amigo.pytester.path / "r.json"))
    assert found["Solid"]["outcome"] == "passed"
    assert found["Solid"]["pass_rate_interval"][1] == 1.0


def test_bad_confidence_is_a_usage_error(amigo: AmigoProject) -> None:
    out = amigo.run(EVIDENCE, "--amigo-confidence=95")
    assert out.result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--amigo-confidence must be in (0, 1), e.g. 0.95, got 95" in out.output
    assert not out.runs


# -- 2. pass^k -----------------------------------------------------------------------------------
def test_required_pass_k_gates_each_unit_test(amigo: AmigoProject) -> None:
    amigo.ini('amigo_min_pass_k = "4 0.9"\n')
    out = amigo.run(EVIDENCE, f"--amigo-set={SET['Few sessions']}", "-rA")
    assert {(c.classname, c.name): c.outcome for c in out.cases} == {
        ("amigo.Evidence", "Solid"): "passed",
        ("amigo.Evidence", "Shaky"): "failure",
        ("amigo.Evidence", "Broken"): "failure",
        ("amigo.Few sessions", "Solid"): "failure",
    }
    shaky = out.case("amigo.Evidence", "Shaky")
    assert "pass^4 0.60 < required 0.90" in (shaky.message or "")
    assert shaky.prop("amigo_pass^4") == "0.600"
    few = out.case("amigo.Few sessions", "Solid")
    assert few.prop("amigo_outcome") == "inconclusive"
    assert "only 2 valid sessions: pass^4 needs at least 4" in (few.message or "")
    # the terminal summary shows pass^k per unit test, failures first
    summary = out.output.split("Amigo simulation sets")[1]
    assert "failed: Shaky: 9/10 sessions; pass^1 0.90, pass^4 0.60" in summary
    assert summary.index("Shaky") < summary.index("passed: Solid")


def test_bad_min_pass_k_is_a_usage_error(amigo: AmigoProject) -> None:
    amigo.ini('amigo_min_pass_k = "0.9"\n')
    out = amigo.run(EVIDENCE)
    assert out.result.ret == pytest.ExitCode.USAGE_ERROR
    assert "amigo_min_pass_k must be 'K VALUE'" in out.output


# -- 3. re-sampling ------------------------------------------------------------------------------
@pytest.mark.parametrize("workers", [[], ["-n", "2"]])
def test_resampling_decides_an_inconclusive_unit_test_and_deletes_its_set(
    amigo: AmigoProject, emu: Emulator, workers: list[str]
) -> None:
    before = len(temporary_sets(emu))
    out = amigo.run(EVIDENCE, *DECIDE, "--amigo-resample=20", "--amigo-json=r.json", *workers)
    assert outcomes(out) == {"Solid": "passed", "Shaky": "passed", "Broken": "failure"}
    created = temporary_sets(emu)[before:]
    assert len(created) == 1 and created[0]["name"].startswith(RESAMPLE_PREFIX)
    assert created[0]["is_deleted"] is True
    assert [u["unit_test_id"] for u in created[0]["unit_test_runs"]] == [UNIT["Shaky"]]
    assert [u["run_count"] for u in created[0]["unit_test_runs"]] == [20]
    assert sorted(r.set_id for r in out.runs) == sorted([SET["Evidence"], created[0]["id"]])
    shaky = unit_tests(report(amigo.pytester.path / "r.json"))["Shaky"]
    assert shaky["sessions"] == {"total": 30, "valid": 30, "passed": 27, "errored": 0}
    assert shaky["outcome"] == "passed"
    assert shaky["pass_rate_interval"][0] >= 0.7
    assert len(shaky["criteria"][0]["sessions"]) == 30


def test_resampling_on_a_candidate_version_set_resamples_the_copy(
    amigo: AmigoProject, emu: Emulator
) -> None:
    """--amigo-version-set with --amigo-resample: the round runs Shaky's copy on pr-1 again;
    every temporary set and copy is deleted."""
    sets_before, tests_before = set(emu.store.sets), set(emu.store.unit_tests)
    out = amigo.run(
        EVIDENCE, *DECIDE, "--amigo-resample=20", "--amigo-version-set=pr-1", "--amigo-json=r.json"
    )
    assert outcomes(out) == {"Solid": "passed", "Shaky": "passed", "Broken": "failure"}
    shaky = unit_tests(report(amigo.pytester.path / "r.json"))["Shaky"]
    assert shaky["sessions"] == {"total": 30, "valid": 30, "passed": 27, "errored": 0}
    assert shaky["what_ran"]["version_set"] == "pr-1"
    copies = {k: d for k, d in emu.store.unit_tests.items() if k not in tests_before}
    assert len(copies) == 3 and all(d["is_deleted"] for d in copies.values())
    made = [d for k, d in emu.store.sets.items() if k not in sets_before]
    assert len(made) == 2 and all(d["is_deleted"] for d in made)  # the candidate's, the round's
    [round_set] = [d for d in made if d["name"].startswith(RESAMPLE_PREFIX)]
    [resampled] = [u["unit_test_id"] for u in round_set["unit_test_runs"]]
    assert resampled in copies and copies[resampled]["name"].startswith(
        "pytest-amigo pr-1 of Shaky"
    )


def test_resampling_stays_within_the_session_budget(amigo: AmigoProject, emu: Emulator) -> None:
    before = len(temporary_sets(emu))
    out = amigo.run(EVIDENCE, *DECIDE, "--amigo-resample=20", "--amigo-max-sessions=40")
    assert out.case("amigo.Evidence", "Shaky").prop("amigo_outcome") == "inconclusive"
    text = text_of(out, "Shaky")
    assert "re-sampling stopped: 20 more sessions would exceed the session budget" in text
    assert "--amigo-max-sessions=40, 30 simulated" in text
    assert len(temporary_sets(emu)) == before


def test_resampling_without_permission_keeps_the_verdict_and_names_it(
    amigo: AmigoProject, emu: Emulator
) -> None:
    amigo.use_user("no-authoring")
    out = amigo.run(EVIDENCE, *DECIDE, "--amigo-resample=20")
    assert outcomes(out) == {"Solid": "passed", "Shaky": "failure", "Broken": "failure"}
    text = text_of(out, "Shaky")
    assert "re-sampling not possible" in text
    assert "Simulation:CreateSimulationUnitTestSet" in text
    assert out.case("amigo.Evidence", "Shaky").prop("amigo_outcome") == "inconclusive"


def test_sigterm_while_resampling_cancels_the_run_and_deletes_the_set(
    pytester: pytest.Pytester,
) -> None:
    """A cancelled CI job while a re-sampling run runs: the run is cancelled, the set deleted,
    the set gate reported.

    The emulator's clock runs at real speed (a session lasts 30 s) and is pushed ahead by hand
    only for the set's own run, so the re-sampling run is still going when SIGTERM comes."""
    pytester.path.joinpath("pytest.ini").write_text(
        "[pytest]\namigo_poll_interval = 0.2 1\namigo_artifacts_wait = 0\n", encoding="utf-8"
    )
    with Emulator(WORLD, speed=1.0) as emu:
        advanced: list[float] = []

        def ready(ops: list[str]) -> bool:
            """The set's own run ended (Shaky is inconclusive), the re-sampling set exists and
            the plugin knows its run (polled after its create: a fixed pause could end before
            a loaded plugin had read the create's answer, leaving nothing to cancel)."""
            if not emu.store.runs:
                return False
            if not advanced:
                emu.advance(100)
                advanced.append(100)
            return bool(temporary_sets(emu)) and polled_after_create(ops, 2)

        args = (EVIDENCE, *DECIDE, "--amigo-resample=20", "--amigo-set-min-pass-rate=0.5")
        out = sigterm_when(pytester, emu, (*args, "--junitxml=j.xml"), ready)
        (created,) = temporary_sets(emu)
        assert created["is_deleted"] is True, out
        (run,) = [r for r in emu.store.runs.values() if r.set_id == created["id"]]
        assert run.cancelled_at is not None, out
        assert f"cancelled run {run.id}" in out, out
    # nothing is lost: the set gate, which never ran, is an error in the JUnit
    (gate,) = [c for c in read_junit(pytester.path / "j.xml") if c.name == "set gate"]
    assert gate.outcome == "error" and "undecided" in (gate.message or "") + gate.text


# -- 4. baselines and regressions -------------------------------------------------------------
def saved_report(amigo: AmigoProject, name: str, outcomes_then: dict[str, tuple[str, int]]) -> str:
    """A JSON report as an earlier session would have saved it (outcome, sessions passed)."""
    tests = [
        {
            "id": UNIT[unit],
            "name": unit,
            "nodeid": f"amigo::Evidence::{unit}",
            "outcome": outcome,
            "reason": "",
            "sessions": {"total": 10, "valid": 10, "passed": passed, "errored": 0},
            "pass_rate": passed / 10,
            "pass_rate_interval": None,
            "confidence": None,
            "pass_k": None,
            "criteria": [],
            "baseline": None,
        }
        for unit, (outcome, passed) in outcomes_then.items()
    ]
    data = {
        "pytest_amigo": "0.1.0",
        "created_at": "2026-11-01T00:00:00+00:00",
        "sets": [
            {
                "id": SET["Evidence"],
                "name": "Evidence",
                "run_id": "6b0000000000000000000abc",
                "started_here": True,
                "unit_tests": tests,
            }
        ],
    }
    jsonschema.validate(data, schema())
    amigo.pytester.path.joinpath(name).write_text(json.dumps(data), encoding="utf-8")
    return name


def test_baseline_report_gives_transitions_and_fisher_p(amigo: AmigoProject) -> None:
    path = saved_report(amigo, "main.json", {"Broken": ("passed", 10), "Shaky": ("failed", 2)})
    out = amigo.run(EVIDENCE, "--amigo-min-pass-rate=0.7", f"--amigo-baseline={path}", "-rA")
    broken = out.case("amigo.Evidence", "Broken")
    assert broken.prop("amigo_transition") == "regressed"
    assert broken.prop("amigo_baseline_run_id") == "6b0000000000000000000abc"
    assert broken.prop("amigo_p_value") == "0.0007145"  # scipy.stats.fisher_exact([[2,8],[10,0]])
    assert "regressed since baseline run 6b0000000000000000000abc" in text_of(out, "Broken")
    assert "significant" in text_of(out, "Broken")
    assert out.case("amigo.Evidence", "Shaky").prop("amigo_transition") == "fixed"
    assert out.case("amigo.Evidence", "Solid").prop("amigo_transition") == "new"
    summary = out.output.split("Amigo simulation sets")[1]
    assert summary.index("REGRESSED: Broken") < summary.index("Shaky")


def test_fail_on_regression_turns_known_failures_into_xfail(amigo: AmigoProject) -> None:
    path = saved_report(
        amigo,
        "main.json",
        {"Broken": ("failed", 2), "Shaky": ("passed", 10), "Solid": ("passed", 10)},
    )
    out = amigo.run(
        EVIDENCE, *DECIDE, f"--amigo-baseline={path}", "--amigo-fail-on=regression", "-rA"
    )
    assert outcomes(out) == {"Solid": "passed", "Shaky": "failure", "Broken": "skipped"}
    broken = out.case("amigo.Evidence", "Broken")
    assert "already failing in baseline run 6b0000000000000000000abc" in (broken.message or "")
    assert broken.prop("amigo_transition") == "still-failing"
    assert out.case("amigo.Evidence", "Shaky").prop("amigo_transition") == "regressed"
    assert out.result.ret == 1  # Shaky regressed (inconclusive now, passed then)


def test_baseline_last_reads_the_previous_completed_run(amigo: AmigoProject) -> None:
    first = amigo.run(EVIDENCE, "--amigo-min-pass-rate=0.7")
    (previous,) = first.runs
    out = amigo.run(
        EVIDENCE,
        "--amigo-min-pass-rate=0.7",
        "--amigo-baseline=last",
        "--amigo-fail-on=regression",
        "--amigo-json=r.json",
    )
    assert out.result.ret == 0, out.output
    assert outcomes(out) == {"Solid": "passed", "Shaky": "passed", "Broken": "skipped"}
    found = unit_tests(report(amigo.pytester.path / "r.json"))
    assert found["Broken"]["outcome"] == "xfailed"
    assert found["Broken"]["baseline"]["run_id"] == previous.id
    assert found["Broken"]["baseline"]["transition"] == "still-failing"
    assert found["Broken"]["baseline"]["p_value"] == 1.0
    assert found["Solid"]["baseline"]["transition"] == "unchanged"


def test_fail_on_regression_without_baseline_is_a_usage_error(amigo: AmigoProject) -> None:
    out = amigo.run(EVIDENCE, "--amigo-fail-on=regression")
    assert out.result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--amigo-fail-on=regression needs a baseline" in out.output


def test_missing_baseline_file_is_a_usage_error(amigo: AmigoProject) -> None:
    out = amigo.run(EVIDENCE, "--amigo-baseline=nowhere.json")
    assert out.result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--amigo-baseline=nowhere.json: no such file" in out.output
    assert not out.runs


# -- 5. the set gate -----------------------------------------------------------------------------
def test_set_gate_passes_or_fails_on_the_share_of_unit_tests(amigo: AmigoProject) -> None:
    out = amigo.run(EVIDENCE, "--amigo-min-pass-rate=0.7", "--amigo-set-min-pass-rate=0.6")
    assert out.case("amigo.Evidence", "set gate").outcome == "passed"  # 2 of 3 passed
    out = amigo.run(EVIDENCE, "--amigo-min-pass-rate=0.7", "--amigo-set-min-pass-rate=0.9")
    gate = out.case("amigo.Evidence", "set gate")
    assert gate.outcome == "failure"
    assert "2/3 unit tests passed (67%), needs 90%" in gate.text
    assert "failed: Broken:" in gate.text
    assert "set gate: failed, 2/3 (needs 90%) unit tests passed" in out.output


def test_set_gate_alone_is_selected_with_k(amigo: AmigoProject) -> None:
    out = amigo.run(EVIDENCE, "--amigo-set-min-pass-rate=0.3", "-k", "set_gate")
    assert [c.name for c in out.cases] == ["set gate"]
    assert out.cases[0].outcome == "passed"
    assert len(out.runs) == 1


# -- 6. the JSON report ----------------------------------------------------------------------------
def test_json_report_validates_and_is_written_under_xdist(amigo: AmigoProject) -> None:
    out = amigo.run(EVIDENCE, "-n", "2", "--amigo-json=out/r.json")
    data = report(amigo.pytester.path / "out" / "r.json")
    (only,) = data["sets"]
    assert only["id"] == SET["Evidence"] and only["started_here"] is True
    assert only["run_id"] == out.runs[0].id
    found = {t["name"]: t for t in only["unit_tests"]}
    assert set(found) == {"Solid", "Shaky", "Broken"}
    assert found["Broken"]["criteria"][0]["sessions"][:3] == [True, True, False]
    assert found["Broken"]["pass_k"] == {"k": 4, "value": 0.0, "pass_1": 0.2}


def test_baseline_run_id_applies_to_its_own_set_only(amigo: AmigoProject) -> None:
    first = amigo.run(EVIDENCE, "--amigo-min-pass-rate=0.7")
    (previous,) = first.runs
    few = f"--amigo-set={SET['Few sessions']}"
    out = amigo.run(
        EVIDENCE,
        few,
        "--amigo-min-pass-rate=0.7",
        f"--amigo-baseline={previous.id}",
        "--amigo-min-pass-k=4 0.9",  # "Few sessions" (2 sessions) is inconclusive: it explains
    )
    broken = out.case("amigo.Evidence", "Broken")
    assert broken.prop("amigo_baseline_run_id") == previous.id
    assert broken.prop("amigo_transition") == "still-failing"
    other = out.case("amigo.Few sessions", "Solid")
    assert not any(k == "amigo_transition" for k, _ in other.properties)
    assert f"no baseline: run {previous.id} is a run of another set" in other.text
    summary = out.output.split("Amigo simulation sets")[1]
    assert f"baseline: baseline run {previous.id} (--amigo-baseline)" in summary
    assert f"baseline: no baseline: run {previous.id} is a run of another set" in summary


def test_github_step_summary_lists_failures_with_regressions_first(
    amigo: AmigoProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = amigo.pytester.path / "step-summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    path = saved_report(amigo, "main.json", {"Broken": ("passed", 10), "Shaky": ("failed", 2)})
    out = amigo.run(EVIDENCE, "--amigo-min-pass-rate=0.7", f"--amigo-baseline={path}")
    assert out.result.ret == 1
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n")  # appended, never overwritten
    assert "| Evidence |" in text
    assert "Broken" in text and "**regressed**" in text
    assert "JUnit" in text
    for secret in ("evidence-secret", "AMIGO_API_KEY"):
        assert secret not in text


def test_html_report_is_written_with_the_evidence(amigo: AmigoProject) -> None:
    out = amigo.run(EVIDENCE, *DECIDE, "--amigo-html=reports/amigo.html", "-n", "2")
    assert out.result.ret == 1
    page = (amigo.pytester.path / "reports" / "amigo.html").read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert "The agent hung up." in page  # a failing session's justification
    assert "Shaky" in page and "inconclusive" in page
    assert "<script src=" not in page and "<link " not in page  # self-contained
    assert "evidence-secret" not in page


def test_no_secret_reaches_any_report(amigo: AmigoProject, monkeypatch: pytest.MonkeyPatch) -> None:
    """A justification quoting the API key: scrubbed from the terminal, JUnit, the JSON and
    HTML reports and the GitHub step summary."""
    summary = amigo.pytester.path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = amigo.run(
        f"--amigo-set={SET['Leaky']}", "--amigo-json=r.json", "--amigo-html=r.html", "-rA"
    )
    assert out.result.ret == 1
    assert "The agent read out" in out.junit_text  # the justification is there, scrubbed
    secret = "evidence-secret-key-ci-3b9f1e"
    for text in (
        out.output,
        out.junit_text,
        (amigo.pytester.path / "r.json").read_text(encoding="utf-8"),
        (amigo.pytester.path / "r.html").read_text(encoding="utf-8"),
        summary.read_text(encoding="utf-8"),
    ):
        assert secret not in text
