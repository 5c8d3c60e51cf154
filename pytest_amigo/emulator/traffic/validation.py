"""Checking the JSON bodies of the traffic admin endpoints (fault plan, rate limits)."""

from __future__ import annotations

import math
from typing import Any


class FaultPlanError(ValueError):
    """Invalid fault plan or rate-limit settings; ``errors`` are FastAPI-style entries."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in errors))
        self.errors = errors


def error(name: str, msg: str, kind: str = "value_error") -> dict[str, Any]:
    """One FastAPI-style error entry about body field ``name``."""
    return {"loc": ["body", name], "msg": msg, "type": kind}


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def require_object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise FaultPlanError([error("body", "expected a JSON object", "type_error")])
    return data


def unknown_fields(
    data: dict[str, Any], known: list[str] | tuple[str, ...]
) -> list[dict[str, Any]]:
    """An ``extra_forbidden`` error per unknown field (sorted), naming the ``known`` ones."""
    return [
        error(name, f"unknown field; allowed: {', '.join(known)}", "extra_forbidden")
        for name in sorted(set(data) - set(known))
    ]
