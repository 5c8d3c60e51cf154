"""What the pipeline passes on (issue 28): the cancellation, the evaluations, the occurrence and
the copy reach the verdict and the unfinished verdict; the comparison with a baseline uses the
sessions and what ran, and is never made for a pending verdict."""

from __future__ import annotations

from typing import Any

from pytest_amigo.domain import UnitTestRef, UnitTestSet
from pytest_amigo.judging.baseline import BaselineSet
from pytest_amigo.judging.pipeline import Rules, Seen, judge_ref, judge_unit_test, verdict_of
from pytest_amigo.judging.stats import fisher_exact_p
from support.verdict_data import COMPLETION, RUN_ID, evaluation, metric, result, run, spec, unit

SET = UnitTestSet("set1", "Checkout")
ONE = [metric("Completion", "m1", COMPLETION)]


def item(occurrence: int = 0, uid: str = "ut1") -> UnitTestRef:
    return UnitTestRef(SET, unit(uid, 3), 0, occurrence)


def three(passes: list[bool], *, completed: bool = True, uid: str = "ut1") -> dict[str, Any]:
    """A run of one unit test with three sessions and one criterion."""
    results = [result(uid, [evaluation("m1", passes)], [None] * 3)]
    return run([spec(uid, 3, ONE)], results, completed=completed)


def at_session(index: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Evaluations as fetched for justifications: the session each one names."""
    return {
        eid: {"justification": f"why {eid}", "source": {"unit_test_id": "ut1", "run_index": i}}
        for eid, i in index.items()
    }


def baseline(passed: int, valid: int, outcome: str = "passed") -> BaselineSet:
    """A baseline of one entry, read from its JSON (the entry's counts under the names of both
    the baseline entry and the run outcome it is becoming)."""
    counts = {"sessions_passed": passed, "sessions_valid": valid, "passed": passed, "valid": valid}
    entry = {"run_id": "base", "outcome": outcome, **counts}
    return BaselineSet.from_json({"run_id": "base", "entries": {"ut1": entry}})


# --- what reaches the verdict ----------------------------------------------------------------


def test_judge_ref_reads_a_run_without_a_result_as_ended_unless_cancelled_by_us() -> None:
    ended = run([spec("ut1", 3, ONE)], [None])
    assert judge_ref(item(), ended, None).error_kind == "run-ended"
    assert judge_ref(item(), ended, None, cancelled=True).error_kind == "run-cancelled"
    seen = Seen(RUN_ID, ended, cancelled="over budget")
    assert verdict_of(item(), seen, Rules()).error_kind == "run-cancelled"
    assert verdict_of(item(), Seen(RUN_ID, ended), Rules()).error_kind == "run-ended"


def test_the_evaluations_place_the_failed_check_on_its_session() -> None:
    r = three([False, True, True])
    placed = judge_unit_test(
        item(), Seen(RUN_ID, r, evaluations=at_session({"ev-m1-0": 2})), Rules()
    )
    assert placed.verdict.tallies[0].marks == "✔✔✘"
    assert placed.verdict.assumed_placements == 0
    assumed = judge_unit_test(item(), Seen(RUN_ID, r), Rules())
    assert (assumed.verdict.tallies[0].marks, assumed.verdict.assumed_placements) == ("✘✔✔", 1)
    assert judge_ref(item(), r, at_session({"ev-m1-0": 1})).tallies[0].marks == "✔✘✔"


def test_the_occurrence_picks_the_listing_judged_and_what_ran() -> None:
    # ut1 listed twice: its first listing passed all 3 sessions, its second (run_count 2) failed.
    specs = [spec("ut1", 3, ONE), spec("ut1", 2, ONE)]
    results = [
        result("ut1", [evaluation("m1", [True] * 3, "a")], [None] * 3),
        result("ut1", [evaluation("m1", [False] * 2, "b")], [None] * 2),
    ]
    r = run(specs, results)
    first = judge_unit_test(item(0), Seen(RUN_ID, r), Rules())
    second = judge_unit_test(item(1), Seen(RUN_ID, r), Rules())
    assert (first.outcome, second.outcome) == ("passed", "failed")
    assert first.provenance is not None and second.provenance is not None
    assert (first.provenance.run_count, second.provenance.run_count) == (3, 2)


def test_an_unreadable_run_keeps_its_run_id() -> None:
    verdict = verdict_of(item(), Seen(RUN_ID, None, failure="HTTP 403"), Rules())
    assert (verdict.outcome, verdict.run_id, verdict.error_kind) == ("error", RUN_ID, "unreadable")


# --- what reaches the unfinished verdict -----------------------------------------------------


def test_a_timeout_with_the_run_seen_names_its_progress() -> None:
    running = three([True], completed=False)
    v = verdict_of(item(), Seen(RUN_ID, running, timed_out=True), Rules(timeout=60))
    assert v.reason == (
        f"no result after 60 s (--amigo-timeout): run {RUN_ID} still running, unit test "
        "'Test ut1' has 1/3 sessions reported (Completion ✔·· 1/3)"
    )


def test_a_timeout_with_the_run_never_seen_names_the_run_created() -> None:
    v = verdict_of(item(), Seen(RUN_ID, None, timed_out=True), Rules(timeout=60))
    assert (v.outcome, v.run_id, v.error_kind) == ("error", RUN_ID, "timeout")
    assert v.reason.startswith(
        f"no result after 60 s (--amigo-timeout): run {RUN_ID} was created but the runs list"
    )


def test_a_timeout_on_the_copy_in_the_run_reads_the_copy() -> None:
    running = three([True, True], completed=False, uid="copy1")
    v = verdict_of(item(), Seen(RUN_ID, running, timed_out=True, copy_id="copy1"), Rules())
    assert "has 2/3 sessions reported" in v.reason
    assert v.unit_test.id == "copy1"


def test_a_timeout_reads_the_listing_of_its_occurrence() -> None:
    specs = [spec("ut1", 3, ONE), spec("ut1", 2, ONE)]
    results = [result("ut1", [evaluation("m1", [True], "a")], [None] * 3), None]
    running = run(specs, results, completed=False)
    v = verdict_of(item(1), Seen(RUN_ID, running, timed_out=True), Rules())
    assert v.reason.endswith("has no result yet (0/2 sessions reported)")
    assert v.sessions_total == 2


def test_an_interruption_places_the_checks_read_so_far_by_their_evaluations() -> None:
    running = three([False], completed=False)
    seen = Seen(RUN_ID, running, interrupted=True, evaluations=at_session({"ev-m1-0": 2}))
    # a partial result is pending: the interruption turns it into an unfinished verdict
    v = verdict_of(item(), seen, Rules())
    assert (v.outcome, v.error_kind) == ("error", "interrupted")
    assert v.tallies[0].marks == "··✘"


# --- the comparison with a baseline ----------------------------------------------------------


def test_the_comparison_uses_the_sessions_of_the_verdict() -> None:
    judged = judge_unit_test(
        item(), Seen(RUN_ID, three([False] * 3)), Rules(), baseline=baseline(3, 3)
    )
    assert judged.comparison is not None
    assert judged.comparison.transition == "regressed"
    assert judged.comparison.p_value is not None
    assert judged.comparison.p_value == fisher_exact_p(0, 3, 3, 3)


def test_a_pending_verdict_is_not_compared() -> None:
    running = run([spec("ut1", 3, ONE)], [None], completed=False)
    judged = judge_unit_test(item(), Seen(RUN_ID, running), Rules(), baseline=baseline(3, 3))
    assert judged.verdict.outcome == "pending"
    assert judged.comparison is None


def test_an_error_without_what_ran_is_compared_without_a_fingerprint() -> None:
    seen = Seen(RUN_ID, None, failure="HTTP 403")
    judged = judge_unit_test(item(), seen, Rules(), baseline=baseline(3, 3))
    assert judged.provenance is None
    assert judged.comparison is not None
    assert (judged.comparison.transition, judged.comparison.note) == ("unchanged", "")
    assert judged.comparison.p_value is None  # no valid session now
