"""The verdict headline the step summary and the HTML page open with (``reports/headline.py``)."""

from __future__ import annotations

import copy
from typing import Any

from browser.compare_document import compare_document
from pytest_amigo.reports.document import Report
from pytest_amigo.reports.headline import compared_lines, headline


def report(document: dict[str, Any]) -> Report:
    return Report.from_json(document)


def test_a_failing_comparison_names_the_worse_unit_tests_first() -> None:
    assert headline(report(compare_document())) == (
        "Gate failed: 1 unit test significantly worse than release, 1 failed, 1 errored"
    )


def test_a_passing_comparison_says_nothing_was_worse_and_the_known_failures() -> None:
    document = compare_document()
    for test in document["sets"][0]["unit_tests"]:
        if test["reported"] in ("failed", "error"):
            test["reported"] = "xfailed"
    assert headline(report(document)) == (
        "Gate passed: no unit test significantly worse than release (3 known failures xfailed)"
    )


def test_without_a_comparison_the_outcomes_decide() -> None:
    document = compare_document()
    plain = copy.deepcopy(document["sets"][1])  # one unit test, passed, not compared
    document["sets"] = [plain]
    assert headline(report(document)) == "Gate passed: 1 unit test passed"
    assert compared_lines(report(document)) == []
    test = plain["unit_tests"][0]
    document["sets"] = [
        {**plain, "unit_tests": [{**test, "outcome": "failed", "reported": "failed"}] * 2}
    ]
    assert headline(report(document)) == "Gate failed: 2 unit tests failed"
    document["sets"] = []
    assert headline(report(document)) == "No unit test was reported"


def test_the_compared_version_sets_once_each_candidate_first() -> None:
    assert compared_lines(report(compare_document())) == [
        "Candidate: version set pr-7: agent b0d1…27 v2, state machine 6f47…bb v1",
        "Reference: version set release: agent b0d1…27 v1, state machine 6f47…bb v1",
    ]
