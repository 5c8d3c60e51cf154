"""A JSON report (``--amigo-json`` of an earlier session) as the baseline (``--amigo-baseline``).

The report's format is known here, next to the document (``document.py``); what a baseline is
(``BaselineSet``, its keys) is judging's (``judging/baseline.py``), which does no I/O. Lenient as
a baseline must be: an older or hand-edited report is read as far as its values allow, a unit
test that cannot be read is left out (it counts for the occurrences that follow it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from pytest_amigo.judging.baseline import BaselineSet, key_of
from pytest_amigo.judging.provenance import Provenance
from pytest_amigo.judging.run_outcome import RunOutcome
from pytest_amigo.reports.document import ReportError, UnitTestReport
from pytest_amigo.reports.document_parts import obj, text


class BaselineError(Exception):
    """The baseline named by the user cannot be used (the message says why and what to do)."""


def read_baseline(path: Path) -> dict[str, object]:
    """A JSON report saved by ``--amigo-json``, checked enough to be used as a baseline."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(
            f"--amigo-baseline: no file {str(path)!r}; give 'last', a run id, or the path of "
            "a report written by --amigo-json"
        ) from None
    except (OSError, ValueError) as exc:
        raise BaselineError(f"--amigo-baseline: cannot read {str(path)!r}: {exc}") from None
    if (
        not isinstance(data, dict)
        or "pytest_amigo" not in data
        or not isinstance(data.get("sets"), list)
    ):
        raise BaselineError(
            f"--amigo-baseline: {str(path)!r} is not a pytest-amigo JSON report (--amigo-json)"
        )
    return data


def from_report(report: Mapping[str, object], set_id: str, source: str) -> BaselineSet:
    """The baseline of one set from a JSON report (no run of the set in it: no baseline)."""
    for entry in _sets(report):
        if entry.get("id") != set_id or not entry.get("run_id"):
            continue
        run_id = str(entry["run_id"])
        entries: dict[str, RunOutcome] = {}
        seen: dict[str, int] = {}
        for test in _listed(entry):
            try:
                unit_test_id = text(obj(test, "unit_test"), "id", "unit_test")
            except ReportError:
                continue
            occurrence = seen.get(unit_test_id, 0)
            seen[unit_test_id] = occurrence + 1  # an unreadable listing still counts
            try:
                read = UnitTestReport.from_json(test)
            except ReportError:
                continue
            entries[key_of(unit_test_id, occurrence)] = _outcome(read, run_id)
        return BaselineSet(run_id, entries, f"baseline run {run_id} from {source}")
    return BaselineSet(None, note=f"no baseline: set {set_id} is not in {source}")


def _sets(report: Mapping[str, object]) -> list[Mapping[str, object]]:
    found = report.get("sets")
    listed = found if isinstance(found, list) else []
    return [entry for entry in listed if isinstance(entry, Mapping)]


def _listed(entry: Mapping[str, object]) -> list[object]:
    found = entry.get("unit_tests")
    return found if isinstance(found, list) else []


def _outcome(test: UnitTestReport, run_id: str) -> RunOutcome:
    """How a unit test of the report did (its own run, else its set's)."""
    ran = test.what_ran
    return RunOutcome(
        test.outcome,
        test.sessions.passed,
        test.sessions.valid,
        test.run_id or run_id,
        Provenance.from_json(ran.to_json()) if ran is not None else None,
    )
