"""Escaped pieces of the HTML report shared by its modules (``html_report``, ``html_compare``):
text, numbers, the outcome badge and the criteria x sessions grid. Standard library only.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import TypeVar

from pytest_amigo.judging.text import grouped
from pytest_amigo.reports.document import CriterionReport, JsonValue, UnitTestReport

_T = TypeVar("_T")

MAX_TEXT = 20_000  # characters of one message, justification, input or output shown

OUTCOME_LABEL = {
    "failed": "Failed",
    "error": "Error",
    "inconclusive": "Inconclusive",
    "xfailed": "Expected failure (xfail)",
    "passed": "Passed",
}


def e(value: object) -> str:
    """Escaped text (quotes too: the same helper serves attributes)."""
    text = "" if value is None else str(value)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + f"… [{len(text) - MAX_TEXT} more characters cut]"
    return html.escape(text, quote=True)


def pct(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value * 100:.1f}%".replace(".0%", "%")


def num(value: JsonValue) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "none"}[value]
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int | str):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def badge(outcome: str) -> str:
    return f'<span class="badge o-{e(outcome)}">{e(OUTCOME_LABEL.get(outcome, outcome))}</span>'


MARK = {
    True: ("met", "✔", "met"),
    False: ("unmet", "✘", "not met"),
    "error": ("errored", "!", "session errored"),
    None: ("none", "·", "no result"),
}


def mark(met: bool | None, errored: bool) -> tuple[str, str, str]:
    if met is True or met is False:
        return MARK[met]
    return MARK["error"] if errored else MARK[None]


def at(found: Sequence[_T], k: int) -> _T | None:
    """Session ``k``'s entry of a per-session list (None past its end)."""
    return found[k] if k < len(found) else None


def failing_justifications(criterion: CriterionReport) -> list[tuple[tuple[int, ...], str]]:
    """The judges' justifications of the sessions that did not meet ``criterion``, each text once
    with its session numbers (1-based), in the order of its first session."""
    pairs = zip(criterion.sessions, criterion.justifications, strict=False)
    return grouped((k + 1, why) for k, (met, why) in enumerate(pairs) if met is False and why)


def grid(test: UnitTestReport, uid: str, n: int, caption: str | None = None) -> str:
    """The criteria x sessions table of ``test`` (``n`` sessions); ``uid``: a unique prefix of
    its caption's id; ``caption``: its caption (plain text, escaped here)."""
    if not test.criteria:
        return '<p class="muted">No criteria results.</p>'
    errors = test.session_errors
    cap = f"{uid}-grid"
    title = caption or f"Criteria × sessions of {test.name}"
    head = "".join(f'<th scope="col">Session {k + 1}</th>' for k in range(n))
    rows = []
    for c in test.criteria:
        cells = []
        for k in range(n):
            cls, sym, word = mark(at(c.sessions, k), bool(at(errors, k)))
            value = at(c.values, k)
            shown = f'<span class="v">{e(num(value))}</span>' if value is not None else ""
            cells.append(
                f'<td class="c-{cls}"><span aria-hidden="true">{sym}</span> {word}{shown}</td>'
            )
        rows.append(
            f'<tr><th scope="row">{e(c.name)}</th>'
            f'<td class="req">{e(c.requirement or "")}</td>'
            f"<td>{c.passed}/{c.valid}</td>{''.join(cells)}</tr>"
        )
    status = "".join(
        f'<td class="s-{test.session_status(k).replace(" ", "-")}">{e(test.session_status(k))}</td>'
        for k in range(n)
    )
    rows.append(
        f'<tr class="session-row"><th scope="row">Session</th><td></td><td></td>{status}</tr>'
    )
    return (
        f'<div class="grid-wrap" role="region" aria-labelledby="{cap}" tabindex="0">'
        f'<table class="grid"><caption id="{cap}">{e(title)}</caption>'
        '<thead><tr><th scope="col">Criterion</th><th scope="col">Requirement</th>'
        f'<th scope="col">Met</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )
