"""The GitHub Actions step summary: the JSON report (``--amigo-json``) as GitHub-flavoured Markdown.

Pure: the standard library and the package's pure ``judging`` modules (the order in which unit
tests need attention, the sentences the reports share). :func:`markdown` renders the typed report
(``document.Report``: what :func:`pytest_amigo.reports.json_report.document` builds) and reads no
environment; the plugin decides whether ``GITHUB_STEP_SUMMARY`` is set and passes its path to
:func:`append`.

What it shows, in order: a heading and a one-line total; one table with a row per set (run id,
passed / failed / errors / inconclusive / xfailed, the set pass rate of ``document.set_pass_rate``,
as every report states it); what ran; with ``--amigo-compare``, per compared set a table of
its unit tests against the reference (worse first), the set's line and the A/A warning; the failing
unit tests (failed, error, inconclusive) with their one-line reason, worse than the reference and
regressions against a baseline first with the baseline sentence the terminal shows;
the expected failures (xfailed) briefly, folded in a ``<details>`` block; the unit tests listed in
``amigo_xfail`` that passed (XPASS), with their reason and the fix; the artifacts (each unit
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
from collections.abc import Iterable, Sequence
from pathlib import Path

from pytest_amigo.judging.evidence import attention_rank
from pytest_amigo.reports.compare_words import (
    aa_warning,
    baseline_sentence,
    change_text,
    correction_name,
    finding_text,
    label_rank,
    p_text,
    ran_words,
    set_sentence,
    side_text,
)
from pytest_amigo.reports.document import Report, SetReport, UnitTestReport, pass_rate_text
from pytest_amigo.reports.headline import compared_lines, headline

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


def markdown(report: Report, *, report_paths: Sequence[tuple[str, str]] = ()) -> str:
    """The step summary of a report, ending with a newline.

    ``report_paths``: (label, path) of the reports written beside it, e.g.
    ``("JUnit", "reports/amigo.xml")``, listed after the artifacts."""
    sets = report.sets
    lines = [HEADING, ""]
    if not sets:
        lines += ["No Amigo unit test was reported.", ""]
    else:
        lines += _headline(report)
        lines += [_total(sets), ""]
        lines += _sets_table(sets)
        lines += _what_ran(sets)
        lines += _comparisons(sets)
        failing = [(s, t) for s, t in report.unit_tests if t.outcome in FAILING]
        if failing:
            lines += _failing(failing)
        expected = [(s, t) for s, t in report.unit_tests if t.outcome == "xfailed"]
        if expected:
            lines += _expected(expected)
        xpassed = [(s, t) for s, t in report.unit_tests if t.xpass_note]
        if xpassed:
            lines += _xpassed(xpassed)
    lines += _paths(sets, report_paths)
    footer = _footer(report)
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


def _headline(report: Report) -> list[str]:
    """The verdict (``headline.headline``, as the HTML page opens) and, with
    ``--amigo-compare``, what each side ran."""
    lines = [f"**{_text(headline(report))}**", ""]
    compared = compared_lines(report)
    if compared:
        lines += [*(f"- {_text(line)}" for line in compared), ""]
    return lines


def _total(sets: Sequence[SetReport]) -> str:
    tests = [t for s in sets for t in s.unit_tests]
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


def _sets_table(sets: Sequence[SetReport]) -> list[str]:
    lines = [
        "| Set | Run | Passed | Failed | Errors | Inconclusive | Xfailed | Pass rate |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for entry in sets[:MAX_ROWS]:
        tests = entry.unit_tests
        counts = _counts(tests)
        cells = [
            _set_name(entry),
            _code(entry.run_id, table=True),
            *(str(counts[o]) for o in _COUNTED),
            pass_rate_text(entry.pass_rate),
        ]
        lines.append(_row(cells))
    lines += _more(len(sets), "sets", table=True)
    return [*lines, ""]


def _what_ran(sets: Sequence[SetReport]) -> list[str]:
    """Which agent version each set's green (or red) check is about, once per distinct one."""
    lines = []
    for entry in sets:
        seen = dict.fromkeys(w for w in (ran_words(t.what_ran) for t in entry.unit_tests) if w)
        name = _set_name(entry)
        lines += [f"- {name}: {_text(words)}" for words in seen]
    if not lines:
        return []
    lines = lines[:MAX_ROWS] + _more(len(lines), "version lines", table=False)
    return ["### What ran", "", *lines, ""]


def _comparisons(sets: Sequence[SetReport]) -> list[str]:
    """--amigo-compare: per set, its unit tests against the reference (worse first), the set's
    line and the A/A warning."""
    lines = []
    for entry in sets:
        if entry.compared or entry.compare is not None:
            lines += _comparison(entry, entry.compared)
    return lines


def _comparison(entry: SetReport, compared: Sequence[UnitTestReport]) -> list[str]:
    first = entry.compare or compared[0].compare
    reference = _text(first.reference_name if first and first.reference_name else "the reference")
    name = _set_name(entry)
    candidate = _candidate(entry)
    header = [
        "Unit test",
        f"Reference ({reference})",
        f"Candidate ({candidate})",
        "Change",
        f"Adjusted p ({_text(correction_name(first))})",
        "Finding",
    ]
    lines = [f"### {name}: {candidate} against {reference}", ""]
    if compared:
        lines += [_row(header), "| --- | ---: | ---: | ---: | ---: | --- |"]
        ordered = sorted(compared, key=_compare_rank)
        lines += [_compare_row(t) for t in ordered[:MAX_ROWS]]
        lines += _more(len(ordered), "compared unit tests", table=True)
        lines.append("")
    found = entry.compare
    if found is not None:
        sentence = escape(one_line(set_sentence(found), limit=4 * MAX_TEXT))  # our own words
        lines += [f"**Set {name}**: {sentence}", ""]
    warning = aa_warning(entry)
    if warning:
        lines += ["> [!WARNING]", f"> **A/A comparison:** {_text(warning)}", ""]
    return lines


def _candidate(entry: SetReport) -> str:
    name = entry.candidate_name
    return "candidate" if name == "the candidate" else _text(name)


def _compare_rank(test: UnitTestReport) -> tuple[int, int]:
    """Worse first, then not compared, no detectable difference, better; within each as the
    failing list orders."""
    return label_rank(test.compare), _rank(test)


def _compare_row(test: UnitTestReport) -> str:
    compare = test.compare
    if compare is None:  # only compared unit tests have a row
        return ""
    shown = escape(one_line(finding_text(compare), limit=2 * MAX_TEXT))
    if compare.label == "worse":
        shown = shown.replace("significantly worse", "❌ **significantly worse**", 1)
    return _row(
        [
            _test_name(test),
            side_text(compare.reference),
            side_text(compare.candidate),
            change_text(compare.difference),
            p_text(compare.p_adjusted),
            shown,
        ]
    )


def _failing(found: list[tuple[SetReport, UnitTestReport]]) -> list[str]:
    ordered = sorted(found, key=lambda pair: _rank(pair[1]))  # stable: report order within a rank
    with_baseline = any(t.baseline is not None for _, t in ordered)
    header = ["Unit test", "Set", "Outcome", "Sessions", "Reason"]
    if with_baseline:
        header.append("Baseline")
    regressions = sum(1 for _, t in ordered if t.transition == "regressed")
    worse = sum(1 for _, t in ordered if t.compare_label == "worse")
    title = f"### Failing unit tests ({len(ordered)})"
    if regressions:
        title += f", {regressions} regressed"
    if worse:
        title += f", {worse} worse than the reference"
    lines = [title, "", _row(header), _row(["---"] * len(header))]
    for entry, test in ordered[:MAX_ROWS]:
        cells = [
            _test_name(test),
            _set_name(entry),
            _outcome(test),
            _sessions(test),
            _text(test.reason),
        ]
        if with_baseline:
            cells.append(_baseline(test))
        lines.append(_row(cells))
    lines += _more(len(ordered), "failing unit tests", table=True)
    return [*lines, ""]


def _expected(found: list[tuple[SetReport, UnitTestReport]]) -> list[str]:
    lines = [
        "<details><summary>Expected failures (xfailed): " + str(len(found)) + "</summary>",
        "",
    ]
    for entry, test in found[:MAX_ROWS]:
        name = _test_name(test)
        where = _set_name(entry)
        why = _text(test.expected or test.reason)
        lines.append(f"- {name} ({where}){f' — {why}' if why else ''}")
    lines += _more(len(found), "expected failures", table=False)
    return [*lines, "", "</details>", ""]


def _xpassed(found: list[tuple[SetReport, UnitTestReport]]) -> list[str]:
    """The unit tests listed in ``amigo_xfail`` that passed: each with its reason and the fix."""
    lines = [f"### Passed although listed as known failures: {len(found)}", ""]
    for entry, test in found[:MAX_ROWS]:
        lines.append(f"- {_test_name(test)} ({_set_name(entry)}): {_text(test.xpass_note or '')}")
    lines += _more(len(found), "unit tests passed although listed", table=False)
    return [*lines, ""]


def _paths(sets: Sequence[SetReport], report_paths: Sequence[tuple[str, str]]) -> list[str]:
    seen: dict[tuple[str, str], str] = {}  # (run, path) -> set name, in report order
    for entry in sets:
        for test in entry.unit_tests:
            if not test.artifacts:
                continue
            run = test.run_id or entry.run_id or ""
            seen.setdefault((run, test.artifacts), entry.name or entry.id or "?")
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


def _footer(report: Report) -> str:
    version, created = report.pytest_amigo, report.created_at
    if not version and not created:
        return ""
    parts = []
    if version:
        parts.append(f"pytest-amigo {_text(version)}")
    if created:
        parts.append(_text(created))
    return "<sub>" + ", ".join(parts) + "</sub>"


# -- cells ------------------------------------------------------------------------------------


def _outcome(test: UnitTestReport) -> str:
    reported = test.reported
    if test.outcome == "inconclusive" and reported and reported != "failed":
        return f"inconclusive (reported {_text(reported)})"
    return test.outcome


def _sessions(test: UnitTestReport) -> str:
    sessions = test.sessions
    text = sessions.counts()
    if sessions.errored:
        text += f" ({sessions.errored} errored)"
    return text


def _baseline(test: UnitTestReport) -> str:
    """The baseline sentence the terminal shows, its transition in bold when a regression."""
    if test.baseline is None:
        return "–"
    words = _text(baseline_sentence(test.baseline))
    if test.baseline.regressed:  # the sentence starts with its transition
        words = words.replace("regressed", "**regressed**", 1)
    return words


# -- helpers ----------------------------------------------------------------------------------


def _set_name(entry: SetReport) -> str:
    return _text(entry.name or entry.id or "?")


def _test_name(test: UnitTestReport) -> str:
    return _text(test.name or test.nodeid or "?")


def _counts(tests: Iterable[UnitTestReport]) -> dict[str, int]:
    counts = dict.fromkeys(_COUNTED, 0)
    for test in tests:
        if test.outcome in counts:
            counts[test.outcome] += 1
    return counts


def _rank(test: UnitTestReport) -> int:
    """Worse than the reference (--amigo-compare) and regressions first, then as the terminal
    summary orders unit tests."""
    if test.compare_label == "worse":
        return 0
    return attention_rank(test.outcome, test.transition)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _more(total: int, what: str, *, table: bool) -> list[str]:
    if total <= MAX_ROWS:
        return []
    text = f"... and {total - MAX_ROWS} more {what}"
    return [f"| {text} |"] if table else [f"- {text}"]


def one_line(value: object, limit: int | None = MAX_TEXT) -> str:
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


def _text(value: object) -> str:
    return escape(one_line(value))


def _code(value: object, *, table: bool = False) -> str:
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
