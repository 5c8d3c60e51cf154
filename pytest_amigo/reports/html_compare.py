"""The A/B comparison (``--amigo-compare``) in the HTML report (standard library only).

Per unit test with a ``compare`` entry: the candidate and the reference side by side (what each
ran, its outcome, sessions passed of valid, pass rate, its run, its criteria x sessions grid: the
reference's from ``reference_criteria``), then the change in points, the adjusted p-value of the
label's direction with its correction, and the label as a badge (worse looks like a failure).
Per set with a ``compare`` entry: the counts worse / better / same, the Cochran-Mantel-Haenszel
line, and a warning banner when both sides ran the same agent (A/A). Every text is escaped.
"""

from __future__ import annotations

from dataclasses import replace

from pytest_amigo.judging.run_outcome import RunOutcome
from pytest_amigo.judging.words import against_words
from pytest_amigo.reports.compare_words import (
    aa_warning,
    change_text,
    counts_line,
    label_text,
    p_line,
    ran_words,
    set_sentence,
    unit_sentence,
)
from pytest_amigo.reports.document import (
    Sessions,
    SetCompare,
    SetReport,
    UnitCompare,
    UnitTestReport,
)
from pytest_amigo.reports.html_base import badge, e, grid, pct

SESSIONS_NOTE = '<p class="sessions-of"><strong>The candidate’s sessions</strong></p>'

_LABEL_CLASS = {
    "worse": "cmp-worse",
    "better": "cmp-better",
    "no detectable difference": "cmp-same",
    "not compared": "cmp-none",
}


def label_class(compare: UnitCompare | SetCompare) -> str:
    return _LABEL_CLASS.get(compare.label, "cmp-none")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def label_badge(compare: UnitCompare | SetCompare, *, power: bool = True) -> str:
    """``Significantly worse than release`` as a badge (red like a failure; better green; the
    others grey); a "no detectable difference" with its power (``power``: not when the sentence
    beside it says it)."""
    shown = label_text(compare) if power else against_words(compare.label, compare.reference_name)
    return f'<span class="badge {label_class(compare)}">{e(_capital(shown))}</span>'


def _side(kind: str, side: RunOutcome, run_id: str | None, uid: str) -> str:
    """One column: ``kind`` (Candidate, Reference) and its facts."""
    key = f"{uid}-{kind.lower()}"
    facts = [
        ("What ran", e(ran_words(side.what_ran) or "not recorded")),
        ("Outcome", badge(side.outcome)),
        ("Sessions", e(f"{side.passed} passed of {side.valid} valid")),
        ("Pass rate", e(pct(side.rate))),
        ("Run", e(run_id or "—")),
    ]
    return (
        f'<section class="side side-{kind.lower()}" aria-labelledby="{key}-h">'
        f'<h4 id="{key}-h">{e(_title(kind, side))}</h4><dl class="facts">'
        + "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in facts)
        + "</dl></section>"
    )


def _title(kind: str, side: RunOutcome) -> str:
    """``Candidate: pr-7`` (the side's version set), or just ``Candidate``."""
    version_set = side.what_ran.version_set if side.what_ran is not None else None
    return f"{kind}: {version_set}" if version_set else kind


def _grids(test: UnitTestReport, compare: UnitCompare, uid: str) -> str:
    """Both criteria x sessions grids, one above the other (sessions in the same columns)."""
    reference = replace(
        test,
        criteria=compare.reference_criteria,
        session_errors=(),
        sessions=Sessions(0, 0, 0, 0),
    )
    found = []
    for kind, of, side in (
        ("Candidate", test, compare.candidate),
        ("Reference", reference, compare.reference),
    ):
        title = _title(kind, side)
        caption = f"Criteria × sessions of {test.name}, {title[:1].lower()}{title[1:]}"
        found.append(grid(of, f"{uid}-{kind.lower()}", of.session_count, caption=caption))
    return f'<div class="cmp-grids">{"".join(found)}</div>'


def unit_panel(test: UnitTestReport, compare: UnitCompare, uid: str) -> str:
    """The candidate (this unit test) beside the reference, with the comparison's verdict."""
    verdict = [("Change", change_text(compare.difference)), ("Adjusted p", p_line(compare))]
    if compare.why:
        verdict.append(("Not compared because", compare.why))
    dl = "".join(f"<div><dt>{e(k)}</dt><dd>{e(v)}</dd></div>" for k, v in verdict)
    sides = _side("Candidate", compare.candidate, test.run_id, uid)
    sides += _side("Reference", compare.reference, compare.run_id, uid)
    return (
        f'<section class="compare {label_class(compare)}" aria-labelledby="{uid}-cmp">'
        f'<p class="cmp-head" id="{uid}-cmp"><strong>'
        f"{e(_capital(against_words(compare.label, compare.reference_name)))}</strong>: "
        f'{e(unit_sentence(compare))}</p><dl class="facts inline cmp-verdict">{dl}</dl>'
        f'<div class="sides">{sides}'
        f"</div>{_grids(test, compare, uid)}</section>"
    )


def set_banner(entry: SetReport) -> str:
    """The loud warning of an A/A comparison ("" otherwise)."""
    warning = aa_warning(entry)
    if not warning:
        return ""
    return (
        f'<div class="cmp-warning" role="alert"><strong>A/A comparison:</strong> {e(warning)}</div>'
    )


def set_line(entry: SetReport) -> str:
    """The set's comparison: its label, counts and the Cochran-Mantel-Haenszel result."""
    compare = entry.compare
    if compare is None:
        return ""
    sentence = set_sentence(compare)
    text = sentence[:1].upper() + sentence[1:]
    return f'<p class="cmp-set">{label_badge(compare, power=False)} {e(text)}</p>'


def overview_cell(entry: SetReport) -> str:
    """The overview's cell of a set: ``1 worse, 1 better, 3 no detectable difference`` (``–``
    without a comparison), with the A/A warning."""
    compare = entry.compare
    if compare is None:
        return "<td>–</td>"
    counts = counts_line(compare)
    warn = ' <strong class="bad">(same agent: A/A)</strong>' if aa_warning(entry) else ""
    return f'<td class="{label_class(compare)}-cell">{e(counts)}{warn}</td>'
