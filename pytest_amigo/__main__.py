"""``python -m pytest_amigo``: the ``pytest-amigo`` command (``reports/cli.py``)."""

from __future__ import annotations

from pytest_amigo.reports.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
