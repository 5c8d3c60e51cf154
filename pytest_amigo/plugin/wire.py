"""What an Amigo item's test report carries to the process that reports it: plain builtins set
as attributes of the ``pytest.TestReport`` (they cross pytest-xdist's channel as they are).

``amigo``: the unit test's JSON entry (``AmigoResult.to_json``); ``amigo_gate``: a set gate's
counts. Only this module names the attributes: everyone else reads and writes them through it.
"""

from __future__ import annotations

from typing import Any

import pytest

ENTRY = "amigo"
GATE = "amigo_gate"


def entry_of(report: pytest.TestReport) -> dict[str, Any] | None:
    """The unit test's JSON entry a report carries, if it is a unit test's report."""
    found = getattr(report, ENTRY, None)
    return found if isinstance(found, dict) else None


def gate_of(report: pytest.TestReport) -> dict[str, Any] | None:
    """The set gate's counts a report carries, if it is a set gate's report."""
    found = getattr(report, GATE, None)
    return found if isinstance(found, dict) else None


def put_entry(report: pytest.TestReport, entry: dict[str, Any]) -> None:
    setattr(report, ENTRY, entry)


def put_gate(report: pytest.TestReport, gate: dict[str, Any]) -> None:
    setattr(report, GATE, gate)
