"""Checking the JSON bodies of the traffic admin endpoints (fault plan, rate limits)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from pytest_amigo.api.endpoints import ENDPOINTS


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


class BodyErrors(list[dict[str, Any]]):
    """The errors found in a JSON body so far, in the order found; ``raise_any`` raises them
    together."""

    def add(self, name: str, msg: str) -> None:
        self.append(error(name, msg))

    def known_operations(self, name: str, ids: Iterable[str]) -> bool:
        """Whether every one of ``ids`` is a documented operation id; an error if not."""
        unknown = [v for v in ids if v not in ENDPOINTS]
        if unknown:
            self.add(name, f"unknown operation ids: {', '.join(unknown)}")
        return not unknown

    def raise_any(self) -> None:
        if self:
            raise FaultPlanError(list(self))


def body_fields(data: Any, known: list[str] | tuple[str, ...]) -> tuple[dict[str, Any], BodyErrors]:
    """``data`` as a JSON object (:class:`FaultPlanError` if it is none) and an error per field
    not in ``known``."""
    data = require_object(data)
    return data, BodyErrors(unknown_fields(data, known))
