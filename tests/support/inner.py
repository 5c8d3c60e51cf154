"""What the pytest sessions the tests start load (tests/conftest.py sets it for every test)."""

INNER_ADDOPTS = "-p no:schemathesis -p no:hypothesispytest -p no:anyio"
"""Plugins of this repository's dev dependencies that no inner pytest session uses. Autoloaded,
schemathesis imports hypothesis: ~2.5 s of start-up in every inner pytest process and xdist
worker (0.7 s instead of 3.3 s for an empty session on a loaded 2-core machine)."""
