"""How a unit test did on a run (judging/run_outcome.py): one value for a baseline entry and an
A/B side, one rule for failing, and its JSON."""

from __future__ import annotations

import pytest

from pytest_amigo.judging.provenance import Provenance
from pytest_amigo.judging.run_outcome import RunOutcome

RAN = Provenance.from_json({"version_set": "release", "agent": ["66aa0000000000000000a0d1", 5]})


@pytest.mark.parametrize(
    ("outcome", "failing"),
    [
        ("passed", False),
        ("failed", True),
        ("inconclusive", True),
        ("xfailed", True),  # an earlier report's expected failure: failing in a baseline
        ("error", False),  # not a failure of the agent
        ("pending", False),
    ],
)
def test_one_rule_for_failing(outcome: str, failing: bool) -> None:
    assert RunOutcome(outcome, 1, 2).failing is failing


def test_rate_and_counts() -> None:
    assert RunOutcome("failed", 3, 4).rate == 0.75
    assert RunOutcome("error", 0, 0).rate is None
    assert RunOutcome("failed", 3, 4).counts() == "3/4"


def test_a_side_writes_the_compare_sides_keys() -> None:
    side = RunOutcome("failed", 3, 4, what_ran=RAN)
    assert side.to_json() == {
        "outcome": "failed",
        "passed": 3,
        "valid": 4,
        "pass_rate": 0.75,
        "what_ran": RAN.to_json(),
    }
    assert RunOutcome.from_json(side.to_json()) == side


def test_the_run_when_known_round_trips() -> None:
    entry = RunOutcome("passed", 9, 9, "66bb00000000000000000002", RAN)
    assert entry.to_json()["run_id"] == "66bb00000000000000000002"
    assert RunOutcome.from_json(entry.to_json()) == entry
