"""The pytest side of pytest-amigo, and its entry point (this module): options, markers, the
fixtures, the hookspecs and, once Amigo work starts (``startup.py``), one plugin object per process
role. The only part that implements pytest's hooks; it may use every other part.

- every process that runs items: the ``ItemRunner`` (start runs, wait, judge, report) and the
  ``Collection`` hooks (the Amigo tree, the amigo_set marker, marks and xfail);
- the main process only (never an xdist worker): the ``Controller`` (SIGTERM, interruption
  reports, cancellation, artifacts, summary, JUnit, clean-up) and, when pytest-xdist is
  installed, its ``XdistController`` hooks.

Importing this module imports only what the options, the markers, the fixtures and the hookspecs
need (``tests/unit/test_import_cost.py``): the plugin objects, judging, the reports, amigo-sdk and
the emulator are imported when Amigo work starts (``startup.py``).
"""

from __future__ import annotations

import pytest

from pytest_amigo.plugin import fixtures, hooks, options
from pytest_amigo.plugin.startup import STARTUP, Startup

FIXTURES = "amigo-fixtures"


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | pytest.ExitCode | None:
    if config.option.amigo_cleanup:  # only the sweep of old temporaries, like --fixtures
        from _pytest.main import wrap_session

        from pytest_amigo.plugin.cleanup import cleanup_main

        if hasattr(config.option, "dist"):  # in this process: no xdist workers to start
            config.option.dist, config.option.numprocesses = "no", None
        return wrap_session(config, cleanup_main)
    if config.option.amigo_plan:  # collect only (and in one process): print the plan, run nothing
        config.option.collectonly = True
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "amigo: an Amigo simulation unit test (added by pytest-amigo)"
    )
    config.addinivalue_line(
        "markers",
        "amigo_set(set_id, min_pass_rate=None, enforce_verdict=True): parametrize the test over "
        "the unit tests of an Amigo unit test set; request the amigo_result fixture.",
    )
    # The fixtures (amigo_result, amigo_unit_test, amigo_emulator, amigo_emulator_factory) are a
    # plugin of their own: as names of this package they would be replaced by the submodule of
    # the same name (``amigo_result``) as soon as Amigo work imports it.
    if not config.pluginmanager.is_registered(fixtures):
        config.pluginmanager.register(fixtures, FIXTURES)
    startup = Startup(config)
    config.pluginmanager.register(startup, STARTUP)
    if startup.needed_now():
        startup.start()
