"""From what a waiting item observed to what it reports: the verdict, its words, its reports.

Plain functions over plain data (no HTTP, no waiting): the item runner and, after an
interruption, the controller build results the same way. Judging itself is one call
(``judging.pipeline.judge_unit_test``); this side hands it what the item saw and the settings'
rules, and wraps what it returns into an ``AmigoResult`` and pytest's reports.
"""

from __future__ import annotations

import time
from typing import Any, Literal

import pytest

from pytest_amigo.domain import UnitTest
from pytest_amigo.judging import pipeline
from pytest_amigo.judging.ab import UnitComparison
from pytest_amigo.judging.baseline import BaselineSet
from pytest_amigo.judging.evidence import BaselineComparison, Policy
from pytest_amigo.judging.pipeline import Resampled, Rules, Seen, judge_unit_test
from pytest_amigo.judging.text import printable
from pytest_amigo.judging.verdict import Verdict
from pytest_amigo.judging.words import NOT_WORSE
from pytest_amigo.lifecycle.records import Observation, RunRecord, artifacts_path
from pytest_amigo.plugin import wire
from pytest_amigo.plugin.amigo_result import (
    ABResult,
    AmigoError,
    AmigoFailure,
    AmigoProblem,
    AmigoResult,
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
    return pipeline.judge_ref(
        ref,
        run,
        evaluations,
        copy_id=_copy_id(ref, record),
        cancelled=bool(record.cancelled),
        min_valid=settings.evidence.min_valid_sessions,
    )


def _copy_id(ref: UnitTestRef, record: RunRecord) -> str | None:
    """The id of the unit test's copy on the candidate version set (``--amigo-version-set``)."""
    return (record.copies or {}).get(ref.unit_test.id)


def in_run(ref: UnitTestRef, record: RunRecord) -> UnitTest:
    """The unit test as the run holds it: its copy on the candidate version set
    (``--amigo-version-set``), reported under the original item."""
    return pipeline.in_run(ref.unit_test, _copy_id(ref, record))


def policy_of(settings: Settings) -> Policy:
    return Policy(
        settings.evidence.confidence, settings.evidence.min_pass_k, settings.evidence.pass_k
    )


def rules_of(settings: Settings) -> Rules:
    """What judging takes from the settings."""
    return Rules(policy_of(settings), settings.evidence.min_valid_sessions, settings.runs.timeout)


def seen_of(ref: UnitTestRef, obs: Observation, *, interrupted: bool = False) -> Seen:
    """What an item observed of its run (which it has), as judging reads it."""
    record = obs.record
    assert record.run_id is not None
    shown = record.note and (not record.started_here or record.temporary_set)
    return Seen(
        run_id=record.run_id,
        run=obs.run,
        evaluations=obs.evaluations,
        cancelled=record.cancelled,
        timed_out=obs.timed_out,
        interrupted=interrupted,
        failure=obs.failure,
        evaluation_error=obs.evaluation_error,
        copy_id=_copy_id(ref, record),
        version_set=record.version_set,
        note=record.note if shown else "",
    )


def _reporting(
    outcome: str,
    reason: str,
    comparison: BaselineComparison | None,
    settings: Settings,
    ab: UnitComparison | None = None,
) -> tuple[Reported | None, str]:
    """How pytest reports an outcome (None: as it is) and why it is expected to fail."""
    reported: Reported | None = None
    expected = ""
    if outcome == "inconclusive":
        policy = settings.evidence.inconclusive
        reported = "xfailed" if policy == "xfail" else "passed" if policy == "pass" else "failed"
        expected = reason if policy == "xfail" else ""
    failing = outcome == "failed" or reported == "failed"
    if ab is not None and failing and ab.label != "not compared":
        return _reporting_ab(reported, expected, reason, settings, ab)
    if settings.compare.fail_on == "regression" and comparison is not None and failing:
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
    if settings.compare.fail_on == "worse" and not ab.worse:
        return "xfailed", f"{NOT_WORSE} {name}: {ab.words()}; {reason}"
    if settings.compare.fail_on == "regression" and ab.reference.failing:
        counts = f"candidate {ab.candidate.counts()} vs {name} {ab.reference.counts()}"
        return "xfailed", f"fails on {name} too: {counts} sessions passed; {reason}"
    return reported, expected


def build_result(
    ref: UnitTestRef,
    obs: Observation,
    settings: Settings,
    *,
    interrupted: bool = False,
    baseline: BaselineSet | None = None,
    resampled: Resampled | None = None,
    ab: ABResult | None = None,
) -> AmigoResult:
    """The result an item reports, from what it observed (``interrupted``: it stopped waiting),
    compared with the ``baseline``; ``resampled``: the evidence after re-sampling, if any;
    ``ab``: the comparison with the concurrent reference (``--amigo-compare``)."""
    record = obs.record
    if record.run_id is None or record.error:
        return _no_run(ref, record, settings)
    judged = judge_unit_test(
        ref,
        seen_of(ref, obs, interrupted=interrupted),
        rules_of(settings),
        baseline=baseline,
        resampled=resampled,
        compared=ab.lines() if ab is not None else (),
    )
    weighed = judged.weighed
    unit_ab = ab.unit if ab is not None else None
    reported, expected = _reporting(
        judged.outcome, judged.reason, judged.comparison, settings, unit_ab
    )
    return AmigoResult(
        ref=ref,
        outcome=judged.outcome,
        reason=judged.reason,
        explanation=judged.explanation,
        run_id=record.run_id,
        verdict=judged.verdict,
        evaluations=judged.evaluations,
        note=record.note,
        pass_k=weighed.pass_k,
        interval=weighed.interval,
        confidence=weighed.confidence,
        comparison=judged.comparison,
        reported=reported,
        expected=expected,
        report_properties=settings.reports.properties,
        baseline_note=baseline.note if baseline is not None else "",
        provenance=judged.provenance,
        ab=ab,
        **_artifacts(settings, record.run_id),
    )


def _no_run(ref: UnitTestRef, record: RunRecord, settings: Settings) -> AmigoResult:
    """The error of a unit test whose set has no run (it could not be started or read)."""
    reason = printable(f"set {ref.set.name!r}: {record.error}")
    return AmigoResult(
        ref=ref,
        outcome="error",
        reason=reason,
        explanation=f"{reason}\n",
        report_properties=settings.reports.properties,
    )


def _artifacts(settings: Settings, run_id: str) -> dict[str, Any]:
    """Where the run's artifacts go, and that path as reports write it."""
    if settings.artifacts.dir is None:
        return {}
    path = artifacts_path(settings.artifacts.dir, run_id)
    return {"artifacts": path, "attachment": settings.reports.attachment(path)}


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
