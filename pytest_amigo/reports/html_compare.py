"""The A/B comparison (``--amigo-compare``) in the HTML report (standard library only).

Per unit test with a ``compare`` entry: the candidate and the reference side by side (what each
ran, its outcome, sessions passed of valid, pass rate, its run, its criteria x sessions grid: the
reference's from ``reference_criteria``), then the change in points, the adjusted p-value of the
label's direction with its correction, and the label as a badge (worse looks like a failure).
Per set with a ``compare`` entry: the counts worse / better / same, the Cochran-Mantel-Haenszel
line, and a warning banner when both sides ran the same agent (A/A). Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_amigo.judging.provenance import what_ran_words
from pytest_amigo.reports.compare_words import (
    aa_warning,
    change_text,
    label_words,
    p_words,
    set_compare,
    set_counts,
    set_overall,
)
from pytest_amigo.reports.html_base import badge, e, grid, pct, session_count

SESSIONS_NOTE = '<p class="sessions-of"><strong>The candidate’s sessions</strong></p>'

_LABEL_CLASS = {
    "worse": "cmp-worse",
    "better": "cmp-better",
    "no detectable difference": "cmp-same",
    "not compared": "cmp-none",
}


def label_class(compare: Mapping[str, Any]) -> str:
    return _LABEL_CLASS.get(str(compare.get("label")), "cmp-none")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def label_badge(compare: Mapping[str, Any]) -> str:
    """``Worse than release`` as a badge (red like a failure; better green; the others grey)."""
    words = label_words(compare.get("label"), compare.get("reference"))
    return f'<span class="badge {label_class(compare)}">{e(_capital(words))}</span>'


def search_words(compare: Mapping[str, Any]) -> str:
    """What the search box finds a compared unit test by: ``worse than release``."""
    return label_words(compare.get("label"), compare.get("reference"))


def _side(kind: str, side: Any, run_id: Any, uid: str) -> str:
    """One column: ``kind`` (Candidate, Reference) and its facts."""
    side = side if isinstance(side, Mapping) else {}
    ran = side.get("what_ran")
    key = f"{uid}-{kind.lower()}"
    outcome = str(side.get("outcome") or "pending")
    facts = [
        ("What ran", e(what_ran_words(ran) or "not recorded")),
        ("Outcome", badge(outcome)),
        ("Sessions", e(f"{side.get('passed', 0)} passed of {side.get('valid', 0)} valid")),
        ("Pass rate", e(pct(side.get("pass_rate")))),
        ("Run", e(run_id or "—")),
    ]
    return (
        f'<section class="side side-{kind.lower()}" aria-labelledby="{key}-h">'
        f'<h4 id="{key}-h">{e(_title(kind, side))}</h4><dl class="facts">'
        + "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in facts)
        + "</dl></section>"
    )


def _title(kind: str, side: Mapping[str, Any]) -> str:
    """``Candidate: pr-7`` (the side's version set), or just ``Candidate``."""
    ran = side.get("what_ran")
    version_set = ran.get("version_set") if isinstance(ran, Mapping) else None
    return f"{kind}: {version_set}" if version_set else kind


def _grids(test: Mapping[str, Any], compare: Mapping[str, Any], uid: str) -> str:
    """Both criteria x sessions grids, one above the other (sessions in the same columns)."""
    reference = {"name": test.get("name"), "criteria": compare.get("reference_criteria") or []}
    found = []
    for kind, of, side in (
        ("Candidate", test, compare.get("candidate")),
        ("Reference", reference, compare.get("reference_sessions")),
    ):
        title = _title(kind, side if isinstance(side, Mapping) else {})
        caption = f"Criteria × sessions of {test.get('name')}, {title[:1].lower()}{title[1:]}"
        found.append(grid(of, f"{uid}-{kind.lower()}", session_count(of), caption=caption))
    return f'<div class="cmp-grids">{"".join(found)}</div>'


def unit_panel(test: Mapping[str, Any], uid: str) -> str:
    """The candidate (this unit test) beside the reference, with the comparison's verdict."""
    compare = test.get("compare")
    if not isinstance(compare, Mapping):
        return ""
    verdict = [
        ("Change", change_text(compare.get("difference"))),
        ("Adjusted p", p_words(compare)),
    ]
    if compare.get("why"):
        verdict.append(("Not compared because", str(compare["why"])))
    dl = "".join(f"<div><dt>{e(k)}</dt><dd>{e(v)}</dd></div>" for k, v in verdict)
    sides = _side("Candidate", compare.get("candidate"), test.get("run_id"), uid)
    sides += _side("Reference", compare.get("reference_sessions"), compare.get("run_id"), uid)
    words = _capital(label_words(compare.get("label"), compare.get("reference")))
    return (
        f'<section class="compare {label_class(compare)}" aria-labelledby="{uid}-cmp">'
        f'<p class="cmp-head" id="{uid}-cmp"><strong>{e(words)}</strong></p>'
        f'<dl class="facts inline cmp-verdict">{dl}</dl><div class="sides">{sides}</div>'
        f"{_grids(test, compare, uid)}</section>"
    )


def set_banner(entry: Mapping[str, Any]) -> str:
    """The loud warning of an A/A comparison ("" otherwise)."""
    warning = aa_warning(entry)
    if not warning:
        return ""
    return (
        f'<div class="cmp-warning" role="alert"><strong>A/A comparison:</strong> {e(warning)}</div>'
    )


def set_line(entry: Mapping[str, Any]) -> str:
    """The set's comparison: its label, counts and the Cochran-Mantel-Haenszel result."""
    compare = set_compare(entry)
    if compare is None:
        return ""
    run = compare.get("run_id")
    against = f"Against {compare.get('reference')}" + (f" (run {run})" if run else "")
    text = f"{against}: {set_counts(compare)}; {set_overall(compare)}"
    return f'<p class="cmp-set">{label_badge(compare)} {e(text)}</p>'


def overview_cell(entry: Mapping[str, Any]) -> str:
    """The overview's cell of a set: ``1 worse, 1 better, 3 same`` (``–`` without a
    comparison), with the A/A warning."""
    compare = set_compare(entry)
    if compare is None:
        return "<td>–</td>"
    counts = (
        f"{compare.get('worse', 0)} worse, {compare.get('better', 0)} better, "
        f"{compare.get('same', 0)} same"
    )
    if compare.get("not_compared"):
        counts += f", {compare['not_compared']} not compared"
    warn = ' <strong class="bad">(same agent: A/A)</strong>' if aa_warning(entry) else ""
    return f'<td class="{label_class(compare)}-cell">{e(counts)}{warn}</td>'
