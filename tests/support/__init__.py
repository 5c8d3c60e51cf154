"""Helpers of pytest-amigo's own tests, imported explicitly (``from support.plugin import ...``).

``tests/`` is on ``sys.path`` through ``pythonpath`` in ``[tool.pytest.ini_options]``, so these
modules import the same way from the repository root, under xdist and for a single test file.
conftest.py files hold fixtures only; everything else a test needs lives here.
"""
