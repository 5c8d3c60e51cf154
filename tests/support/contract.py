"""The official API contract: ``../shared/amigo-openapi.json`` next to the repository."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

CONTRACT_PATH = Path(__file__).resolve().parents[3] / "shared" / "amigo-openapi.json"
"""The contract snapshot: ``shared/`` beside the repository root (``tests/support/..``)."""


@cache
def _text() -> str:
    if not CONTRACT_PATH.is_file():
        pytest.fail(
            f"contract snapshot not found at {CONTRACT_PATH} (expected ../shared/amigo-openapi.json"
            " relative to the repository root)",
            pytrace=False,
        )
    return CONTRACT_PATH.read_text(encoding="utf-8")


def load_contract() -> dict[str, Any]:
    """A fresh copy of the parsed contract (callers may change it); fails the test if absent."""
    data: dict[str, Any] = json.loads(_text())
    return data
