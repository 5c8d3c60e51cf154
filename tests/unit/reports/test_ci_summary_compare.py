"""The GitHub step summary of an A/B comparison (``--amigo-compare``), from a JSON report document
built by hand and validated against the schema (``browser/compare_document.py``)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from browser.compare_document import REFERENCE_RUN, compare_document
from pytest_amigo.reports import ci_summary
from pytest_amigo.reports.document import Report


def markdown(document: dict[str, Any], **options: Any) -> str:
    """The step summary of a report document (the typed report, read as the plugin writes it)."""
    return ci_summary.markdown(Report.from_json(document), **options)


PIPE = re.compile(r"(?<!\\)\|")  # a pipe GitHub reads as a cell separator
TITLE = "### Checkout &lt;&amp;&gt;: pr-7 against release"


def section(text: str, title: str) -> list[str]:
    """The non-empty lines under ``title`` up to the next heading."""
    lines = text.splitlines()
    start = lines.index(title)
    found = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line:
            found.append(line)
    return found


def table(lines: list[str]) -> list[list[str]]:
    rows = [line for line in lines if line.startswith("|")]
    return [[c.strip() for c in PIPE.split(line)[1:-1]] for line in rows]


@pytest.fixture(scope="module")
def summary() -> str:
    return markdown(compare_document())


def test_a_table_per_compared_set_worse_first(summary: str) -> None:
    header, rule, *rows = table(section(summary, TITLE))
    assert header == [
        "Unit test",
        "Reference (release)",
        "Candidate (pr-7)",
        "Change",
        "Adjusted p (Holm)",
        "Finding",
    ]
    assert rule == ["---", "---:", "---:", "---:", "---:", "---"]
    chance = "a gap this large by chance is rarer than 1 in {}, even allowing for 5 comparisons"
    power = "with 8 sessions per side only a drop from 100% to below 20% would be detected"
    assert rows == [
        [
            "Greets",
            "8/8 (100%)",
            "0/8 (0%)",
            "-100 pts",
            "0.000389",
            f"❌ **significantly worse**: {chance.format('1,000')}",
        ],
        [
            "Quiet drop",
            "8/8 (100%)",
            "5/8 (62%)",
            "-38 pts",
            "0.04",
            f"❌ **significantly worse**: {chance.format(20)}",
        ],
        [
            "Down",
            "8/8 (100%)",
            "0/0 (–)",
            "–",
            "–",
            "not compared: the candidate has no valid session",
        ],
        [
            "Slips \\| pipes and a new line",
            "8/8 (100%)",
            "7/8 (88%)",
            "-12 pts",
            "1",
            f"no detectable difference; {power}",
        ],
        ["Steady", "8/8 (100%)", "8/8 (100%)", "0 pts", "1", f"no detectable difference; {power}"],
        # better: the p-value of its own direction (p_better_adjusted)
        [
            "Refunds",
            "0/8 (0%)",
            "8/8 (100%)",
            "+100 pts",
            "0.000389",
            f"significantly better: {chance.format('1,000')}",
        ],
    ]


def test_a_no_detectable_difference_of_two_sessions_warns_in_the_table() -> None:
    """1/2 vs 1/2 must not read like a calm "no difference": its power beside it."""
    document = compare_document()
    test = document["sets"][0]["unit_tests"][5]  # Steady
    for key in ("candidate", "reference_sessions"):
        test["compare"][key].update(passed=1, valid=2, pass_rate=0.5)
    (row,) = [r for r in table(section(markdown(document), TITLE)) if r[0] == "Steady"]
    assert row[5] == (
        "no detectable difference - but with 2 sessions per side even a drop from 100% to 0% "
        "would not be detected"
    )


def test_the_headline_says_the_verdict_and_the_compared_version_sets(summary: str) -> None:
    assert summary.split("\n")[2:7] == [
        "**Gate failed: 1 unit test significantly worse than release, 1 failed, 1 errored**",
        "",
        "- Candidate: version set pr-7: agent b0d1…27 v2, state machine 6f47…bb v1",
        "- Reference: version set release: agent b0d1…27 v1, state machine 6f47…bb v1",
        "",
    ]


def test_the_set_line_then_a_loud_a_a_warning(summary: str) -> None:
    lines = section(summary, TITLE)
    after = [line for line in lines if not line.startswith("|")]
    assert after == [
        f"**Set Checkout &lt;&amp;&gt;**: candidate vs release (run {REFERENCE_RUN}), unit "
        "tests: 2 worse, 1 better, 2 no detectable difference, 1 not compared; overall: "
        "significantly worse, adjusted p = 0.0136 (Cochran-Mantel-Haenszel for worse, Holm "
        "over 2 sets)",
        "> [!WARNING]",
        "> **A/A comparison:** pr-7 and release ran the same agent version: this compares "
        "release with itself &lt;b&gt;",
    ]
    # after the sets and what ran, before the failing unit tests
    assert summary.index("### What ran") < summary.index(TITLE)
    assert summary.index(TITLE) < summary.index("### Failing unit tests")


def test_same_agent_without_a_warning_text_still_warns() -> None:
    document = compare_document()
    document["sets"][0]["compare"]["warning"] = None
    text = markdown(document)
    assert "> **A/A comparison:** pr-7 and release ran the same agent version: this compares " in (
        text
    )
    document["sets"][0]["compare"]["same_agent"] = False
    assert "[!WARNING]" not in markdown(document)


def test_a_set_without_comparison_has_no_table(summary: str) -> None:
    assert "### Plain" not in summary
    assert summary.count("against release") == 1


def test_worse_unit_tests_come_first_among_the_failing(summary: str) -> None:
    title = next(line for line in summary.splitlines() if line.startswith("### Failing"))
    assert title == "### Failing unit tests (3), 1 worse than the reference"
    document = compare_document()
    tests = document["sets"][0]["unit_tests"]
    tests.insert(0, tests.pop(2))  # Slips (failed, no difference) first in the report
    rows = table(section(markdown(document), title))
    assert [r[0] for r in rows[2:]] == [
        "Greets",
        "Slips \\| pipes and a new line",
        "Down",
    ]


def test_cells_stay_one_line_and_the_table_stays_six_columns() -> None:
    document = compare_document()
    evil = "a|b\n| --- |\n<script>x</script>"
    document["sets"][0]["unit_tests"][4]["compare"]["why"] = evil
    document["sets"][0]["unit_tests"][0]["name"] = evil
    lines = section(markdown(document), TITLE)
    assert all(len(row) == 6 for row in table(lines))
    assert "<script>" not in "\n".join(lines)
    assert "a\\|b \\| --- \\| &lt;script&gt;x&lt;/script&gt;" in "\n".join(lines)


def test_at_most_max_rows_then_and_n_more(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ci_summary, "MAX_ROWS", 2)
    rows = table(section(markdown(compare_document()), TITLE))
    assert [r[0] for r in rows[2:]] == [
        "Greets",
        "Quiet drop",
        "... and 4 more compared unit tests",
    ]
