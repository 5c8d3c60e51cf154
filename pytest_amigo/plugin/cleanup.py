"""``pytest --amigo-cleanup``: only sweep this user's old pytest-amigo temporaries, then exit.

Like ``--fixtures``, it replaces the test run: pytest configures the plugin, the sweep runs
(``lifecycle.sweep``: sets before the unit tests they use, never another user's, never one newer
than ``amigo_cleanup_after``, never one an unfinished run uses) and prints one line per
temporary deleted or kept, then what it kept and why (too recent, used by an unfinished run or
by a remaining set). Exit status 0 when nothing was left that should go, 1 when some could not be
deleted, 4 when the sweep could not run (configuration, or the API could not be reached or
refused to list the temporaries: one line saying what failed and what to check).
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_amigo.errors import DefinitionError
from pytest_amigo.lifecycle.sweep import BUSY, USED, YOUNG, SweepReport
from pytest_amigo.plugin.fixtures import RUNNER

ADVISED = (401, 403, 404, 429, 503)  # the statuses lifecycle.failures.describe advises on
CREDENTIALS = "AMIGO_API_KEY, AMIGO_API_KEY_ID, AMIGO_USER_ID, AMIGO_ORGANIZATION_ID"


def cleanup_main(config: pytest.Config, session: pytest.Session) -> int:
    runner: Any = config.pluginmanager.get_plugin(RUNNER)
    reporter: Any = config.pluginmanager.get_plugin("terminalreporter")
    after = config.getini("amigo_cleanup_after")
    reporter.write_sep("=", f"Amigo clean-up (--amigo-cleanup: temporaries older than {after})")
    try:
        report: SweepReport = runner.ctx.coordinator.sweep()
    except DefinitionError as exc:
        reporter.write_line(f"ERROR: --amigo-cleanup: {exc}", red=True)
        return int(pytest.ExitCode.USAGE_ERROR)
    for line in report.lines:
        reporter.write_line(line, red=line.startswith("left "))
    if report.stopped is not None:
        reporter.write_line(f"ERROR: --amigo-cleanup could not run: {stopped(report)}", red=True)
        return int(pytest.ExitCode.USAGE_ERROR)
    if not report.lines:
        reporter.write_line("nothing to delete")
    for line in kept_summary(report, after):
        reporter.write_line(line)
    return int(pytest.ExitCode.TESTS_FAILED if report.failed else pytest.ExitCode.OK)


def stopped(report: SweepReport) -> str:
    """Why the sweep stopped, and what to check when the API gave no advice of its own."""
    reason = str(report.stopped)
    status = getattr(report.stopped_by, "status_code", None)
    if status in ADVISED or "AMIGO_" in reason:
        return reason  # describe() or the sign-in already said what to do
    return f"{reason}; check AMIGO_BASE_URL and the network, then the credentials ({CREDENTIALS})"


def kept_summary(report: SweepReport, after: str) -> list[str]:
    """What the sweep kept and why, one line per reason, with how to delete the young ones."""
    young, busy, used = report.kept[YOUNG], report.kept[BUSY], report.kept[USED]
    lines = []
    if young:
        lines.append(
            f"{_count(young)} younger than {after} kept; "
            f"`-o amigo_cleanup_after=0` deletes {_them(young)}"
        )
    if busy:
        lines.append(f"{_count(busy)} kept: an unfinished run uses {_them(busy)}")
    if used:
        lines.append(f"{_count(used)} kept: a remaining unit test set uses {_them(used)}")
    return lines


def _count(n: int) -> str:
    return f"{n} temporar{'y' if n == 1 else 'ies'}"


def _them(n: int) -> str:
    return "it" if n == 1 else "them"
