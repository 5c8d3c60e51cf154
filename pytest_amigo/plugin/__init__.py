"""The pytest side of pytest-amigo, and its entry point (this module): options, markers, and one
plugin object per process role. The only part that implements pytest's hooks; it may use every
other part.

- every process that runs items: the ``ItemRunner`` (start runs, wait, judge, report) and the
  ``Collection`` hooks (the Amigo tree, the amigo_set marker, marks and xfail);
- the main process only (never an xdist worker): the ``Controller`` (SIGTERM, interruption
  reports, cancellation, artifacts, summary, JUnit, clean-up) and, when pytest-xdist is
  installed, its ``XdistController`` hooks.

Importing this module costs nothing measurable: amigo-sdk and the emulator are imported only when
Amigo work starts.
"""

from __future__ import annotations

import pytest

from pytest_amigo.plugin import hooks, options
from pytest_amigo.plugin.cleanup import cleanup_main
from pytest_amigo.plugin.collect import Collection
from pytest_amigo.plugin.context import Context
from pytest_amigo.plugin.controller import Controller, XdistController
from pytest_amigo.plugin.fixtures import (
    RUNNER,
    amigo_emulator,
    amigo_emulator_factory,
    amigo_result,
    amigo_unit_test,
)
from pytest_amigo.plugin.runner import ItemRunner

__all__ = ["amigo_emulator", "amigo_emulator_factory", "amigo_result", "amigo_unit_test"]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | pytest.ExitCode | None:
    if config.option.amigo_cleanup:  # only the sweep of old temporaries, like --fixtures
        from _pytest.main import wrap_session

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
    ctx = Context(config)
    runner = ItemRunner(ctx)
    config.pluginmanager.register(runner, RUNNER)
    config.pluginmanager.register(Collection(ctx, runner), "amigo-collection")
    if ctx.is_worker:
        return
    controller = Controller(ctx)
    config.pluginmanager.register(controller, "amigo-controller")
    config.add_cleanup(controller.cleanup)
    if hasattr(config.hook, "pytest_configure_node"):  # pytest-xdist is installed and enabled
        config.pluginmanager.register(XdistController(ctx, controller), "amigo-xdist")
    if ctx.configured:
        controller.handle_sigterm()  # a cancelled CI job may come at any moment from now on
