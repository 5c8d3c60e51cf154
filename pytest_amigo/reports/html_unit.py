"""A unit test's section of the HTML report (``html_report``): its outcome and reason, the
criteria x sessions grid (with ``--amigo-compare``, the candidate beside the reference:
``html_compare``), its facts, and for each session the metric values against the requirement,
the judge's justifications, the session's error, its tool invocations and its transcript
(``html_artifacts``). Every text from the service is escaped.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import quote

from pytest_amigo.judging.text import session_numbers
from pytest_amigo.reports import html_compare
from pytest_amigo.reports.compare_words import baseline_sentence, label_text, ran_words
from pytest_amigo.reports.document import JsonValue, UnitTestReport
from pytest_amigo.reports.html_artifacts import Artifacts, Call, by_session, pre, tool_calls
from pytest_amigo.reports.html_artifacts import transcript as transcript_html
from pytest_amigo.reports.html_base import (
    at,
    badge,
    e,
    failing_justifications,
    grid,
    mark,
    num,
    pct,
)

OUTCOMES = ("failed", "error", "inconclusive", "xfailed", "passed")
_RANK = {name: n for n, name in enumerate(OUTCOMES)}


def worse(test: UnitTestReport) -> bool:
    """Worse than the reference (``--amigo-compare``)."""
    return test.compare_label == "worse"


def failing(test: UnitTestReport) -> bool:
    """Needs attention: not passed, or worse than the reference (``--amigo-compare``)."""
    return test.outcome != "passed" or worse(test)


def ordered(tests: Iterable[UnitTestReport]) -> list[UnitTestReport]:
    """Unit tests worse than the reference first, then failures and errors, inconclusive,
    xfailed, passed; stable within each."""
    return sorted(tests, key=lambda t: (not worse(t), _RANK.get(t.outcome, len(OUTCOMES))))


def justifications(test: UnitTestReport) -> str:
    """The judges' justifications of the checks not met, each text once with its sessions
    (``sessions 1-3, 5``): a justification repeated over six sessions is read once."""
    items = [
        f"<li><strong>{e(c.name)}</strong>, {session_numbers(numbers)}: {e(why)}</li>"
        for c in test.criteria
        for numbers, why in failing_justifications(c)
    ]
    if not items:
        return ""
    return (
        '<div class="justifications"><p>Judges\' justifications:</p>'
        f"<ul>{''.join(items)}</ul></div>"
    )


def _said_before(test: UnitTestReport, position: int, k: int) -> int | None:
    """The first session (0-based) before ``k`` whose judge gave the same justification for the
    criterion at ``position``; None when session ``k``'s is new."""
    found = test.criteria[position].justifications
    why = at(found, k)
    return next((j for j in range(k) if why and at(found, j) == why), None)


def _checks(test: UnitTestReport, k: int, errored: bool) -> str:
    """Session ``k``'s metric values against the requirements, with the justifications (one
    given for an earlier session already: "same as session N")."""
    rows = []
    for position, c in enumerate(test.criteria):
        cls, sym, word = mark(at(c.sessions, k), errored)
        value, why = at(c.values, k), at(c.justifications, k)
        first = _said_before(test, position, k)
        said = f"same as session {first + 1}" if first is not None else e(why) if why else ""
        rows.append(
            f'<tr><th scope="row">{e(c.name)}</th>'
            f'<td data-label="Value">{e(num(value)) if value is not None else "—"}</td>'
            f'<td class="req" data-label="Requirement">{e(c.requirement or "")}</td>'
            f'<td class="c-{cls}" data-label="Result"><span aria-hidden="true">{sym}</span> '
            f"{word}</td>"
            f'<td class="why" data-label="Justification">{said}</td></tr>'
        )
    if not rows:
        return ""
    return (
        '<table class="checks"><caption>Metric values and justifications</caption>'
        '<thead><tr><th scope="col">Criterion</th><th scope="col">Value</th>'
        '<th scope="col">Requirement</th><th scope="col">Result</th>'
        '<th scope="col">Justification</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _session(
    test: UnitTestReport, k: int, calls: Sequence[Call] | None, transcript: JsonValue
) -> str:
    status = test.session_status(k)
    parts = []
    error = at(test.session_errors, k)
    if error:
        parts.append(f'<p class="error"><strong>Session error:</strong> {e(error)}</p>')
    parts.append(_checks(test, k, status == "errored"))
    if calls is not None:
        parts.append("<h5>Tool invocations</h5>")
        parts.append(tool_calls(calls) if calls else '<p class="muted">None.</p>')
    if transcript is not None:
        parts.append("<h5>Transcript</h5>" + transcript_html(transcript))
    opened = " open" if status in ("failed", "errored") else ""
    return (
        f'<details class="session"{opened}><summary><h4>Session {k + 1}: '
        f'<span class="s-{status.replace(" ", "-")}">{e(status)}</span></h4></summary>'
        f"{''.join(parts)}</details>"
    )


def _artifacts_href(path: str, base: Path | None) -> str:
    target = Path(path)
    if not target.is_absolute():
        target = Path.cwd() / target
    if base is not None:
        try:
            return quote(os.path.relpath(target, base).replace(os.sep, "/"))
        except ValueError:  # another drive (Windows)
            pass
    return target.as_uri()


def _facts(test: UnitTestReport) -> str:
    s = test.sessions
    facts: list[tuple[str, str]] = [
        (
            "Sessions",
            f"{s.passed} passed of {s.valid} valid (of {s.total}, {s.errored} errored)",
        ),
        ("Pass rate", pct(test.pass_rate)),
    ]
    if test.pass_rate_interval is not None:
        low, high = test.pass_rate_interval
        conf = test.confidence
        of = f" ({pct(conf)} Wilson interval)" if conf is not None else ""
        facts.append(("Interval", f"{low:.2f}–{high:.2f}{of}"))
    pk = test.pass_k
    if pk is not None:
        text = f"pass^{pk.k} {pk.value:.2f}"
        if pk.pass_1 is not None:
            text += f" (pass^1 {pk.pass_1:.2f})"
        facts.append(("pass^k", text))
    if test.baseline is not None:
        facts.append(("Baseline", baseline_sentence(test.baseline)))
    ran = ran_words(test.what_ran)
    if ran:
        facts.append(("What ran", ran))
    if test.expected and not test.xpass_note:
        facts.append(("Expected because", test.expected))
    facts.append(("Run", test.run_id or "—"))
    facts.append(("pytest node", test.nodeid))
    return (
        '<dl class="facts">'
        + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in facts)
        + "</dl>"
    )


def _sessions(test: UnitTestReport, n: int, artifacts: Artifacts) -> tuple[str, str]:
    """Each session's details (values, justifications, tool invocations, transcript) and the
    link to the run's artifacts."""
    zip_path = test.artifacts or ""
    zip_ok = bool(zip_path) and artifacts.readable(zip_path)
    calls = artifacts.calls_by_run.get(test.run_id or "")
    if calls is None and zip_ok:  # the artifacts carry the run's tool invocations
        found = artifacts.entry(zip_path, "tool_invocations.json")
        if isinstance(found, list):
            calls = by_session(found)
    sessions = []
    any_transcript = False
    for k in range(n):
        transcript = artifacts.transcript(zip_path, test, k) if zip_ok else None
        any_transcript = any_transcript or transcript is not None
        mine = None if calls is None else calls.get((test.id, k), [])
        sessions.append(_session(test, k, mine, transcript))
    links = ""
    if zip_path:
        href = _artifacts_href(zip_path, artifacts.base)
        note = "" if zip_ok else " (not found when this report was written)"
        if zip_ok and not any_transcript:
            note = " (no transcripts inside)"
        links = (
            f'<p class="artifacts">Artifacts: <a href="{e(href)}">{e(os.path.basename(zip_path))}'
            f"</a>{e(note)}</p>"
        )
    return "".join(sessions), links


def unit_test(test: UnitTestReport, uid: str, artifacts: Artifacts) -> str:
    """The section of ``test`` (``uid``: its element id)."""
    n = test.session_count
    sessions, links = _sessions(test, n, artifacts)
    search = " ".join((test.name, test.reason, test.expected or ""))
    heading = badge(test.outcome)
    evidence = grid(test, uid, n)
    classes = f"ut o-{e(test.outcome)}"
    compare = test.compare
    if compare is not None:  # --amigo-compare: the candidate beside the reference
        search += " " + label_text(compare)
        heading += " " + html_compare.label_badge(compare)
        evidence = html_compare.unit_panel(test, compare, uid)
        classes += f" {html_compare.label_class(compare)}"
        sessions = html_compare.SESSIONS_NOTE + sessions if sessions else sessions
    note = test.xpass_note
    xpass = f'<p class="xpass"><strong>{e(note)}</strong></p>' if note else ""
    explanation = ""
    if test.explanation:
        explanation = (
            f"<details><summary>Explanation as text</summary>{pre(test.explanation)}</details>"
        )
    return (
        f'<article class="{classes}" id="{uid}" data-outcome="{e(test.outcome)}" '
        f'data-failing="{int(failing(test))}" data-search="{e(search.lower())}">'
        f'<h3>{heading} <span class="name">{e(test.name)}</span></h3>'
        f'<p class="reason">{e(test.reason)}</p>{xpass}{evidence}{justifications(test)}'
        f"{_facts(test)}{sessions}{links}{explanation}</article>"
    )
