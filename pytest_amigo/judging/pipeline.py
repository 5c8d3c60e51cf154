"""One unit test judged end to end: what was seen of its run in, the typed evidence out.

``judge_unit_test`` is the one call the pytest side makes (``plugin/judge_item.py``): the verdict
(``verdict.judge``, or ``judge_unfinished`` for a run that timed out or was interrupted), weighed
(``evidence.weigh``), what ran (``provenance.what_ran``), the comparison with the baseline
(``evidence.compare``) and the words (``explain``). Pure: no HTTP, no pytest, no settings object
(``Rules`` holds what judging takes from them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from pytest_amigo.domain import UnitTest, UnitTestRef
from pytest_amigo.judging.baseline import BaselineSet
from pytest_amigo.judging.evidence import BaselineComparison, Policy, Weighed, compare, weigh
from pytest_amigo.judging.explain import explain
from pytest_amigo.judging.provenance import Provenance, what_ran
from pytest_amigo.judging.run_data import run_spec
from pytest_amigo.judging.text import printable
from pytest_amigo.judging.verdict import Verdict, judge, judge_unfinished

Evaluations = Mapping[str, Mapping[str, Any]]  # evaluation id -> metric evaluation result JSON


@dataclass(frozen=True)
class Rules:
    """What judging takes from the settings."""

    weighing: Policy = field(default_factory=Policy)
    min_valid: float | None = None  # sessions that must not error (amigo_min_valid_sessions)
    timeout: float | None = None  # the waiting budget a timeout's reason names (--amigo-timeout)


@dataclass(frozen=True)
class Seen:
    """What the pytest side saw of one unit test's run (``run_id``: the run it started or
    attached), and why it stopped looking."""

    run_id: str
    run: Mapping[str, Any] | None
    evaluations: dict[str, dict[str, Any]] | None = None
    cancelled: str | None = None  # why this session cancelled the run
    timed_out: bool = False
    interrupted: bool = False  # it stopped waiting: a pending verdict is unfinished
    failure: str | None = None  # the run could not be read (non-transient) or is invisible
    evaluation_error: str | None = None  # why the justifications could not be read
    copy_id: str | None = None  # the unit test's copy the run holds (--amigo-version-set)
    version_set: str | None = None  # the version set the run simulated
    note: str = ""  # whose run it is, when the explanation should say so


@dataclass(frozen=True)
class Resampled:
    """A unit test's evidence over its run and the re-sampling runs (``--amigo-resample``)."""

    verdict: Verdict
    evaluations: dict[str, dict[str, Any]]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Judged:
    """One unit test judged: the weighed verdict and everything that explains it."""

    outcome: Literal["passed", "failed", "error", "inconclusive"]  # pending reads as error
    reason: str  # printable
    explanation: str  # printable: service text never reaches the terminal or XML raw
    weighed: Weighed
    evaluations: dict[str, dict[str, Any]]  # the ones the verdict was judged on
    provenance: Provenance | None = None  # what ran, when the run has a spec for the unit test
    comparison: BaselineComparison | None = None  # against the baseline, when there is one

    @property
    def verdict(self) -> Verdict:
        return self.weighed.verdict


def in_run(unit_test: UnitTest, copy_id: str | None) -> UnitTest:
    """The unit test as the run holds it: its copy on the candidate version set, if any."""
    return unit_test if copy_id is None else replace(unit_test, id=copy_id)


def judge_ref(
    ref: UnitTestRef,
    run: Mapping[str, Any] | None,
    evaluations: Evaluations | None,
    *,
    copy_id: str | None = None,
    cancelled: bool = False,
    min_valid: float | None = None,
) -> Verdict:
    """``verdict.judge`` for the unit test ``ref`` names, in the run (``copy_id``: its copy)."""
    return judge(
        in_run(ref.unit_test, copy_id),
        ref.position,
        run,
        min_pass_rate=ref.min_pass_rate,
        cancelled_by_us=cancelled,
        occurrence=ref.occurrence,
        evaluations=evaluations,
        min_valid=min_valid,
    )


def judge_unit_test(
    ref: UnitTestRef,
    seen: Seen,
    rules: Rules,
    *,
    baseline: BaselineSet | None = None,
    resampled: Resampled | None = None,
    compared: Sequence[str] = (),
) -> Judged:
    """Judge -> weigh -> what ran -> compare with the ``baseline`` -> explain, in one call.

    ``resampled``: the verdict over the re-sampled evidence, weighed instead of the run's own;
    ``compared``: the explanation's lines on the concurrent reference (``--amigo-compare``)."""
    evaluations: dict[str, dict[str, Any]] | None
    if resampled is not None:
        evaluations = resampled.evaluations
        weighed = weigh(resampled.verdict, rules.weighing)
    else:
        evaluations = seen.evaluations
        weighed = weigh(verdict_of(ref, seen, rules), rules.weighing)
    verdict = weighed.verdict
    spec = run_spec(in_run(ref.unit_test, seen.copy_id), ref.position, seen.run, ref.occurrence)
    version_set = seen.version_set or ref.unit_test.version_set
    provenance = what_ran(spec, version_set) if spec is not None else None
    comparison = _comparison(ref, verdict, baseline, provenance)
    text = explain(
        verdict,
        evaluations,
        set_name=ref.set.name,
        rerun_hint=f"Report this run again: pytest --amigo-run={seen.run_id}",
        pass_k=weighed.pass_k,
        more=[*_evidence_lines(weighed, comparison), *compared],
    )
    notes = _notes(seen, verdict, baseline, resampled)
    if notes:
        text = text.rstrip("\n") + "\n" + "\n".join(notes) + "\n"
    return Judged(
        outcome=verdict.outcome if verdict.outcome != "pending" else "error",
        reason=printable(verdict.reason),
        explanation=printable(text),
        weighed=weighed,
        evaluations=dict(evaluations or {}),
        provenance=provenance,
        comparison=comparison,
    )


def verdict_of(ref: UnitTestRef, seen: Seen, rules: Rules) -> Verdict:
    """The verdict on what was seen: judged, or unfinished (timed out, interrupted while
    pending), or an error when the run could not be read."""
    if seen.timed_out:
        verdict = _unfinished(ref, seen, "timeout", budget_s=rules.timeout)
        if seen.cancelled:
            verdict = replace(
                verdict,
                error_kind="run-cancelled",
                reason=f"{verdict.reason}; this session cancelled the run",
            )
        return verdict
    if seen.failure is not None:
        return Verdict("error", ref.unit_test, seen.run_id, seen.failure, error_kind="unreadable")
    verdict = judge_ref(
        ref,
        seen.run,
        seen.evaluations,
        copy_id=seen.copy_id,
        cancelled=bool(seen.cancelled),
        min_valid=rules.min_valid,
    )
    if not seen.interrupted or verdict.outcome != "pending":
        return verdict
    verdict = _unfinished(ref, seen, "interrupted", evaluations=seen.evaluations)
    if seen.cancelled:
        return replace(verdict, reason=f"{verdict.reason}; run {seen.run_id} cancelled")
    return replace(
        verdict,
        reason=f"{verdict.reason}; run {seen.run_id} left running: report it later "
        f"with pytest --amigo-run={seen.run_id}",
    )


def _unfinished(
    ref: UnitTestRef, seen: Seen, why: Literal["timeout", "interrupted"], **details: Any
) -> Verdict:
    """``verdict.judge_unfinished`` for the unit test ``ref`` names (``details``: the budget
    of a timeout, the evaluations read before an interruption)."""
    return judge_unfinished(
        in_run(ref.unit_test, seen.copy_id),
        ref.position,
        seen.run,
        why=why,
        occurrence=ref.occurrence,
        created=seen.run_id,  # never seen by a poll when seen.run is None
        **details,
    )


def _comparison(
    ref: UnitTestRef,
    verdict: Verdict,
    baseline: BaselineSet | None,
    provenance: Provenance | None,
) -> BaselineComparison | None:
    """The verdict against the baseline's entry for the unit test, when there is a baseline."""
    if baseline is None or not baseline.run_id or verdict.outcome == "pending":
        return None
    return compare(
        verdict.outcome,
        verdict.sessions_passed,
        verdict.sessions_valid,
        baseline.run_id,
        baseline.entry(ref),
        provenance,
    )


def _evidence_lines(weighed: Weighed, comparison: BaselineComparison | None) -> list[str]:
    lines = []
    if weighed.interval is not None and weighed.confidence is not None:
        low, high = weighed.interval
        lines.append(
            f"  {weighed.confidence * 100:.4g}% interval of the session pass rate: "
            f"{low:.2f}-{high:.2f} (Wilson score)"
        )
    if comparison is not None:
        lines.append(f"  baseline: {comparison.words()}")
    return lines


def _notes(
    seen: Seen,
    verdict: Verdict,
    baseline: BaselineSet | None,
    resampled: Resampled | None,
) -> list[str]:
    """What the explanation adds after the verdict: whose run it was, why there is no baseline,
    the re-sampling rounds, a cancellation, justifications that could not be read."""
    notes = [seen.note] if seen.note else []
    if baseline is not None and baseline.run_id is None and baseline.note:
        notes.append(baseline.note)
    notes += resampled.notes if resampled is not None else ()
    if seen.cancelled:
        notes.append(f"this session cancelled the run: {seen.cancelled}")
    if seen.evaluation_error and verdict.outcome == "failed":
        notes.append(f"justifications unavailable: {seen.evaluation_error}")
    return notes
