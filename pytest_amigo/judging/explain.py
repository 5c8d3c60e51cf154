"""Turn a verdict (plus the fetched metric evaluations) into text a person can act on.

Pure functions: no HTTP, no pytest. ``evaluations`` maps a metric evaluation result id to the
``MetricEvaluationResultInstance`` JSON dict (``result``, ``justification``, ``metric_id``,
``source``), or is ``None`` when the evaluations were not fetched.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_amigo.domain import format_value
from pytest_amigo.judging.text import grouped, plural, printable, session_numbers
from pytest_amigo.judging.verdict import (
    ERRORED,
    MET,
    NO_RESULT,
    NOT_MET,
    CriterionTally,
    SessionResult,
    Verdict,
    summarize_tallies,
)

WIDTH = 100
INDENT = "  "

_OUTCOME_LABEL = {
    "passed": f"{MET} PASSED",
    "failed": f"{NOT_MET} FAILED",
    "error": f"{ERRORED} ERROR",
    "pending": "… PENDING",
    "inconclusive": "? INCONCLUSIVE",
}

_WHAT_TO_DO = {
    "run-errored": "The Amigo run itself errored; check the run in the Amigo console "
    "and start a new run once the cause is fixed.",
    "run-cancelled": "This session cancelled the run (interrupt or timeout); start a new run.",
    "run-ended": "The run finished without reporting this unit test; it was probably cancelled "
    "outside this session. Start a new run.",
    "timeout": "The run may still finish: report it later with --amigo-run instead of starting "
    "a new one, or give it more time with --amigo-timeout.",
    "interrupted": "The run may still finish; report it later instead of starting a new one.",
    "not-in-run": "The run executed a different version of the set; start a new run.",
    "malformed": "The API returned data this plugin cannot read; please report it with the run id.",
    "missing-results": "The run ended without every session's results, so this unit test was "
    "not judged; start a new run (report it to Amigo if it happens again).",
    "unreadable": "The run could not be read (see above); this is not a verdict on the agent. "
    "Fix the cause, then report the run again with --amigo-run.",
    "too-few-valid": "Too many sessions errored for the pass rate to mean anything; fix what "
    "makes sessions error, or lower amigo_min_valid_sessions.",
}


def summarize_marks(verdict: Verdict, *, failing_only: bool = False) -> str:
    """One line of per-criterion marks and counts: ``Completion ✔✘✔ 2/3; Empathy ✔✔✔ 3/3``."""
    return summarize_tallies(verdict.tallies, failing_only=failing_only)


def legend() -> str:
    return f"{MET} met  {NOT_MET} not met  {ERRORED} session errored  {NO_RESULT} no result"


def _wrap_quoted(text: str, indent: str) -> list[str]:
    lines: list[str] = []
    paragraphs = [p.strip() for p in text.strip().splitlines()] or [""]
    for i, paragraph in enumerate(paragraphs):
        if not paragraph:
            continue
        opening = '"' if i == 0 else " "
        wrapped = textwrap.wrap(
            paragraph,
            width=WIDTH,
            initial_indent=indent + opening,
            subsequent_indent=indent + " ",
            break_long_words=False,
            break_on_hyphens=False,
        )
        lines.extend(wrapped)
    if lines:
        lines[-1] += '"'
    return lines


def _header(verdict: Verdict, set_name: str) -> str:
    label = _OUTCOME_LABEL.get(verdict.outcome, verdict.outcome.upper())
    run = f"run {verdict.run_id}" if verdict.run_id else "no run"
    return f"{label}: {verdict.unit_test.name} — {run} of set {set_name!r}"


def _session_counts(verdict: Verdict) -> str:
    text = (
        f"sessions: {verdict.sessions_passed} passed of {verdict.sessions_valid} valid "
        f"(of {verdict.sessions_total}), {verdict.sessions_required} required"
    )
    if verdict.min_pass_rate is not None:
        text += f" (min pass rate {verdict.min_pass_rate * 100:.4g}%, errored sessions left out)"
    else:
        text += " (every session must pass)"
    return text


def _evaluation(
    evaluations: Mapping[str, Mapping[str, Any]] | None, evaluation_id: str | None
) -> Mapping[str, Any] | None:
    if evaluations is None or evaluation_id is None:
        return None
    found = evaluations.get(evaluation_id)
    return found if isinstance(found, Mapping) else None


def _failing_session_lines(
    tally: CriterionTally,
    position: int,
    sessions: Sequence[SessionResult],
    evaluations: Mapping[str, Mapping[str, Any]] | None,
) -> list[str]:
    """The sessions that did not meet the criterion: what each showed, and the judge's
    justification quoted once for every session that gave it (``sessions 1-3, 5: ...``)."""
    found: list[tuple[int, str, str | None]] = []  # session number, what it showed, why
    for session in sessions:
        if session.error is not None or position >= len(session.checks):
            continue
        if session.checks[position] is not True:
            found.append((session.number, *_failing_check(tally, position, session, evaluations)))
    indent = INDENT * 2
    lines: list[str] = []
    for _, why in grouped((number, why) for number, _, why in found):
        shown = grouped((number, detail) for number, detail, said in found if said == why)
        lines += [f"{indent}{session_numbers(numbers)}: {detail}" for numbers, detail in shown]
        if why is not None:
            lines.extend(_wrap_quoted(why, indent + INDENT))
    return lines


def _failing_check(
    tally: CriterionTally,
    position: int,
    session: SessionResult,
    evaluations: Mapping[str, Mapping[str, Any]] | None,
) -> tuple[str, str | None]:
    """What a session showed for a criterion it did not meet, and the judge's justification
    (None when there is none)."""
    if session.checks[position] is None:
        return "no result reported for this session (counts as not met)", None
    evaluation_id = session.evaluation_ids[position]
    found = _evaluation(evaluations, evaluation_id)
    if found is None:
        detail = "not met"
        if evaluation_id is not None:
            fetched = "not fetched" if evaluations is None else "not found"
            detail += f" (evaluation {evaluation_id} {fetched})"
        return detail, None
    value = found.get("result")
    requirement = tally.criterion.requirement()
    if value is None:
        detail = f"n/a (metric deemed not applicable), needs {requirement}"
    else:
        detail = f"{format_value(value)}, needs {requirement}"
    justification = found.get("justification")
    if isinstance(justification, str) and justification.strip():
        return detail, printable(justification)
    return detail, None


def _criteria_lines(
    verdict: Verdict, evaluations: Mapping[str, Mapping[str, Any]] | None
) -> list[str]:
    if not verdict.tallies:
        return []
    width = max(len(t.criterion.name) for t in verdict.tallies)
    req_width = max(len(t.criterion.requirement()) for t in verdict.tallies)
    lines = [f"{INDENT}criteria ({legend()}):"]
    for position, tally in enumerate(verdict.tallies):
        counts = f"{tally.passed}/{tally.valid} met"
        missing = tally.valid - tally.evaluated
        if missing:
            counts += f", {missing} without result"
        lines.append(
            f"{INDENT}{tally.criterion.name.ljust(width)}  "
            f"{tally.criterion.requirement().ljust(req_width)}  {tally.marks}  {counts}"
        )
        if not tally.ok:
            lines.extend(_failing_session_lines(tally, position, verdict.sessions, evaluations))
    return lines


def _error_lines(verdict: Verdict) -> list[str]:
    lines: list[str] = []
    for session in verdict.errored_sessions:
        lines.append(f"{INDENT}session {session.number} errored:")
        lines.extend(
            textwrap.wrap(
                session.error or "unspecified error",
                width=WIDTH,
                initial_indent=INDENT * 2,
                subsequent_indent=INDENT * 2,
            )
            or [INDENT * 2]
        )
    return lines


def _wrapped(text: str) -> list[str]:
    return textwrap.wrap(text, width=WIDTH, initial_indent=INDENT, subsequent_indent=INDENT * 2)


def pass_k_words(k: int, first: float, all_k: float) -> str:
    """``pass^1 0.50, pass^4 0.06 (the chance that 4 sessions in a row all pass)``; with k = 1,
    pass^1 once."""
    if k == 1:
        return f"pass^1 {first:.2f} (the chance that a session passes)"
    return (
        f"pass^1 {first:.2f}, pass^{k} {all_k:.2f} (the chance that {k} sessions in a row all pass)"
    )


def explain(
    verdict: Verdict,
    evaluations: Mapping[str, Mapping[str, Any]] | None,
    *,
    set_name: str,
    rerun_hint: str | None = None,
    pass_k: tuple[int, float, float] | None = None,
    more: Sequence[str] = (),
) -> str:
    """A multi-line explanation of one verdict: what happened, why, and what to do.

    ``pass_k`` is ``(k, pass^1, pass^k)`` of the valid sessions, shown when given; ``more``
    are lines of evidence shown after it (interval, baseline)."""
    lines = [_header(verdict, set_name), *_wrapped(verdict.reason)]
    if verdict.missing_permission:
        lines.extend(
            _wrapped(
                f"missing permission: {verdict.missing_permission}. Grant "
                f"{verdict.missing_permission} to the API key's user (its role), then report "
                "this run again; the run itself is fine."
            )
        )
    elif verdict.error_kind in _WHAT_TO_DO and verdict.error_kind is not None:
        lines.extend(_wrapped(_WHAT_TO_DO[verdict.error_kind]))
    if verdict.sessions:
        lines.append(INDENT + _session_counts(verdict))
    if pass_k is not None:
        lines.append(INDENT + pass_k_words(*pass_k))
    lines.extend(more)
    if verdict.assumed_placements:
        lines.extend(
            _wrapped(
                f"note: {plural(verdict.assumed_placements, 'failed check')} could not be placed "
                "on their "
                "session (the metric evaluation results with their run_index were unavailable); "
                "assumed failures of different criteria fall on different sessions, the fewest "
                "passing sessions the data allows. Session numbers of those checks are assumed."
            )
        )
    lines.extend(_criteria_lines(verdict, evaluations))
    lines.extend(_error_lines(verdict))
    if rerun_hint:
        lines.append(rerun_hint)
    return "\n".join(lines)
