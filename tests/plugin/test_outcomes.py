"""Outcomes of Amigo items: pass / fail / error, their JUnit form, known failures (amigo_xfail),
explanations and artifacts."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from support.plugin import CANCEL_RUN, CREATE_RUN, SECRETS, SET, UNIT, AmigoProject

MIXED = SET["Mixed bag"]


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
def test_pass_fail_and_junit_of_a_mixed_set(amigo: AmigoProject, family: str) -> None:
    # Under xunit2 the properties are written only when asked (test_junit_details.py: auto).
    always = ["-o", "amigo_junit_properties=always"] if family == "xunit2" else []
    out = amigo.run("--amigo-set", MIXED, "-o", f"junit_family={family}", *always)
    out.result.assert_outcomes(passed=1, failed=2)
    assert out.result.ret == 1
    [run] = out.runs
    assert run.set_id == MIXED
    cases = {c.name: c for c in out.cases}
    assert set(cases) == {"Greets customer", "Refund is processed", "Half and half"}
    assert {c.classname for c in cases.values()} == {"amigo.Mixed bag"}

    ok = cases["Greets customer"]
    assert ok.outcome == "passed"
    assert ok.properties[:9] == [
        ("amigo_set_id", MIXED),
        ("amigo_set", "Mixed bag"),
        ("amigo_unit_test_id", UNIT["Greets customer"]),
        ("amigo_outcome", "passed"),
        ("amigo_run_id", run.id),
        ("amigo_sessions_passed", "1"),
        ("amigo_sessions_valid", "1"),
        ("amigo_sessions_total", "1"),
        ("amigo_criterion[Completed]", "1/1"),
    ]

    refund = cases["Refund is processed"]
    assert refund.outcome == "failure"
    assert refund.message == "Empathy ✘ 0/1 — 0/1 sessions passed, needs 1/1"
    assert refund.prop("amigo_outcome") == "failed"
    assert refund.prop("amigo_criterion[Empathy]") == "0/1"
    assert refund.prop("amigo_criterion[Completed]") == "1/1"
    assert "session 1: 5, needs >= 7" in refund.text
    assert "The agent ignored the customer's frustration twice." in refund.text
    assert f"pytest --amigo-run={run.id}" in refund.text

    half = cases["Half and half"]
    assert half.outcome == "failure"
    assert half.message == "Completed ✔✘ 1/2 — 1/2 sessions passed, needs 2/2"
    assert half.prop("amigo_sessions_passed") == "1"
    assert half.prop("amigo_sessions_total") == "2"
    assert "The customer left before the refund was confirmed." in half.text


def test_failure_text_in_terminal(amigo: AmigoProject) -> None:
    out = amigo.run("--amigo-set", MIXED, "-k", "Refund")
    out.result.assert_outcomes(failed=1, deselected=2)
    [run] = out.runs
    out.result.stdout.fnmatch_lines(
        [
            f"*FAILED: Refund is processed — run {run.id} of set 'Mixed bag'",
            "*Empathy*>= 7*0/1 met",
            "*session 1: 5, needs >= 7",
            '*"The agent ignored the customer\'s frustration twice."',
            f"Report this run again: pytest --amigo-run={run.id}",
        ]
    )
    out.result.stdout.fnmatch_lines(
        ["FAILED amigo::Mixed bag::Refund is processed - Empathy ✘ 0/1*"]
    )
    out.result.stdout.fnmatch_lines(
        ["*Amigo simulation sets*", f"Mixed bag ({MIXED}): 0 passed, 1 failed, 0 errors*"]
    )


@pytest.mark.parametrize("family", ["xunit1", "xunit2"])
def test_session_error_is_a_setup_error(amigo: AmigoProject, family: str) -> None:
    always = ["-o", "amigo_junit_properties=always"] if family == "xunit2" else []
    out = amigo.run("--amigo-set", SET["Broken sessions"], "-o", f"junit_family={family}", *always)
    out.result.assert_outcomes(passed=1, errors=1)
    case = out.case("amigo.Broken sessions", "Session crashes")
    assert case.outcome == "error"
    assert case.message == (
        'failed on setup with "session 1 of 1 errored: The simulator stopped responding."'
    )
    assert case.prop("amigo_outcome") == "error"
    assert out.case("amigo.Broken sessions", "Greets customer").outcome == "passed"


def test_errored_run_is_an_error_naming_the_run(amigo: AmigoProject) -> None:
    out = amigo.run("--amigo-set", SET["Crashing backend"])
    out.result.assert_outcomes(errors=1)
    [run] = out.runs
    case = out.case("amigo.Crashing backend", "Greets customer")
    assert case.outcome == "error"
    assert run.id in case.text
    # the contract only exposes ``errored: true``, not the platform's message
    assert (
        case.message
        == 'failed on setup with "the run errored before this unit test produced a result"'
    )
    assert "The Amigo run itself errored" in case.text
    assert case.prop("amigo_run_id") == run.id
    assert "Crashing backend" in out.result.stdout.str()


def test_min_pass_rate_option(amigo: AmigoProject) -> None:
    out = amigo.run("--amigo-set", MIXED, "--amigo-min-pass-rate", "0.5", "-k", "Half")
    out.result.assert_outcomes(passed=1, deselected=2)
    assert out.case("amigo.Mixed bag", "Half and half").prop("amigo_outcome") == "passed"


def test_min_pass_rate_ini(amigo: AmigoProject) -> None:
    amigo.ini("amigo_min_pass_rate = 0.5\n")
    out = amigo.run("--amigo-set", MIXED, "-k", "Half")
    out.result.assert_outcomes(passed=1, deselected=2)


def test_min_pass_rate_above_the_observed_rate_still_fails(amigo: AmigoProject) -> None:
    amigo.ini("amigo_min_pass_rate = 0.75\n")
    out = amigo.run("--amigo-set", MIXED, "-k", "Half")
    out.result.assert_outcomes(failed=1, deselected=2)


def test_min_pass_rate_option_overrides_ini(amigo: AmigoProject) -> None:
    amigo.ini("amigo_min_pass_rate = 1\n")
    out = amigo.run("--amigo-set", MIXED, "-k", "Half", "--amigo-min-pass-rate=0.5")
    out.result.assert_outcomes(passed=1, deselected=2)


@pytest.mark.parametrize("rate", ["0", "1.5", "abc"])
def test_bad_min_pass_rate_is_a_usage_error(amigo: AmigoProject, rate: str) -> None:
    out = amigo.run("--amigo-set", MIXED, f"--amigo-min-pass-rate={rate}")
    assert out.result.ret not in (0, 1, 5)
    assert "Traceback" not in out.output
    assert out.runs == []


@pytest.mark.parametrize("key", ["Refund is processed", UNIT["Refund is processed"]])
def test_amigo_xfail_turns_failures_into_xfail(amigo: AmigoProject, key: str) -> None:
    amigo.ini(f"amigo_xfail =\n    {key}: empathy model is being retrained\n")
    out = amigo.run("--amigo-set", MIXED, "-rx")
    out.result.assert_outcomes(passed=1, failed=1, xfailed=1)
    out.result.stdout.fnmatch_lines(
        ["XFAIL amigo::Mixed bag::Refund is processed - empathy model is being retrained"]
    )
    assert out.case("amigo.Mixed bag", "Refund is processed").outcome == "skipped"


def test_amigo_xfail_on_a_passing_unit_test_is_xpass_not_failure(amigo: AmigoProject) -> None:
    amigo.ini("amigo_xfail =\n    Greets customer: flaky greeting\n")
    out = amigo.run("--amigo-set", SET["All green"], "--amigo-json=r.json")
    out.result.assert_outcomes(xpassed=1)
    assert out.result.ret == 0
    # the JSON report says it passed, not that it xfailed (an XPASS is no expected failure), and
    # that it was listed: reported xpassed, for the amigo_xfail reason (test_xpass_reports.py)
    [entry] = json.loads((amigo.pytester.path / "r.json").read_text())["sets"]
    [unit_test] = entry["unit_tests"]
    assert (unit_test["outcome"], unit_test["reported"]) == ("passed", "xpassed")
    assert unit_test["expected"] == "flaky greeting"


def test_amigo_xfail_does_not_hide_errors(amigo: AmigoProject) -> None:
    # "Broken sessions" has a unit test whose session errors: listed as known failure,
    # it must still be an error (only verdict failures are expected).
    amigo.ini("amigo_xfail =\n    Session crashes: crashes are expected\n")
    out = amigo.run("--amigo-set", SET["Broken sessions"])
    out.result.assert_outcomes(passed=1, errors=1)


def test_amigo_xfail_key_may_contain_colons(amigo: AmigoProject) -> None:
    # The unit test is named "Dup: name"; the reason follows the last matching colon.
    amigo.ini("amigo_xfail =\n    Dup: name: known duplicate trouble\n")
    out = amigo.run("--amigo-set", SET["Duplicates"], "-rX")
    out.result.assert_outcomes(passed=3, xpassed=1)
    assert "known duplicate trouble" in out.output
    assert "amigo_xfail entry matches no collected unit test" not in out.output


def test_unmatched_amigo_xfail_entry_warns(amigo: AmigoProject) -> None:
    amigo.ini("amigo_xfail =\n    No such unit test: typo\n")
    out = amigo.run("--amigo-set", SET["All green"])
    out.result.assert_outcomes(passed=1, warnings=1)
    assert "amigo_xfail entry matches no collected unit test: 'No such unit test: typo'" in (
        out.output
    )


def test_finished_run_is_reported_without_a_new_run(amigo: AmigoProject) -> None:
    run_id = amigo.start_run("Mixed bag")
    amigo.emu.advance(10_000)
    out = amigo.run(f"--amigo-run={run_id}")
    out.result.assert_outcomes(passed=1, failed=2)
    assert out.runs == []
    assert out.count(CREATE_RUN) == 0
    assert {c.prop("amigo_run_id") for c in out.cases} == {run_id}
    assert run_id in out.result.stdout.str()


def test_unknown_run_id_is_a_clear_error(amigo: AmigoProject) -> None:
    out = amigo.run("--amigo-run=ffffffffffffffffffffffff")
    assert out.result.ret not in (0, 5)
    assert "ffffffffffffffffffffffff" in out.output
    assert "not found" in out.output
    assert "Traceback" not in out.output
    assert out.runs == []


def test_artifacts_downloaded_and_attached(amigo: AmigoProject) -> None:
    target = amigo.pytester.path / "arts"
    out = amigo.run(
        "--amigo-set", MIXED, f"--amigo-artifacts-dir={target}", "-o", "junit_logging=system-out"
    )
    out.result.assert_outcomes(passed=1, failed=2)
    [run] = out.runs
    archive = target / f"run-{run.id}.zip"
    assert archive.is_file()
    assert zipfile.is_zipfile(archive)
    written = "arts/" + archive.name  # relative to the rootdir (amigo_attachment_paths)
    for case in out.cases:
        assert case.prop("amigo_artifacts") == written
        assert f"[[ATTACHMENT|{written}]]" in case.system_out, case.name
    assert f"artifacts: {archive}" in out.result.stdout.str()


def test_artifacts_none_disables_download(amigo: AmigoProject) -> None:
    out = amigo.run("--amigo-set", SET["All green"], "--amigo-artifacts-dir=none")
    out.result.assert_outcomes(passed=1)
    case = out.case("amigo.All green", "Greets customer")
    assert "amigo_artifacts" not in dict(case.properties)
    assert "[[ATTACHMENT|" not in out.output
    assert not (amigo.pytester.path / ".amigo-artifacts").exists()
    assert out.count("get-simulation-unit-test-set-run-artifacts") == 0


def test_no_secret_or_presigned_url_leaks(amigo: AmigoProject) -> None:
    out = amigo.run(
        "--amigo-set",
        MIXED,
        "--amigo-set",
        SET["Crashing backend"],
        "-rA",
        "-v",
        "-o",
        "junit_logging=all",
    )
    out.result.assert_outcomes(passed=1, failed=2, errors=1)
    presigned = [e["path"] for e in out.requests["log"] if e["path"].startswith("/_presigned/")]
    assert presigned, "the artifacts were downloaded through a presigned URL"
    everything = out.output + out.junit_text
    for secret in SECRETS:
        assert secret not in everything
    for path in presigned:
        assert path not in everything
        assert Path(path).stem not in everything
    assert not re.search(r"/_presigned/|[?&](sig|signature|expires)=", everything)


def test_amigo_run_of_a_running_run_waits_for_it(amigo: AmigoProject) -> None:
    run_id = amigo.start_run("Slow set")

    def polled(log: list[dict[str, object]]) -> bool:
        return any(e["operation_id"] == "get-simulation-unit-test-set-runs" for e in log)

    with amigo.finish_runs_once(polled):
        out = amigo.run(f"--amigo-run={run_id}", clear=False)
    out.result.assert_outcomes(passed=1)
    assert out.runs == []
    assert out.count(CREATE_RUN) == 0
    assert out.count(CANCEL_RUN) == 0
    assert out.case("amigo.Slow set", "Takes forever").prop("amigo_run_id") == run_id


def test_control_characters_in_a_set_name_never_reach_the_terminal_raw(
    amigo: AmigoProject,
) -> None:
    """Issue 18 case 6: pytest's section header of a failing item and the summary's set line."""
    name = "Evil \x1b[31mred\x1b[0m\nset"
    resp = amigo.admin.post(
        f"/v1/{amigo.emu.organization_id}/simulation/unit_test_set/",
        headers={"Authorization": f"Bearer {amigo.token()}"},
        json={
            "name": name,
            "description": "a name with control characters",
            "unit_test_runs": [{"unit_test_id": UNIT["Refund is processed"], "run_count": 1}],
            "tags": {},
        },
    )
    assert resp.status_code == 201, resp.text
    set_id = resp.json()["simulation_unit_test_set_id"]
    out = amigo.run("--amigo-set", set_id)
    out.result.assert_outcomes(failed=1)
    assert "\x1b" not in out.output
    assert "amigo: Evil \\x1b[31mred\\x1b[0m\\nset :: Refund is processed" in out.output
    assert "FAILED amigo::Evil \\x1b(31mred\\x1b(0m set::Refund is processed" in out.output
    assert f"Evil \\x1b[31mred\\x1b[0m\\nset ({set_id}): 0 passed, 1 failed" in out.output
