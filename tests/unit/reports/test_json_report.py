"""The JSON report (json_report.py), and baselines read back from it (baseline_file.py) or from a
run (judging/baseline.py)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_amigo.domain import UnitTestSet
from pytest_amigo.judging import baseline
from pytest_amigo.judging.baseline import BaselineSet
from pytest_amigo.judging.evidence import BaselineComparison, Policy, compare, weigh
from pytest_amigo.judging.run_outcome import RunOutcome
from pytest_amigo.judging.verdict import Verdict, judge
from pytest_amigo.plugin.amigo_result import AmigoResult, ResultOutcome, UnitTestRef
from pytest_amigo.reports import baseline_file, json_report
from pytest_amigo.reports.baseline_file import BaselineError
from pytest_amigo.reports.document import Report
from support.verdict_data import COMPLETION, evaluation, metric, result, run, spec, unit

RUN_A = "66aa000000000000000000a1"
RUN_B = "66aa000000000000000000b1"
BASELINE_RUN = "66bb00000000000000000002"
NOW = dt.datetime(2026, 4, 1, 12, 0, 0, tzinfo=dt.UTC)

UT1, UT2 = unit("ut1", 10), unit("ut2", 10)
SET_A = UnitTestSet("set-a", "Checkout", (UT1, UT2, UT1))  # ut1 listed twice
SET_B = UnitTestSet("set-b", "Refunds", (UT1,))


def ref(unit_set: UnitTestSet, position: int, occurrence: int = 0) -> UnitTestRef:
    return UnitTestRef(unit_set, unit_set.unit_tests[position], position, occurrence, 0.7)


def judged(uid: str, passed: int, valid: int, *, errored: int = 0, run_id: str = RUN_A) -> Verdict:
    """The real verdict of a one-criterion unit test: ``passed`` of ``valid`` sessions pass."""
    total = valid + errored
    errors: list[str | None] = [None] * valid + ["simulator crashed"] * errored
    data = run(
        [spec(uid, total, [metric("Completion", "m1", COMPLETION)])],
        [result(uid, [evaluation("m1", [i < passed for i in range(valid)])], errors)],
    )
    data["id"] = run_id
    return judge(unit(uid, total), 0, data, min_pass_rate=0.7)


def amigo(
    where: UnitTestRef,
    verdict: Verdict,
    policy: Policy | None = None,
    *,
    comparison: BaselineComparison | None = None,
    expected: str = "",
) -> AmigoResult:
    """The result an item would report for ``verdict``, weighed by ``policy``."""
    weighed = weigh(verdict, policy or Policy())
    outcome: ResultOutcome = "error"  # a pending verdict is reported as an error
    if weighed.verdict.outcome != "pending":
        outcome = weighed.verdict.outcome
    return AmigoResult(
        ref=where,
        outcome=outcome,
        reason=weighed.verdict.reason,
        explanation=weighed.verdict.reason + "\n",
        run_id=weighed.verdict.run_id,
        verdict=weighed.verdict,
        pass_k=weighed.pass_k,
        interval=weighed.interval,
        confidence=weighed.confidence,
        comparison=comparison,
        reported="xfailed" if expected else None,
        expected=expected,
    )


def entries() -> list[dict[str, Any]]:
    """Unit test entries as items report them: sets interleaved, every kind of outcome."""
    regressed = compare("failed", 3, 10, BASELINE_RUN, RunOutcome("passed", 10, 10, BASELINE_RUN))
    unreadable = AmigoResult(
        ref=ref(SET_A, 1), outcome="error", reason="no run", explanation="no run\n"
    )
    return [
        amigo(ref(SET_A, 0), judged("ut1", 10, 10)).to_json("t.py::checkout[ut1]"),
        amigo(ref(SET_B, 0), judged("ut1", 3, 10, run_id=RUN_B), comparison=regressed).to_json(
            "t.py::refunds[ut1]"
        ),
        unreadable.to_json("t.py::checkout[ut2]"),
        amigo(
            ref(SET_A, 2, 1),
            judged("ut1", 9, 10),
            Policy(confidence=0.95),
            expected="inconclusive by policy",
        ).to_json("t.py::checkout[ut1#2]"),
        amigo(ref(SET_B, 0), judged("ut1", 6, 7, errored=3, run_id=RUN_B)).to_json("t.py::x"),
    ]


def typed(runs: Mapping[str, tuple[str | None, bool]] | None = None) -> Report:
    default = {"set-a": (RUN_A, True), "set-b": (RUN_B, False)}
    return json_report.document("1.2.3", entries(), default if runs is None else runs, now=NOW)


def report(runs: Mapping[str, tuple[str | None, bool]] | None = None) -> dict[str, Any]:
    return typed(runs).to_json()


# --- document --------------------------------------------------------------------------------


def test_document_groups_unit_tests_by_set_in_first_seen_order() -> None:
    doc = report()
    assert [s["id"] for s in doc["sets"]] == ["set-a", "set-b"]
    assert [s["name"] for s in doc["sets"]] == ["Checkout", "Refunds"]
    assert [[t["nodeid"] for t in s["unit_tests"]] for s in doc["sets"]] == [
        ["t.py::checkout[ut1]", "t.py::checkout[ut2]", "t.py::checkout[ut1#2]"],
        ["t.py::refunds[ut1]", "t.py::x"],
    ]


def test_document_orders_sets_as_first_reported_not_by_id() -> None:
    reversed_first = [entries()[1], *entries()]
    doc = json_report.document("1.2.3", reversed_first, {}, now=NOW).to_json()
    assert [s["id"] for s in doc["sets"]] == ["set-b", "set-a"]


def test_document_drops_the_set_from_the_unit_tests() -> None:
    doc = report()
    given = entries()[0]
    first = doc["sets"][0]["unit_tests"][0]
    assert "set_id" not in first and "set_name" not in first
    assert first == {k: v for k, v in given.items() if k not in ("set_id", "set_name")}


def test_document_takes_run_and_started_here_from_runs() -> None:
    doc = report({"set-a": ("66aa000000000000000000ff", True), "set-b": (RUN_B, False)})
    assert [(s["run_id"], s["started_here"]) for s in doc["sets"]] == [
        ("66aa000000000000000000ff", True),
        (RUN_B, False),
    ]


def test_document_without_the_set_in_runs_uses_the_unit_tests_run() -> None:
    doc = report({})
    assert [(s["run_id"], s["started_here"]) for s in doc["sets"]] == [
        (RUN_A, False),
        (RUN_B, False),
    ]


def test_document_header() -> None:
    doc = report()
    assert doc["pytest_amigo"] == "1.2.3"
    assert doc["created_at"] == "2026-04-01T12:00:00+00:00"


# --- UnitTestLog -----------------------------------------------------------------------------


def _entry(outcome: str, reason: str = "why") -> dict[str, Any]:
    return {"nodeid": "t.py::a", "outcome": outcome, "reason": reason}


def test_log_keeps_the_last_report_of_a_node() -> None:
    log = json_report.UnitTestLog()
    assert not log
    log.add(_entry("failed", "setup"), xfailed=False)
    log.add(_entry("failed", "call"), xfailed=False)
    assert log
    assert log.unit_tests == {"t.py::a": _entry("failed", "call")}


def test_log_keeps_xfailed_after_a_later_teardown_report() -> None:
    log = json_report.UnitTestLog()
    log.add(_entry("failed"), xfailed=False)  # setup
    assert log.unit_tests["t.py::a"]["outcome"] == "failed"
    log.add(_entry("failed", "call"), xfailed=True, reason="SUP-1 known")  # call: wasxfail
    log.add(_entry("failed", "teardown"), xfailed=False)  # teardown: no wasxfail
    assert log.unit_tests["t.py::a"] == {
        **_entry("failed", "teardown"),
        "outcome": "xfailed",
        "reported": "xfailed",
        "expected": "SUP-1 known",  # the reason reported (amigo_xfail's), not the baseline's
    }


@pytest.mark.parametrize("later_xfailed", [True, False])
def test_log_never_overwrites_inconclusive(later_xfailed: bool) -> None:
    log = json_report.UnitTestLog()
    log.add(_entry("inconclusive"), xfailed=True)
    log.add(_entry("inconclusive"), xfailed=later_xfailed)
    assert log.unit_tests["t.py::a"]["outcome"] == "inconclusive"


def test_log_does_not_change_the_reported_entry() -> None:
    log = json_report.UnitTestLog()
    entry = _entry("failed")
    log.add(entry, xfailed=True)
    assert entry["outcome"] == "failed"
    assert log.unit_tests["t.py::a"]["outcome"] == "xfailed"


def test_log_xfail_is_per_node() -> None:
    log = json_report.UnitTestLog()
    log.add(_entry("failed"), xfailed=True)
    log.add({**_entry("failed"), "nodeid": "t.py::b"}, xfailed=False)
    assert log.unit_tests["t.py::b"]["outcome"] == "failed"


# --- write -----------------------------------------------------------------------------------


def test_write_creates_parent_directories(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "nightly" / "amigo.json"
    json_report.write(path, typed())
    assert json.loads(path.read_text(encoding="utf-8")) == report()


def test_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "amigo.json"
    json_report.write(path, typed())
    json_report.write(path, Report(pytest_amigo="2", created_at="x"))  # replaces it
    assert [p.name for p in tmp_path.iterdir()] == ["amigo.json"]
    assert json.loads(path.read_text(encoding="utf-8"))["pytest_amigo"] == "2"


def test_write_keeps_non_ascii_text(tmp_path: Path) -> None:
    path = tmp_path / "amigo.json"
    json_report.write(path, typed())
    assert "Completion ✔✔✔✘✘✘✘✘✘✘ 3/10" in path.read_text(encoding="utf-8")


# --- schema ----------------------------------------------------------------------------------


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json_report.schema())


def test_document_of_real_results_validates() -> None:
    doc = report()
    outcomes = [t["outcome"] for s in doc["sets"] for t in s["unit_tests"]]
    assert sorted(set(outcomes)) == ["error", "failed", "inconclusive", "passed"]
    jsonschema.validate(doc, json_report.schema())


def test_written_report_with_xfailed_entries_validates(tmp_path: Path) -> None:
    log = json_report.UnitTestLog()
    for entry in entries():
        log.add(entry, xfailed=entry["reported"] == "xfailed" or entry["outcome"] == "failed")
    assert "xfailed" in [e["outcome"] for e in log.unit_tests.values()]
    path = tmp_path / "amigo.json"
    json_report.write(path, json_report.document("1.2.3", log.unit_tests.values(), {}))
    jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), json_report.schema())


def _first_unit_test(doc: dict[str, Any]) -> dict[str, Any]:
    test: dict[str, Any] = doc["sets"][0]["unit_tests"][0]
    return test


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("outcome", "weird"),
        ("reported", "inconclusive"),
        ("pass_rate", 1.5),
        ("sessions", {"total": 3, "valid": -1, "passed": 0, "errored": 0}),
    ],
)
def test_a_wrong_unit_test_field_fails_validation(field: str, value: Any) -> None:
    doc = report()
    _first_unit_test(doc)[field] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json_report.schema())


@pytest.mark.parametrize("missing", ["sets", "pytest_amigo", "created_at"])
def test_a_report_without_a_required_key_fails_validation(missing: str) -> None:
    doc = report()
    del doc[missing]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json_report.schema())


def test_a_unit_test_without_a_required_key_fails_validation() -> None:
    doc = report()
    del _first_unit_test(doc)["pass_k"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json_report.schema())


# --- baselines: keys and reports -------------------------------------------------------------


@pytest.mark.parametrize(("occurrence", "key"), [(0, "ut1"), (1, "ut1#2"), (2, "ut1#3")])
def test_key_of(occurrence: int, key: str) -> None:
    assert baseline.key_of("ut1", occurrence) == key


def test_baseline_from_report_reads_each_unit_test_of_the_set() -> None:
    found = baseline_file.from_report(report(), "set-a", "main.json")
    assert found.run_id == RUN_A
    assert found.note == f"baseline run {RUN_A} from main.json"
    assert found.entries == {
        "ut1": RunOutcome("passed", 10, 10, RUN_A),
        "ut2": RunOutcome("error", 0, 0, RUN_A),
        "ut1#2": RunOutcome("inconclusive", 9, 10, RUN_A),
    }


def test_baseline_entry_finds_the_occurrence_of_a_ref() -> None:
    found = baseline_file.from_report(report(), "set-a", "main.json")
    assert found.entry(ref(SET_A, 0)) == RunOutcome("passed", 10, 10, RUN_A)
    assert found.entry(ref(SET_A, 2, 1)) == RunOutcome("inconclusive", 9, 10, RUN_A)
    other = UnitTestSet("set-a", "Checkout", (unit("ut9", 3),))
    assert found.entry(ref(other, 0)) is None


def test_baseline_from_report_counts_only_valid_sessions() -> None:
    found = baseline_file.from_report(report(), "set-b", "main.json")
    # ut1 is reported twice in set-b: the second listing is ut1#2, 6 of 7 valid (3 errored)
    assert found.entries == {
        "ut1": RunOutcome("failed", 3, 10, RUN_B),
        "ut1#2": RunOutcome("passed", 6, 7, RUN_B),
    }


def test_baseline_from_report_prefers_the_unit_tests_own_run() -> None:
    doc = report()
    _first_unit_test(doc)["run_id"] = "66aa0000000000000000beef"
    found = baseline_file.from_report(doc, "set-a", "main.json")
    assert found.entries["ut1"].run_id == "66aa0000000000000000beef"
    assert found.run_id == RUN_A


def test_baseline_from_report_skips_unreadable_unit_tests() -> None:
    doc = report()
    del doc["sets"][0]["unit_tests"][1]["sessions"]
    doc["sets"][0]["unit_tests"][0]["sessions"]["passed"] = "many"
    found = baseline_file.from_report(doc, "set-a", "main.json")
    assert list(found.entries) == ["ut1#2"]


@pytest.mark.parametrize(
    ("doc", "note"),
    [
        (
            {"pytest_amigo": "1", "sets": [{"id": "set-b", "run_id": RUN_B, "unit_tests": []}]},
            "no baseline: set set-a is not in main.json",
        ),
        (
            {"pytest_amigo": "1", "sets": [{"id": "set-a", "run_id": None, "unit_tests": []}]},
            "no baseline: set set-a is not in main.json",
        ),
    ],
    ids=["set-absent", "set-without-run"],
)
def test_baseline_from_report_without_the_sets_run(doc: dict[str, Any], note: str) -> None:
    found = baseline_file.from_report(doc, "set-a", "main.json")
    assert found == BaselineSet(None, {}, note)


# --- baselines: runs -------------------------------------------------------------------------


def holding(unit_set: UnitTestSet, **run: Any) -> dict[str, Any]:
    """A run instance whose specs hold every unit test of ``unit_set`` (no results yet)."""
    specs = [{"unit_test_id": u.id, "run_count": u.run_count} for u in unit_set.unit_tests]
    return {**run, "unit_test_run_specs": specs, "unit_test_run_results": []}


def test_baseline_from_run_judges_each_ref_and_skips_pending() -> None:
    refs = [ref(SET_A, 0), ref(SET_A, 1), ref(SET_A, 2, 1)]
    answers = {0: ("passed", 10, 10), 1: ("pending", 0, 0), 2: ("failed", 4, 9)}
    seen: list[tuple[UnitTestRef, Mapping[str, Any]]] = []

    def fake_judge(r: UnitTestRef, the_run: Mapping[str, Any]) -> tuple[str, int, int]:
        seen.append((r, the_run))
        return answers[r.position]

    the_run = holding(SET_A, id=BASELINE_RUN, is_completed=True)
    found = baseline.from_run(the_run, refs, fake_judge, "last")
    assert seen == [(r, the_run) for r in refs]
    assert found == BaselineSet(
        BASELINE_RUN,
        {
            "ut1": RunOutcome("passed", 10, 10, BASELINE_RUN, found.entries["ut1"].what_ran),
            "ut1#2": RunOutcome("failed", 4, 9, BASELINE_RUN, found.entries["ut1#2"].what_ran),
        },
        f"baseline run {BASELINE_RUN} (last)",
    )
    ran = found.entries["ut1"].what_ran
    assert ran is not None and ran.to_json() == {
        **dict.fromkeys(("version_set", "agent", "state_machine", "persona", "scenario")),
        "max_interactions": None,
        "run_count": 10,
        "llm_model_preferences": None,
        "criteria": [],
    }


def test_a_unit_test_the_baseline_run_does_not_hold_gets_no_entry() -> None:
    """Not in the baseline run (the set changed since): no entry, so its transition is new."""
    the_run = holding(SET_B, id=BASELINE_RUN)  # ut1 only
    only = [ref(SET_A, 0), ref(SET_A, 1)]  # ut1, ut2
    found = baseline.from_run(the_run, only, lambda r, _: ("passed", 1, 1), "last")
    assert set(found.entries) == {"ut1"}


def test_baseline_from_run_reads_the_id_from_underscore_id() -> None:
    found = baseline.from_run(
        holding(SET_B, _id=BASELINE_RUN), [ref(SET_B, 0)], lambda r, _: ("error", 0, 0), "x"
    )
    assert found.run_id == BASELINE_RUN
    entry = found.entries["ut1"]
    assert entry == RunOutcome("error", 0, 0, BASELINE_RUN, entry.what_ran)


@pytest.mark.parametrize(
    "found",
    [
        BaselineSet(
            BASELINE_RUN,
            {
                "ut1": RunOutcome("passed", 3, 3, BASELINE_RUN),
                "ut1#2": RunOutcome("xfailed", 1, 3, "r"),
            },
            "baseline run from main.json",
        ),
        BaselineSet(None, {}, "no baseline: set set-a is not in main.json"),
    ],
    ids=["with-entries", "none"],
)
def test_baseline_set_json_round_trip(found: BaselineSet) -> None:
    data = json.loads(json.dumps(found.to_json()))  # it crosses xdist's channel as JSON
    assert BaselineSet.from_json(data) == found


# --- baselines: reading a report -------------------------------------------------------------


def test_read_baseline_reads_a_written_report(tmp_path: Path) -> None:
    path = tmp_path / "main.json"
    json_report.write(path, typed())
    assert baseline_file.read_baseline(path) == report()


def test_read_baseline_of_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(BaselineError) as raised:
        baseline_file.read_baseline(path)
    assert str(raised.value) == (
        f"--amigo-baseline: no file {str(path)!r}; give 'last', a run id, or the path of "
        "a report written by --amigo-json"
    )


@pytest.mark.parametrize(
    "text", ["{not json", "", b"\xff\xfe{}"], ids=["broken", "empty", "binary"]
)
def test_read_baseline_of_a_file_that_is_not_json(tmp_path: Path, text: str | bytes) -> None:
    path = tmp_path / "main.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(BaselineError, match=r"^--amigo-baseline: cannot read '.*main\.json': "):
        baseline_file.read_baseline(path)


def test_read_baseline_of_a_directory(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="cannot read"):
        baseline_file.read_baseline(tmp_path)


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"sets": []},  # no version
        {"pytest_amigo": "1.2.3", "sets": {}},
        {"pytest_amigo": "1.2.3"},
        "report",
    ],
)
def test_read_baseline_of_json_that_is_not_a_report(tmp_path: Path, data: Any) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(BaselineError) as raised:
        baseline_file.read_baseline(path)
    assert str(raised.value) == (
        f"--amigo-baseline: {str(path)!r} is not a pytest-amigo JSON report (--amigo-json)"
    )
