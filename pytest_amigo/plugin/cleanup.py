"""``pytest --amigo-cleanup``: only sweep this user's old pytest-amigo temporaries, then exit.

Like ``--fixtures``, it replaces the test run: pytest configures the plugin, the sweep runs
(``lifecycle.sweep``: sets before the unit tests they use, never another user's, never one newer
than ``amigo_cleanup_after``, never one an unfinished run uses) and prints one line per
temporary deleted or kept. Exit status 0 when nothing was left that should go, 1 when some
could not be deleted, 4 when the sweep could not run (configuration, permissions).
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_amigo.errors import DefinitionError
from pytest_amigo.plugin.fixtures import RUNNER


def cleanup_main(config: pytest.Config, session: pytest.Session) -> int:
    runner: Any = config.pluginmanager.get_plugin(RUNNER)
    reporter: Any = config.pluginmanager.get_plugin("terminalreporter")
    after = config.getini("amigo_cleanup_after")
    reporter.write_sep("=", f"Amigo clean-up (--amigo-cleanup: temporaries older than {after})")
    try:
        lines = runner.ctx.coordinator.sweep()
    except DefinitionError as exc:
        reporter.write_line(f"ERROR: --amigo-cleanup: {exc}", red=True)
        return int(pytest.ExitCode.USAGE_ERROR)
    for line in lines:
        reporter.write_line(line, red=not line.startswith(("deleted", "kept")))
    if not lines:
        reporter.write_line("nothing to delete")
    failed = any(not line.startswith(("deleted", "kept")) for line in lines)
    return int(pytest.ExitCode.TESTS_FAILED if failed else pytest.ExitCode.OK)
