"""Escaped pieces of the HTML report shared by its modules (``html_report``, ``html_compare``):
text, numbers, the outcome badge and the criteria x sessions grid. Standard library only.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

MAX_TEXT = 20_000  # characters of one message, justification, input or output shown

OUTCOME_LABEL = {
    "failed": "Failed",
    "error": "Error",
    "inconclusive": "Inconclusive",
    "xfailed": "Expected failure (xfail)",
    "passed": "Passed",
}


def e(value: Any) -> str:
    """Escaped text (quotes too: the same helper serves attributes)."""
    text = "" if value is None else str(value)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + f"… [{len(text) - MAX_TEXT} more characters cut]"
    return html.escape(text, quote=True)


def pct(value: Any) -> str:
    if not isinstance(value, int | float):
        return "n/a"
    return f"{value * 100:.1f}%".replace(".0%", "%")


def num(value: Any) -> str:
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


def mark(met: Any, errored: bool) -> tuple[str, str, str]:
    if met is True or met is False:
        return MARK[met]
    return MARK["error"] if errored else MARK[None]


def session_count(test: Mapping[str, Any]) -> int:
    total = int((test.get("sessions") or {}).get("total") or 0)
    lengths = [len(c.get("sessions") or ()) for c in test.get("criteria") or ()]
    return max([total, len(test.get("session_errors") or ()), *lengths])


def session_status(test: Mapping[str, Any], k: int) -> str:
    errors = test.get("session_errors") or []
    if k < len(errors) and errors[k]:
        return "errored"
    marks = [
        (c.get("sessions") or [])[k] if k < len(c.get("sessions") or []) else None
        for c in test.get("criteria") or ()
    ]
    if any(m is False for m in marks):
        return "failed"
    if marks and all(m is True for m in marks):
        return "passed"
    return "no result"


def grid(test: Mapping[str, Any], uid: str, n: int, caption: str | None = None) -> str:
    """The criteria x sessions table of ``test`` (``n`` sessions); ``uid``: a unique prefix of
    its caption's id; ``caption``: its caption (plain text, escaped here)."""
    criteria = test.get("criteria") or []
    if not criteria:
        return '<p class="muted">No criteria results.</p>'
    errors = test.get("session_errors") or []
    cap = f"{uid}-grid"
    title = caption or f"Criteria × sessions of {test.get('name')}"
    head = "".join(f'<th scope="col">Session {k + 1}</th>' for k in range(n))
    rows = []
    for c in criteria:
        marks = c.get("sessions") or []
        values = c.get("values") or []
        cells = []
        for k in range(n):
            met = marks[k] if k < len(marks) else None
            cls, sym, word = mark(met, k < len(errors) and bool(errors[k]))
            value = values[k] if k < len(values) else None
            shown = f'<span class="v">{e(num(value))}</span>' if value is not None else ""
            cells.append(
                f'<td class="c-{cls}"><span aria-hidden="true">{sym}</span> {word}{shown}</td>'
            )
        rows.append(
            f'<tr><th scope="row">{e(c.get("name"))}</th>'
            f'<td class="req">{e(c.get("requirement") or "")}</td>'
            f"<td>{e(c.get('passed'))}/{e(c.get('valid'))}</td>{''.join(cells)}</tr>"
        )
    status = "".join(
        f'<td class="s-{session_status(test, k).replace(" ", "-")}">'
        f"{e(session_status(test, k))}</td>"
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
