"""Run control: conflicts (HTTP 409), --amigo-timeout, -x, permissions, xdist, pytest-timeout."""

from __future__ import annotations

import os
from typing import Any

import pytest

from support.plugin import CANCEL_RUN, CREATE_RUN, SET, UNIT, AmigoProject

LIST_RUNS = "get-simulation-unit-test-set-runs"

MEDIUM = SET["Medium set"]  # one session of 360 world seconds: about 3 s of real time
SLOW = SET["Slow set"]  # never finishes on its own


def conflict_seen(log: list[dict[str, Any]]) -> bool:
    """The create was refused (409) and the plugin looked its unfinished run up since."""
    ops = [(e["operation_id"], e["status"]) for e in log]
    if (CREATE_RUN, 409) not in ops:
        return False
    return LIST_RUNS in [op for op, _ in ops[ops.index((CREATE_RUN, 409)) :]]


def new_run_after_cancel(log: list[dict[str, Any]]) -> bool:
    ops = [(e["operation_id"], e["status"]) for e in log]
    return (CANCEL_RUN, 204) in ops and ops[ops.index((CANCEL_RUN, 204)) :].count(
        (CREATE_RUN, 201)
    ) == 1


def test_conflict_default_attaches_to_the_unfinished_run(amigo: AmigoProject) -> None:
    existing = amigo.start_run("Slow set")
    with amigo.finish_runs_once(conflict_seen):
        out = amigo.run("--amigo-set", SLOW, "-rA", clear=False)
    out.result.assert_outcomes(passed=1)
    assert out.runs == []
    assert out.count(CREATE_RUN) == 1  # answered 409
    assert out.requests["status_counts"].get("409") == 1
    assert out.count(CANCEL_RUN) == 0
    assert out.case("amigo.Slow set", "Takes forever").prop("amigo_run_id") == existing
    assert f"attached to your unfinished run {existing}" in out.output


def test_conflict_attach_failure_mentions_the_attached_run(amigo: AmigoProject) -> None:
    existing = amigo.start_run("Slow failing set")
    with amigo.finish_runs_once(conflict_seen):
        out = amigo.run("--amigo-set", SET["Slow failing set"], clear=False)
    out.result.assert_outcomes(failed=1)
    case = out.case("amigo.Slow failing set", "Slow refund")
    assert case.prop("amigo_run_id") == existing
    assert f"attached to your unfinished run {existing}" in case.text
    assert "The agent was curt." in case.text
    assert out.runs == []


def test_conflict_attach_uses_the_user_from_a_dotenv_file(amigo: AmigoProject) -> None:
    # Credentials only in .env (no AMIGO_USER_ID in the environment): the run to attach to
    # must still be the caller's own, found with the creator filter.
    existing = amigo.start_run("Slow set")
    other = amigo.start_run("Slow set", user_id="no-reader")
    assert other != existing
    env = amigo.emu.env("ci-bot")
    for key in env:
        amigo.mp.delenv(key, raising=False)
    amigo.pytester.path.joinpath(".env").write_text(
        "".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8"
    )
    assert "AMIGO_USER_ID" not in os.environ
    out = amigo.run("--amigo-set", SET["Slow set"], "--amigo-timeout=2", "--amigo-keep-running")
    assert out.count(CREATE_RUN) == 1  # the 409
    assert f"attached to your unfinished run {existing}" in out.output
    assert other not in out.output


def test_conflict_fail_neither_starts_nor_cancels(amigo: AmigoProject) -> None:
    amigo.start_run("Slow set")
    out = amigo.run("--amigo-set", SLOW, "--amigo-on-conflict=fail", "--amigo-timeout=3")
    assert out.runs == []
    assert out.count(CREATE_RUN) == 1
    assert out.count(CANCEL_RUN) == 0


def test_conflict_fail_errors(amigo: AmigoProject) -> None:
    existing = amigo.start_run("Slow set")
    out = amigo.run("--amigo-set", SLOW, "--amigo-on-conflict=fail", "--amigo-timeout=3")
    out.result.assert_outcomes(errors=1)
    assert out.runs == []
    assert out.count(CANCEL_RUN) == 0
    case = out.case("amigo.Slow set", "Takes forever")
    assert case.outcome == "error"
    assert "you already have an unfinished run" in case.text
    assert existing in case.text
    assert "--amigo-on-conflict=cancel" in case.text


def test_conflict_fail_from_ini(amigo: AmigoProject) -> None:
    amigo.start_run("Slow set")
    amigo.ini("amigo_on_conflict = fail\n")
    out = amigo.run("--amigo-set", SLOW, "--amigo-timeout=3")
    out.result.assert_outcomes(errors=1)
    assert out.runs == []
    assert "you already have an unfinished run" in out.output


def test_conflict_cancel_starts_a_new_run(amigo: AmigoProject) -> None:
    existing = amigo.start_run("Slow set")
    with amigo.finish_runs_once(new_run_after_cancel):
        out = amigo.run("--amigo-set", SLOW, "--amigo-on-conflict=cancel", clear=False)
    out.result.assert_outcomes(passed=1)
    [new] = out.runs
    assert new.set_id == SLOW
    assert new.id != existing
    assert amigo.emu.store.runs[existing].cancelled_at is not None
    assert out.count(CANCEL_RUN) == 1
    cancel = [e for e in out.requests["log"] if e["method"] == "DELETE"]
    assert [e["path"].rstrip("/").rsplit("/", 1)[-1] for e in cancel] == [existing]
    assert out.case("amigo.Slow set", "Takes forever").prop("amigo_run_id") == new.id


def test_amigo_timeout_errors_and_cancels_the_run(amigo: AmigoProject) -> None:
    out = amigo.run("--amigo-set", SET["Slow set"], "--amigo-timeout=1")
    out.result.assert_outcomes(errors=1)
    [run] = out.runs
    assert run.cancelled_at is not None
    assert out.count(CANCEL_RUN) == 1
    [cancel] = [e for e in out.requests["log"] if e["method"] == "DELETE"]
    assert run.id in cancel["path"]
    assert cancel["status"] == 204
    case = out.case("amigo.Slow set", "Takes forever")
    assert case.outcome == "error"
    assert (case.message or "").startswith(
        f'failed on setup with "no result after 1 s (--amigo-timeout): run {run.id} still running'
    )
    assert "this session cancelled the run" in case.text
    assert out.result.duration < 30
    out.result.stdout.fnmatch_lines([f"cancelled run {run.id} (started by this session)"])


def test_amigo_timeout_error_names_the_timeout(amigo: AmigoProject) -> None:
    out = amigo.run("--amigo-set", SET["Slow set"], "--amigo-timeout=1")
    out.result.assert_outcomes(errors=1)
    case = out.case("amigo.Slow set", "Takes forever")
    assert "--amigo-timeout" in case.text
    assert "may still finish" not in case.text


def test_amigo_timeout_with_keep_running_leaves_the_run(amigo: AmigoProject) -> None:
    out = amigo.run("--amigo-set", SET["Slow set"], "--amigo-timeout=1", "--amigo-keep-running")
    out.result.assert_outcomes(errors=1)
    [run] = out.runs
    assert out.count(CANCEL_RUN) == 0
    assert run.cancelled_at is None
    assert f"--amigo-run={run.id}" in out.output


def test_exit_first_cancels_runs_it_no_longer_needs(amigo: AmigoProject) -> None:
    out = amigo.run("--amigo-set", SET["Mixed bag"], "--amigo-set", SET["Slow set"], "-x")
    assert out.result.ret == 1
    slow = [r for r in out.runs if r.set_id == SET["Slow set"]]
    assert slow and slow[0].cancelled_at is not None
    out.result.stdout.fnmatch_lines([f"cancelled run {slow[0].id} (started by this session)"])


def test_missing_run_permission_is_an_error_naming_it(amigo: AmigoProject) -> None:
    amigo.use_user("no-runner")
    out = amigo.run("--amigo-set", SET["All green"])
    assert out.result.ret == 1
    out.result.assert_outcomes(errors=1)
    case = out.case("amigo.All green", "Greets customer")
    assert "Simulation:CreateSimulationUnitTestSetRun" in case.text
    assert "Simulation:CreateSimulationUnitTestSetRun" in (case.message or "")
    assert out.runs == []


def test_missing_read_permission_still_collects_items(amigo: AmigoProject) -> None:
    amigo.use_user("no-reader")
    out = amigo.run("--amigo-set", SET["Mixed bag"], "--collect-only", "-q")
    assert out.result.ret == 0
    assert "no tests" not in out.output
    assert out.result.stdout.lines[:3] == [
        f"amigo::Mixed bag::{UNIT[name]}"
        for name in ("Greets customer", "Refund is processed", "Half and half")
    ]


def test_missing_read_permission_does_not_pass_failing_unit_tests(amigo: AmigoProject) -> None:
    amigo.use_user("no-reader")
    out = amigo.run("--amigo-set", SET["Mixed bag"])
    assert out.result.ret != 0
    assert "Simulation:GetSimulationUnitTest" in out.output
    out.result.assert_outcomes(passed=0, errors=3)


SETS_FOR_XDIST = ["Mixed bag", "Broken sessions", "All green", "Duplicates"]


def outcomes_by_case(out: object) -> dict[tuple[str, str], tuple[str, str | None, str]]:
    return {
        (c.classname, c.name): (c.outcome, c.message, c.prop("amigo_outcome"))
        for c in out.cases  # type: ignore[attr-defined]
    }


def test_xdist_same_outcomes_and_one_run_per_set(amigo: AmigoProject) -> None:
    args = [a for name in SETS_FOR_XDIST for a in ("--amigo-set", SET[name])]
    serial = amigo.run(*args, "-n", "0")
    amigo.emu.advance(10_000_000)
    parallel = amigo.run(*args, "-n", "2")
    serial.result.assert_outcomes(passed=7, failed=2, errors=1)
    parallel.result.assert_outcomes(passed=7, failed=2, errors=1)
    assert outcomes_by_case(parallel) == outcomes_by_case(serial)
    expected_sets = sorted(SET[name] for name in SETS_FOR_XDIST)
    assert parallel.created_sets() == expected_sets
    assert parallel.count(CREATE_RUN) == len(SETS_FOR_XDIST)
    assert "Amigo simulation sets" in parallel.result.stdout.str()


def test_xdist_with_a_deselected_set(amigo: AmigoProject) -> None:
    out = amigo.run(
        "--amigo-set", SET["All green"], "--amigo-set", SET["Broken sessions"], "-k",
        "not Broken", "-n", "2",
    )  # fmt: skip
    out.result.assert_outcomes(passed=1)  # xdist does not report deselected items
    assert [c.name for c in out.cases] == ["Greets customer"]
    assert out.created_sets() == [SET["All green"]]


def test_pytest_timeout_does_not_kill_amigo_items(amigo: AmigoProject) -> None:
    amigo.pytester.makepyfile(
        test_sleepy="""
        import time

        def test_sleepy():
            time.sleep(3)
        """
    )
    out = amigo.run("--timeout=1", "--amigo-set", MEDIUM, "-v")
    out.result.assert_outcomes(passed=1, failed=1)
    out.result.stdout.fnmatch_lines(["amigo::Medium set::Takes a while PASSED*"])
    out.result.stdout.fnmatch_lines(["*test_sleepy.py::test_sleepy FAILED*"])


@pytest.mark.parametrize("value", ["-1", "0"])
def test_bad_amigo_timeout_is_a_usage_error(amigo: AmigoProject, value: str) -> None:
    out = amigo.run("--amigo-set", MEDIUM, f"--amigo-timeout={value}")
    assert out.result.ret == 4
    assert "--amigo-timeout must be positive" in out.output
    assert out.runs == []
