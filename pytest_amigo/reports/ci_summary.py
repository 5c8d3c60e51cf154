"""The GitHub Actions step summary: the JSON report (``--amigo-json``) as GitHub-flavoured Markdown.

Pure: the standard library and the package's pure ``evidence`` module (the order in which unit
tests need attention). :func:`markdown` renders a report document (the shape of
``report.schema.json``: what :func:`pytest_amigo.reports.json_report.document` builds) and reads no
environment; the plugin decides whether ``GITHUB_STEP_SUMMARY`` is set and passes its path to
:func:`append`.

What it shows, in order: a heading and a one-line total; one table with a row per set (run id,
passed / failed / errors / inconclusive / xfailed, pass rate: passed unit tests over unit tests, as
the terminal summary states it); what ran; with ``--amigo-compare``, per compared set a table of
its unit tests against the reference (worse first), the set's line and the A/A warning; the failing
unit tests (failed, error, inconclusive) with their one-line reason, worse than the reference and
regressions against a baseline first with the transition and the Fisher p-value;
the expected failures (xfailed) briefly, folded in a ``<details>`` block; the artifacts (each unit
test's ``artifacts``, once per run) and the report paths the caller passes.

Every text that comes from the service or the report (set and unit test names, reasons, run ids,
paths) is written on one line, with HTML and Markdown characters escaped (``|`` cannot break a
table, ``<script>`` is text); reasons and names are cut at :data:`MAX_TEXT` characters. GitHub
limits a step's summary to 1 MiB: each list stops after :data:`MAX_ROWS` rows ("... and N more"),
and the whole text is cut at :data:`MAX_BYTES` as a last resort.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_amigo.judging.evidence import attention_rank
from pytest_amigo.judging.provenance import what_ran_words
from pytest_amigo.reports.compare_words import (
    aa_warning,
    change_text,
    correction_name,
    is_worse,
    label_p,
    label_rank,
    p_text,
    set_compare,
    set_counts,
    set_overall,
    side_text,
    unit_compare,
)

HEADING = "## Amigo simulations"
MAX_ROWS = 100  # per list: sets, failing unit tests, expected failures, artifacts
MAX_TEXT = 200  # characters of a reason or a name, ellipsis included
# GitHub rejects a step summary over 1 MiB (1,048,576 bytes); leave room for a separator and
# whatever else the step writes.
MAX_BYTES = 1_000_000
ELLIPSIS = "…"

FAILING = ("failed", "error", "inconclusive")
_COUNTED = ("passed", "failed", "error", "inconclusive", "xfailed")

_MARKDOWN = re.compile(r"([\\`*_\[\]~|])")  # escaped with a backslash (CommonMark: any punctuation)
_BACKTICKS = re.compile(r"`+")


def markdown(document: Mapping[str, Any], *, report_paths: Sequence[tuple[str, str]] = ()) -> str:
    """The step summary of a JSON report document, ending with a newline.

    ``report_paths``: (label, path) of the reports written beside it, e.g.
    ``("JUnit", "reports/amigo.xml")``, listed after the artifacts."""
    sets: list[Mapping[str, Any]] = list(document.get("sets") or ())
    lines = [HEADING, ""]
    if not sets:
        lines += ["No Amigo unit test was reported.", ""]
    else:
        lines += [_total(sets), ""]
        lines += _sets_table(sets)
        lines += _what_ran(sets)
        lines += _comparisons(sets)
        failing = [(s, t) for s in sets for t in _tests(s) if t.get("outcome") in FAILING]
        if failing:
            lines += _failing(failing)
        expected = [(s, t) for s in sets for t in _tests(s) if t.get("outcome") == "xfailed"]
        if expected:
            lines += _expected(expected)
    lines += _paths(sets, report_paths)
    footer = _footer(document)
    if footer:
        lines += [footer, ""]
    return _cap("\n".join(lines).rstrip("\n") + "\n")


def append(path: Path, text: str) -> str | None:
    """Append ``text`` to the step summary file at ``path`` (created when missing), separated from
    what is already there by a blank line.

    Never raises ``OSError``: a summary must not fail the test session. Returns ``None`` when
    written, otherwise a one-line warning for the caller to show (the terminal reporter knows where
    output goes; this module prints nothing)."""
    data = text if text.endswith("\n") else text + "\n"
    try:
        with path.open("a+b") as file:
            size = file.seek(0, 2)
            separator = b""
            if size:
                file.seek(max(0, size - 2))
                tail = file.read()
                separator = (
                    b"" if tail.endswith(b"\n\n") else b"\n" if tail.endswith(b"\n") else b"\n\n"
                )
            file.write(separator + data.encode("utf-8"))
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return f"amigo: could not write the GitHub step summary to {path}: {reason}"
    return None


# -- sections ---------------------------------------------------------------------------------


def _total(sets: Sequence[Mapping[str, Any]]) -> str:
    tests = [t for s in sets for t in _tests(s)]
    counts = _counts(tests)
    parts = [f"{counts[o]} {_LABEL[o] if counts[o] > 1 else o}" for o in _COUNTED if counts[o]]
    failing = sum(counts[o] for o in FAILING)
    mark = "❌" if failing else "✅"
    noun = "unit test" if len(tests) == 1 else "unit tests"
    in_sets = "1 set" if len(sets) == 1 else f"{len(sets)} sets"
    return f"{mark} {len(tests)} {noun} in {in_sets}: {', '.join(parts) or 'none reported'}."


_LABEL = {
    "passed": "passed",
    "failed": "failed",
    "error": "errors",
    "inconclusive": "inconclusive",
    "xfailed": "xfailed",
}


def _sets_table(sets: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = [
        "| Set | Run | Passed | Failed | Errors | Inconclusive | Xfailed | Pass rate |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for entry in sets[:MAX_ROWS]:
        tests = _tests(entry)
        counts = _counts(tests)
        rate = f"{counts['passed'] / len(tests):.0%}" if tests else "–"
        cells = [
            _text(entry.get("name") or entry.get("id") or "?"),
            _code(entry.get("run_id"), table=True),
            *(str(counts[o]) for o in _COUNTED),
            rate,
        ]
        lines.append(_row(cells))
    lines += _more(len(sets), "sets", table=True)
    return [*lines, ""]


def _what_ran(sets: Sequence[Mapping[str, Any]]) -> list[str]:
    """Which agent version each set's green (or red) check is about, once per distinct one."""
    lines = []
    for entry in sets:
        seen = dict.fromkeys(
            w for w in (what_ran_words(t.get("what_ran")) for t in _tests(entry)) if w
        )
        name = _text(entry.get("name") or entry.get("id") or "?")
        lines += [f"- {name}: {_text(words)}" for words in seen]
    if not lines:
        return []
    lines = lines[:MAX_ROWS] + _more(len(lines), "version lines", table=False)
    return ["### What ran", "", *lines, ""]


def _comparisons(sets: Sequence[Mapping[str, Any]]) -> list[str]:
    """--amigo-compare: per set, its unit tests against the reference (worse first), the set's
    line and the A/A warning."""
    lines = []
    for entry in sets:
        compared = [t for t in _tests(entry) if unit_compare(t) is not None]
        if compared or set_compare(entry) is not None:
            lines += _comparison(entry, compared)
    return lines


def _comparison(entry: Mapping[str, Any], compared: list[Mapping[str, Any]]) -> list[str]:
    first = set_compare(entry) or unit_compare(compared[0]) or {}
    reference = _text(first.get("reference") or "the reference")
    name = _text(entry.get("name") or entry.get("id") or "?")
    candidate = _candidate(compared)
    header = [
        "Unit test",
        f"Reference ({reference})",
        f"Candidate ({candidate})",
        "Change",
        f"Adjusted p ({_text(correction_name(first))})",
        "Label",
    ]
    lines = [f"### {name}: {candidate} against {reference}", ""]
    if compared:
        lines += [_row(header), "| --- | ---: | ---: | ---: | ---: | --- |"]
        ordered = sorted(compared, key=_compare_rank)
        lines += [_compare_row(t) for t in ordered[:MAX_ROWS]]
        lines += _more(len(ordered), "compared unit tests", table=True)
        lines.append("")
    found = set_compare(entry)
    if found is not None:
        run = found.get("run_id")
        of_run = f" (reference run {_code(run)})" if run else ""
        words = _text(f"{set_counts(found)}; {set_overall(found)}")
        lines += [f"**Set {name}**{of_run}: {words}", ""]
    warning = aa_warning(entry)
    if warning:
        lines += ["> [!WARNING]", f"> **A/A comparison:** {_text(warning)}", ""]
    return lines


def _candidate(compared: Sequence[Mapping[str, Any]]) -> str:
    for test in compared:
        side = (unit_compare(test) or {}).get("candidate")
        ran = side.get("what_ran") if isinstance(side, Mapping) else None
        if isinstance(ran, Mapping) and ran.get("version_set"):
            return _text(ran["version_set"])
    return "candidate"


def _compare_rank(test: Mapping[str, Any]) -> tuple[int, int]:
    """Worse first, then not compared, no detectable difference, better; within each as the
    failing list orders."""
    return label_rank(unit_compare(test) or {}), _rank(test)


def _compare_row(test: Mapping[str, Any]) -> str:
    compare = unit_compare(test) or {}
    label = str(compare.get("label") or "?")
    shown = _text(label)
    if label == "worse":
        shown = f"❌ **{shown}**"
    elif label == "not compared" and compare.get("why"):
        shown = f"{shown}: {_text(compare['why'])}"
    return _row(
        [
            _text(test.get("name") or test.get("nodeid") or "?"),
            side_text(compare.get("reference_sessions")),
            side_text(compare.get("candidate")),
            change_text(compare.get("difference")),
            p_text(label_p(compare)),
            shown,
        ]
    )


def _failing(found: list[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> list[str]:
    ordered = sorted(found, key=lambda pair: _rank(pair[1]))  # stable: report order within a rank
    with_baseline = any(isinstance(t.get("baseline"), Mapping) for _, t in ordered)
    header = ["Unit test", "Set", "Outcome", "Sessions", "Reason"]
    if with_baseline:
        header.append("Baseline")
    regressions = sum(1 for _, t in ordered if _transition(t) == "regressed")
    worse = sum(1 for _, t in ordered if is_worse(t))
    title = f"### Failing unit tests ({len(ordered)})"
    if regressions:
        title += f", {regressions} regressed"
    if worse:
        title += f", {worse} worse than the reference"
    lines = [title, "", _row(header), _row(["---"] * len(header))]
    for entry, test in ordered[:MAX_ROWS]:
        cells = [
            _text(test.get("name") or test.get("nodeid") or "?"),
            _text(entry.get("name") or entry.get("id") or "?"),
            _outcome(test),
            _sessions(test),
            _text(test.get("reason") or ""),
        ]
        if with_baseline:
            cells.append(_baseline(test))
        lines.append(_row(cells))
    lines += _more(len(ordered), "failing unit tests", table=True)
    return [*lines, ""]


def _expected(found: list[tuple[Mapping[str, Any], Mapping[str, Any]]]) -> list[str]:
    lines = [
        "<details><summary>Expected failures (xfailed): " + str(len(found)) + "</summary>",
        "",
    ]
    for entry, test in found[:MAX_ROWS]:
        name = _text(test.get("name") or test.get("nodeid") or "?")
        where = _text(entry.get("name") or entry.get("id") or "?")
        why = _text(test.get("expected") or test.get("reason") or "")
        lines.append(f"- {name} ({where}){f' — {why}' if why else ''}")
    lines += _more(len(found), "expected failures", table=False)
    return [*lines, "", "</details>", ""]


def _paths(sets: Sequence[Mapping[str, Any]], report_paths: Sequence[tuple[str, str]]) -> list[str]:
    seen: dict[tuple[str, str], str] = {}  # (run, path) -> set name, in report order
    for entry in sets:
        for test in _tests(entry):
            path = test.get("artifacts")
            if not path:
                continue
            run = str(test.get("run_id") or entry.get("run_id") or "")
            seen.setdefault((run, str(path)), str(entry.get("name") or entry.get("id") or "?"))
    if not seen and not report_paths:
        return []
    lines = ["### Artifacts and reports", ""]
    items = list(seen.items())
    for (run, path), name in items[:MAX_ROWS]:
        run_part = f", run {_code(run)}" if run else ""
        lines.append(f"- Artifacts of {_text(name)}{run_part}: {_code(path)}")
    lines += _more(len(items), "artifacts", table=False)
    for label, path in report_paths:
        lines.append(f"- {_text(label)}: {_code(path)}")
    return [*lines, ""]


def _footer(document: Mapping[str, Any]) -> str:
    version, created = document.get("pytest_amigo"), document.get("created_at")
    if not version and not created:
        return ""
    parts = []
    if version:
        parts.append(f"pytest-amigo {_text(version)}")
    if created:
        parts.append(_text(created))
    return "<sub>" + ", ".join(parts) + "</sub>"


# -- cells ------------------------------------------------------------------------------------


def _outcome(test: Mapping[str, Any]) -> str:
    outcome = str(test.get("outcome"))
    reported = test.get("reported")
    if outcome == "inconclusive" and reported and reported != "failed":
        return f"inconclusive (reported {_text(reported)})"
    return outcome


def _sessions(test: Mapping[str, Any]) -> str:
    sessions = test.get("sessions")
    if not isinstance(sessions, Mapping):
        return "–"
    text = f"{sessions.get('passed', 0)}/{sessions.get('valid', 0)}"
    errored = sessions.get("errored") or 0
    if errored:
        text += f" ({errored} errored)"
    return text


def _baseline(test: Mapping[str, Any]) -> str:
    base = test.get("baseline")
    if not isinstance(base, Mapping):
        return "–"
    transition = _text(base.get("transition") or "?")
    if base.get("transition") == "regressed":
        transition = f"**{transition}**"
    if base.get("transition") == "not-comparable":
        return f"{transition}: {_text('; '.join(map(str, base.get('changes') or ())))}"
    before = _fraction(base.get("sessions_passed"), base.get("sessions_valid"))
    sessions = test.get("sessions")
    now = (
        _fraction(sessions.get("passed"), sessions.get("valid"))
        if isinstance(sessions, Mapping)
        else "?"
    )
    text = f"{transition}: {before} → {now}"
    p_value = base.get("p_value")
    if isinstance(p_value, int | float):
        text += f", p {'< 0.001' if p_value < 0.001 else f'= {p_value:.2g}'}"
    return text


def _fraction(passed: Any, valid: Any) -> str:
    if passed is None or valid is None:
        return "?"
    return f"{passed}/{valid}"


# -- helpers ----------------------------------------------------------------------------------


def _tests(entry: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(entry.get("unit_tests") or ())


def _counts(tests: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(_COUNTED, 0)
    for test in tests:
        outcome = test.get("outcome")
        if outcome in counts:
            counts[outcome] += 1
    return counts


def _transition(test: Mapping[str, Any]) -> str | None:
    base = test.get("baseline")
    return base.get("transition") if isinstance(base, Mapping) else None


def _rank(test: Mapping[str, Any]) -> int:
    """Worse than the reference (--amigo-compare) and regressions first, then as the terminal
    summary orders unit tests."""
    if is_worse(test):
        return 0
    return attention_rank(str(test.get("outcome")), _transition(test))


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _more(total: int, what: str, *, table: bool) -> list[str]:
    if total <= MAX_ROWS:
        return []
    text = f"... and {total - MAX_ROWS} more {what}"
    return [f"| {text} |"] if table else [f"- {text}"]


def one_line(value: Any, limit: int | None = MAX_TEXT) -> str:
    """``value`` as one line: whitespace runs (newlines included) become one space, control
    characters go; cut at ``limit`` characters with an ellipsis."""
    text = " ".join(str(value).split())
    text = "".join(c for c in text if unicodedata.category(c) != "Cc")
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    return text


def escape(text: str) -> str:
    """Text that GitHub shows as written: HTML entities for ``& < >``, a backslash before the
    Markdown characters that format or break a table (``\\ ` * _ [ ] ~ |``)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", text)


def _text(value: Any) -> str:
    return escape(one_line(value))


def _code(value: Any, *, table: bool = False) -> str:
    """A code span (run ids, paths: never cut); ``|`` escaped inside a table, as GFM requires."""
    if value is None or value == "":
        return "–"
    text = one_line(value, limit=None)
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`"):
        text = f" {text} "
    if table:
        text = text.replace("|", "\\|")
    return f"{fence}{text}{fence}"


def _cap(text: str) -> str:
    """At most :data:`MAX_BYTES` of UTF-8, cut at a line, with a note saying so."""
    if len(text.encode("utf-8")) <= MAX_BYTES:
        return text
    note = "\n\n_The summary was cut: GitHub limits a step summary to 1 MiB._\n"
    budget = MAX_BYTES - len(note.encode("utf-8"))
    kept: list[str] = []
    used = 0
    for line in text.splitlines(keepends=True):
        size = len(line.encode("utf-8"))
        if used + size > budget:
            break
        kept.append(line)
        used += size
    return "".join(kept).rstrip("\n") + note
