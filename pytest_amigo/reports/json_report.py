"""The JSON report (``--amigo-json``): every unit test's evidence, one file per session.

The single source a later session reads back as its baseline. Its shape is the JSON Schema shipped
beside this module (``report.schema.json``); the tests validate written reports against it. The
controller collects the unit tests from the reports of the items (plain dicts: they cross xdist's
channel) and writes the file at the end of the session, also after an interruption.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

SCHEMA_FILE = "report.schema.json"


def schema() -> dict[str, Any]:
    """The JSON Schema of the report."""
    text = resources.files("pytest_amigo.reports").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


class UnitTestLog:
    """The unit tests reported in this session, by node id (the last report of each wins)."""

    def __init__(self) -> None:
        self.unit_tests: dict[str, dict[str, Any]] = {}
        self._xfailed: dict[str, str] = {}  # node id -> the xfail reason reported

    def add(self, entry: Mapping[str, Any], *, xfailed: bool, reason: str | None = None) -> None:
        """``xfailed``: the report says the item xfailed, for ``reason`` (as reported)."""
        found = dict(entry)
        nodeid = str(found["nodeid"])
        if xfailed:  # the call report says so; setup and teardown reports don't
            self._xfailed[nodeid] = reason or found.get("expected") or ""
        if nodeid in self._xfailed:
            found["reported"] = "xfailed"
            found["expected"] = self._xfailed[nodeid] or found.get("expected")
            # "inconclusive" stays whatever the policy made of it; other expected failures are
            # xfails
            if found["outcome"] != "inconclusive":
                found["outcome"] = "xfailed"
        self.unit_tests[nodeid] = found

    def __bool__(self) -> bool:
        return bool(self.unit_tests)


def document(
    version: str,
    unit_tests: Iterable[Mapping[str, Any]],
    runs: Mapping[str, tuple[str | None, bool]],
    *,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The report: unit tests grouped by set, in the order they were first reported.

    ``runs`` maps a set id to (the run reported, whether this session started it)."""
    sets: dict[str, dict[str, Any]] = {}
    for test in unit_tests:
        set_id = str(test["set_id"])
        run_id, started_here = runs.get(set_id, (test.get("run_id"), False))
        entry = sets.setdefault(
            set_id,
            {
                "id": set_id,
                "name": test["set_name"],
                "run_id": run_id or test.get("run_id"),
                "started_here": started_here,
                "unit_tests": [],
            },
        )
        found = {k: v for k, v in test.items() if k not in ("set_id", "set_name")}
        compared = found.get("compare")
        if isinstance(compared, dict):  # --amigo-compare: the set's comparison, once per set
            found["compare"] = {k: v for k, v in compared.items() if k != "set"}
            if compared.get("set") and "compare" not in entry:
                entry["compare"] = compared["set"]
        entry["unit_tests"].append(found)
    created = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    return {"pytest_amigo": version, "created_at": created, "sets": list(sets.values())}


def write(path: Path, report: Mapping[str, Any]) -> None:
    """Write atomically: a reader (the next session's baseline) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)
