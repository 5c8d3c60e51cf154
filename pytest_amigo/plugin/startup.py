"""When Amigo work starts in a process, and what starting it registers.

The entry point registers only a ``Startup`` (and the options, markers, fixtures and hookspecs):
a project that installs pytest-amigo and configures nothing imports none of the heavy modules
(collection, runner, controller, judging, reports, lifecycle). Work starts

- at ``pytest_configure`` when it is known by then: sets or runs named by options or ini,
  ``--amigo-plan``, ``--amigo-cleanup``, or the main process of an xdist session (its workers
  may meet ``amigo_set`` markers, and only it reports);
- else at the first test marked ``amigo_set`` met during collection (``pytest_generate_tests``).

Starting registers one plugin object per process role: the ``ItemRunner`` and the
``Collection`` hooks in every process that runs items; the ``Controller`` (and with pytest-xdist
its ``XdistController``) in the main process only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_amigo.plugin import options
from pytest_amigo.plugin.fixtures import RUNNER

if TYPE_CHECKING:
    from pytest_amigo.plugin.collect import Collection
    from pytest_amigo.settings import Settings

STARTUP = "amigo-startup"
MARKER = "amigo_set"


class Startup:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings: Settings = options.load(config)  # a bad option errors even when unused
        self.collection: Collection | None = None
        self._session: pytest.Session | None = None

    @property
    def is_worker(self) -> bool:
        return getattr(self.config, "workerinput", None) is not None

    def needed_now(self) -> bool:
        """Whether Amigo work is known at configuration (else a marker may start it later)."""
        s, opt = self.settings.selection, self.config.option
        if s.set_ids or s.ini_set_ids or s.run_ids or s.plan or opt.amigo_cleanup:
            return True
        return not self.is_worker and getattr(opt, "dist", "no") != "no"  # xdist's controller

    def start(self) -> Collection:
        """Register the plugin objects of this process (once); returns the collection hooks."""
        if self.collection is not None:
            return self.collection
        from pytest_amigo.plugin.collect import Collection
        from pytest_amigo.plugin.context import Context
        from pytest_amigo.plugin.controller import Controller, XdistController
        from pytest_amigo.plugin.runner import ItemRunner

        config = self.config
        ctx = Context(config, self.settings)
        runner = ItemRunner(ctx)
        config.pluginmanager.register(runner, RUNNER)
        self.collection = Collection(ctx, runner)
        config.pluginmanager.register(self.collection, "amigo-collection")
        if ctx.is_worker:
            return self.collection
        controller = Controller(ctx)
        config.pluginmanager.register(controller, "amigo-controller")
        config.add_cleanup(controller.cleanup)
        if hasattr(config.hook, "pytest_configure_node"):  # pytest-xdist is installed and enabled
            config.pluginmanager.register(XdistController(ctx, controller), "amigo-xdist")
        if ctx.configured:
            controller.handle_sigterm()  # a cancelled CI job may come at any moment from now on
        if self._session is not None:  # started during collection: what the controller missed
            controller.pytest_collection(self._session)
        return self.collection

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> None:
        self._session = session

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """The ``amigo_set`` marker (it needs no option): parametrize over the set's unit tests."""
        if metafunc.definition.get_closest_marker(MARKER) is not None:
            self.start().parametrize(metafunc)
