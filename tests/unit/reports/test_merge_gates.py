"""``pytest-amigo merge`` decides the merged suite as one session would have: under
``--amigo-fail-on=worse`` each shard gated on its own smaller family, the merge on the merged
family (labels and how each unit test is reported), and the set gates (``--amigo-set-min-pass-
rate``) are in the JSON and decided again: reports/merge_gates.py through reports/merge.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
from test_merge import compared_shard, merged, problems_of, run_cli, write

from pytest_amigo.reports.json_report import schema
from pytest_amigo.reports.merge import exit_status

WORSE = {"fail_on": "worse", "inconclusive": "fail"}


def gated(
    counts: list[tuple[str, int, int, int, int]],
    correction: str = "holm",
    gate: tuple[float, int, int] | None = None,
) -> dict[str, Any]:
    """A shard's report under ``--amigo-fail-on=worse``, as the shard decided it: a failing
    unit test not significantly worse (in the shard's family) is reported xfailed; ``gate``:
    the set gate's (min pass rate, passed, total), xfailed when the set is not worse."""
    document = compared_shard(counts, correction)
    document["gating"] = dict(WORSE)
    (entry,) = document["sets"]
    for test in entry["unit_tests"]:
        compared = test["compare"]
        if test["outcome"] == "failed" and compared["label"] != "worse":
            test["reported"] = "xfailed"
            test["expected"] = f"not significantly worse than release: ...; {test['reason']}"
    if gate is not None:
        rate, passed, total = gate
        enough = passed / total >= rate
        worse = entry["compare"]["label"] == "worse"
        outcome = "passed" if enough else "failed" if worse else "xfailed"
        entry["gate"] = {"min_pass_rate": rate, "passed": passed, "total": total}
        entry["gate"]["outcome"] = outcome
    return document


ALONE = [("A", 3, 8, 8, 8)]  # 3/8 vs 8/8: worse alone, not among 41 (Holm)
MANY = [(f"N{i}", 8 - i % 2, 8, 8 - (i + 1) % 2, 8) for i in range(40)]


def test_a_unit_test_worse_only_in_its_shards_family_does_not_fail_the_merge() -> None:
    alone = gated(ALONE)
    assert alone["sets"][0]["unit_tests"][0]["reported"] == "failed"  # the shard failed
    result = merged(alone, gated(MANY))
    document = result.document.to_json()
    jsonschema.validate(document, schema())
    assert document["gating"] == WORSE
    first = document["sets"][0]["unit_tests"][0]
    assert first["compare"]["label"] == "no detectable difference"
    assert first["reported"] == "xfailed"
    assert first["expected"].startswith("not significantly worse than release over the merged")
    assert exit_status(result.document) == 0  # the merged suite's decision
    assert result.notes == [
        "unit test 'A' of set 'Checkout': compared as worse in its shard, no detectable "
        "difference over the merged suite (reported xfailed (--amigo-fail-on=worse: the merged "
        "suite decides))"
    ]


def test_a_unit_test_worse_only_in_the_merged_family_fails_the_merge() -> None:
    # Benjamini-Hochberg: among ten clearly worse unit tests, 4/8 vs 8/8 becomes worse too
    one = gated([("A", 4, 8, 8, 8), ("B", 8, 8, 8, 8), ("C", 7, 8, 8, 8)], "bh")
    two = gated([(f"W{i}", 0, 8, 8, 8) for i in range(10)], "bh")
    assert one["sets"][0]["unit_tests"][0]["reported"] == "xfailed"
    result = merged(one, two)
    first = result.document.to_json()["sets"][0]["unit_tests"][0]
    assert first["compare"]["label"] == "worse"
    assert first["reported"] == "failed" and first["expected"] is None


def test_without_worse_the_shards_decisions_stand() -> None:
    alone, many = gated(ALONE), gated(MANY)
    for document in (alone, many):
        document["gating"] = {"fail_on": "any", "inconclusive": "fail"}
    result = merged(alone, many)
    assert result.document.to_json()["sets"][0]["unit_tests"][0]["reported"] == "failed"
    assert exit_status(result.document) == 1


def test_the_set_gate_is_decided_over_the_merged_suite(tmp_path: Path) -> None:
    # each shard's gate counted the whole set: 40/41 < 100%; the shard of A compared its set
    # as worse (its gate failed), the merged suite does not (the gate is an xfail)
    alone, many = gated(ALONE, gate=(1.0, 40, 41)), gated(MANY, gate=(1.0, 40, 41))
    assert alone["sets"][0]["gate"]["outcome"] == "failed"
    assert many["sets"][0]["gate"]["outcome"] == "xfailed"
    result = merged(alone, many)
    (entry,) = result.document.to_json()["sets"]
    assert entry["gate"] == {"min_pass_rate": 1.0, "passed": 40, "total": 41, "outcome": "xfailed"}
    assert exit_status(result.document) == 0
    assert (
        "set gate of 'Checkout' (40/41 (needs 100%)): failed in a shard, xfailed over the "
        "merged suite (set compared" in result.notes[-1]
    )
    # through the command: the merged suite's status, and the gate in the merged JSON
    paths = [write(tmp_path / f"shard-{i}.json", d) for i, d in enumerate((alone, many))]
    status, out, _ = run_cli([*paths, "--json", tmp_path / "all.json"])
    assert status == 0 and out.endswith(": passed\n")


def test_a_failed_set_gate_fails_the_merge() -> None:
    plain = gated(MANY, gate=(1.0, 40, 41))
    plain["gating"] = {"fail_on": "any", "inconclusive": "fail"}
    plain["sets"][0]["gate"]["outcome"] = "failed"
    result = merged(plain)
    assert result.document.to_json()["sets"][0]["gate"]["outcome"] == "failed"
    assert exit_status(result.document) == 1  # every unit test passed or xfailed


def test_shards_that_decided_differently_are_refused() -> None:
    one, two = gated(ALONE), gated(MANY)
    two["gating"] = {"fail_on": "any", "inconclusive": "fail"}
    (problem,) = problems_of(one, two)
    assert "shard-1.json: --amigo-fail-on=worse --amigo-inconclusive=fail" in problem
    assert "shard-2.json: --amigo-fail-on=any" in problem
    assert "give every shard the same --amigo-fail-on" in problem
