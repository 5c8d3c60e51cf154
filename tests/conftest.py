"""Shared by every test: what the pytest sessions the tests start (pytester, the scale harness)
load, and the order the tests run in."""

from __future__ import annotations

import httpcore  # noqa: F401  (see below)
import pytest

from support.inner import INNER_ADDOPTS

# httpx imports httpcore lazily and keeps a map of httpcore's exception classes; pytester takes
# out of sys.modules what a test imported, so an httpcore first imported during a pytester test
# came back as new classes the map did not know, and a later test in that worker saw raw
# httpcore errors instead of httpx's (test_download after test_collection, every time). Imported
# here, httpcore is in every snapshot pytester restores.


SHARD_VARIABLES = (
    "CI_NODE_TOTAL",
    "CI_NODE_INDEX",
    "BUILDKITE_PARALLEL_JOB_COUNT",
    "CIRCLE_NODE_TOTAL",
    "PYTEST_AMIGO_SHARD",
)


@pytest.fixture(autouse=True)
def _inner_sessions_load_only_what_they_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replaces the calling shell's PYTEST_ADDOPTS too: it must not reach inner sessions. Nor
    must a parallel CI job's variables (GitLab's CI_NODE_TOTAL...): they would make every inner
    session a shard, which never cancels its runs; the shard tests set them themselves."""
    monkeypatch.setenv("PYTEST_ADDOPTS", INNER_ADDOPTS)
    for name in SHARD_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytest's ``pytester``, whose set-up drops PYTEST_ADDOPTS: set again for its sessions."""
    monkeypatch.setenv("PYTEST_ADDOPTS", INNER_ADDOPTS)
    return pytester


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked ``slow`` run first, the longest first (``slow(seconds=N)``, else in file
    order): under xdist the first items are dealt out to the workers at once, so a test that
    waits minutes of real time (rate-limit windows, the benchmark) runs beside the rest instead
    of after it. The same order in every worker (xdist requires it); no test depends on it."""

    def first(item: pytest.Item) -> tuple[bool, float]:
        mark = item.get_closest_marker("slow")
        return mark is None, -float(mark.kwargs.get("seconds", 0)) if mark else 0.0

    items.sort(key=first)  # stable: file order otherwise
