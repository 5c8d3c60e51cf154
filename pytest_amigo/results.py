"""From what a waiting item observed to what it reports: the verdict, its words, its reports.

Plain functions over plain data (no HTTP, no waiting): the item runner and, after an
interruption, the controller build results the same way.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Literal

import pytest

from .explain import explain
from .outcome import AmigoError, AmigoFailure, AmigoProblem, AmigoResult, UnitTestRef, longrepr
from .records import Observation, RunRecord, artifacts_path
from .settings import Settings
from .stats import reliability
from .verdict import Verdict, judge, judge_unfinished, printable

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
        ref.unit_test,
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
        verdict = judge_unfinished(
            ref.unit_test,
            ref.position,
            obs.run,
            why="timeout",
            budget_s=settings.timeout,
            occurrence=ref.occurrence,
        )
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
    verdict = judge_unfinished(
        ref.unit_test,
        ref.position,
        obs.run,
        why="interrupted",
        occurrence=ref.occurrence,
        evaluations=obs.evaluations,
    )
    if record.cancelled:
        return replace(verdict, reason=f"{verdict.reason}; run {run_id} cancelled")
    return replace(
        verdict,
        reason=f"{verdict.reason}; run {run_id} left running: report it later "
        f"with pytest --amigo-run={run_id}",
    )


def build_result(
    ref: UnitTestRef, obs: Observation, settings: Settings, *, interrupted: bool = False
) -> AmigoResult:
    """The result an item reports, from what it observed (``interrupted``: it stopped waiting)."""
    record = obs.record
    if record.run_id is None or record.error:
        reason = printable(f"set {ref.set.name!r}: {record.error}")
        return AmigoResult(ref, "error", reason, f"{reason}\n", None, None)
    run_id = record.run_id
    verdict = _verdict(ref, obs, settings, interrupted=interrupted)
    pass_k = None
    if verdict.outcome in ("passed", "failed"):
        pass_k = reliability(verdict.sessions_passed, verdict.sessions_valid, settings.pass_k)
    text = explain(
        verdict,
        obs.evaluations,
        set_name=ref.set.name,
        rerun_hint=f"Report this run again: pytest --amigo-run={run_id}",
        pass_k=pass_k,
    )
    notes = [record.note] if record.note and not record.started_here else []
    if record.cancelled:
        notes.append(f"this session cancelled the run: {record.cancelled}")
    if obs.evaluation_error and verdict.outcome == "failed":
        notes.append(f"justifications unavailable: {obs.evaluation_error}")
    if notes:
        text = text.rstrip("\n") + "\n" + "\n".join(notes) + "\n"
    artifacts = (
        artifacts_path(settings.artifacts_dir, run_id)
        if settings.artifacts_dir is not None
        else None
    )
    return AmigoResult(
        ref,
        verdict.outcome if verdict.outcome in ("passed", "failed") else "error",
        printable(verdict.reason),
        printable(text),  # service text never reaches the terminal or XML raw
        run_id,
        verdict,
        dict(obs.evaluations or {}),
        artifacts,
        record.note,
        pass_k,
    )


def reports_for(
    nodeid: str, location: Location, keywords: Keywords, result: AmigoResult
) -> list[pytest.TestReport]:
    """Setup, call and teardown reports for an item judged without being run (interruption)."""
    problem: AmigoProblem | None = None
    if result.outcome == "error":
        problem = AmigoError(result)
    elif result.outcome == "failed":
        problem = AmigoFailure(result)
    failed_when = "setup" if result.outcome == "error" else "call"
    props = result.properties()
    now = time.time()
    reports = []
    for when in ("setup", "call", "teardown"):
        if when == "call" and result.outcome == "error":
            continue
        bad = problem is not None and when == failed_when
        reports.append(
            pytest.TestReport(
                nodeid,
                location,
                keywords,
                "failed" if bad else "passed",
                longrepr(problem, location) if bad and problem else None,
                when,
                user_properties=props,
                start=now,
                stop=now,
                duration=0.0,
            )
        )
    return reports
