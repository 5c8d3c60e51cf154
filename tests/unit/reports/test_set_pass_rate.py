"""The set pass rate: one definition (``document.set_pass_rate``: unit tests whose evidence
passed over the set's unit tests), one format, in the JSON, the HTML page, the step summary and
the merged report; the HTML page's grouped justifications; counts in plurals."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from pytest_amigo.reports import ci_summary, html_report
from pytest_amigo.reports.document import (
    Report,
    ReportError,
    pass_rate_text,
    set_pass_rate,
    validate,
)
from pytest_amigo.reports.html_unit import justifications
from unit.reports.test_merge import a_set, merged, run_cli, unit_test, write
from unit.reports.test_merge import report as shard


@pytest.mark.parametrize(
    ("outcomes", "rate"),
    [
        ([], None),
        (["passed"], 1.0),
        (["passed", "error"], 0.5),
        (["passed", "xfailed", "inconclusive", "failed"], 0.25),
        (["error", "error"], 0.0),
    ],
)
def test_set_pass_rate_counts_unit_tests_whose_evidence_passed(
    outcomes: list[str], rate: float | None
) -> None:
    assert set_pass_rate(outcomes) == rate


def test_pass_rate_text_is_a_whole_percentage() -> None:
    assert [pass_rate_text(r) for r in (None, 0.0, 1 / 3, 0.5, 1.0)] == [
        "–",
        "0%",
        "33%",
        "50%",
        "100%",
    ]


def _xpass_and_error() -> dict[str, Any]:
    """A set whose one unit test passed although listed in amigo_xfail, the other errored."""
    xpass = {**unit_test("Greets"), "reported": "xpassed", "expected": "SUP-12"}
    return shard(a_set(xpass, unit_test("Crashes", "error", 0, 0)))


def test_every_view_of_a_document_states_the_same_pass_rate() -> None:
    data = _xpass_and_error()
    report = Report.from_json(data)
    [entry] = report.sets
    assert entry.pass_rate == 0.5
    written = report.to_json()
    assert "pass_rate" not in written["sets"][0]  # an older document keeps its keys
    page = html.unescape(html_report.render(report))
    assert "Unit test pass rate</dt><dd>50%" in page and "<td>50%</td>" in page
    assert re.search(r"^\| Checkout \|.*\| 50% \|$", ci_summary.markdown(report), re.M)


def test_a_merged_set_writes_its_pass_rate() -> None:
    document = merged(_xpass_and_error()).document.to_json()
    validate(document)
    assert document["sets"][0]["pass_rate"] == 0.5
    assert json.dumps(Report.from_json(document).to_json()) == json.dumps(document)


def test_a_stated_pass_rate_is_recomputed_and_checked() -> None:
    data = _xpass_and_error()
    data["sets"][0]["pass_rate"] = 0.9  # hand-edited
    assert Report.from_json(data).to_json()["sets"][0]["pass_rate"] == 0.5
    data["sets"][0]["pass_rate"] = "half"
    with pytest.raises(ReportError, match="pass_rate"):
        Report.from_json(data)


def test_html_justifications_are_grouped_with_their_sessions() -> None:
    test = unit_test("Pays", "failed", 1, 4)
    test["criteria"][0] |= {
        "sessions": [False, True, False, False],
        "justifications": ["Hung up.", "Fine.", "Hung up.", "Never paid."],
    }
    [entry] = Report.from_json(shard(a_set(test)), check=False).sets
    found = html.unescape(justifications(entry.unit_tests[0]))
    assert found.count("Hung up.") == 1 and "Fine." not in found
    assert "sessions 1, 3: Hung up.</li>" in found and "session 4: Never paid.</li>" in found


def test_merge_and_the_html_page_say_their_counts_in_plurals(tmp_path: Path) -> None:
    """One error, one report, one unit test, one set: singular nouns (not "1 errors", "1 sets")."""
    one = write(tmp_path / "shard.json", shard(a_set(unit_test("Crashes", "error", 0, 0))))
    status, out, _ = run_cli([one, "--html", tmp_path / "all.html"])
    assert status == 1
    assert out == "pytest-amigo merge: 1 report: 1 unit test in 1 set (1 error): failed\n"
    page = html.unescape((tmp_path / "all.html").read_text(encoding="utf-8"))
    assert "1 unit test in 1 set" in page
    assert '<li class="n-error"><strong>1</strong> error</li>' in page
    assert '<li class="n-failed"><strong>0</strong> failed</li>' in page
