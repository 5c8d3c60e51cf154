"""Unit tests of reporting details: attachment paths and their settling, safe JUnit classnames,
item locations in config files, pytest-html extras, the order in which reports list unit tests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from pytest_amigo.plugin.collect import line_of
from pytest_amigo.plugin.runner import junit_classname
from pytest_amigo.plugin.summary import SetLines, SetTally, evidence_lines, shared_context
from pytest_amigo.reports import ci_summary
from pytest_amigo.reports.document import Report, UnitTestEntry
from pytest_amigo.reports.html_extras import evidence_html, extras_of, grid
from pytest_amigo.reports.junit_artifacts import reason_for, settle
from pytest_amigo.settings import Reports

RUN = "6b05000000000000000000aa"


def test_attachment_relative_to_the_rootdir_unless_absolute_or_outside(tmp_path: Path) -> None:
    inside = tmp_path / ".amigo-artifacts" / f"run-{RUN}.zip"
    outside = Path("/elsewhere") / f"run-{RUN}.zip"
    relative = Reports(rootdir=tmp_path)
    assert relative.attachment(inside) == f".amigo-artifacts/run-{RUN}.zip"
    assert relative.attachment(outside) == str(outside)
    absolute = Reports(rootdir=tmp_path, attachment_paths="absolute")
    assert absolute.attachment(inside) == str(inside)
    assert Reports().attachment(inside) == str(inside)  # no rootdir known


def test_reason_for_matches_relative_and_absolute_references() -> None:
    missing = {f"/ci/project/.amigo-artifacts/run-{RUN}.zip": "the run was cancelled"}
    assert reason_for(f"/ci/project/.amigo-artifacts/run-{RUN}.zip", missing)
    assert reason_for(f".amigo-artifacts/run-{RUN}.zip", missing) == "the run was cancelled"
    assert reason_for(f"run-{RUN}.zip", missing) == "the run was cancelled"
    assert reason_for(f"other/run-{RUN}.zip", missing) is None
    assert reason_for("/elsewhere/run-{RUN}.zip", missing) is None
    assert reason_for("", missing) is None


def test_settle_rewrites_relative_references(tmp_path: Path) -> None:
    xml = tmp_path / "junit.xml"
    kept = "arts/run-6b05000000000000000000bb.zip"
    xml.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="1" '
        'errors="0" failures="0"><testcase classname="amigo.S" name="u"><properties>'
        f'<property name="amigo_artifacts" value="arts/run-{RUN}.zip" /></properties>'
        f"<system-out>before\n[[ATTACHMENT|arts/run-{RUN}.zip]]\n[[ATTACHMENT|{kept}]]\n"
        "</system-out></testcase></testsuite></testsuites>",
        encoding="utf-8",
    )
    (tmp_path / kept).parent.mkdir(parents=True)
    (tmp_path / kept).write_bytes(b"PK")  # arrived: its references stay
    missing = {str(tmp_path / "arts" / f"run-{RUN}.zip"): "never generated"}
    assert settle(xml, missing, tmp_path) == 1
    text = xml.read_text(encoding="utf-8")
    assert f"[[ATTACHMENT|arts/run-{RUN}.zip]]" not in text
    assert "pytest-amigo: no artifacts: never generated" in text
    assert f"[[ATTACHMENT|{kept}]]" in text
    assert 'name="amigo_artifacts_missing" value="never generated"' in text
    assert settle(xml, missing, tmp_path) == 0  # nothing left to settle


def test_settle_removes_references_the_session_cannot_match(tmp_path: Path) -> None:
    """Issue 18 case 5: a reference to a file that is not there, whatever the session knows
    of it (here: nothing), never stays in the XML."""
    xml = tmp_path / "junit.xml"
    xml.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="1" '
        'errors="0" failures="0"><testcase classname="amigo.S" name="u"><properties>'
        f'<property name="amigo_artifacts" value="/nowhere/run-{RUN}.zip" /></properties>'
        f"<system-out>[[ATTACHMENT|elsewhere/run-{RUN}.zip]]\n</system-out></testcase>"
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    assert settle(xml, {}, tmp_path) == 1
    text = xml.read_text(encoding="utf-8")
    assert "[[ATTACHMENT|" not in text and 'name="amigo_artifacts"' not in text
    assert "no artifacts: the artifacts file never arrived" in text


def test_junit_classname_only_changes_odd_set_names() -> None:
    assert junit_classname("amigo::Billing and refunds::Refund") is None
    assert junit_classname("amigo::Release 2.1::Refund") == "amigo.Release 2_1"
    assert junit_classname("amigo::a/b\\c::x.y") == "amigo.a_b_c"
    assert junit_classname("amigo::v1.0::set gate", "ci") == "ci.amigo.v1_0"


def test_line_of_is_zero_based() -> None:
    text = "[pytest]\namigo_sets =\n    66aa00000000000000000001\n"
    assert line_of(text, "66aa00000000000000000001") == 2
    assert line_of(text, "[pytest]") == 0
    assert line_of(text, "nothing") is None


ENTRY = {
    "id": "66aa000000000000000000c1",
    "name": "Refund <b>",
    "nodeid": "amigo::Billing & co::Refund <b>",
    "set_id": "66aa00000000000000000001",
    "set_name": "Billing & co",
    "run_id": RUN,
    "outcome": "failed",
    "reported": "failed",
    "reason": "Empathy ✘ 0/1 <script>",
    "expected": None,
    "sessions": {"total": 3, "valid": 2, "passed": 1, "errored": 1},
    "criteria": [
        {
            "name": "Empathy",
            "metric_id": "66aa000000000000000000d1",
            "requirement": ">= 7",
            "passed": 1,
            "valid": 2,
            "sessions": [True, False, None],
            "values": [8, 5, None],
            "justifications": [None, "Ignored <the> customer", None],
        }
    ],
    "session_errors": [None, None, "simulator \x1b timeout"],
    "artifacts": f"/ci/.amigo-artifacts/run-{RUN}.zip",
}


def test_grid_marks_values_errors_and_escapes() -> None:
    test = UnitTestEntry.from_json(ENTRY).unit_test
    table = grid(test)
    assert table.count("<tr>") == 2
    assert "\u2714 8" in table and "\u2718 5" in table
    assert ">error</td>" in table and 'title="session errored: simulator' in table
    assert "&gt;= 7" in table
    assert grid(replace(test, criteria=())) == ""


def test_evidence_html_escapes_service_text() -> None:
    page = evidence_html(UnitTestEntry.from_json(ENTRY))
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Ignored &lt;the&gt; customer" in page
    assert "Billing &amp; co" in page
    assert f"pytest --amigo-run={RUN}" in page
    assert "\x1b" not in page and "simulator \\x1b timeout" in page


def test_extras_are_plain_builtins_with_relative_links(tmp_path: Path) -> None:
    target = tmp_path / ".amigo-artifacts" / "run x.zip"
    found = extras_of(ENTRY, [("Amigo artifacts", target)], base=tmp_path / "reports")
    assert [e["format_type"] for e in found] == ["html", "url"]
    assert found[1]["content"] == "../.amigo-artifacts/run%20x.zip"
    for extra in found:
        assert all(isinstance(v, str | type(None)) for v in extra.values())
    assert extras_of(None) == []


# -- what needs attention first ---------------------------------------------------------------


def _entry(name: str, outcome: str, transition: str) -> dict[str, Any]:
    """A unit test's JSON entry (the fields both summaries read), compared with a baseline."""
    return {
        "name": name,
        "nodeid": f"amigo::Set::{name}",
        "outcome": outcome,
        "reason": "",
        "sessions": {"total": 3, "valid": 3, "passed": 1, "errored": 0},
        "baseline": {"transition": transition, "sessions_passed": 3, "sessions_valid": None},
    }


# In report order: regressions (whatever their outcome) first, then failed, inconclusive, error,
# xfailed, passed; report order within a rank.
REPORTED = [
    _entry("Passes", "passed", "unchanged"),
    _entry("Known", "xfailed", "still-failing"),
    _entry("Errs", "error", "unchanged"),
    _entry("Unsure", "inconclusive", "new"),
    _entry("Slipped", "failed", "regressed"),
    _entry("Fails", "failed", "still-failing"),
    _entry("Slipped into doubt", "inconclusive", "regressed"),
]
ATTENTION = ["Slipped", "Slipped into doubt", "Fails", "Unsure", "Errs", "Known", "Passes"]


def test_terminal_summary_lists_regressions_first_then_by_outcome() -> None:
    tally = SetTally("Set")
    for entry in REPORTED:
        baseline = {**entry["baseline"], "run_id": RUN}
        wire = {**entry, "id": entry["name"], "set_id": "s1", "set_name": "Set"}
        tally.evidence[entry["nodeid"]] = UnitTestEntry.from_json({**wire, "baseline": baseline})
        tally.outcomes[entry["nodeid"]] = entry["outcome"]
    lines = evidence_lines(tally)
    assert [line.split(": ")[1] for line in lines] == ATTENTION
    assert lines[0].startswith("REGRESSED: Slipped: ")


def test_step_summary_lists_failing_unit_tests_in_the_same_order() -> None:
    tests = [{**e, "id": e["name"], "baseline": {**e["baseline"], "run_id": RUN}} for e in REPORTED]
    entry = {"id": "s1", "name": "Set", "run_id": RUN, "started_here": True, "unit_tests": tests}
    document = {"pytest_amigo": "0.1.0", "created_at": "", "sets": [entry]}
    text = ci_summary.markdown(Report.from_json(document, check=False))
    table = text.split("### Failing unit tests")[1].split("\n\n")[1].splitlines()
    names = [row.removeprefix("| ").split(" | ")[0] for row in table[2:]]
    failing = {"failed", "error", "inconclusive"}
    outcome = {e["name"]: e["outcome"] for e in REPORTED}
    assert names == [name for name in ATTENTION if outcome[name] in failing]


# -- what every set shares, said once ---------------------------------------------------------


def _candidate_note(name: str, temporary: str, ran: int = 2) -> str:
    return (
        f"--amigo-version-set=pr-7: ran {ran} of 2 unit tests in temporary set "
        f"'pytest-amigo pr-7 of {name} [abc123]' ({temporary}), deleted at the end, with copies "
        "of 2 unit tests on the version set, deleted at the end too"
    )


def test_what_every_set_shares_is_said_once_and_each_set_keeps_its_own() -> None:
    ran = "version set pr-7: agent b0d1…27 v2"
    found = [
        SetLines("A", (_candidate_note("A", "t1"), ran), ("passed: x",)),
        SetLines("B", (_candidate_note("B", "t2", ran=1), ran), ("failed: y",)),
    ]
    once, rest = shared_context(found)
    assert once == [
        "--amigo-version-set=pr-7: each set ran in a temporary set with copies of its unit tests "
        "on the version set, all deleted at the end",
        ran,
    ]
    assert [s.context for s in rest] == [
        ("ran 2 of 2 unit tests in temporary set t1",),
        ("ran 1 of 2 unit tests in temporary set t2",),
    ]
    assert [s.notes for s in rest] == [("passed: x",), ("failed: y",)]


def test_notes_not_shared_by_every_set_stay_with_their_set() -> None:
    note = _candidate_note("A", "t1")
    found = [SetLines("A", (note, "version set pr-7"), ()), SetLines("B", ("version set x",), ())]
    once, rest = shared_context(found)
    assert once == [] and [s.context for s in rest] == [s.context for s in found]
    alone = [SetLines("A", (note,), ())]
    assert shared_context(alone) == ([], alone)
