"""Behaviour fixed after review: each test reproduces the scenario that went wrong."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import CREATE_RUN, SET, AmigoProject


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


def test_strict_markers_without_pytest_timeout(amigo: AmigoProject) -> None:
    amigo.pytester.makepyfile(test_plain="def test_ok():\n    pass\n")
    plain = amigo.run("-p", "no:timeout", "--strict-markers", "test_plain.py")
    plain.result.assert_outcomes(passed=1)
    with_sets = amigo.run("-p", "no:timeout", "--strict-markers", "--amigo-set", SET["All green"])
    with_sets.result.assert_outcomes(passed=2)


def test_collection_errors_start_no_run(amigo: AmigoProject) -> None:
    amigo.pytester.makepyfile(test_broken="import no_such_module\n")
    out = amigo.run("--amigo-set", SET["All green"])
    assert out.result.ret == 2
    assert "Interrupted: 1 error during collection" in out.output
    assert out.count(CREATE_RUN) == 0


def test_plugin_without_sets_leaves_no_trace(amigo: AmigoProject, tmp_path: Path) -> None:
    # A private TMPDIR: other tests running in parallel create state directories of their own.
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    amigo.mp.setenv("TMPDIR", str(private_tmp))
    amigo.pytester.makepyfile(
        test_plain="import signal\n\n"
        "def test_sigterm_untouched():\n"
        "    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL\n"
    )
    out = amigo.run("test_plain.py")
    out.result.assert_outcomes(passed=1)
    assert out.requests["total"] == 0
    assert list(private_tmp.glob("pytest-amigo-*")) == []
    # With a set, its state directory is removed at the end: nothing is left behind either.
    with_set = amigo.run("--amigo-set", SET["All green"], "-m", "amigo")
    with_set.result.assert_outcomes(passed=1, deselected=1)
    assert list(private_tmp.glob("pytest-amigo-*")) == []


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


def test_exit_first_cancels_runs_it_no_longer_needs(amigo: AmigoProject) -> None:
    out = amigo.run("--amigo-set", SET["Mixed bag"], "--amigo-set", SET["Slow set"], "-x")
    assert out.result.ret == 1
    slow = [r for r in out.runs if r.set_id == SET["Slow set"]]
    assert slow and slow[0].cancelled_at is not None
    out.result.stdout.fnmatch_lines([f"cancelled run {slow[0].id} (started by this session)"])
