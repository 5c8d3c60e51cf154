"""The HTML report: one self-contained page of every unit test's evidence (standard library only).

``render`` turns the typed report (``document.Report``: what ``json_report.document`` builds or
``read_report`` reads) into a single HTML page that works offline: the CSS and the small script
are inline, nothing is fetched. Per set a header with the counts; per unit test (failures and
errors first) the outcome and reason, the criteria x sessions grid, and for each session the
metric values against the requirement, the judge's justifications, the session's error, its tool
invocations and its conversation transcript when the run's artifacts zip carries one (read with
bounded sizes). With ``--amigo-compare`` (``html_compare``) each compared unit test shows the
candidate beside the reference, unit tests worse than the reference come first and count as
failing for the filter, and each set has its comparison line and, for an A/A comparison, a warning
banner. The filter (failing only / all) and the search box are progressive enhancement: without
script the page shows everything. Every text from the service is escaped.

This module is the page frame (header, overview, sets, controls); a unit test's section is
``html_unit``, what is read from the artifacts zips ``html_artifacts``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

from pytest_amigo.judging.text import plural
from pytest_amigo.reports import html_compare
from pytest_amigo.reports.document import Report, SetReport, UnitTestReport, pass_rate_text
from pytest_amigo.reports.headline import compared_lines, headline
from pytest_amigo.reports.html_artifacts import Artifacts, Call, by_session
from pytest_amigo.reports.html_base import e as _e
from pytest_amigo.reports.html_unit import OUTCOMES, failing, ordered, unit_test

_COUNT_LABEL = {
    "passed": "passed",
    "failed": "failed",
    "error": "errors",
    "inconclusive": "inconclusive",
    "xfailed": "xfailed",
}
_TRANSITIONS = ("regressed", "new", "still-failing", "fixed", "unchanged", "not-comparable")


def _count_label(outcome: str, count: int) -> str:
    """``1 error``, ``2 errors``: the noun beside an outcome's count (other outcomes are
    adjectives: ``1 failed``)."""
    return "error" if outcome == "error" and count == 1 else _COUNT_LABEL[outcome]


def _asset(name: str) -> str:
    return resources.files("pytest_amigo.reports").joinpath(name).read_text(encoding="utf-8")


def _counts(tests: Sequence[UnitTestReport]) -> dict[str, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    for t in tests:
        counts[t.outcome] = counts.get(t.outcome, 0) + 1
    return counts


def _set(entry: SetReport, n: int, artifacts: Artifacts) -> str:
    tests = entry.unit_tests
    counts = _counts(tests)
    count_items = "".join(
        f'<li class="n-{o}"><strong>{counts[o]}</strong> {_count_label(o, counts[o])}</li>'
        for o in OUTCOMES
    )
    facts = [
        ("Set id", entry.id),
        ("Run", entry.run_id or "—"),
        ("Started by this session", "yes" if entry.started_here else "no (attached)"),
        ("Unit test pass rate", pass_rate_text(entry.pass_rate)),
    ]
    transitions: dict[str, int] = {}
    for t in tests:
        if t.transition is not None:
            transitions[t.transition] = transitions.get(t.transition, 0) + 1
    if transitions:
        order = sorted(transitions, key=_TRANSITIONS.index)
        facts.append(("Baseline", ", ".join(f"{transitions[k]} {k}" for k in order)))
    body = "".join(unit_test(t, f"s{n}-u{i}", artifacts) for i, t in enumerate(ordered(tests)))
    dl = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in facts)
    return (
        f'<section class="set" id="set-{n}" aria-labelledby="set-{n}-h">'
        f'<h2 id="set-{n}-h">{_e(entry.name)}</h2>{html_compare.set_banner(entry)}'
        f'<ul class="counts" aria-label="Unit test outcomes">{count_items}</ul>'
        f'<dl class="facts inline">{dl}</dl>{html_compare.set_line(entry)}'
        f'<p class="filtered muted" hidden></p>{body}</section>'
    )


def _overview(sets: Sequence[SetReport]) -> str:
    compared = any(entry.compare is not None for entry in sets)
    rows = []
    for n, entry in enumerate(sets):
        counts = _counts(entry.unit_tests)
        cells = "".join(f"<td>{counts[o]}</td>" for o in OUTCOMES)
        cells += f"<td>{pass_rate_text(entry.pass_rate)}</td>"
        if compared:
            cells += html_compare.overview_cell(entry)
        rows.append(f'<tr><th scope="row"><a href="#set-{n}">{_e(entry.name)}</a></th>{cells}</tr>')
    head = "".join(f'<th scope="col">{_COUNT_LABEL[o].capitalize()}</th>' for o in OUTCOMES)
    head += '<th scope="col">Pass rate</th>'
    if compared:
        head += '<th scope="col">Against the reference</th>'
    return (
        '<div class="grid-wrap" role="region" aria-labelledby="overview-cap" tabindex="0">'
        '<table class="overview"><caption id="overview-cap">Unit tests per set</caption>'
        f'<thead><tr><th scope="col">Set</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _headline(report: Report) -> str:
    """The verdict the page opens with (``headline.headline``, as the step summary opens) and,
    with ``--amigo-compare``, what each side ran."""
    state = "gate-failed" if report.failing else "gate-passed"
    sides = "".join(f"<li>{_e(line)}</li>" for line in compared_lines(report))
    listed = f'<ul class="compared-sets" aria-label="Compared version sets">{sides}</ul>'
    return f'<p class="headline {state}">{_e(headline(report))}</p>' + (listed if sides else "")


_CONTROLS = """<form id="controls" class="controls" hidden>
<fieldset><legend>Show</legend>
<label><input type="radio" name="show" value="failing"{failing}> Failing only
<span class="muted">({hint})</span></label>
<label><input type="radio" name="show" value="all"{all}> All</label></fieldset>
<p class="search"><label for="search">Search unit tests by name or reason</label>
<input type="search" id="search" name="q" autocomplete="off"></p>
<p id="shown" role="status" aria-live="polite"></p>
</form>"""


def render(
    report: Report,
    *,
    title: str = "Amigo simulations",
    artifacts_base: Path | None = None,
    tool_invocations: Mapping[str, Sequence[Call]] | None = None,
) -> str:
    """The report as one self-contained HTML page.

    ``artifacts_base``: the directory the page will live in; artifacts are linked relative to it
    (absolute ``file:`` links without it). ``tool_invocations``: run id -> the run's tool
    invocations as the API returns them; without them, those in the artifacts zip are shown."""
    sets = report.sets
    calls_by_run = {run: by_session(calls) for run, calls in (tool_invocations or {}).items()}
    base = artifacts_base.resolve() if artifacts_base is not None else None
    artifacts = Artifacts(calls_by_run, base)
    try:
        body = "".join(_set(entry, n, artifacts) for n, entry in enumerate(sets))
    finally:
        artifacts.close()
    tests = [t for _, t in report.unit_tests]
    any_failing = any(failing(t) for t in tests)
    compared = any(t.compare is not None for t in tests)
    controls = _CONTROLS.format(
        failing=" checked" if any_failing else "",
        all="" if any_failing else " checked",
        hint="not passed, or worse than the reference" if compared else "not passed",
    )
    meta = (
        f"pytest-amigo {_e(report.pytest_amigo)}, {_e(report.created_at)}; "
        f"{plural(len(tests), 'unit test')} in {plural(len(sets), 'set')}"
    )
    empty = "" if sets else '<p class="muted">No unit test was reported.</p>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="pytest-amigo">'
        f"<title>{_e(title)}</title><style>{_asset('html_report.css')}</style></head>"
        f'<body><header class="top"><h1>{_e(title)}</h1>{_headline(report)}'
        f'<p class="muted">{meta}</p>'
        f"{_overview(sets) if sets else ''}{controls}</header>"
        f"<main>{empty}{body}</main>"
        f"<script>{_asset('html_report.js')}</script></body></html>\n"
    )


def write(
    path: Path,
    report: Report,
    tool_invocations: Mapping[str, Sequence[Call]] | None = None,
    *,
    title: str = "Amigo simulations",
) -> None:
    """Write the page atomically; artifacts are linked relative to its directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page = render(
        report, title=title, artifacts_base=path.parent, tool_invocations=tool_invocations
    )
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, path)
