"""``pytest-amigo merge`` over hand-built shard reports: reports/merge.py (the merging),
reports/cli.py (reading, exit status, the reports written) and reports/schema_check.py."""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_amigo.judging.ab import Pair, compare_sets, compare_units
from pytest_amigo.judging.baseline import key_of
from pytest_amigo.judging.run_outcome import RunOutcome
from pytest_amigo.reports import cli, schema_check
from pytest_amigo.reports.baseline_file import from_report
from pytest_amigo.reports.json_report import schema
from pytest_amigo.reports.merge import Merged, MergeError, Shard, exit_status, merge

NOW = dt.datetime(2026, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
RUN, RUN_2, REF_RUN = (
    "66aa000000000000000000a1",
    "66aa000000000000000000a2",
    "66aa0000000000000000ff01",
)
SET_A, SET_B = "5e7a00000000000000000001", "5e7b00000000000000000002"


def unit_test(
    name: str,
    outcome: str = "passed",
    passed: int = 3,
    valid: int = 3,
    *,
    uid: str | None = None,
    run_id: str = RUN,
    nodeid: str | None = None,
    reported: str | None = None,
) -> dict[str, Any]:
    """A unit test entry as ``AmigoResult.to_json`` writes it (one criterion)."""
    return {
        "id": uid or f"ut-{name.lower().replace(' ', '-')}",
        "name": name,
        "nodeid": nodeid or f"amigo::Checkout::{name}",
        "run_id": run_id,
        "outcome": outcome,
        "reported": reported or ("failed" if outcome == "inconclusive" else outcome),
        "reason": f"{passed}/{valid} sessions passed",
        "expected": None,
        "sessions": {"total": valid, "valid": valid, "passed": passed, "errored": 0},
        "pass_rate": passed / valid if valid else None,
        "pass_rate_interval": None,
        "confidence": None,
        "pass_k": None,
        "criteria": [
            {
                "name": "Completion",
                "metric_id": "m1",
                "passed": passed,
                "valid": valid,
                "sessions": [i < passed for i in range(valid)],
            }
        ],
        "explanation": f"{passed}/{valid} sessions passed\n",
        "baseline": None,
        "what_ran": None,
    }


def report(*sets: dict[str, Any], created: str = "2026-05-01T11:00:00+00:00") -> dict[str, Any]:
    return {"pytest_amigo": "0.1.0", "created_at": created, "sets": list(sets)}


def a_set(
    *tests: dict[str, Any],
    set_id: str = SET_A,
    name: str = "Checkout",
    run_id: str | None = RUN,
    started_here: bool = False,
) -> dict[str, Any]:
    return {
        "id": set_id,
        "name": name,
        "run_id": run_id,
        "started_here": started_here,
        "unit_tests": list(tests),
    }


def merged(*documents: dict[str, Any]) -> Merged:
    shards = [Shard(f"shard-{i + 1}.json", d) for i, d in enumerate(documents)]
    return merge(shards, schema(), version="9.9.9", now=NOW)


def problems_of(*documents: dict[str, Any]) -> list[str]:
    with pytest.raises(MergeError) as caught:
        merged(*documents)
    return caught.value.problems


def names(entry: dict[str, Any]) -> list[str]:
    return [t["name"] for t in entry["unit_tests"]]


# -- one report from many ----------------------------------------------------------------------
def test_parts_of_one_set_from_two_shards_are_one_set() -> None:
    one = report(a_set(unit_test("Greets"), unit_test("Refunds"), started_here=True))
    two = report(a_set(unit_test("Half", "failed", 1, 2)), a_set(unit_test("Other"), set_id=SET_B))
    document = merged(one, two).document.to_json()
    jsonschema.validate(document, schema())
    assert [s["id"] for s in document["sets"]] == [SET_A, SET_B]
    (checkout, other) = document["sets"]
    assert names(checkout) == ["Greets", "Refunds", "Half"]
    assert checkout["run_id"] == RUN and "run_ids" not in checkout
    assert checkout["started_here"] is True and other["started_here"] is False
    assert document["pytest_amigo"] == "9.9.9"
    assert document["created_at"] == "2026-05-01T12:00:00+00:00"
    assert document["merged_from"] == [
        {"file": "shard-1.json", "pytest_amigo": "0.1.0", "created_at": one["created_at"]},
        {"file": "shard-2.json", "pytest_amigo": "0.1.0", "created_at": two["created_at"]},
    ]


def test_the_shards_subset_runs_are_listed() -> None:
    one = report(a_set(unit_test("Greets"), run_id=RUN))
    two = report(a_set(unit_test("Refunds", run_id=RUN_2), run_id=RUN_2))
    three = report(a_set(unit_test("Half", run_id=RUN_2), run_id=RUN_2))
    (entry,) = merged(one, two, three).document.to_json()["sets"]
    assert entry["run_id"] == RUN
    assert entry["run_ids"] == [RUN, RUN_2]
    assert [t["run_id"] for t in entry["unit_tests"]] == [RUN, RUN_2, RUN_2]
    assert list(entry)[:4] == ["id", "name", "run_id", "run_ids"]


def test_a_merged_report_merges_again() -> None:
    one = report(a_set(unit_test("Greets", run_id=RUN), run_id=RUN))
    two = report(a_set(unit_test("Refunds", run_id=RUN_2), run_id=RUN_2))
    run_3 = "66aa000000000000000000a3"
    three = report(a_set(unit_test("Half", run_id=run_3), run_id=run_3))
    again = merged(merged(one, two).document.to_json(), three).document.to_json()
    (entry,) = again["sets"]
    assert entry["run_ids"] == [RUN, RUN_2, run_3]
    assert names(entry) == ["Greets", "Refunds", "Half"]
    jsonschema.validate(again, schema())


def test_a_unit_test_reported_twice_alike_is_kept_once() -> None:
    one = report(a_set(unit_test("Greets"), unit_test("Refunds")))
    two = report(a_set(unit_test("Refunds"), unit_test("Half")))
    (entry,) = merged(one, two).document.to_json()["sets"]
    assert names(entry) == ["Greets", "Refunds", "Half"]


def test_the_same_unit_test_under_two_node_ids_is_two_entries() -> None:
    # the amigo tree's item and a test of the user's marked with amigo_set, say
    one = report(a_set(unit_test("Greets"), unit_test("Greets", nodeid="test_x.py::test_g[0]")))
    (entry,) = merged(one).document.to_json()["sets"]
    assert [t["nodeid"] for t in entry["unit_tests"]] == [
        "amigo::Checkout::Greets",
        "test_x.py::test_g[0]",
    ]


@pytest.mark.parametrize(
    ("changed", "what"),
    [
        ({"outcome": "failed", "reported": "failed"}, "different outcomes"),
        ({"criteria": unit_test("Greets", passed=2)["criteria"]}, "different evidence"),
        ({"run_id": RUN_2}, "different evidence"),
    ],
)
def test_a_unit_test_reported_twice_differently_is_refused(
    changed: dict[str, Any], what: str
) -> None:
    greets = unit_test("Greets")
    (problem,) = problems_of(
        report(a_set(greets)), report(a_set({**copy.deepcopy(greets), **changed}))
    )
    assert what in problem
    for part in ("'Greets'", "amigo::Checkout::Greets", "'Checkout'", SET_A):
        assert part in problem
    assert "shard-1.json says passed" in problem and "shard-2.json says " in problem


def test_occurrences_of_a_unit_test_listed_twice_keep_the_sets_order() -> None:
    first = unit_test("Greets", uid="ut-g", passed=3)
    second = unit_test("Greets", uid="ut-g", passed=1, nodeid="amigo::Checkout::Greets #2")
    second["outcome"] = second["reported"] = "failed"
    # the shard of the second listing comes first
    shards = report(a_set(second)), report(a_set(unit_test("Other"), first))
    document = merged(*shards).document.to_json()
    (entry,) = document["sets"]
    assert [t["nodeid"] for t in entry["unit_tests"]] == [
        "amigo::Checkout::Greets",
        "amigo::Checkout::Other",
        "amigo::Checkout::Greets #2",
    ]
    base = from_report(document, SET_A, "all.json")
    assert base.entries[key_of("ut-g", 0)].outcome == "passed"
    assert base.entries[key_of("ut-g", 1)].outcome == "failed"


def test_the_merged_report_is_a_baseline() -> None:
    one = report(a_set(unit_test("Greets", run_id=RUN), run_id=RUN))
    two = report(a_set(unit_test("Half", "failed", 1, 4, run_id=RUN_2), run_id=RUN_2))
    base = from_report(merged(one, two).document.to_json(), SET_A, "all.json")
    assert base.run_id == RUN
    greets, half = base.entries["ut-greets"], base.entries["ut-half"]
    assert (greets.run_id, greets.outcome, greets.passed, greets.valid) == (
        RUN,
        "passed",
        3,
        3,
    )
    assert (half.run_id, half.outcome, half.passed, half.valid) == (
        RUN_2,
        "failed",
        1,
        4,
    )


# -- what the command says -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        ([("passed", "passed"), ("passed", "passed")], 0),
        ([("passed", "passed"), ("failed", "xfailed"), ("xfailed", "xfailed")], 0),
        ([("inconclusive", "passed")], 0),  # --amigo-inconclusive=pass
        ([("passed", "passed"), ("failed", "failed")], 1),
        ([("error", "error")], 1),
        ([("inconclusive", "failed")], 1),
    ],
)
def test_exit_status(outcomes: list[tuple[str, str]], status: int) -> None:
    tests = [
        unit_test(f"T{i}", outcome, reported=reported)
        for i, (outcome, reported) in enumerate(outcomes)
    ]
    document = merged(report(a_set(*tests))).document
    assert exit_status(document) == status


def run_cli(
    args: Sequence[str | Path], environ: dict[str, str] | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(["merge", *map(str, args)], environ=environ or {}, out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_command_writes_the_merged_reports(tmp_path: Path) -> None:
    one = write(tmp_path / "shard-1.json", report(a_set(unit_test("Greets"))))
    two = write(tmp_path / "shard-2.json", report(a_set(unit_test("Half", "failed", 1, 2))))
    summary = tmp_path / "summary.md"
    status, out, err = run_cli(
        [one, two, "--json", tmp_path / "all.json", "--html", tmp_path / "all.html",
         "--github-summary"],
        {"GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert (status, err) == (1, "")
    assert (
        out == "pytest-amigo merge: 2 reports: 2 unit tests in 1 set (1 passed, 1 failed): failed\n"
    )
    document = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema())
    assert names(document["sets"][0]) == ["Greets", "Half"]
    page = (tmp_path / "all.html").read_text(encoding="utf-8")
    assert "Greets" in page and "Half" in page and "2 unit tests in 1 set" in page
    text = summary.read_text(encoding="utf-8")
    assert "Half" in text and "all.json" in text and "all.html" in text


def test_all_passed_is_status_0_and_nothing_is_written_unasked(tmp_path: Path) -> None:
    one = write(tmp_path / "shard-1.json", report(a_set(unit_test("Greets"))))
    summary = tmp_path / "summary.md"
    status, out, err = run_cli([one], {"GITHUB_STEP_SUMMARY": str(summary)})
    assert (status, err) == (0, "")
    assert out.endswith(": passed\n")
    assert not summary.exists()  # only with --github-summary


def test_github_summary_without_its_variable_is_an_error(tmp_path: Path) -> None:
    one = write(tmp_path / "shard-1.json", report(a_set(unit_test("Greets"))))
    status, out, err = run_cli([one, "--github-summary"], {})
    assert status == 2 and out == ""
    assert err == (
        "pytest-amigo merge: --github-summary: GITHUB_STEP_SUMMARY is not set (GitHub Actions "
        "sets it in every job step)\n"
    )


def test_inputs_that_cannot_be_merged_are_status_2_one_line_each(tmp_path: Path) -> None:
    good = write(tmp_path / "good.json", report(a_set(unit_test("Greets"))))
    missing = tmp_path / "missing.json"
    broken = tmp_path / "broken.json"
    broken.write_text('{"pytest_amigo": ', encoding="utf-8")
    other = write(tmp_path / "other.json", {"tests": []})
    bad = report(a_set(unit_test("Refunds")))
    bad["sets"][0]["unit_tests"][0]["outcome"] = "ok"
    invalid = write(tmp_path / "invalid.json", bad)
    status, out, err = run_cli([good, missing, broken, other, invalid, "--json", tmp_path / "a.j"])
    assert status == 2 and out == ""
    lines = err.splitlines()
    assert lines == [
        f"pytest-amigo merge: {missing}: cannot read it: No such file or directory",
        f"pytest-amigo merge: {broken}: not a JSON file: Expecting value: line 1 column 18 "
        "(char 17)",
        f"pytest-amigo merge: {other}: not a pytest-amigo JSON report (--amigo-json)",
        f"pytest-amigo merge: {invalid}: not a valid pytest-amigo JSON report: "
        "$.sets[0].unit_tests[0].outcome: 'ok' is not one of 'passed', 'failed', 'error', "
        "'inconclusive', 'xfailed'",
    ]
    assert not (tmp_path / "a.j").exists()


def test_a_conflict_names_both_files_and_writes_nothing(tmp_path: Path) -> None:
    one = write(tmp_path / "shard-1.json", report(a_set(unit_test("Greets"))))
    two = write(tmp_path / "shard-2.json", report(a_set(unit_test("Greets", "failed", 0, 3))))
    status, _, err = run_cli([one, two, "--json", tmp_path / "all.json"])
    assert status == 2
    (line,) = err.splitlines()
    assert str(one) in line and str(two) in line and "'Greets'" in line and "'Checkout'" in line
    assert "says passed, 3/3 sessions passed in run" in line
    assert "says failed, 0/3 sessions passed in run" in line
    assert not (tmp_path / "all.json").exists()


def test_a_report_that_cannot_be_written_is_status_2(tmp_path: Path) -> None:
    one = write(tmp_path / "shard-1.json", report(a_set(unit_test("Greets"))))
    (tmp_path / "taken").mkdir()
    status, _, err = run_cli([one, "--json", tmp_path / "taken"])
    assert status == 2
    assert err.startswith(f"pytest-amigo merge: could not write the JSON report {tmp_path}/taken")


def test_python_m_pytest_amigo_runs_the_command_without_the_sdk(tmp_path: Path) -> None:
    one = write(tmp_path / "shard-1.json", report(a_set(unit_test("Greets"))))
    done = subprocess.run(
        [sys.executable, "-m", "pytest_amigo", "merge", str(one)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    code = (
        "import sys, pytest_amigo.reports.cli\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'amigo_sdk', 'httpx'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# -- the comparison (--amigo-compare) over the merged suite --------------------------------------
REFERENCE = "release"


def compared_shard(
    counts: Sequence[tuple[str, int, int, int, int]], correction: str = "holm"
) -> dict[str, Any]:
    """A shard's report with ``--amigo-compare``: per unit test (name, candidate passed / valid,
    reference passed / valid), compared as the shard compared them, across its own unit tests."""
    pairs = [
        Pair(SET_A, i, RunOutcome(outcome(cp, cv), cp, cv), RunOutcome(outcome(rp, rv), rp, rv))
        for i, (_, cp, cv, rp, rv) in enumerate(counts)
    ]
    units = compare_units(pairs, REFERENCE, correction)  # type: ignore[arg-type]
    (of_set,) = compare_sets(pairs, units, REFERENCE, correction).values()  # type: ignore[arg-type]
    tests = []
    for (name, cp, cv, *_), unit in zip(counts, units, strict=True):
        test = unit_test(name, outcome(cp, cv), cp, cv)
        test["compare"] = {**unit.to_json(), "run_id": REF_RUN, "reference_criteria": []}
        test["explanation"] += f"  compared: {unit.words()}\n  set: {of_set.words()}\n"
        tests.append(test)
    entry = a_set(*tests)
    entry["compare"] = {**of_set.to_json(), "run_id": REF_RUN, "warning": None}
    return report(entry)


def outcome(passed: int, valid: int) -> str:
    return "passed" if passed == valid else "failed"


SHARD_1 = [("A", 0, 8, 8, 8), ("B", 8, 8, 8, 8)]
SHARD_2 = [("C", 7, 8, 8, 8), ("D", 8, 8, 7, 8), ("E", 6, 8, 8, 8)]


def test_the_comparison_is_recomputed_over_the_merged_suite() -> None:
    one, two = compared_shard(SHARD_1), compared_shard(SHARD_2)
    result = merged(one, two)
    jsonschema.validate(result.document.to_json(), schema())
    (entry,) = result.document.to_json()["sets"]
    pairs = [
        Pair(SET_A, i, RunOutcome(outcome(cp, cv), cp, cv), RunOutcome(outcome(rp, rv), rp, rv))
        for i, (_, cp, cv, rp, rv) in enumerate(SHARD_1 + SHARD_2)
    ]
    units = compare_units(pairs, REFERENCE, "holm")
    for test, unit in zip(entry["unit_tests"], units, strict=True):
        found = test["compare"]
        assert found["p_worse_adjusted"] == unit.p_worse_adjusted
        assert found["p_better_adjusted"] == unit.p_better_adjusted
        assert found["label"] == unit.label
        assert found["run_id"] == REF_RUN and found["reference_criteria"] == []
        assert f"  compared: {unit.words()}\n" in test["explanation"]
    (of_set,) = compare_sets(pairs, units, REFERENCE, "holm").values()
    assert entry["compare"] == {**of_set.to_json(), "run_id": REF_RUN, "warning": None}
    assert f"  set: {of_set.words()}\n" in entry["unit_tests"][0]["explanation"]
    # Holm over five unit tests is stricter than over the shard's two
    shard_a = one["sets"][0]["unit_tests"][0]["compare"]
    merged_a = entry["unit_tests"][0]["compare"]
    assert merged_a["p_worse"] == shard_a["p_worse"]
    assert merged_a["p_worse_adjusted"] > shard_a["p_worse_adjusted"]


def test_a_label_the_merged_suite_changes_is_noted() -> None:
    # alone in its shard, 1/8 vs 8/8 is worse; among many unit tests, Holm needs more
    alone = compared_shard([("A", 3, 8, 8, 8)])
    many = compared_shard([(f"N{i}", 8, 8, 8, 8) for i in range(40)])
    assert alone["sets"][0]["unit_tests"][0]["compare"]["label"] == "worse"
    result = merged(alone, many)
    first = result.document.to_json()["sets"][0]["unit_tests"][0]
    assert first["compare"]["label"] == "no detectable difference"
    assert (
        "candidate 3/8 vs release 8/8 sessions passed (-62 pts): no detectable difference"
        in first["explanation"]
    )
    assert result.notes == [
        "unit test 'A' of set 'Checkout': compared as worse in its shard, no detectable "
        "difference over the merged suite (its outcome is what its shard decided)"
    ]


@pytest.mark.parametrize(("reference", "correction"), [("main", "holm"), (REFERENCE, "bh")])
def test_shards_compared_differently_are_refused(reference: str, correction: str) -> None:
    two = compared_shard(SHARD_2, correction)
    for test in two["sets"][0]["unit_tests"]:
        test["compare"]["reference"] = reference
    two["sets"][0]["compare"]["reference"] = reference
    (problem,) = problems_of(compared_shard(SHARD_1), two)
    assert "different references or with different corrections" in problem
    assert "shard-1.json: against release (holm)" in problem
    assert f"shard-2.json: against {reference} ({correction})" in problem


def test_without_a_comparison_nothing_is_compared() -> None:
    (entry,) = merged(report(a_set(unit_test("Greets")))).document.to_json()["sets"]
    assert "compare" not in entry and "compare" not in entry["unit_tests"][0]


# -- the schema check ---------------------------------------------------------------------------
def test_the_schema_uses_only_what_the_check_checks() -> None:
    assert schema_check.unsupported(schema()) == set()
    assert schema_check.unsupported({"type": "object", "patternProperties": {}}) == {
        "patternProperties"
    }


def mutations() -> list[tuple[str, Any]]:
    """(path, new value) breaking or keeping a valid report."""
    return [
        ("sets", None),
        ("sets.0.started_here", "yes"),
        ("sets.0.unit_tests.0.sessions.valid", -1),
        ("sets.0.unit_tests.0.sessions.valid", 2.0),
        ("sets.0.unit_tests.0.pass_rate", 1.5),
        ("sets.0.unit_tests.0.pass_rate_interval", [0.1]),
        ("sets.0.unit_tests.0.confidence", 1),
        ("sets.0.unit_tests.0.reported", True),
        ("sets.0.unit_tests.0.what_ran", {"agent": ["a", "v1"]}),
        ("sets.0.unit_tests.0.what_ran", {"agent": ["a", 1]}),
        ("sets.0.unit_tests.0.pass_k", {"k": 0, "value": 1}),
        ("sets.0.unit_tests.0.baseline", {"run_id": "r"}),
        ("sets.0.unit_tests.0.compare", None),
        ("sets.0.run_ids", [RUN]),
        ("sets.0.run_ids", [RUN, RUN_2]),
        ("merged_from", [{"file": 3}]),
    ]


@pytest.mark.parametrize(("where", "value"), mutations())
def test_the_check_agrees_with_jsonschema(where: str, value: Any) -> None:
    document: Any = report(a_set(unit_test("Greets")))
    *parents, last = where.split(".")
    node = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value
    valid = jsonschema.Draft202012Validator(schema()).is_valid(document)
    assert (schema_check.problems(document, schema()) == []) is valid
    assert schema_check.problems(compared_shard(SHARD_2), schema()) == []


def test_the_check_says_where_and_what() -> None:
    document: Any = report(a_set(unit_test("Greets")))
    document["sets"][0]["unit_tests"][0]["pass_rate"] = 1.5
    document["sets"][0]["unit_tests"][0]["what_ran"] = {"agent": ["a", "v1"]}
    assert schema_check.problems(document, schema()) == [
        "$.sets[0].unit_tests[0].pass_rate: 1.5 is above the maximum 1",
        "$.sets[0].unit_tests[0].what_ran.agent[1]: expected integer, found string",
    ]
