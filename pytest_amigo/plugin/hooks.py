"""The plugin's own hooks: implement them in a ``conftest.py`` or a plugin to send the results
somewhere else (a dashboard, a chat) without forking pytest-amigo.

Both are called in the process that reports: the single process, or the xdist controller (never
a worker), and only in a session that reported at least one Amigo unit test. An exception raised
by an implementation does not lose a result: pytest-amigo prints it (``pytest-amigo: hook ...
failed``) and goes on; the JSON, HTML and JUnit reports and the terminal summary are unchanged.
"""

from __future__ import annotations

import sys
import traceback
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the entry point imports this module: nothing heavy at start-up
    from pytest_amigo.reports.document import Report, UnitTestEntry

UNIT_TEST_HOOK = "pytest_amigo_unit_test_result"
REPORT_HOOK = "pytest_amigo_report"


@pytest.hookspec
def pytest_amigo_unit_test_result(config: pytest.Config, nodeid: str, entry: UnitTestEntry) -> None:
    """A unit test's result, once per Amigo item (or ``amigo_set``-marked test) reported.

    ``nodeid`` is the item's node id; ``entry`` (``reports.document.UnitTestEntry``, frozen) holds
    ``set_id``, ``set_name`` and ``unit_test``: the unit test as the JSON report holds it, typed
    (``outcome``: passed, failed, error, inconclusive, xfailed...; ``id``, ``name``, ``run_id``,
    ``sessions``, ``criteria``, ``explanation``...; ``entry.to_json()`` gives the JSON).
    Called when the item's last report (its teardown) is logged, with the outcome as reported
    (an expected failure listed in ``amigo_xfail`` is ``xfailed``); after an interruption, for
    every item not reported yet, with what was in.
    """


@pytest.hookspec
def pytest_amigo_report(config: pytest.Config, report: Report) -> None:
    """The session's report document, once, when the session ends (also after Ctrl-C or
    SIGTERM, with what was in): the typed document (``reports.document.Report``, frozen;
    ``report.to_json()`` is what ``--amigo-json`` writes, ``report.schema.json``), built whether or
    not a report file was asked for."""


def implemented(config: pytest.Config, name: str) -> bool:
    """Whether a conftest or plugin implements the hook ``name``: its value is built only then."""
    return bool(getattr(config.hook, name).get_hookimpls())


def notify(config: pytest.Config, name: str, **kwargs: Any) -> None:
    """Call one of these hooks; an implementation that raises is reported, never fatal: the
    results it was given are in the reports and the summary all the same."""
    try:
        getattr(config.hook, name)(config=config, **kwargs)
    except Exception as exc:
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        sys.stderr.write(
            f"pytest-amigo: hook {name} failed{where}: {type(exc).__name__}: {exc} "
            "(the results are kept: reports and summary are unchanged)\n"
        )
