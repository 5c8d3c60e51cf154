"""From what a waiting item observed to what it reports: the verdict, its words, its reports.

Plain functions over plain data (no HTTP, no waiting): the item runner and, after an
interruption, the controller build results the same way.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, Literal

import pytest

from pytest_amigo.domain import UnitTest
from pytest_amigo.judging.ab import UnitComparison
from pytest_amigo.judging.baseline import BaselineSet
from pytest_amigo.judging.evidence import Comparison, Policy, Weighed, compare, weigh
from pytest_amigo.judging.explain import explain
from pytest_amigo.judging.provenance import Provenance, what_ran
from pytest_amigo.judging.verdict import Verdict, judge, judge_unfinished, printable, run_spec
from pytest_amigo.lifecycle.records import Observation, RunRecord, artifacts_path
from pytest_amigo.plugin import wire
from pytest_amigo.plugin.amigo_result import (
    AmigoError,
    AmigoFailure,
    AmigoProblem,
    AmigoResult,
    Compared,
    Reported,
    UnitTestRef,
    longrepr,
)
from pytest_amigo.reports import html_extras
from pytest_amigo.settings import Settings

Location = tuple[str, int | None, str]
Keywords = dict[str, Literal[1]]


def judge_ref(
    ref: UnitTestRef,
    run: dict[str, Any] | None,
    record: RunRecord,
    evaluations: dict[str, dict[str, Any]] | None,
    settings: Settings,
) -> Verdict:
    """``verdict.judge`` for the unit test an item reports."""
    return judge(
        in_run(ref, record),
        ref.position,
        run,
        min_pass_rate=ref.min_pass_rate,
        cancelled_by_us=bool(record.cancelled),
        occurrence=ref.occurrence,
        evaluations=evaluations,
        min_valid=settings.min_valid_sessions,
    )


def _verdict(
    ref: UnitTestRef, obs: Observation, settings: Settings, *, interrupted: bool
) -> Verdict:
    record, run_id = obs.record, obs.record.run_id
    if obs.timed_out:
        verdict = _unfinished(ref, obs, "timeout", budget_s=settings.timeout)
        if record.cancelled:
            verdict = replace(
                verdict,
                error_kind="run-cancelled",
                reason=f"{verdict.reason}; this session cancelled the run",
            )
        return verdict
    if obs.failure is not None:
        return Verdict("error", ref.unit_test, run_id, obs.failure, error_kind="unreadable")
    verdict = judge_ref(ref, obs.run, record, obs.evaluations, settings)
    if not interrupted or verdict.outcome != "pending":
        return verdict
    verdict = _unfinished(ref, obs, "interrupted", evaluations=obs.evaluations)
    if record.cancelled:
        return replace(verdict, reason=f"{verdict.reason}; run {run_id} cancelled")
    return replace(
        verdict,
        reason=f"{verdict.reason}; run {run_id} left running: report it later "
        f"with pytest --amigo-run={run_id}",
    )


def in_run(ref: UnitTestRef, record: RunRecord) -> UnitTest:
    """The unit test as the run holds it: its copy on the candidate version set
    (``--amigo-version-set``), reported under the original item."""
    copy_id = (record.copies or {}).get(ref.unit_test.id)
    return ref.unit_test if copy_id is None else replace(ref.unit_test, id=copy_id)


def _unfinished(
    ref: UnitTestRef, obs: Observation, why: Literal["timeout", "interrupted"], **details: Any
) -> Verdict:
    """``verdict.judge_unfinished`` for the unit test an item reports (``details``: the budget
    of a timeout, the evaluations read before an interruption)."""
    unit_test = in_run(ref, obs.record)
    created = obs.record.run_id  # never seen by a poll when obs.run is None
    return judge_unfinished(
        unit_test,
        ref.position,
        obs.run,
        why=why,
        occurrence=ref.occurrence,
        created=created,
        **details,
    )


@dataclass(frozen=True)
class Resampled:
    """A unit test's evidence over its run and the re-sampling runs (``resampling``)."""

    verdict: Verdict
    evaluations: dict[str, dict[str, Any]]
    notes: tuple[str, ...] = ()


def policy_of(settings: Settings) -> Policy:
    return Policy(settings.confidence, settings.min_pass_k, settings.pass_k)


def _reporting(
    outcome: str,
    reason: str,
    comparison: Comparison | None,
    settings: Settings,
    ab: UnitComparison | None = None,
) -> tuple[Reported | None, str]:
    """How pytest reports an outcome (None: as it is) and why it is expected to fail."""
    reported: Reported | None = None
    expected = ""
    if outcome == "inconclusive":
        policy = settings.inconclusive
        reported = "xfailed" if policy == "xfail" else "passed" if policy == "pass" else "failed"
        expected = reason if policy == "xfail" else ""
    failing = outcome == "failed" or reported == "failed"
    if ab is not None and failing and ab.label != "not compared":
        return _reporting_ab(reported, expected, reason, settings, ab)
    if settings.fail_on == "regression" and comparison is not None and failing:
        if comparison.transition == "still-failing":
            reported = "xfailed"
            expected = f"already failing in baseline run {comparison.run_id}: {reason}"
    return reported, expected


def _reporting_ab(
    reported: Reported | None,
    expected: str,
    reason: str,
    settings: Settings,
    ab: UnitComparison,
) -> tuple[Reported | None, str]:
    """A failing candidate under ``--amigo-compare``: ``regression`` makes the reference its
    baseline (failing there too: xfail); ``worse`` fails it only when significantly worse."""
    name = ab.reference_name
    if settings.fail_on == "worse" and not ab.worse:
        return "xfailed", f"not significantly worse than {name}: {ab.words()}; {reason}"
    if settings.fail_on == "regression" and ab.reference.failing:
        counts = f"candidate {ab.candidate.counts()} vs {name} {ab.reference.counts()}"
        return "xfailed", f"fails on {name} too: {counts} sessions passed; {reason}"
    return reported, expected


def _evidence_lines(weighed: Weighed, comparison: Comparison | None) -> list[str]:
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


def build_result(
    ref: UnitTestRef,
    obs: Observation,
    settings: Settings,
    *,
    interrupted: bool = False,
    baseline: BaselineSet | None = None,
    resampled: Resampled | None = None,
    ab: Compared | None = None,
) -> AmigoResult:
    """The result an item reports, from what it observed (``interrupted``: it stopped waiting),
    compared with the ``baseline``; ``resampled``: the evidence after re-sampling, if any;
    ``ab``: the comparison with the concurrent reference (``--amigo-compare``)."""
    record = obs.record
    if record.run_id is None or record.error:
        return _no_run(ref, record, settings)
    run_id = record.run_id
    obs, weighed = _weighed(ref, obs, settings, interrupted, resampled)
    verdict = weighed.verdict
    spec = run_spec(in_run(ref, record), ref.position, obs.run, ref.occurrence)
    version_set = record.version_set or ref.unit_test.version_set
    provenance = what_ran(spec, version_set) if spec is not None else None
    comparison = _comparison(ref, verdict, baseline, provenance)
    text = explain(
        verdict,
        obs.evaluations,
        set_name=ref.set.name,
        rerun_hint=f"Report this run again: pytest --amigo-run={run_id}",
        pass_k=weighed.pass_k,
        more=_evidence_lines(weighed, comparison) + (ab.lines() if ab is not None else []),
    )
    notes = _notes(obs, verdict, baseline, resampled)
    if notes:
        text = text.rstrip("\n") + "\n" + "\n".join(notes) + "\n"
    outcome = verdict.outcome if verdict.outcome != "pending" else "error"
    reason = printable(verdict.reason)
    unit_ab = ab.unit if ab is not None else None
    reported, expected = _reporting(outcome, reason, comparison, settings, unit_ab)
    return AmigoResult(
        ref=ref,
        outcome=outcome,
        reason=reason,
        explanation=printable(text),  # service text never reaches the terminal or XML raw
        run_id=run_id,
        verdict=verdict,
        evaluations=dict(obs.evaluations or {}),
        note=record.note,
        pass_k=weighed.pass_k,
        interval=weighed.interval,
        confidence=weighed.confidence,
        comparison=comparison,
        reported=reported,
        expected=expected,
        report_properties=settings.properties,
        baseline_note=baseline.note if baseline is not None else "",
        provenance=provenance,
        ab=ab,
        **_artifacts(settings, run_id),
    )


def _weighed(
    ref: UnitTestRef,
    obs: Observation,
    settings: Settings,
    interrupted: bool,
    resampled: Resampled | None,
) -> tuple[Observation, Weighed]:
    """The verdict weighed, over the re-sampled evidence when there is some."""
    if resampled is not None:
        obs = replace(obs, evaluations=resampled.evaluations)
        return obs, weigh(resampled.verdict, policy_of(settings))
    return obs, weigh(_verdict(ref, obs, settings, interrupted=interrupted), policy_of(settings))


def _no_run(ref: UnitTestRef, record: RunRecord, settings: Settings) -> AmigoResult:
    """The error of a unit test whose set has no run (it could not be started or read)."""
    reason = printable(f"set {ref.set.name!r}: {record.error}")
    return AmigoResult(
        ref=ref,
        outcome="error",
        reason=reason,
        explanation=f"{reason}\n",
        report_properties=settings.properties,
    )


def _comparison(
    ref: UnitTestRef,
    verdict: Verdict,
    baseline: BaselineSet | None,
    provenance: Provenance | None,
) -> Comparison | None:
    """The verdict against the baseline's entry for the unit test, when there is a baseline."""
    if baseline is None or not baseline.run_id or verdict.outcome == "pending":
        return None
    return compare(
        verdict.outcome,
        verdict.sessions_passed,
        verdict.sessions_valid,
        baseline.run_id,
        baseline.entry(ref),
        provenance.to_json() if provenance is not None else None,
    )


def _notes(
    obs: Observation,
    verdict: Verdict,
    baseline: BaselineSet | None,
    resampled: Resampled | None,
) -> list[str]:
    """What the explanation adds after the verdict: whose run it was, why there is no baseline,
    the re-sampling rounds, a cancellation, justifications that could not be read."""
    record = obs.record
    shown = record.note and (not record.started_here or record.temporary_set)
    notes = [record.note] if shown else []
    if baseline is not None and baseline.run_id is None and baseline.note:
        notes.append(baseline.note)
    notes += resampled.notes if resampled is not None else ()
    if record.cancelled:
        notes.append(f"this session cancelled the run: {record.cancelled}")
    if obs.evaluation_error and verdict.outcome == "failed":
        notes.append(f"justifications unavailable: {obs.evaluation_error}")
    return notes


def _artifacts(settings: Settings, run_id: str) -> dict[str, Any]:
    """Where the run's artifacts go, and that path as reports write it."""
    if settings.artifacts_dir is None:
        return {}
    path = artifacts_path(settings.artifacts_dir, run_id)
    return {"artifacts": path, "attachment": settings.attachment(path)}


def reports_for(
    nodeid: str, location: Location, keywords: Keywords, result: AmigoResult
) -> list[pytest.TestReport]:
    """Setup, call and teardown reports for an item judged without being run (interruption)."""
    problem: AmigoProblem | None = None
    reported = result.report_as
    if reported == "error":
        problem = AmigoError(result)
    elif reported == "failed":
        problem = AmigoFailure(result)
    failed_when = "setup" if reported == "error" else "call"
    props = result.properties() if result.report_properties else []
    now = time.time()
    reports = []
    for when in ("setup", "call", "teardown"):
        if when == "call" and reported == "error":
            continue
        bad = problem is not None and when == failed_when
        expected = reported == "xfailed" and when == "call"
        report = pytest.TestReport(
            nodeid,
            location,
            keywords,
            "skipped" if expected else "failed" if bad else "passed",
            longrepr(problem, location) if bad and problem else None,
            when,
            user_properties=props,
            start=now,
            stop=now,
            duration=0.0,
        )
        entry = result.to_json(nodeid)
        wire.put_entry(report, entry)
        if expected:
            report.wasxfail = result.expected
            report.longrepr = result.explanation  # the evidence, as an item's xfail shows it
        if when == failed_when:  # the report that carries the verdict
            # pytest-html, if it is used (plain builtins, like the entry)
            report.extras = html_extras.extras_of(entry)  # type: ignore[attr-defined]
        reports.append(report)
    return reports
