"""Errors of the plugin that users act on (light: no amigo-sdk import)."""

from __future__ import annotations

from pytest_amigo.contract import OBJECT_ID


class DefinitionError(Exception):
    """A set or run named by the user cannot be read; the message says what to do."""


def check_object_id(value: str, what: str) -> str:
    value = value.strip()
    if not OBJECT_ID.match(value):
        raise DefinitionError(
            f"{what} {value!r} is not an Amigo id (24 lowercase hex characters, "
            "e.g. 66aa00000000000000000001). Copy the id from the Amigo dashboard or API."
        )
    return value
