"""Proof of what ran and baselines that compare like with like (issue 16, parts 3 and 4),
black-box: pytest with the plugin in a subprocess against the emulator over loopback HTTP.

Each run spec records the agent and state machine versions the service resolved, and the persona
and scenario versions; the reports say which agent version a check is about, and a baseline whose
run tested something else (here: a new persona version) is "not comparable", never a regression.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_amigo.emulator import derive_id
from support.plugin import SET, UNIT, WORLD, AmigoProject, report

GREEN = ("--amigo-set", SET["All green"])
PERSONA = {p.name: p.id for p in WORLD.personas}["Busy parent"]
AGENT = derive_id("agent", next(u for u in WORLD.unit_tests).service_id)


def only_unit_test(data: dict[str, Any]) -> dict[str, Any]:
    [entry] = data["sets"]
    [test] = entry["unit_tests"]
    return dict(test)


def new_persona_version(amigo: AmigoProject) -> None:
    """What a team does between two CI runs: the persona gets a new version (over the API)."""
    resp = amigo.admin.post(
        f"/v1/{amigo.emu.organization_id}/simulation/persona/{PERSONA}/version/",
        headers={"Authorization": f"Bearer {amigo.token()}"},
        json={
            "background": "A busy parent who is short of time, and now also of patience.",
            "preferred_language": "eng",
            "timezone": "Europe/Paris",
            "user_models": [],
            "nonsensitive_user_variables": {},
            "sensitive_user_variables": {},
        },
    )
    assert resp.status_code in (200, 201), resp.text


def test_every_report_names_the_agent_version_that_ran(amigo: AmigoProject, tmp_path: Path) -> None:
    summary = tmp_path / "step-summary.md"
    amigo.mp.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = amigo.run(*GREEN, "--amigo-json=r.json", "--amigo-html=r.html")
    out.result.assert_outcomes(passed=1)
    ran = only_unit_test(report(amigo.pytester.path / "r.json"))["what_ran"]
    assert ran["version_set"] == "release"
    assert ran["agent"] == [AGENT, 1]
    assert ran["persona"] == [PERSONA, 1]
    assert ran["run_count"] == 1
    assert [c["name"] for c in ran["criteria"]] == ["Completed"]
    words = f"version set release: agent {AGENT[:4]}…{AGENT[-2:]} v1"
    [case] = out.cases
    assert case.prop("amigo_version_set") == "release"
    assert case.prop("amigo_agent_version") == f"{AGENT} v1"
    assert words in out.output.split("Amigo simulation sets")[1]
    assert words in summary.read_text(encoding="utf-8")
    assert words in (amigo.pytester.path / "r.html").read_text(encoding="utf-8")


def test_a_baseline_that_tested_another_persona_version_is_not_comparable(
    amigo: AmigoProject,
) -> None:
    first = amigo.run(*GREEN, "--amigo-json=before.json")
    first.result.assert_outcomes(passed=1)
    same = amigo.run(*GREEN, "--amigo-baseline=before.json")
    assert same.cases[0].prop("amigo_transition") == "unchanged"

    new_persona_version(amigo)
    out = amigo.run(
        *GREEN,
        "--amigo-baseline=before.json",
        "--amigo-fail-on=regression",
        "--amigo-json=after.json",
    )
    out.result.assert_outcomes(passed=1)
    [case] = out.cases
    assert case.prop("amigo_transition") == "not-comparable"
    baseline = only_unit_test(report(amigo.pytester.path / "after.json"))["baseline"]
    assert baseline["transition"] == "not-comparable"
    assert baseline["changes"] == [f"persona {PERSONA} v1 -> v2"]
    summary = out.output.split("Amigo simulation sets")[1]
    assert "; not comparable with baseline run " in summary
    assert f"the test changed: persona {PERSONA} v1 -> v2" in summary
    assert "not comparable with the baseline (the test changed): 1 unit test\n" in summary


def test_a_baseline_report_from_before_the_fingerprint_is_compared_with_a_note(
    amigo: AmigoProject,
) -> None:
    amigo.run(*GREEN, "--amigo-json=old.json").result.assert_outcomes(passed=1)
    path = amigo.pytester.path / "old.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    for entry in data["sets"]:
        for test in entry["unit_tests"]:
            del test["what_ran"]  # what an earlier pytest-amigo wrote
    path.write_text(json.dumps(data), encoding="utf-8")
    new_persona_version(amigo)
    out = amigo.run(*GREEN, "--amigo-baseline=old.json", "--amigo-json=new.json")
    [case] = out.cases
    assert case.prop("amigo_transition") == "unchanged"
    baseline = only_unit_test(report(amigo.pytester.path / "new.json"))["baseline"]
    assert "does not record what ran" in baseline["note"]


def test_a_unit_test_the_baseline_run_did_not_have_is_new(amigo: AmigoProject) -> None:
    second = ("--amigo-set", SET["Second green"])
    amigo.run(*second).result.assert_outcomes(passed=1)  # the baseline run: Greets only
    resp = amigo.admin.post(
        f"/v1/{amigo.emu.organization_id}/simulation/unit_test_set/{SET['Second green']}",
        headers={"Authorization": f"Bearer {amigo.token()}"},
        json={
            "unit_test_runs": [
                {"unit_test_id": UNIT["Greets customer"], "run_count": 1},
                {"unit_test_id": UNIT["Refund is processed"], "run_count": 1},
            ]
        },
    )
    assert resp.status_code in (200, 204), resp.text
    out = amigo.run(*second, "--amigo-baseline=last")
    assert out.case("amigo.Second green", "Greets customer").prop("amigo_transition") == (
        "unchanged"
    )
    refund = out.case("amigo.Second green", "Refund is processed")
    assert refund.prop("amigo_transition") == "new"  # was 'unchanged' with 0/0 sessions
    assert "new: not in baseline run" in refund.text
