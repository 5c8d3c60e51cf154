"""The GitHub Actions step summary (ci_summary.py), from JSON report documents built by hand.

Every document is validated against the shipped schema first, so the fixtures stay what the plugin
writes with ``--amigo-json``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_amigo.reports import ci_summary, json_report
from pytest_amigo.reports.document import Report


def markdown(document: dict[str, Any], **options: Any) -> str:
    """The step summary of a report document (the typed report, read as the plugin writes it)."""
    return ci_summary.markdown(Report.from_json(document), **options)


RUN_A = "66aa000000000000000000a1"
RUN_B = "66aa000000000000000000b1"
BASE_A = "66bb000000000000000000a1"
ZIP_A = "/ci/.amigo-artifacts/run-66aa000000000000000000a1.zip"
ZIP_B = "/ci/.amigo-artifacts/run-66aa000000000000000000b1.zip"

PIPE = re.compile(r"(?<!\\)\|")  # a pipe GitHub reads as a cell separator


def unit_test(
    name: str,
    outcome: str,
    *,
    reason: str = "",
    passed: int = 2,
    valid: int = 2,
    errored: int = 0,
    run_id: str = RUN_A,
    artifacts: str | None = ZIP_A,
    baseline: dict[str, Any] | None = None,
    expected: str | None = None,
) -> dict[str, Any]:
    reported = {"inconclusive": "failed"}.get(outcome, outcome)
    return {
        "id": f"ut-{abs(hash(name)) % 10**8}",
        "name": name,
        "nodeid": f"amigo::Set::{name}",
        "run_id": run_id,
        "outcome": outcome,
        "reported": reported,
        "reason": reason or f"{passed}/{valid} sessions passed",
        "expected": expected,
        "sessions": {
            "total": valid + errored,
            "valid": valid,
            "passed": passed,
            "errored": errored,
        },
        "pass_rate": passed / valid if valid else None,
        "pass_rate_interval": None,
        "confidence": 0.95,
        "pass_k": None,
        "criteria": [],
        "session_errors": [None] * valid + ["simulator crashed"] * errored,
        "explanation": "",
        "artifacts": artifacts,
        "baseline": baseline,
    }


def base(transition: str, passed: int, valid: int, p_value: float | None) -> dict[str, Any]:
    return {
        "run_id": BASE_A,
        "sessions_passed": passed,
        "sessions_valid": valid,
        "transition": transition,
        "p_value": p_value,
        "significant": p_value is not None and p_value < 0.05,
    }


def a_set(name: str, run_id: str | None, tests: list[dict[str, Any]], sid: str = "s1") -> dict:
    return {"id": sid, "name": name, "run_id": run_id, "started_here": True, "unit_tests": tests}


def doc(*sets: dict[str, Any]) -> dict[str, Any]:
    found = {"pytest_amigo": "0.1.0", "created_at": "2026-04-01T12:00:00+00:00", "sets": list(sets)}
    jsonschema.validate(found, json_report.schema())
    return found


def section(text: str, title: str) -> list[str]:
    """The lines of the section starting with ``title`` (up to the next heading or details)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    out = []
    for line in lines[start + 1 :]:
        if line.startswith(("#", "<")):  # a heading, <details>, <sub>
            break
        out.append(line)
    return [line for line in out if line]


def rows(text: str, title: str) -> list[list[str]]:
    """The body rows of the table under ``title``, split into cells at unescaped pipes."""
    table = [line for line in section(text, title) if line.startswith("|")]
    return [[c.strip() for c in PIPE.split(line)[1:-1]] for line in table[2:]]


def sets_rows(text: str) -> list[list[str]]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| Set | Run |"))
    table = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        table.append([c.strip() for c in PIPE.split(line)[1:-1]])
    return table


MIXED = doc(
    a_set(
        "Checkout",
        RUN_A,
        [
            unit_test("Pays by card", "passed"),
            unit_test("Refund in window", "failed", passed=1, valid=3),
            unit_test("Refund out of window", "xfailed", expected="SUP-405 known"),
            unit_test("Card declined", "error", passed=0, valid=0, errored=2),
        ],
    ),
    a_set(
        "Account",
        RUN_B,
        [
            unit_test("Unlock", "passed", run_id=RUN_B, artifacts=ZIP_B),
            unit_test("Reset", "inconclusive", passed=2, valid=3, run_id=RUN_B, artifacts=ZIP_B),
        ],
        sid="s2",
    ),
    a_set("Empty", None, [], sid="s3"),
)


def test_a_row_per_set_with_its_run_counts_and_pass_rate() -> None:
    text = markdown(MIXED)

    assert text.startswith(ci_summary.HEADING + "\n")
    assert "❌ 6 unit tests in 3 sets: 2 passed, 1 failed, 1 error, 1 inconclusive, 1 xfailed." in (
        text
    )
    assert sets_rows(text) == [
        ["Checkout", f"`{RUN_A}`", "1", "1", "1", "0", "1", "25%"],
        ["Account", f"`{RUN_B}`", "1", "0", "0", "1", "0", "50%"],
        ["Empty", "–", "0", "0", "0", "0", "0", "–"],
    ]


def test_all_green_has_no_failing_section() -> None:
    text = markdown(doc(a_set("Checkout", RUN_A, [unit_test("Pays", "passed")])))

    assert "✅ 1 unit test in 1 set: 1 passed." in text
    assert "Failing unit tests" not in text
    assert "Expected failures" not in text


def test_failing_unit_tests_with_their_reason_and_xfails_apart() -> None:
    text = markdown(MIXED)

    failing = rows(text, "### Failing unit tests")
    assert [r[0] for r in failing] == ["Refund in window", "Reset", "Card declined"]
    assert failing[0] == ["Refund in window", "Checkout", "failed", "1/3", "1/3 sessions passed"]
    assert failing[2][2:4] == ["error", "0/0 (2 errored)"]
    assert "### Failing unit tests (3)\n" in text
    expected = section(text, "<details><summary>Expected failures (xfailed): 1</summary>")
    assert expected == ["- Refund out of window (Checkout) — SUP-405 known"]
    assert "Pays by card" not in text and "Unlock" not in text  # passed: only counted


def test_inconclusive_reported_otherwise_says_so() -> None:
    test = unit_test("Reset", "inconclusive", passed=2, valid=3)
    test["reported"] = "passed"  # --amigo-inconclusive=pass
    text = markdown(doc(a_set("Account", RUN_A, [test])))

    assert rows(text, "### Failing unit tests")[0][2] == "inconclusive (reported passed)"


def test_regressions_come_first_with_transition_and_p_value() -> None:
    text = markdown(
        doc(
            a_set(
                "Checkout",
                RUN_A,
                [
                    unit_test("Broken", "error", passed=0, valid=0, errored=3),
                    unit_test(
                        "Still bad",
                        "failed",
                        passed=1,
                        valid=3,
                        baseline=base("still-failing", 1, 3, 1.0),
                    ),
                    unit_test(
                        "Brand new", "failed", passed=0, valid=3, baseline=base("new", 0, 0, None)
                    ),
                    unit_test(
                        "Was fine",
                        "failed",
                        passed=0,
                        valid=6,
                        baseline=base("regressed", 6, 6, 0.0004),
                    ),
                ],
            ),
            a_set(
                "Account",
                RUN_B,
                [
                    unit_test(
                        "Slipped",
                        "failed",
                        passed=1,
                        valid=5,
                        run_id=RUN_B,
                        baseline=base("regressed", 5, 5, 0.048),
                    )
                ],
                sid="s2",
            ),
        )
    )

    failing = rows(text, "### Failing unit tests")
    assert [r[0] for r in failing] == ["Was fine", "Slipped", "Still bad", "Brand new", "Broken"]
    since = f"since baseline run {BASE_A}"
    p = "Fisher p = {} (two-sided, unadjusted)"
    assert failing[0][5] == (
        f"**regressed** {since} (then: 6/6 sessions passed); {p.format('0.0004')}: significant"
    )
    assert failing[1][5] == (
        f"**regressed** {since} (then: 5/5 sessions passed); {p.format('0.048')}: significant"
    )
    assert failing[2][5] == (
        f"still-failing {since} (then: 1/3 sessions passed); {p.format(1)}: no detectable "
        "difference"
    )
    assert failing[3][5] == f"new: not in baseline run {BASE_A}"
    assert failing[4][5] == "–"
    assert "### Failing unit tests (5), 2 regressed\n" in text


def test_no_baseline_column_without_a_baseline() -> None:
    text = markdown(MIXED)

    header = next(line for line in text.splitlines() if line.startswith("| Unit test"))
    assert "Baseline" not in header
    assert all(len(r) == 5 for r in rows(text, "### Failing unit tests"))


def test_service_text_cannot_break_the_table_or_inject_html() -> None:
    hostile = "judge said: a | b\nsecond line\r\nthird <script>alert(1)</script> & *bold* [x](y)"
    text = markdown(
        doc(
            a_set(
                "Set | with pipe\nand newline",
                "run|id",
                [unit_test("Name | <b>odd</b>", "failed", reason=hostile, run_id="run|id")],
            )
        )
    )

    assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    for line in text.splitlines():
        if line.startswith("| Set | Run"):
            width = 8
        elif line.startswith("| Unit test"):
            width = 5
        if line.startswith("|"):
            assert len(PIPE.findall(line)) == width + 1, line
    (row,) = rows(text, "### Failing unit tests")
    assert row[0] == r"Name \| &lt;b&gt;odd&lt;/b&gt;"
    assert row[1] == r"Set \| with pipe and newline"
    assert row[4] == (
        r"judge said: a \| b second line third &lt;script&gt;alert(1)&lt;/script&gt; &amp; "
        r"\*bold\* \[x\](y)"
    )
    assert sets_rows(text)[0][:2] == [r"Set \| with pipe and newline", r"`run\|id`"]


def test_long_reasons_are_cut_to_one_line() -> None:
    reason = "Policy accuracy ✔✘ " + "x" * 500 + "\nsecond line"
    text = markdown(doc(a_set("Checkout", RUN_A, [unit_test("T", "failed", reason=reason)])))

    cell = rows(text, "### Failing unit tests")[0][4]
    assert len(cell) == ci_summary.MAX_TEXT
    assert cell.startswith("Policy accuracy ✔✘ xxx") and cell.endswith("x…")
    assert "second line" not in text


def test_at_most_max_rows_failing_then_and_n_more() -> None:
    many = [unit_test(f"Case {i:03}", "failed", reason=f"reason {i}") for i in range(150)]
    many.append(unit_test("Late regression", "failed", baseline=base("regressed", 3, 3, 0.01)))
    text = markdown(doc(a_set("Big", RUN_A, many)))

    failing = rows(text, "### Failing unit tests")
    assert len(failing) == ci_summary.MAX_ROWS + 1
    assert failing[0][0] == "Late regression"  # the cap keeps the regressions
    assert failing[ci_summary.MAX_ROWS - 1][0] == "Case 098"
    assert failing[-1] == ["... and 51 more failing unit tests"]
    assert "Case 099" not in text
    assert "### Failing unit tests (151), 1 regressed" in text


def test_the_whole_summary_stays_under_the_byte_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ci_summary, "MAX_BYTES", 3000)
    many = [unit_test(f"Case {i}", "failed", reason="é" * 190) for i in range(50)]
    text = markdown(doc(a_set("Big", RUN_A, many)))

    assert len(text.encode("utf-8")) <= 3000
    assert text.startswith(ci_summary.HEADING)
    assert text.endswith("_The summary was cut: GitHub limits a step summary to 1 MiB._\n")


def test_artifacts_once_per_run_then_the_report_paths() -> None:
    text = markdown(
        MIXED, report_paths=[("JUnit", "reports/amigo.xml"), ("HTML report", "reports/amigo.html")]
    )

    assert section(text, "### Artifacts and reports") == [
        f"- Artifacts of Checkout, run `{RUN_A}`: `{ZIP_A}`",
        f"- Artifacts of Account, run `{RUN_B}`: `{ZIP_B}`",
        "- JUnit: `reports/amigo.xml`",
        "- HTML report: `reports/amigo.html`",
    ]


def test_a_path_with_backticks_stays_one_code_span() -> None:
    text = markdown(doc(), report_paths=[("Odd", "a`b``c/report.xml")])

    assert "- Odd: ```a`b``c/report.xml```" in text


def test_an_empty_report() -> None:
    text = markdown(doc())

    assert "No Amigo unit test was reported." in text
    assert "| Set |" not in text and "Artifacts" not in text


def test_append_twice_keeps_both_separated_by_a_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "step_summary"
    first = markdown(MIXED)
    second = markdown(doc(a_set("Only", RUN_A, [unit_test("Pays", "passed")])))

    assert ci_summary.append(path, first) is None
    assert ci_summary.append(path, second.rstrip("\n")) is None

    assert path.read_text(encoding="utf-8") == first + "\n" + second


def test_append_after_a_line_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "step_summary"
    path.write_text("# Build\nok", encoding="utf-8")

    assert ci_summary.append(path, "## Amigo") is None

    assert path.read_text(encoding="utf-8") == "# Build\nok\n\n## Amigo\n"


def test_append_never_raises_on_os_errors(tmp_path: Path) -> None:
    warning = ci_summary.append(tmp_path, "## Amigo")  # a directory

    assert warning is not None
    assert warning.startswith(f"amigo: could not write the GitHub step summary to {tmp_path}: ")
    assert "\n" not in warning
    assert ci_summary.append(tmp_path / "missing" / "summary", "x") is not None


def test_the_total_line_counts_every_outcome() -> None:
    tests = [unit_test(n, o) for n, o in [("a", "error"), ("b", "passed"), ("c", "error")]]
    text = markdown(doc(a_set("Flaky", RUN_A, tests)))

    assert "\n❌ 3 unit tests in 1 set: 1 passed, 2 errors.\n" in text
