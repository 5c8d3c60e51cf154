"""settings.load: every option and ini key, defaults, option over ini, bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_amigo.plugin import options as settings
from pytest_amigo.settings import (
    Artifacts,
    Evidence,
    Polling,
    PollInterval,
    Runs,
    Selection,
    Settings,
)

DEFAULT_TIMEOUT = Runs().timeout

SET_A = "66aa00000000000000000001"
SET_B = "66aa00000000000000000002"


def load(pytester: pytest.Pytester, *args: str, ini: str = "") -> Settings:
    """Settings of a config parsed in-process from ``args`` and a pytest.ini with ``ini``."""
    pytester.makeini("[pytest]\n" + ini)
    config = pytester.parseconfig(*args)
    return settings.load(config)


def usage_error(pytester: pytest.Pytester, *args: str, ini: str = "") -> str:
    with pytest.raises(pytest.UsageError) as raised:
        load(pytester, *args, ini=ini)
    return str(raised.value)


def test_defaults(pytester: pytest.Pytester) -> None:
    s = load(pytester)
    assert s == Settings(
        selection=Selection(set_ids=(), ini_set_ids=(), run_ids=(), xfail_lines=()),
        runs=Runs(on_conflict="attach", timeout=DEFAULT_TIMEOUT, keep_running=False),
        evidence=Evidence(min_pass_rate=None, min_valid_sessions=0.5, pass_k=4),
        artifacts=Artifacts(dir=pytester.path / ".amigo-artifacts", wait=60.0),
        polling=Polling(interval=PollInterval(2.0, 30.0), progress_interval=30.0),
    )
    assert DEFAULT_TIMEOUT == 3600.0


# -- sets and runs --------------------------------------------------------------------------------


def test_sets_from_options_and_ini_stay_apart(pytester: pytest.Pytester) -> None:
    s = load(
        pytester,
        f"--amigo-set={SET_A}",
        "--amigo-set",
        f" {SET_B} ",
        "--amigo-set= ",
        ini=f"amigo_sets =\n    {SET_B}\n\n    {SET_A}\n",
    )
    assert s.selection.set_ids == (SET_A, SET_B)  # stripped, empty ones dropped, in order
    assert s.selection.ini_set_ids == (SET_B, SET_A)


def test_run_ids_from_options(pytester: pytest.Pytester) -> None:
    s = load(pytester, "--amigo-run", "r1", "--amigo-run= r2 ", "--amigo-run=")
    assert s.selection.run_ids == ("r1", "r2")


# -- on conflict ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["attach", "cancel", "fail"])
def test_on_conflict_from_option_and_ini(pytester: pytest.Pytester, value: str) -> None:
    assert load(pytester, f"--amigo-on-conflict={value}").runs.on_conflict == value
    assert load(pytester, ini=f"amigo_on_conflict = {value}\n").runs.on_conflict == value


def test_on_conflict_option_overrides_ini(pytester: pytest.Pytester) -> None:
    s = load(pytester, "--amigo-on-conflict=cancel", ini="amigo_on_conflict = fail\n")
    assert s.runs.on_conflict == "cancel"


def test_bad_on_conflict_is_a_usage_error(pytester: pytest.Pytester) -> None:
    message = usage_error(pytester, ini="amigo_on_conflict = ignore\n")
    assert message == "amigo_on_conflict must be attach, cancel or fail, got 'ignore'"
    message = usage_error(pytester, "--amigo-on-conflict=ignore")
    assert "--amigo-on-conflict" in message and "invalid choice: 'ignore'" in message


# -- minimum pass rate ----------------------------------------------------------------------------


def test_min_pass_rate_from_option_and_ini(pytester: pytest.Pytester) -> None:
    assert load(pytester, "--amigo-min-pass-rate=0.8").evidence.min_pass_rate == 0.8
    assert load(pytester, ini="amigo_min_pass_rate = 0.6\n").evidence.min_pass_rate == 0.6
    assert load(pytester, ini="amigo_min_pass_rate = 1\n").evidence.min_pass_rate == 1.0
    assert load(pytester, ini="amigo_min_pass_rate =\n").evidence.min_pass_rate is None


def test_min_pass_rate_option_overrides_ini(pytester: pytest.Pytester) -> None:
    s = load(pytester, "--amigo-min-pass-rate=0.9", ini="amigo_min_pass_rate = 0.5\n")
    assert s.evidence.min_pass_rate == 0.9


@pytest.mark.parametrize("rate", ["0", "-0.5", "1.01"])
def test_min_pass_rate_out_of_range_is_a_usage_error(pytester: pytest.Pytester, rate: str) -> None:
    """The message names the setting as given (issue 24): the option, else the ini key."""
    expected = f"(the minimum pass rate) must be in (0, 1], got {float(rate):g}"
    message = usage_error(pytester, f"--amigo-min-pass-rate={rate}")
    assert message == f"--amigo-min-pass-rate {expected}"
    message = usage_error(pytester, ini=f"amigo_min_pass_rate = {rate}\n")
    assert message == f"ini amigo_min_pass_rate {expected}"


def test_min_pass_rate_not_a_number_is_a_usage_error(pytester: pytest.Pytester) -> None:
    message = usage_error(pytester, ini="amigo_min_pass_rate = most\n")
    assert message == "ini amigo_min_pass_rate must be a number, got 'most'"
    message = usage_error(pytester, "--amigo-min-pass-rate=most")
    assert "--amigo-min-pass-rate" in message and "'most'" in message


# -- timeout and keep running ---------------------------------------------------------------------


def test_timeout_from_option_and_ini(pytester: pytest.Pytester) -> None:
    assert load(pytester, "--amigo-timeout=90").runs.timeout == 90.0
    assert load(pytester, ini="amigo_timeout = 120.5\n").runs.timeout == 120.5
    assert load(pytester, ini="amigo_timeout =\n").runs.timeout == DEFAULT_TIMEOUT


def test_timeout_option_overrides_ini(pytester: pytest.Pytester) -> None:
    assert load(pytester, "--amigo-timeout=5", ini="amigo_timeout = 600\n").runs.timeout == 5.0


@pytest.mark.parametrize("value", ["0", "-1"])
def test_timeout_not_positive_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    expected = f"--amigo-timeout must be positive, got {float(value):g}"
    assert usage_error(pytester, f"--amigo-timeout={value}") == expected
    assert usage_error(pytester, ini=f"amigo_timeout = {value}\n") == expected


def test_timeout_not_a_number_is_a_usage_error(pytester: pytest.Pytester) -> None:
    message = usage_error(pytester, ini="amigo_timeout = 1h\n")
    assert message == "ini amigo_timeout must be a number, got '1h'"
    message = usage_error(pytester, "--amigo-timeout=1h")
    assert "--amigo-timeout" in message and "'1h'" in message


def test_keep_running_from_option_or_ini(pytester: pytest.Pytester) -> None:
    assert load(pytester, "--amigo-keep-running").runs.keep_running is True
    assert load(pytester, ini="amigo_keep_running = true\n").runs.keep_running is True
    assert load(pytester, ini="amigo_keep_running = false\n").runs.keep_running is False
    assert load(
        pytester, "--amigo-keep-running", ini="amigo_keep_running = false\n"
    ).runs.keep_running


# -- artifacts ------------------------------------------------------------------------------------


def test_artifacts_dir_relative_to_the_rootdir(pytester: pytest.Pytester) -> None:
    s = load(pytester, ini="amigo_artifacts_dir = reports/artifacts\n")
    assert s.artifacts.dir == pytester.path / "reports" / "artifacts"
    s = load(pytester, "--amigo-artifacts-dir=out")
    assert s.artifacts.dir == pytester.path / "out"


def test_artifacts_dir_absolute_is_kept(pytester: pytest.Pytester, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    assert load(pytester, f"--amigo-artifacts-dir={target}").artifacts.dir == target
    assert load(pytester, ini=f"amigo_artifacts_dir = {target}\n").artifacts.dir == target


@pytest.mark.parametrize("value", ["none", "None", "NONE", " none "])
def test_artifacts_dir_none_disables_downloads(pytester: pytest.Pytester, value: str) -> None:
    assert load(pytester, f"--amigo-artifacts-dir={value}").artifacts.dir is None
    assert load(pytester, ini=f"amigo_artifacts_dir = {value}\n").artifacts.dir is None


def test_artifacts_dir_option_overrides_ini(pytester: pytest.Pytester) -> None:
    s = load(pytester, "--amigo-artifacts-dir=cli", ini="amigo_artifacts_dir = none\n")
    assert s.artifacts.dir == pytester.path / "cli"
    s = load(pytester, "--amigo-artifacts-dir=none", ini="amigo_artifacts_dir = ini\n")
    assert s.artifacts.dir is None


def test_artifacts_dir_empty_is_the_default(pytester: pytest.Pytester) -> None:
    default = pytester.path / ".amigo-artifacts"
    assert load(pytester, ini="amigo_artifacts_dir =\n").artifacts.dir == default
    # an empty option wins over the ini, as every option does: the setting's default
    s = load(pytester, "--amigo-artifacts-dir=", ini="amigo_artifacts_dir = ini\n")
    assert s.artifacts.dir == default


def test_artifacts_wait_from_ini(pytester: pytest.Pytester) -> None:
    assert load(pytester, ini="amigo_artifacts_wait = 7.5\n").artifacts.wait == 7.5
    assert load(pytester, ini="amigo_artifacts_wait = 0\n").artifacts.wait == 0.0
    assert load(pytester, ini="amigo_artifacts_wait =\n").artifacts.wait == 0.0


def test_artifacts_wait_not_a_number_is_a_usage_error(pytester: pytest.Pytester) -> None:
    message = usage_error(pytester, ini="amigo_artifacts_wait = long\n")
    assert message == "amigo_artifacts_wait must be a number, got 'long'"


# -- polling and progress -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5 60", (5.0, 60.0)),
        ("0.5", (0.5, 0.5)),  # one value: both
        ("0.01 1", (0.2, 1.0)),  # the minimum is at least 0.2 s
        ("10 3", (10.0, 10.0)),  # the maximum is at least the minimum
        ("1 2 8", (1.0, 8.0)),  # first and last
    ],
)
def test_poll_interval_from_ini(
    pytester: pytest.Pytester, value: str, expected: tuple[float, float]
) -> None:
    s = load(pytester, ini=f"amigo_poll_interval = {value}\n")
    assert s.polling.interval == expected


def test_poll_interval_empty_is_the_default(pytester: pytest.Pytester) -> None:
    s = load(pytester, ini="amigo_poll_interval =\n")
    assert s.polling.interval == (2.0, 30.0)


def test_poll_interval_not_numbers_is_a_usage_error(pytester: pytest.Pytester) -> None:
    message = usage_error(pytester, ini="amigo_poll_interval = fast slow\n")
    assert message == "amigo_poll_interval must be 'MIN MAX' seconds, got ['fast', 'slow']"


def test_progress_interval_from_option_and_ini(pytester: pytest.Pytester) -> None:
    assert load(pytester, "--amigo-progress-interval=5").polling.progress_interval == 5.0
    assert load(pytester, ini="amigo_progress_interval = 12\n").polling.progress_interval == 12.0
    assert load(pytester, ini="amigo_progress_interval =\n").polling.progress_interval == 30.0
    s = load(pytester, "--amigo-progress-interval=5", ini="amigo_progress_interval = 12\n")
    assert s.polling.progress_interval == 5.0


def test_progress_interval_not_a_number_is_a_usage_error(pytester: pytest.Pytester) -> None:
    message = usage_error(pytester, ini="amigo_progress_interval = often\n")
    assert message == "amigo_progress_interval must be a number, got 'often'"
    message = usage_error(pytester, "--amigo-progress-interval=often")
    assert "--amigo-progress-interval" in message and "'often'" in message


# -- known failures -------------------------------------------------------------------------------


def test_xfail_lines_from_ini(pytester: pytest.Pytester) -> None:
    s = load(
        pytester,
        ini="amigo_xfail =\n    Refund: model retrained\n\n    66aa00000000000000000009: flaky  \n",
    )
    assert s.selection.xfail_lines == ("Refund: model retrained", "66aa00000000000000000009: flaky")


# -- minimum valid sessions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3),
        ("1", 1),
        (" 12 ", 12),
        ("0.5", 0.5),
        ("1.0", 1.0),
        ("0.25", 0.25),
        ("50%", 0.5),
        ("100%", 1.0),
        ("12.5%", 0.125),
    ],
)
def test_min_valid_sessions_a_count_or_a_share(
    pytester: pytest.Pytester, value: str, expected: float
) -> None:
    s = load(pytester, ini=f"amigo_min_valid_sessions = {value}\n")
    assert s.evidence.min_valid_sessions == expected
    # a count stays an int, a share is a float: "1" (one session) is not "1.0" (all of them)
    assert type(s.evidence.min_valid_sessions) is type(expected)


@pytest.mark.parametrize("value", ["0", "0.0", "-1", "1.5", "0%", "150%", "-50%", "half", "%", ""])
def test_bad_min_valid_sessions_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    message = usage_error(pytester, ini=f"amigo_min_valid_sessions = {value}\n")
    assert message == (
        "amigo_min_valid_sessions must be a count of sessions (e.g. 3) or a share of the run "
        f"count in (0, 1] (e.g. 0.5 or 50%), got {value!r}"
    )


def test_pass_k_from_ini(pytester: pytest.Pytester) -> None:
    assert load(pytester, ini="amigo_pass_k = 8\n").evidence.pass_k == 8


@pytest.mark.parametrize("value", ["0", "-1", "two", "2.5", ""])
def test_bad_pass_k_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    message = usage_error(pytester, ini=f"amigo_pass_k = {value}\n")
    assert message == f"amigo_pass_k must be a whole number of sessions >= 1, got {value!r}"
