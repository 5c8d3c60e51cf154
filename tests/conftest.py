"""Shared by every test: what the pytest sessions the tests start (pytester, the scale harness)
load."""

from __future__ import annotations

import pytest

INNER_ADDOPTS = "-p no:schemathesis -p no:hypothesispytest -p no:anyio"
"""Plugins of this repository's dev dependencies that no inner pytest session uses. Autoloaded,
schemathesis imports hypothesis: ~2.5 s of start-up in every inner pytest process and xdist
worker (0.7 s instead of 3.3 s for an empty session on a loaded 2-core machine)."""


@pytest.fixture(autouse=True)
def _inner_sessions_load_only_what_they_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replaces the calling shell's PYTEST_ADDOPTS too: it must not reach inner sessions."""
    monkeypatch.setenv("PYTEST_ADDOPTS", INNER_ADDOPTS)


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytest's ``pytester``, whose set-up drops PYTEST_ADDOPTS: set again for its sessions."""
    monkeypatch.setenv("PYTEST_ADDOPTS", INNER_ADDOPTS)
    return pytester
