"""The typed report document (reports/document.py, document_parts.py): round trips of reports the
plugin and merge write, lenient reads of older reports, clear errors for malformed ones, and the
properties the views will read instead of ``.get``."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from browser.compare_document import compare_document
from pytest_amigo.judging.ab import SetComparison, UnitComparison
from pytest_amigo.judging.evidence import BaselineComparison
from pytest_amigo.judging.evidence import compare as compare_baseline
from pytest_amigo.judging.provenance import Provenance
from pytest_amigo.judging.run_outcome import RunOutcome
from pytest_amigo.plugin.amigo_result import ABResult, AmigoResult
from pytest_amigo.reports import json_report, merge
from pytest_amigo.reports.document import (
    BaselineReport,
    Report,
    ReportError,
    SetCompare,
    SetReport,
    UnitCompare,
    UnitTestEntry,
    UnitTestReport,
    read_report,
    validate,
)
from unit.reports.test_json_report import NOW, SET_A, entries, judged, ref
from unit.reports.test_merge import a_set, merged, unit_test
from unit.reports.test_merge import report as shard

RAN = Provenance(
    version_set="pr-7",
    agent=("66aa0000000000000000a0d1", 5),
    state_machine=("66aa0000000000000000a0c1", 3),
    persona=("66aa000000000000000000p1", 2),
    scenario=None,
    max_interactions=12,
    run_count=10,
    llm_model_preferences={"judge": ["gpt", 1]},
    criteria=({"metric_id": "m1", "name": "Completion", "criterion": "done"},),
)


REFERENCE_CRITERION = {
    "name": "Completion",
    "metric_id": "m1",
    "requirement": "is true",
    "passed": 1,
    "valid": 2,
    "sessions": [True, False, None],
    "values": [True, False, None],
    "justifications": [None, "it stopped", None],
}


def compared_result() -> AmigoResult:
    """A result with every optional part: baseline (not comparable, a note), what ran, the A/B
    comparison of the unit test and of its set."""
    entry = RunOutcome("passed", 10, 10, "66bb00000000000000000002", RAN)
    baseline = BaselineComparison(
        entry.run_id, "not-comparable", entry, 0.01, ("persona v1 -> v2",), "a note"
    )
    unit = UnitComparison(
        "release",
        RunOutcome("failed", 3, 10, what_ran=RAN),
        RunOutcome("passed", 10, 10),
        "worse",
        "holm",
        p_worse=0.001,
        p_worse_adjusted=0.002,
        p_better=1.0,
        p_better_adjusted=1.0,
        compared=5,
    )
    of_set = SetComparison(
        "release", "worse", 1, 0, 0, 1, "holm", 4.5, 0.01, 0.02, 1, 1, True, compared=2
    )
    ab = ABResult(unit, of_set, "A/A", "66aa0000000000000000ff01", [REFERENCE_CRITERION])
    verdict = judged("ut1", 3, 10)
    return AmigoResult(
        ref=ref(SET_A, 0),
        outcome="failed",
        reason="3/10",
        explanation="3/10\n",
        run_id=verdict.run_id,
        verdict=verdict,
        pass_k=(2, 0.3, 0.0667),
        interval=(0.1, 0.6),
        confidence=0.95,
        comparison=baseline,
        artifacts=Path("/tmp/amigo/artifacts"),
        baseline_note="baseline run 66bb from last",
        provenance=RAN,
        ab=ab,
    )


def plugin_documents() -> list[dict[str, Any]]:
    """Reports as the plugin writes them: every outcome, and every optional part."""
    runs = {"set-a": ("66aa000000000000000000a1", True)}
    rich = compared_result().to_json("t.py::rich")
    return [
        json_report.document("1.2.3", entries(), runs, now=NOW).to_json(),
        json_report.document("1.2.3", [*entries(), rich], runs, now=NOW).to_json(),
        json_report.document("1.2.3", [], {}, now=NOW).to_json(),
    ]


def merged_documents() -> list[dict[str, Any]]:
    """Reports as ``pytest-amigo merge`` writes them (merged_from, run_ids) and older shards
    (no session_errors, requirement, values...)."""
    one = shard(a_set(unit_test("Greets"), run_id="66aa000000000000000000a1"))
    two = shard(a_set(unit_test("Pays", "failed", 1), run_id="66aa000000000000000000a2"))
    return [one, merged(one, two).document.to_json()]


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("data", [*plugin_documents(), *merged_documents()])
def test_json_to_document_to_json_is_the_same_file(data: dict[str, Any]) -> None:
    """Reports the plugin and merge write: the same bytes, key order included."""
    assert json.dumps(Report.from_json(data).to_json()) == json.dumps(data)


def test_a_hand_written_report_reads_back_the_same() -> None:
    """Hand-written (keys in another order, what_ran without some fields): the same JSON."""
    data = compare_document()
    assert Report.from_json(data).to_json() == data


@pytest.mark.parametrize("data", [*plugin_documents(), *merged_documents(), compare_document()])
def test_document_to_json_to_document_is_the_same_value(data: dict[str, Any]) -> None:
    read = Report.from_json(data)
    assert Report.from_json(read.to_json()) == read


def test_a_wire_entry_reads_and_writes_back_unchanged() -> None:
    """What crosses xdist's channel: typed at both ends, the same dict on the wire."""
    for entry in [*entries(), compared_result().to_json("t.py::rich")]:
        read = UnitTestEntry.from_json(entry)
        assert json.dumps(read.to_json()) == json.dumps(entry)
        assert UnitTestEntry.from_json(read.to_json()) == read
    rich = UnitTestEntry.from_json(compared_result().to_json("t.py::rich"))
    assert (rich.set_id, rich.set_name) == ("set-a", "Checkout")
    assert rich.set_compare is not None and rich.set_compare.same_agent


def test_document_builds_typed_values_from_the_wire() -> None:
    rich = compared_result().to_json("t.py::rich")
    report = json_report.document("1.2.3", [rich], {}, now=NOW)
    (entry,) = report.sets
    (test,) = entry.unit_tests
    assert isinstance(test, UnitTestReport)
    assert test.what_ran is not None and test.what_ran.to_json() == RAN.to_json()
    assert test.baseline == BaselineReport(
        "66bb00000000000000000002",
        10,
        10,
        "not-comparable",
        0.01,
        True,
        ("persona v1 -> v2",),
        "a note",
    )
    assert test.pass_rate_interval == (0.1, 0.6)
    assert test.pass_k is not None and (test.pass_k.k, test.pass_k.pass_1) == (2, 0.3)
    assert test.compare is not None and test.compare.candidate.what_ran == test.what_ran
    assert entry.compare is not None and entry.compare.warning == "A/A"
    assert entry.compare.run_id == "66aa0000000000000000ff01"


def test_written_file_is_the_document(tmp_path: Path) -> None:
    report = json_report.document("1.2.3", [compared_result().to_json("t.py::a")], {}, now=NOW)
    path = tmp_path / "amigo.json"
    json_report.write(path, report)
    assert read_report(path) == report


def test_every_written_report_validates() -> None:
    for data in plugin_documents():
        validate(data)


# --- older and malformed reports -------------------------------------------------------------


def test_an_older_report_reads_with_defaults_and_writes_back_as_it_was() -> None:
    old = shard(a_set(unit_test("Greets", "failed", 1)))
    del old["sets"][0]["unit_tests"][0]["reported"]
    del old["sets"][0]["unit_tests"][0]["what_ran"]
    test = Report.from_json(old).sets[0].unit_tests[0]
    assert test.reported is None and test.reported_as == "failed" and test.failing
    assert test.session_errors == () and test.criteria[0].requirement is None
    assert test.to_json() == old["sets"][0]["unit_tests"][0]
    assert "reported" not in test.to_json() and "session_errors" not in test.to_json()


def test_a_report_without_required_keys_reads_only_leniently() -> None:
    old = shard(a_set(unit_test("Greets")))
    for key in ("pass_k", "confidence", "baseline"):
        del old["sets"][0]["unit_tests"][0][key]
    with pytest.raises(ReportError, match=r"\$\.sets\[0\]\.unit_tests\[0\]: missing 'pass_k'"):
        Report.from_json(old)
    test = Report.from_json(old, check=False).sets[0].unit_tests[0]
    assert (test.pass_k, test.confidence, test.baseline) == (None, None, None)
    assert test.to_json() == old["sets"][0]["unit_tests"][0]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda d: d["sets"][0]["unit_tests"][0].update(outcome="ok"), "'ok' is not one of"),
        (lambda d: d["sets"][0].update(unit_tests=3), "unit_tests: expected array"),
        (lambda d: d["sets"][0]["unit_tests"][0].update(sessions=[]), "sessions: expected object"),
        (lambda d: d.pop("pytest_amigo"), "missing 'pytest_amigo'"),
    ],
)
def test_a_malformed_report_is_one_clear_error(change: Any, said: str) -> None:
    data = plugin_documents()[0]
    change(data)
    with pytest.raises(ReportError, match=said):
        Report.from_json(data)
    with pytest.raises(ReportError):  # unchecked, the readers refuse it too
        Report.from_json(data, check=False)


def test_not_an_object_is_a_report_error() -> None:
    with pytest.raises(ReportError, match=r"\$: expected an object, found list"):
        Report.from_json([], check=False)


def test_read_report_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "amigo.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ReportError, match=r"amigo\.json: cannot read it"):
        read_report(path)
    path.write_text(json.dumps({"sets": []}), encoding="utf-8")
    with pytest.raises(ReportError, match=r"amigo\.json: not a pytest-amigo report"):
        read_report(path)


def test_a_document_is_frozen() -> None:
    report = Report.from_json(plugin_documents()[0])
    with pytest.raises(AttributeError):
        report.sets[0].name = "x"  # type: ignore[misc]
    assert replace(report.sets[0], name="x").name == "x"


# --- what the views will read ----------------------------------------------------------------


@pytest.mark.parametrize("data", [*plugin_documents(), *merged_documents()])
def test_exit_status_and_counts_as_merge_says(data: dict[str, Any]) -> None:
    report = Report.from_json(data)
    tests = [t for s in data["sets"] for t in s["unit_tests"]]
    failing = any(
        t.get("reported") in ("failed", "error")
        or (t.get("reported") is None and t["outcome"] in ("failed", "error", "inconclusive"))
        for t in tests
    )
    assert (merge.exit_status(report) == merge.FAILED) == report.failing == failing
    counts: dict[str, int] = {}
    for t in tests:
        counts[t["outcome"]] = counts.get(t["outcome"], 0) + 1
    assert report.outcome_counts() == counts


@pytest.mark.parametrize("data", [*plugin_documents(), compare_document()])
def test_sessions_as_the_grid_shows_them(data: dict[str, Any]) -> None:
    report = Report.from_json(data)
    for (_, test), raw in zip(report.unit_tests, _raw_tests(data), strict=True):
        assert test.session_count == _session_count(raw)
        statuses = [_session_status(raw, k) for k in range(test.session_count)]
        assert [test.session_status(k) for k in range(test.session_count)] == statuses


def test_comparison_as_the_document_says() -> None:
    data = compare_document()
    report = Report.from_json(data)
    for entry, raw in zip(report.sets, data["sets"], strict=True):
        names = [
            t["compare"]["candidate"]["what_ran"]["version_set"]
            for t in raw["unit_tests"]
            if t.get("compare")
            and (t["compare"]["candidate"].get("what_ran") or {}).get("version_set")
        ]
        assert entry.candidate_name == (names[0] if names else "the candidate")
        for test, raw_test in zip(entry.unit_tests, raw["unit_tests"], strict=True):
            found = raw_test.get("compare")
            assert (test.compare is None) == (found is None)
            if test.compare is not None and found is not None:
                key = "p_better_adjusted" if found["label"] == "better" else "p_worse_adjusted"
                assert test.compare.p_adjusted == found.get(key)


def test_set_lookup_as_the_baseline_reader_does() -> None:
    report = Report.from_json(plugin_documents()[0])
    found = report.set("set-a")
    assert isinstance(found, SetReport) and found.run_id == "66aa000000000000000000a1"
    assert report.set("no-such-set") is None


def test_input_is_not_changed() -> None:
    data = plugin_documents()[1]
    before = copy.deepcopy(data)
    Report.from_json(data).to_json()
    assert data == before


def _raw_tests(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for s in data["sets"] for t in s["unit_tests"]]


def _session_count(raw: dict[str, Any]) -> int:
    """The sessions a unit test's JSON shows: its total, its errors, its criteria's marks."""
    lengths = [len(c.get("sessions") or ()) for c in raw.get("criteria") or ()]
    return max([raw["sessions"]["total"], len(raw.get("session_errors") or ()), *lengths])


def _session_status(raw: dict[str, Any], k: int) -> str:
    errors = raw.get("session_errors") or []
    if k < len(errors) and errors[k]:
        return "errored"
    marks = [_at(c.get("sessions") or [], k) for c in raw.get("criteria") or ()]
    if any(m is False for m in marks):
        return "failed"
    if marks and all(m is True for m in marks):
        return "passed"
    return "no result"


def _at(marks: list[bool | None], k: int) -> bool | None:
    return marks[k] if k < len(marks) else None


def test_the_power_of_a_no_difference_is_in_the_json_and_reads_back() -> None:
    """Every "no detectable difference" carries its power in the JSON too: the unit test's
    (written from its sessions and the family), the set's and the baseline's (written as
    judged), round-tripped by to_json / from_json."""
    unit = UnitComparison(
        "release",
        RunOutcome("failed", 1, 2),
        RunOutcome("failed", 1, 2),
        "no detectable difference",
        "holm",
        p_worse=0.83,
        p_worse_adjusted=1.0,
        compared=6,
    )
    power = "with 2 sessions per side even a drop from 100% to 0% would not be detected"
    found = UnitCompare.of(unit).to_json()
    assert (found["compared"], found["detectable_drop"], found["power"]) == (6, None, power)
    read = UnitCompare.from_json(found)
    assert read.power == power and read.to_json() == found
    assert "no detectable difference, adjusted p = 1" in read.words()
    assert read.words().endswith(f" - but {power}")
    of_set = SetComparison(
        "release", "no detectable difference", 0, 0, 2, 0, "holm", compared=3, power="p"
    )
    assert SetCompare.from_json(of_set.to_json()).power == "p"
    then = RunOutcome("failed", 1, 2, "66bb00000000000000000002")
    baseline = compare_baseline("failed", 1, 2, then.run_id or "", then)
    written = baseline.to_json()
    assert written["power"] == (
        "with 2 sessions now and 2 then even a drop from 100% to 0% would not be detected"
    )
    assert BaselineReport.from_json(written).to_json() == written
    validate(
        {
            "pytest_amigo": "1",
            "created_at": "",
            "sets": [
                {
                    "id": "s",
                    "name": "S",
                    "run_id": None,
                    "started_here": True,
                    "unit_tests": [],
                    "compare": of_set.to_json(),
                }
            ],
        }
    )
