"""The JSON report (``--amigo-json``): every unit test's evidence, one file per session.

The single source a later session reads back as its baseline. Its shape is the JSON Schema shipped
beside this module (``report.schema.json``); the tests validate written reports against it. The
controller collects the unit tests from the reports of the items (plain dicts: they cross xdist's
channel), reads them into the typed document (``document.py``: typed at both ends, dicts only on
the wire) and writes the file at the end of the session, also after an interruption.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from pytest_amigo.reports.document import (
    SCHEMA_FILE,
    Gating,
    Report,
    SetCompare,
    SetGate,
    SetReport,
    UnitTestEntry,
    UnitTestReport,
    schema,
)
from pytest_amigo.reports.document_gates import GATE_OUTCOMES

__all__ = ["SCHEMA_FILE", "UnitTestLog", "document", "schema", "write"]


class UnitTestLog:
    """The unit tests reported in this session, by node id (the last report of each wins)."""

    def __init__(self) -> None:
        self.unit_tests: dict[str, dict[str, object]] = {}  # the wire dicts (UnitTestEntry)
        # node id -> how pytest reported an amigo_xfail-listed item (xfailed or xpassed) and why
        self._expected: dict[str, tuple[str, str]] = {}
        self.gates: dict[str, SetGate] = {}  # set id -> its set gate, as reported

    def add_gate(self, gate: Mapping[str, object], outcome: str) -> None:
        """A set gate's report: its counts (``wire.gate_of``) and how pytest reported it
        (passed, failed, xfailed; error: it never decided)."""
        passed, total, rate = gate.get("passed"), gate.get("total"), gate.get("min_rate")
        if not isinstance(passed, int) or not isinstance(total, int):
            passed, total, outcome = 0, 0, "error"  # interrupted before it counted
        self.gates[str(gate["set_id"])] = SetGate(
            min_pass_rate=float(rate) if isinstance(rate, int | float) else 0.0,
            passed=passed,
            total=total,
            outcome=outcome if outcome in GATE_OUTCOMES else "error",
        )

    def add(
        self,
        entry: Mapping[str, object],
        *,
        xfailed: bool,
        reason: str | None = None,
        xpassed: bool = False,
    ) -> None:
        """``xfailed``: the report says the item xfailed, for ``reason`` (as reported);
        ``xpassed``: listed in ``amigo_xfail`` for ``reason`` but passed (an XPASS)."""
        found = dict(entry)
        nodeid = str(found["nodeid"])
        if xfailed:  # the call report says so; setup and teardown reports don't
            self._expected[nodeid] = ("xfailed", reason or str(found.get("expected") or ""))
        elif xpassed and self._expected.get(nodeid, ("",))[0] != "xfailed":
            self._expected[nodeid] = ("xpassed", reason or "")
        reported, why = self._expected.get(nodeid, ("", ""))
        if reported == "xfailed":
            found["reported"] = "xfailed"
            found["expected"] = why or found.get("expected")
            # "inconclusive" stays whatever the policy made of it; other expected failures are
            # xfails
            if found["outcome"] != "inconclusive":
                found["outcome"] = "xfailed"
        elif reported == "xpassed" and found.get("reported") in (None, "passed"):
            found["reported"] = "xpassed"  # the outcome stays passed
            found["expected"] = why or None
        self.unit_tests[nodeid] = found

    def __bool__(self) -> bool:
        return bool(self.unit_tests)


def document(
    version: str,
    unit_tests: Iterable[Mapping[str, object]],
    runs: Mapping[str, tuple[str | None, bool]],
    *,
    now: dt.datetime | None = None,
    gating: Gating | None = None,
    gates: Mapping[str, SetGate] | None = None,
) -> Report:
    """The report: unit tests grouped by set, in the order they were first reported; each entry
    (a plain dict from the wire) is read with ``UnitTestEntry.from_json``.

    ``runs`` maps a set id to (the run reported, whether this session started it); ``gating``:
    how the session decides its exit status; ``gates``: the set gates by set id."""
    sets: dict[str, _Set] = {}
    for test in unit_tests:
        entry = UnitTestEntry.from_json(test, str(test.get("nodeid")))
        found = sets.get(entry.set_id)
        if found is None:
            run_id, started_here = runs.get(entry.set_id, (entry.unit_test.run_id, False))
            found = sets[entry.set_id] = _Set(
                entry.set_id, entry.set_name, run_id or entry.unit_test.run_id, started_here
            )
        found.add(entry)
    created = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    reports = tuple(s.report((gates or {}).get(s.set_id)) for s in sets.values())
    return Report(pytest_amigo=version, created_at=created, sets=reports, gating=gating)


class _Set:
    """A set of the report while its unit tests come in."""

    def __init__(self, set_id: str, name: str, run_id: str | None, started_here: bool) -> None:
        self.set_id, self.name, self.run_id, self.started_here = set_id, name, run_id, started_here
        self.unit_tests: list[UnitTestReport] = []
        self.compare: SetCompare | None = None

    def add(self, entry: UnitTestEntry) -> None:
        self.unit_tests.append(entry.unit_test)
        if self.compare is None:  # --amigo-compare: the set's comparison, once per set
            self.compare = entry.set_compare

    def report(self, gate: SetGate | None = None) -> SetReport:
        return SetReport(
            id=self.set_id,
            name=self.name,
            run_id=self.run_id,
            started_here=self.started_here,
            unit_tests=tuple(self.unit_tests),
            compare=self.compare,
            gate=gate,
        )


def write(path: Path, report: Report) -> None:
    """Write atomically: a reader (the next session's baseline) never sees half a file."""
    text = json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
