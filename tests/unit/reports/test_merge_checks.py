"""``pytest-amigo merge`` refuses inputs that are not the shards of one suite (the same shard
twice, an A/B shard beside a plain one, not the ``--expect-shards`` count) and prints no verdict
when the merged reports cannot be written: reports/merge_checks.py and reports/cli.py."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from test_merge import (
    SHARD_1,
    SHARD_2,
    a_set,
    compared_shard,
    merged,
    problems_of,
    report,
    run_cli,
    unit_test,
    write,
)


def test_the_same_report_twice_is_refused(tmp_path: Path) -> None:
    one = write(tmp_path / "shard-1.json", report(a_set(unit_test("Greets"))))
    copied = write(tmp_path / "copy.json", json.loads(one.read_text(encoding="utf-8")))
    for given in ([one, one], [one, copied]):
        status, out, err = run_cli([*given, "--json", tmp_path / "all.json"])
        assert status == 2 and out == "", err
        (line,) = err.splitlines()
        assert f"{given[0]} and {given[1]} are the same report" in line
        assert "give each shard's report once" in line
    assert not (tmp_path / "all.json").exists()


def test_two_reports_of_the_same_unit_tests_are_the_same_shard_twice() -> None:
    first = report(a_set(unit_test("Greets"), unit_test("Refunds")))
    rerun = copy.deepcopy(first)
    rerun["created_at"] = "2026-05-01T11:30:00+00:00"  # a rerun of the job: another file
    (problem,) = problems_of(first, rerun)
    assert "shard-1.json and shard-2.json report the same 2 unit tests" in problem
    assert "the same shard twice" in problem and "--splits" in problem


def test_shards_that_share_a_few_unit_tests_still_merge() -> None:
    one = report(a_set(unit_test("Greets"), unit_test("Refunds")))
    two = report(a_set(unit_test("Refunds"), unit_test("Half")))
    assert merged(one, two).document.sets[0].unit_tests


def test_an_ab_shard_beside_a_plain_one_is_refused() -> None:
    plain = report(a_set(unit_test("Z")))
    (problem,) = problems_of(compared_shard(SHARD_1), plain, compared_shard(SHARD_2))
    assert problem.startswith("shard-2.json compared nothing while shard-1.json, shard-3.json")
    assert "--amigo-compare" in problem and "AMIGO_VERSION_SET" in problem


def ran(test: dict[str, Any], version_set: str) -> dict[str, Any]:
    return {**test, "what_ran": {"version_set": version_set}}


def test_shards_on_different_version_sets_are_noted() -> None:
    one = report(a_set(ran(unit_test("Greets"), "candidate")))
    two = report(a_set(ran(unit_test("Refunds"), "release")))
    (note,) = merged(one, two).notes
    assert "shard-1.json: candidate; shard-2.json: release" in note
    assert "AMIGO_VERSION_SET" in note
    same = report(a_set(ran(unit_test("Half"), "candidate")))
    assert merged(one, same).notes == []


def test_expect_shards_refuses_fewer_or_more_reports(tmp_path: Path) -> None:
    one = write(tmp_path / "shard-1.json", report(a_set(unit_test("Greets"))))
    two = write(tmp_path / "shard-2.json", report(a_set(unit_test("Refunds"))))
    status, out, err = run_cli([one, two, "--expect-shards", "2"])
    assert (status, err) == (0, ""), err
    status, out, err = run_cli([one, "--expect-shards", "2", "--json", tmp_path / "all.json"])
    assert status == 2 and out == ""
    assert err == (
        "pytest-amigo merge: expected 2 shard reports (--expect-shards 2), got 1: a shard's job "
        "failed before writing its --amigo-json report, or its report was not downloaded: check "
        "the shard jobs, then merge every report\n"
    )
    assert not (tmp_path / "all.json").exists()
    status, _, err = run_cli([one, two, "--expect-shards", "1"])
    assert status == 2 and "got 2: an old report or a rerun's" in err


def test_a_write_failure_prints_no_verdict(tmp_path: Path) -> None:
    one = write(tmp_path / "shard-1.json", report(a_set(unit_test("Greets"))))
    (tmp_path / "taken").mkdir()
    status, out, err = run_cli([one, "--json", tmp_path / "taken"])
    assert status == 2
    assert out == ""  # not "...: passed" above an error
    first, second = err.splitlines()
    assert first.startswith(f"pytest-amigo merge: could not write the JSON report {tmp_path}")
    assert "not all written" in second and "merge again" in second
