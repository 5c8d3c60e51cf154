"""One unit test judged end to end (pytest_amigo.judging.pipeline): pure, no HTTP, no pytest."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from pytest_amigo.domain import UnitTestRef, UnitTestSet
from pytest_amigo.judging.baseline import BaselineSet
from pytest_amigo.judging.evidence import NO_FINGERPRINT, Policy, weigh
from pytest_amigo.judging.explain import explain
from pytest_amigo.judging.pipeline import Resampled, Rules, Seen, judge_unit_test, verdict_of
from pytest_amigo.judging.run_outcome import RunOutcome
from pytest_amigo.judging.verdict import judge
from support.verdict_data import COMPLETION, RUN_ID, evaluation, metric, result, run, spec, unit

SET = UnitTestSet("set1", "Checkout")
ONE_METRIC = [metric("Completion", "m1", COMPLETION)]
HINT = f"Report this run again: pytest --amigo-run={RUN_ID}"


def ref(min_pass_rate: float | None = None, uid: str = "ut1") -> UnitTestRef:
    return UnitTestRef(SET, unit(uid, 3), 0, 0, min_pass_rate)


def run_of(passes: list[bool], errors: list[str | None] | None = None, **kw: Any) -> Any:
    errs = errors if errors is not None else [None] * 3
    return run(
        [spec("ut1", 3, ONE_METRIC)], [result("ut1", [evaluation("m1", passes)], errs)], **kw
    )


def seen(r: Any, **kw: Any) -> Seen:
    return Seen(run_id=RUN_ID, run=r, **kw)


def test_a_passing_run_is_judged_weighed_explained_and_says_what_ran() -> None:
    judged = judge_unit_test(ref(), seen(run_of([True, True, True])), Rules())
    assert (judged.outcome, judged.reason) == ("passed", "3/3 sessions met all criteria")
    assert judged.verdict.sessions_passed == 3 and judged.verdict is judged.weighed.verdict
    assert judged.weighed.pass_k == (3, 1.0, 1.0)  # pass^4 shown as pass^3 over 3 sessions
    assert judged.explanation.startswith(f"✔ PASSED: Test ut1 — run {RUN_ID} of set 'Checkout'")
    assert judged.explanation.endswith(HINT)
    assert judged.provenance is not None
    assert (judged.provenance.agent, judged.provenance.run_count) == (("agent", 1), 3)
    assert judged.comparison is None and judged.evaluations == {}


def test_the_pipeline_is_judge_then_weigh_then_explain() -> None:
    r = run_of([True, False, True])
    evaluations = {"ev-m1-1": {"result": False, "justification": "never confirmed the order"}}
    rules = Rules(Policy(pass_k=2))
    judged = judge_unit_test(ref(), seen(r, evaluations=evaluations), rules)
    weighed = weigh(judge(unit(), 0, r, evaluations=evaluations), Policy(pass_k=2))
    assert judged.weighed == weighed
    expected = explain(
        weighed.verdict,
        evaluations,
        set_name="Checkout",
        rerun_hint=HINT,
        pass_k=weighed.pass_k,
    )
    assert judged.explanation == expected
    assert "never confirmed the order" in judged.explanation
    assert judged.outcome == "failed" and judged.evaluations == evaluations


def test_confidence_makes_too_few_sessions_inconclusive_and_shows_the_interval() -> None:
    rules = Rules(Policy(confidence=0.95))
    judged = judge_unit_test(ref(min_pass_rate=0.6), seen(run_of([True, True, False])), rules)
    assert judged.outcome == "inconclusive"
    assert judged.reason.startswith("inconclusive: 2/3 sessions, 95% interval")
    assert judged.weighed.interval is not None and judged.weighed.confidence == 0.95
    assert "  95% interval of the session pass rate: " in judged.explanation


def test_min_valid_sessions_comes_from_the_rules() -> None:
    r = run_of([True], errors=["crash", "crash", None])
    lenient = judge_unit_test(ref(min_pass_rate=0.5), seen(r), Rules())
    assert lenient.outcome == "passed"
    strict = judge_unit_test(ref(min_pass_rate=0.5), seen(r), Rules(min_valid=2))
    assert (strict.outcome, strict.verdict.error_kind) == ("error", "too-few-valid")


def test_a_baseline_entry_gives_the_transition_and_what_ran_is_compared() -> None:
    entry = RunOutcome("passed", 3, 3, "base-run")
    baseline = BaselineSet("base-run", {"ut1": entry}, note="from report.json")
    judged = judge_unit_test(ref(), seen(run_of([False, False, False])), Rules(), baseline=baseline)
    assert judged.comparison is not None
    assert (judged.comparison.transition, judged.comparison.entry) == ("regressed", entry)
    assert judged.comparison.note == NO_FINGERPRINT  # what ran now, nothing recorded then
    assert f"  baseline: {judged.comparison.words()}" in judged.explanation.splitlines()
    assert "from report.json" not in judged.explanation  # a baseline's source is not a note


def test_a_baseline_from_another_test_is_not_comparable() -> None:
    r = run_of([False, False, False])
    now = judge_unit_test(ref(), seen(r), Rules()).provenance
    assert now is not None
    then = replace(now, max_interactions=99)
    baseline = BaselineSet("base-run", {"ut1": RunOutcome("passed", 3, 3, "base-run", then)})
    judged = judge_unit_test(ref(), seen(r), Rules(), baseline=baseline)
    assert judged.comparison is not None and judged.comparison.transition == "not-comparable"


def test_without_a_baseline_run_its_note_is_said_and_nothing_is_compared() -> None:
    baseline = BaselineSet(None, note="no baseline: set 'Checkout' has no earlier run")
    judged = judge_unit_test(ref(), seen(run_of([True] * 3)), Rules(), baseline=baseline)
    assert judged.comparison is None
    assert judged.explanation.endswith("\nno baseline: set 'Checkout' has no earlier run\n")


def test_a_timeout_names_the_budget_and_a_cancellation() -> None:
    running = run([spec("ut1", 3, ONE_METRIC)], [None], completed=False)
    rules = Rules(timeout=600)
    judged = judge_unit_test(ref(), seen(running, timed_out=True), rules)
    assert (judged.outcome, judged.verdict.error_kind) == ("error", "timeout")
    assert judged.reason.startswith("no result after 600 s (--amigo-timeout): run ")
    cancelled = judge_unit_test(ref(), seen(running, timed_out=True, cancelled="timeout"), rules)
    assert cancelled.verdict.error_kind == "run-cancelled"
    assert cancelled.reason.endswith("; this session cancelled the run")
    assert cancelled.explanation.endswith("\nthis session cancelled the run: timeout\n")


def test_interrupted_while_pending_says_how_to_report_it_later() -> None:
    running = run([spec("ut1", 3, ONE_METRIC)], [None], completed=False)
    judged = judge_unit_test(ref(), seen(running, interrupted=True), Rules())
    assert (judged.outcome, judged.verdict.error_kind) == ("error", "interrupted")
    assert judged.reason.endswith(
        f"; run {RUN_ID} left running: report it later with pytest --amigo-run={RUN_ID}"
    )
    cancelled = verdict_of(ref(), seen(running, interrupted=True, cancelled="Ctrl-C"), Rules())
    assert cancelled.reason.endswith(f"; run {RUN_ID} cancelled")
    finished = judge_unit_test(ref(), seen(run_of([True] * 3), interrupted=True), Rules())
    assert finished.outcome == "passed"


def test_pending_without_interruption_reports_as_an_error() -> None:
    running = run([spec("ut1", 3, ONE_METRIC)], [None], completed=False)
    judged = judge_unit_test(ref(), seen(running), Rules())
    assert judged.verdict.outcome == "pending"
    assert judged.outcome == "error"
    assert judged.comparison is None


def test_an_unreadable_run_is_an_error_with_its_cause() -> None:
    judged = judge_unit_test(ref(), seen(None, failure="HTTP 403 reading the run"), Rules())
    assert (judged.outcome, judged.reason) == ("error", "HTTP 403 reading the run")
    assert judged.verdict.error_kind == "unreadable"
    assert judged.provenance is None


def test_the_copy_in_the_run_is_judged_under_the_original_item() -> None:
    r = run([spec("copy1", 3, ONE_METRIC)], [result("copy1", [evaluation("m1", [True] * 3)], [])])
    assert judge_unit_test(ref(), seen(r), Rules()).verdict.error_kind == "not-in-run"
    judged = judge_unit_test(ref(), seen(r, copy_id="copy1", version_set="pr-7"), Rules())
    assert judged.outcome == "passed"
    assert judged.verdict.unit_test.id == "copy1"
    assert judged.provenance is not None and judged.provenance.version_set == "pr-7"


def test_resampled_evidence_is_weighed_instead_of_the_run_and_its_notes_follow() -> None:
    r = run_of([True, True, True])
    more = judge(unit("ut1", 3), 0, run_of([False, False, False]))
    evaluations = {"ev-m1-0": {"justification": "re-sampled"}}
    resampled = Resampled(more, evaluations, ("round 1: 3 more sessions",))
    judged = judge_unit_test(
        ref(), seen(r, note="run started by someone else"), Rules(), resampled=resampled
    )
    assert judged.outcome == "failed" and judged.evaluations == evaluations
    assert judged.explanation.endswith("\nrun started by someone else\nround 1: 3 more sessions\n")


@pytest.mark.parametrize(("passes", "shown"), [([False] * 3, True), ([True] * 3, False)])
def test_unreadable_justifications_are_said_only_for_a_failure(
    passes: list[bool], shown: bool
) -> None:
    judged = judge_unit_test(ref(), seen(run_of(passes), evaluation_error="HTTP 500"), Rules())
    assert ("justifications unavailable: HTTP 500" in judged.explanation) is shown


def test_the_concurrent_comparison_lines_come_after_the_evidence() -> None:
    compared = ["  compared: candidate 0/3 vs reference 3/3"]
    baseline = BaselineSet("base-run", {"ut1": RunOutcome("passed", 3, 3, "base-run")})
    judged = judge_unit_test(
        ref(), seen(run_of([False] * 3)), Rules(), baseline=baseline, compared=compared
    )
    lines = judged.explanation.splitlines()
    pass_k = next(i for i, line in enumerate(lines) if line.startswith("  pass^1 "))
    assert lines[pass_k + 1].startswith("  baseline: regressed since baseline run base-run")
    assert lines[pass_k + 2] == compared[0]


def test_service_text_never_leaves_raw() -> None:
    r = run_of([True], errors=["bad\x1b[31m", "bad\x1b[31m", None])
    judged = judge_unit_test(replace(ref(), min_pass_rate=None), seen(r), Rules())
    assert "\x1b" not in judged.reason and "\x1b" not in judged.explanation
    assert "bad\\x1b[31m" in judged.reason
