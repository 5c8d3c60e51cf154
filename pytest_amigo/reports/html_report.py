"""The HTML report: one self-contained page of every unit test's evidence (standard library only).

``render`` turns the JSON report document (``json_report.document``, schema
``report.schema.json``) into a single HTML page that works offline: the CSS and the small script
are inline, nothing is fetched. Per set a header with the counts; per unit test (failures and
errors first) the outcome and reason, the criteria x sessions grid, and for each session the
metric values against the requirement, the judge's justifications, the session's error, its tool
invocations and its conversation transcript when the run's artifacts zip carries one (read with
bounded sizes). With ``--amigo-compare`` (``html_compare``) each compared unit test shows the
candidate beside the reference, unit tests worse than the reference come first and count as
failing for the filter, and each set has its comparison line and, for an A/A comparison, a warning
banner. The filter (failing only / all) and the search box are progressive enhancement: without
script the page shows everything. Every text from the service is escaped.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pytest_amigo.judging.provenance import what_ran_words
from pytest_amigo.reports import html_compare
from pytest_amigo.reports.compare_words import is_worse, set_compare, unit_compare
from pytest_amigo.reports.html_base import badge as _badge
from pytest_amigo.reports.html_base import e as _e
from pytest_amigo.reports.html_base import grid as _grid
from pytest_amigo.reports.html_base import mark as _mark
from pytest_amigo.reports.html_base import num as _num
from pytest_amigo.reports.html_base import pct as _pct
from pytest_amigo.reports.html_base import session_count as _session_count
from pytest_amigo.reports.html_base import session_status as _session_status

# Bounds on what is read from an artifacts zip (a report must not balloon with a huge run).
MAX_ENTRY_BYTES = 1_000_000  # one transcript or tool_invocations.json
MAX_ZIP_BYTES = 50_000_000  # everything read from one zip
MAX_MESSAGES = 400  # messages of one transcript shown
MAX_INVOCATIONS = 100  # tool invocations of one session shown

OUTCOMES = ("failed", "error", "inconclusive", "xfailed", "passed")
_RANK = {name: n for n, name in enumerate(OUTCOMES)}
_COUNT_LABEL = {
    "passed": "passed",
    "failed": "failed",
    "error": "errors",
    "inconclusive": "inconclusive",
    "xfailed": "xfailed",
}
_TRANSITIONS = ("regressed", "new", "still-failing", "fixed", "unchanged", "not-comparable")
_DUPLICATE = re.compile(r"#(\d+)\]?$")


def _asset(name: str) -> str:
    return resources.files("pytest_amigo.reports").joinpath(name).read_text(encoding="utf-8")


def _failing(test: Mapping[str, Any]) -> bool:
    """Needs attention: not passed, or worse than the reference (``--amigo-compare``)."""
    return test.get("outcome") != "passed" or is_worse(test)


def _ordered(tests: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Unit tests worse than the reference first, then failures and errors, inconclusive,
    xfailed, passed; stable within each."""
    return sorted(
        tests,
        key=lambda t: (not is_worse(t), _RANK.get(str(t.get("outcome")), len(OUTCOMES))),
    )


# -- artifacts ---------------------------------------------------------------------------------


Calls = Mapping[str, dict[tuple[str, int], list[Mapping[str, Any]]]]
"""Run id -> (unit test id, session) -> its tool invocations."""


class _Artifacts:
    """What the page reads beside the document: transcripts and tool invocations from the runs'
    artifacts zips (bounded in size), the tool invocations given by run (``calls_by_run``) and
    the directory artifacts links are relative to (``base``)."""

    def __init__(self, calls_by_run: Calls | None = None, base: Path | None = None) -> None:
        self.calls_by_run: Calls = calls_by_run or {}
        self.base = base
        self._zips: dict[str, zipfile.ZipFile | None] = {}
        self._read: dict[str, int] = {}
        self._entries: dict[tuple[str, str], Any] = {}

    def close(self) -> None:
        for zf in self._zips.values():
            if zf is not None:
                zf.close()

    def _zip(self, path: str) -> zipfile.ZipFile | None:
        if path not in self._zips:
            try:
                self._zips[path] = zipfile.ZipFile(path) if os.path.isfile(path) else None
            except (OSError, zipfile.BadZipFile):
                self._zips[path] = None
        return self._zips[path]

    def readable(self, path: str) -> bool:
        return self._zip(path) is not None

    def entry(self, path: str, name: str) -> Any:
        """The JSON entry ``name`` of zip ``path``, or None (absent, too big, unreadable)."""
        if (path, name) not in self._entries:
            self._entries[path, name] = self._load(path, name)
        return self._entries[path, name]

    def _load(self, path: str, name: str) -> Any:
        zf = self._zip(path)
        if zf is None:
            return None
        try:
            info = zf.getinfo(name)
        except KeyError:
            return None
        used = self._read.get(path, 0)
        if info.file_size > MAX_ENTRY_BYTES or used + info.file_size > MAX_ZIP_BYTES:
            return None
        self._read[path] = used + info.file_size
        try:
            with zf.open(info) as raw:
                return json.loads(raw.read(MAX_ENTRY_BYTES + 1).decode("utf-8", "replace"))
        except (OSError, ValueError, zipfile.BadZipFile, RuntimeError):
            return None

    def transcript(self, path: str, test: Mapping[str, Any], k: int) -> Any:
        match = _DUPLICATE.search(str(test.get("nodeid", "")))
        folder = str(test.get("id", ""))
        if match and int(match.group(1)) >= 2:
            folder = f"{folder}-{match.group(1)}"
        return self.entry(path, f"unit_tests/{folder}/session-{k}/transcript.json")


def _invocations_by_session(
    invocations: Iterable[Any],
) -> dict[tuple[str, int], list[Mapping[str, Any]]]:
    """(unit test id, session index) -> the tool invocations of that session."""
    found: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
    for inv in invocations:
        if not isinstance(inv, Mapping):
            continue
        source = inv.get("invocation_source")
        if not isinstance(source, Mapping):
            continue
        index = source.get("run_index")
        if not isinstance(index, int):
            continue
        found.setdefault((str(source.get("unit_test_id")), index), []).append(inv)
    for calls in found.values():
        calls.sort(key=lambda c: str(c.get("created_at") or ""))
    return found


# -- pieces ------------------------------------------------------------------------------------


def _pre(value: Any) -> str:
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return f"<pre>{_e(text)}</pre>"


def _tool_calls(calls: Sequence[Mapping[str, Any]]) -> str:
    items = []
    for call in calls[:MAX_INVOCATIONS]:
        status = call.get("invocation_status")
        status = status if isinstance(status, Mapping) else {}
        ok = bool(status.get("succeeded"))
        version = call.get("tool_version")
        ver = ""
        if isinstance(version, Mapping):
            ver = " v" + ".".join(str(version.get(p, "?")) for p in ("major", "minor", "patch"))
        head = (
            f'<span class="{"ok" if ok else "bad"}">{"succeeded" if ok else "failed"}</span> '
            f"tool <code>{_e(call.get('tool_id'))}</code>{_e(ver)}"
        )
        if isinstance(call.get("duration_ms"), int):
            head += f", {call['duration_ms']} ms"
        body = f"<dt>Inputs</dt><dd>{_pre(call.get('inputs', {}))}</dd>"
        if ok:
            body += f"<dt>Output</dt><dd>{_pre(status.get('output', ''))}</dd>"
        else:
            exc = (
                f"{status.get('exception_type') or 'Exception'}: {status.get('exception_message')}"
            )
            body += f"<dt>Exception</dt><dd>{_pre(exc)}</dd>"
            trace = status.get("exception_stack_trace")
            if isinstance(trace, list) and trace:
                body += f"<dt>Stack trace</dt><dd>{_pre(chr(10).join(map(str, trace)))}</dd>"
        items.append(f'<li><p>{head}</p><dl class="kv">{body}</dl></li>')
    more = len(calls) - MAX_INVOCATIONS
    extra = f'<p class="muted">{more} more tool invocations not shown.</p>' if more > 0 else ""
    return f'<ol class="tools">{"".join(items)}</ol>{extra}'


def _transcript(data: Any) -> str:
    messages = data.get("messages") if isinstance(data, Mapping) else None
    if not isinstance(messages, list) or not messages:
        return '<p class="muted">The transcript holds no messages.</p>'
    items = []
    for m in messages[:MAX_MESSAGES]:
        if not isinstance(m, Mapping):
            continue
        who = str(m.get("sender") or m.get("role") or "unknown")
        text = m.get("message", m.get("content", m.get("text", "")))
        role = "agent" if who.lower() in ("agent", "assistant") else "user"
        items.append(
            f'<li class="msg m-{role}"><span class="who">{_e(who)}</span>'
            f'<div class="said">{_e(text if isinstance(text, str) else _num(text))}</div></li>'
        )
    more = len(messages) - MAX_MESSAGES
    extra = f'<p class="muted">{more} more messages not shown.</p>' if more > 0 else ""
    return f'<ol class="transcript">{"".join(items)}</ol>{extra}'


def _session(
    test: Mapping[str, Any],
    k: int,
    calls: Sequence[Mapping[str, Any]] | None,
    transcript: Any,
) -> str:
    status = _session_status(test, k)
    errors = test.get("session_errors") or []
    parts = []
    if k < len(errors) and errors[k]:
        parts.append(f'<p class="error"><strong>Session error:</strong> {_e(errors[k])}</p>')
    rows = []
    for c in test.get("criteria") or ():
        marks, values = c.get("sessions") or [], c.get("values") or []
        texts = c.get("justifications") or []
        met = marks[k] if k < len(marks) else None
        cls, sym, word = _mark(met, status == "errored")
        value = values[k] if k < len(values) else None
        why = texts[k] if k < len(texts) else None
        rows.append(
            f'<tr><th scope="row">{_e(c.get("name"))}</th>'
            f'<td data-label="Value">{_e(_num(value)) if value is not None else "—"}</td>'
            f'<td class="req" data-label="Requirement">{_e(c.get("requirement") or "")}</td>'
            f'<td class="c-{cls}" data-label="Result"><span aria-hidden="true">{sym}</span> '
            f"{word}</td>"
            f'<td class="why" data-label="Justification">{_e(why) if why else ""}</td></tr>'
        )
    if rows:
        parts.append(
            '<table class="checks"><caption>Metric values and justifications</caption>'
            '<thead><tr><th scope="col">Criterion</th><th scope="col">Value</th>'
            '<th scope="col">Requirement</th><th scope="col">Result</th>'
            '<th scope="col">Justification</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    if calls is not None:
        parts.append("<h5>Tool invocations</h5>")
        parts.append(_tool_calls(calls) if calls else '<p class="muted">None.</p>')
    if transcript is not None:
        parts.append("<h5>Transcript</h5>" + _transcript(transcript))
    opened = " open" if status in ("failed", "errored") else ""
    return (
        f'<details class="session"{opened}><summary><h4>Session {k + 1}: '
        f'<span class="s-{status.replace(" ", "-")}">{_e(status)}</span></h4></summary>'
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


def _facts(test: Mapping[str, Any]) -> str:
    s = test.get("sessions") or {}
    facts: list[tuple[str, Any]] = [
        (
            "Sessions",
            f"{s.get('passed', 0)} passed of {s.get('valid', 0)} valid (of {s.get('total', 0)}"
            f", {s.get('errored', 0)} errored)",
        ),
        ("Pass rate", _pct(test.get("pass_rate"))),
    ]
    interval = test.get("pass_rate_interval")
    if (
        isinstance(interval, list)
        and len(interval) == 2
        and all(isinstance(x, int | float) for x in interval)
    ):
        conf = test.get("confidence")
        at = f" ({_pct(conf)} Wilson interval)" if isinstance(conf, int | float) else ""
        facts.append(("Interval", f"{interval[0]:.2f}–{interval[1]:.2f}{at}"))
    pk = test.get("pass_k")
    if isinstance(pk, Mapping):
        value = pk.get("value")
        text = f"pass^{pk.get('k')} " + (
            f"{value:.2f}" if isinstance(value, int | float) else _num(value)
        )
        if isinstance(pk.get("pass_1"), int | float):
            text += f" (pass^1 {pk['pass_1']:.2f})"
        facts.append(("pass^k", text))
    base = test.get("baseline")
    if isinstance(base, Mapping):
        was = ""
        if base.get("sessions_valid") is not None:
            was = f", {base.get('sessions_passed')}/{base.get('sessions_valid')} sessions passed"
        p = base.get("p_value")
        pv = ""
        if isinstance(p, int | float):
            sig = "significant" if base.get("significant") else "not significant"
            pv = f"; Fisher p = {p:.3g} ({sig})"
        changed = base.get("changes")
        why = f"; the test changed: {'; '.join(map(str, changed))}" if changed else ""
        facts.append(
            (
                "Baseline",
                f"{base.get('transition')} vs run {base.get('run_id')}{was}{pv}{why}",
            )
        )
    ran = what_ran_words(test.get("what_ran"))
    if ran:
        facts.append(("What ran", ran))
    if test.get("expected"):
        facts.append(("Expected because", test["expected"]))
    facts.append(("Run", test.get("run_id") or "—"))
    facts.append(("pytest node", test.get("nodeid")))
    return (
        '<dl class="facts">'
        + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
        + "</dl>"
    )


def _sessions(test: Mapping[str, Any], n: int, artifacts: _Artifacts) -> tuple[str, str]:
    """Each session's details (values, justifications, tool invocations, transcript) and the
    link to the run's artifacts."""
    run_id = str(test.get("run_id") or "")
    zip_path = test.get("artifacts")
    zip_ok = isinstance(zip_path, str) and artifacts.readable(zip_path)
    calls = artifacts.calls_by_run.get(run_id)
    if calls is None and zip_ok:  # the artifacts carry the run's tool invocations
        found = artifacts.entry(str(zip_path), "tool_invocations.json")
        if isinstance(found, list):
            calls = _invocations_by_session(found)
    sessions = []
    any_transcript = False
    for k in range(n):
        transcript = artifacts.transcript(str(zip_path), test, k) if zip_ok else None
        any_transcript = any_transcript or transcript is not None
        mine = None if calls is None else calls.get((str(test.get("id")), k), [])
        sessions.append(_session(test, k, mine, transcript))
    links = ""
    if isinstance(zip_path, str) and zip_path:
        href = _artifacts_href(zip_path, artifacts.base)
        note = "" if zip_ok else " (not found when this report was written)"
        if zip_ok and not any_transcript:
            note = " (no transcripts inside)"
        links = (
            f'<p class="artifacts">Artifacts: <a href="{_e(href)}">{_e(os.path.basename(zip_path))}'
            f"</a>{_e(note)}</p>"
        )
    return "".join(sessions), links


def _unit_test(test: Mapping[str, Any], uid: str, artifacts: _Artifacts) -> str:
    outcome = str(test.get("outcome"))
    n = _session_count(test)
    sessions, links = _sessions(test, n, artifacts)
    search = " ".join(str(test.get(key) or "") for key in ("name", "reason", "expected"))
    compare = unit_compare(test)
    heading = _badge(outcome)
    evidence = _grid(test, uid, n)
    classes = f"ut o-{_e(outcome)}"
    if compare is not None:  # --amigo-compare: the candidate beside the reference
        search += " " + html_compare.search_words(compare)
        heading += " " + html_compare.label_badge(compare)
        evidence = html_compare.unit_panel(test, uid)
        classes += f" {html_compare.label_class(compare)}"
        sessions = html_compare.SESSIONS_NOTE + sessions if sessions else sessions
    explanation = ""
    if test.get("explanation"):
        explanation = (
            "<details><summary>Explanation as text</summary>"
            f"{_pre(test.get('explanation'))}</details>"
        )
    return (
        f'<article class="{classes}" id="{uid}" data-outcome="{_e(outcome)}" '
        f'data-failing="{int(_failing(test))}" data-search="{_e(search.lower())}">'
        f'<h3>{heading} <span class="name">{_e(test.get("name"))}</span></h3>'
        f'<p class="reason">{_e(test.get("reason"))}</p>{evidence}'
        f"{_facts(test)}{sessions}{links}{explanation}</article>"
    )


def _counts(tests: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    for t in tests:
        outcome = str(t.get("outcome"))
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def _set_rate(counts: Mapping[str, int]) -> float | None:
    total = sum(counts.values())
    return counts["passed"] / total if total else None


def _set(entry: Mapping[str, Any], n: int, artifacts: _Artifacts) -> str:
    tests = list(entry.get("unit_tests") or [])
    counts = _counts(tests)
    count_items = "".join(
        f'<li class="n-{o}"><strong>{counts[o]}</strong> {_COUNT_LABEL[o]}</li>' for o in OUTCOMES
    )
    facts = [
        ("Set id", entry.get("id")),
        ("Run", entry.get("run_id") or "—"),
        ("Started by this session", "yes" if entry.get("started_here") else "no (attached)"),
        ("Unit test pass rate", _pct(_set_rate(counts))),
    ]
    transitions: dict[str, int] = {}
    for t in tests:
        base_entry = t.get("baseline")
        if isinstance(base_entry, Mapping):
            name = str(base_entry.get("transition"))
            transitions[name] = transitions.get(name, 0) + 1
    if transitions:
        order = sorted(transitions, key=lambda x: _TRANSITIONS.index(x) if x in _TRANSITIONS else 9)
        facts.append(("Baseline", ", ".join(f"{transitions[k]} {k}" for k in order)))
    body = "".join(_unit_test(t, f"s{n}-u{i}", artifacts) for i, t in enumerate(_ordered(tests)))
    dl = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in facts)
    return (
        f'<section class="set" id="set-{n}" aria-labelledby="set-{n}-h">'
        f'<h2 id="set-{n}-h">{_e(entry.get("name"))}</h2>{html_compare.set_banner(entry)}'
        f'<ul class="counts" aria-label="Unit test outcomes">{count_items}</ul>'
        f'<dl class="facts inline">{dl}</dl>{html_compare.set_line(entry)}'
        f'<p class="filtered muted" hidden></p>{body}</section>'
    )


def _overview(sets: Sequence[Mapping[str, Any]]) -> str:
    compared = any(set_compare(entry) is not None for entry in sets)
    rows = []
    for n, entry in enumerate(sets):
        counts = _counts(list(entry.get("unit_tests") or []))
        cells = "".join(f"<td>{counts[o]}</td>" for o in OUTCOMES)
        cells += f"<td>{_pct(_set_rate(counts))}</td>"
        if compared:
            cells += html_compare.overview_cell(entry)
        rows.append(
            f'<tr><th scope="row"><a href="#set-{n}">{_e(entry.get("name"))}</a></th>{cells}</tr>'
        )
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
    document: Mapping[str, Any],
    *,
    title: str = "Amigo simulations",
    artifacts_base: Path | None = None,
    tool_invocations: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> str:
    """The report as one self-contained HTML page.

    ``artifacts_base``: the directory the page will live in; artifacts are linked relative to it
    (absolute ``file:`` links without it). ``tool_invocations``: run id -> the run's tool
    invocations as the API returns them; without them, those in the artifacts zip are shown."""
    sets = list(document.get("sets") or [])
    calls_by_run = {
        str(run): _invocations_by_session(calls) for run, calls in (tool_invocations or {}).items()
    }
    base = artifacts_base.resolve() if artifacts_base is not None else None
    artifacts = _Artifacts(calls_by_run, base)
    try:
        body = "".join(_set(entry, n, artifacts) for n, entry in enumerate(sets))
    finally:
        artifacts.close()
    tests = [t for s in sets for t in s.get("unit_tests") or []]
    failing = any(_failing(t) for t in tests)
    compared = any(unit_compare(t) is not None for t in tests)
    controls = _CONTROLS.format(
        failing=" checked" if failing else "",
        all="" if failing else " checked",
        hint="not passed, or worse than the reference" if compared else "not passed",
    )
    meta = (
        f"pytest-amigo {_e(document.get('pytest_amigo'))}, {_e(document.get('created_at'))}; "
        f"{len(tests)} unit tests in {len(sets)} sets"
    )
    empty = "" if sets else '<p class="muted">No unit test was reported.</p>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="pytest-amigo">'
        f"<title>{_e(title)}</title><style>{_asset('html_report.css')}</style></head>"
        f'<body><header class="top"><h1>{_e(title)}</h1><p class="muted">{meta}</p>'
        f"{_overview(sets) if sets else ''}{controls}</header>"
        f"<main>{empty}{body}</main>"
        f"<script>{_asset('html_report.js')}</script></body></html>\n"
    )


def write(
    path: Path,
    document: Mapping[str, Any],
    tool_invocations: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    *,
    title: str = "Amigo simulations",
) -> None:
    """Write the page atomically; artifacts are linked relative to its directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page = render(
        document, title=title, artifacts_base=path.parent, tool_invocations=tool_invocations
    )
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, path)
