"""pytest-html extras of an Amigo unit test: its evidence as HTML, links to its files.

pytest-html 4 reads ``report.extras``: dicts ``{name, format_type, content, mime_type,
extension}`` (the shape ``pytest_html.extras`` builds). They are built here from the plain JSON
entry of the unit test (``AmigoResult.to_json``, read as a ``UnitTestEntry``), so they are plain
builtins and cross xdist's
channel with the rest of the report; pytest-html itself is never imported.

- the explanation as HTML: outcome and reason, the criteria x sessions grid (met / not met /
  session errored / no result, with the metric values), the judges' justifications;
- a link to the run's artifacts file and to the ``--amigo-html`` report, relative to the
  pytest-html report's directory (both are opened from the same CI artifacts).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from html import escape as _escape
from pathlib import Path
from urllib.parse import quote

import pytest

from pytest_amigo.judging.text import printable, session_numbers
from pytest_amigo.reports.document import JsonValue, UnitTestEntry, UnitTestReport
from pytest_amigo.reports.html_base import at, failing_justifications

HTML = "html"
URL = "url"


def escape(text: str) -> str:
    """Service text as HTML: control characters shown escaped, markup characters escaped."""
    return _escape(printable(text))


def active(config: pytest.Config) -> bool:
    """pytest-html writes a report in this session (``--html``; also true on xdist workers)."""
    return bool(getattr(config.option, "htmlpath", None))


def _extra(content: str, format_type: str, name: str | None = None) -> dict[str, str | None]:
    return {
        "name": name,
        "format_type": format_type,
        "content": content,
        "mime_type": None,
        "extension": None,
    }


def _mark(met: bool | None, value: JsonValue, error: str | None) -> tuple[str, str]:
    """The cell of one criterion in one session: (text, title)."""
    shown = "" if value is None or isinstance(value, bool) else f" {value}"
    if met is True:
        return f"\u2714{shown}", "met"
    if met is False:
        return f"\u2718{shown}", "not met"
    if error:
        return "error", f"session errored: {error}"
    return "\u2013", "no result"


def grid(test: UnitTestReport) -> str:
    """The criteria x sessions table of a unit test ("" without criteria)."""
    if not test.criteria:
        return ""
    errors = test.session_errors
    sessions = max([len(errors)] + [len(c.sessions) for c in test.criteria])
    cell = 'style="border:1px solid #999;padding:2px 6px;text-align:center"'
    head = "".join(f'<th scope="col" {cell}>session {i + 1}</th>' for i in range(sessions))
    rows = []
    for criterion in test.criteria:
        cells = []
        for i in range(sessions):
            met, value = at(criterion.sessions, i), at(criterion.values, i)
            text, title = _mark(met, value, at(errors, i))
            cells.append(f'<td {cell} title="{escape(title)}">{escape(text)}</td>')
        rows.append(
            f'<tr><th scope="row" {cell}>{escape(criterion.name)}</th>'
            f"<td {cell}>{escape(criterion.requirement or '')}</td>"
            f"{''.join(cells)}<td {cell}>{criterion.passed}/{criterion.valid}</td></tr>"
        )
    return (
        '<table class="amigo-grid" style="border-collapse:collapse;margin:4px 0">'
        '<caption style="text-align:left">criteria \u00d7 sessions</caption>'
        f'<thead><tr><th scope="col" {cell}>criterion</th><th scope="col" {cell}>requires</th>'
        f'{head}<th scope="col" {cell}>met</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def justifications(test: UnitTestReport) -> str:
    """The judges' justifications of the checks that were not met, as a list ("" if none), each
    text once with its sessions (``sessions 1-3, 5``)."""
    items = [
        f"<li><strong>{escape(criterion.name)}</strong>, {session_numbers(numbers)}: "
        f"{escape(why)}</li>"
        for criterion in test.criteria
        for numbers, why in failing_justifications(criterion)
    ]
    if not items:
        return ""
    return f"<p>Judges' justifications:</p><ul>{''.join(items)}</ul>"


def evidence_html(entry: UnitTestEntry) -> str:
    """Outcome and reason, the grid, the justifications and session errors of one unit test."""
    test = entry.unit_test
    parts = [f"<p><strong>{escape(test.reported_as)}</strong>: {escape(test.reason)}</p>"]
    if test.expected:
        parts.append(f"<p>expected to fail: {escape(test.expected)}</p>")
    parts.append(grid(test))
    parts.append(justifications(test))
    errors = [(i, e) for i, e in enumerate(test.session_errors) if e]
    if errors:
        lines = "".join(f"<li>session {i + 1}: {escape(e)}</li>" for i, e in errors)
        parts.append(f"<p>Session errors:</p><ul>{lines}</ul>")
    run = test.run_id
    where = f"set {entry.set_name} ({entry.set_id})"
    parts.append(
        f"<p>{escape(where)}, run {escape(str(run or '-'))}"
        + (f"; report it again: <code>pytest --amigo-run={escape(run)}</code>" if run else "")
        + "</p>"
    )
    return f'<div class="amigo-evidence">{"".join(p for p in parts if p)}</div>'


def _href(target: Path, report_dir: Path | None) -> str:
    """A link to ``target`` from the directory of the pytest-html report."""
    target = target.absolute()
    if report_dir is not None:
        try:
            return quote(Path(os.path.relpath(target, report_dir.absolute())).as_posix())
        except ValueError:  # another drive
            pass
    return target.as_uri()


def extras_of(
    entry: UnitTestEntry | Mapping[str, JsonValue] | None,
    links: Sequence[tuple[str, Path]] = (),
    *,
    base: Path | None = None,
) -> list[dict[str, str | None]]:
    """pytest-html extras of one unit test: its evidence, then links (name, file) from ``base``
    (the report's directory)."""
    if not entry:
        return []
    typed = entry if isinstance(entry, UnitTestEntry) else UnitTestEntry.from_json(entry)
    found = [_extra(evidence_html(typed), HTML)]
    found += [_extra(_href(path, base), URL, escape(name)) for name, path in links]
    return found


def amigo_html_path(config: pytest.Config) -> Path | None:
    """The ``--amigo-html`` report of this session, if one is written (the option may not
    exist in this version): relative to where pytest started, an ini value to the rootdir."""
    value = getattr(config.option, "amigo_html", None)
    base = config.invocation_params.dir
    if not value:
        try:
            value = config.getini("amigo_html")
        except ValueError:  # no such ini key
            value = None
        base = config.rootpath
    if not value or str(value).strip().lower() == "none":
        return None
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else base / path


def for_report(
    config: pytest.Config, entry: Mapping[str, JsonValue]
) -> list[dict[str, str | None]]:
    """The extras of a unit test's report in this session: evidence and links."""
    htmlpath = Path(os.path.expandvars(str(config.option.htmlpath))).expanduser()
    if not htmlpath.is_absolute():
        htmlpath = config.invocation_params.dir / htmlpath
    typed = UnitTestEntry.from_json(entry)
    links: list[tuple[str, Path]] = []
    if typed.unit_test.artifacts:
        links.append(("Amigo artifacts", Path(typed.unit_test.artifacts)))
    report = amigo_html_path(config)
    if report is not None:
        links.append(("Amigo report", report))
    return extras_of(typed, links, base=htmlpath.parent)
