"""Typed readers shared by the section parsers: tables, strings, numbers, ids, keys."""

from __future__ import annotations

from typing import Any

from pytest_amigo.contract import OBJECT_ID
from pytest_amigo.emulator.model import WorldError, derive_id

_HEX24 = OBJECT_ID


class Reader:
    """Reads values of a world file; every error names the source and where."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, what: str) -> WorldError:
        return WorldError(f"{self.source}: {where}: {what}")

    # -- small typed readers -------------------------------------------------------------
    def _table(self, data: Any, where: str) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(where, f"expected a table, got {type(data).__name__}")
        return data

    def _tables(self, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
        raw = data.get(key, [])
        if not isinstance(raw, list):
            raise self.fail(key, "expected an array of tables ([[" + key + "]])")
        return [self._table(item, f"{key}[{i}]") for i, item in enumerate(raw)]

    def _str(self, t: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = t.get(key, default)
        if value is None:
            raise self.fail(where, f"missing required key '{key}'")
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise self.fail(where, f"'{key}' must be a non-empty string, got {value!r}")
        return value

    def _num(self, t: dict[str, Any], key: str, where: str, default: float) -> float:
        value = t.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"'{key}' must be a number, got {value!r}")
        if value < 0:
            raise self.fail(where, f"'{key}' must not be negative, got {value!r}")
        return float(value)

    def _id(self, t: dict[str, Any], kind: str, name: str, where: str) -> str:
        value = t.get("id")
        if value is None:
            return derive_id(kind, name)
        if not isinstance(value, str) or not _HEX24.match(value):
            raise self.fail(where, f"'id' must be 24 lowercase hex digits, got {value!r}")
        return value

    def _check_keys(self, t: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = set(t) - allowed
        if unknown:
            raise self.fail(where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")

    def _unique(self, kind: str, pairs: list[tuple[str, str]], check_names: bool = True) -> None:
        self._distinct(kind, [p[0] for p in pairs], "id")
        if check_names:
            self._distinct(kind, [p[1] for p in pairs], "name")

    def _distinct(self, where: str, values: list[str], what: str) -> None:
        for i, value in enumerate(values):
            if value in values[:i]:
                raise self.fail(where, f"duplicate {what} {value!r}")

    @staticmethod
    def _lookup(ref: Any, items: tuple[Any, ...]) -> Any | None:
        return next((x for x in items if ref in (x.id, x.name)), None)
