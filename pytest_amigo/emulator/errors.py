"""Typed errors of the emulated service and the one mapping of them to HTTP status codes.

The store raises these; the app's single exception handler answers ``{"detail": ...}`` with
``STATUS[type(error)]``. Routes never pick status codes for service rules themselves.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A service error; ``detail`` becomes the ``detail`` of the JSON answer."""

    def __init__(self, detail: str | list[dict[str, Any]]) -> None:
        super().__init__(str(detail))
        self.detail = detail

    @property
    def status(self) -> int:
        return status_of(self)


class BadRequest(ApiError):
    """The request is well-formed but the service refuses it (in use, wrong version, ...)."""


class Unauthorized(ApiError):
    """Missing, unknown or expired credentials."""


class Forbidden(ApiError):
    """The user lacks a permission."""


class NotFound(ApiError):
    """Unknown organization or object."""


class Conflict(ApiError):
    """The request clashes with the current state (duplicate name, run in progress, ...)."""


class Invalid(ApiError):
    """A FastAPI-style validation error the route signature cannot express."""


STATUS: dict[type[ApiError], int] = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
}


def status_of(error: ApiError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 500


def invalid(loc: list[str | int], msg: str, value: Any = None) -> Invalid:
    """A FastAPI-style 422 for a check the route signature cannot express."""
    return Invalid([{"type": "value_error", "loc": loc, "msg": msg, "input": value}])
