"""What the HTML report reads beside the document: the transcripts and tool invocations in the
runs' artifacts zips (read with bounded sizes) or given by run, as HTML (standard library only).
Every text from the service is escaped.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from pytest_amigo.reports.document import JsonValue, UnitTestReport
from pytest_amigo.reports.html_base import e as _e
from pytest_amigo.reports.html_base import num as _num

# Bounds on what is read from an artifacts zip (a report must not balloon with a huge run).
MAX_ENTRY_BYTES = 1_000_000  # one transcript or tool_invocations.json
MAX_ZIP_BYTES = 50_000_000  # everything read from one zip
MAX_MESSAGES = 400  # messages of one transcript shown
MAX_INVOCATIONS = 100  # tool invocations of one session shown

_DUPLICATE = re.compile(r"#(\d+)\]?$")

Call = Mapping[str, JsonValue]
"""One tool invocation as the API returns it."""

BySession = dict[tuple[str, int], list[Call]]
"""(unit test id, session) -> its tool invocations."""

Calls = Mapping[str, BySession]
"""Run id -> (unit test id, session) -> its tool invocations."""


class Artifacts:
    """What the page reads beside the document: transcripts and tool invocations from the runs'
    artifacts zips (bounded in size), the tool invocations given by run (``calls_by_run``) and
    the directory artifacts links are relative to (``base``)."""

    def __init__(self, calls_by_run: Calls | None = None, base: Path | None = None) -> None:
        self.calls_by_run: Calls = calls_by_run or {}
        self.base = base
        self._zips: dict[str, zipfile.ZipFile | None] = {}
        self._read: dict[str, int] = {}
        self._entries: dict[tuple[str, str], JsonValue] = {}

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

    def entry(self, path: str, name: str) -> JsonValue:
        """The JSON entry ``name`` of zip ``path``, or None (absent, too big, unreadable)."""
        if (path, name) not in self._entries:
            self._entries[path, name] = self._load(path, name)
        return self._entries[path, name]

    def _load(self, path: str, name: str) -> JsonValue:
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
                found: JsonValue = json.loads(
                    raw.read(MAX_ENTRY_BYTES + 1).decode("utf-8", "replace")
                )
                return found
        except (OSError, ValueError, zipfile.BadZipFile, RuntimeError):
            return None

    def transcript(self, path: str, test: UnitTestReport, k: int) -> JsonValue:
        match = _DUPLICATE.search(test.nodeid)
        folder = test.id
        if match and int(match.group(1)) >= 2:
            folder = f"{folder}-{match.group(1)}"
        return self.entry(path, f"unit_tests/{folder}/session-{k}/transcript.json")


def by_session(invocations: Iterable[JsonValue | Call]) -> BySession:
    """(unit test id, session index) -> the tool invocations of that session."""
    found: BySession = {}
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


def pre(value: JsonValue) -> str:
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return f"<pre>{_e(text)}</pre>"


def tool_calls(calls: Sequence[Call]) -> str:
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
        body = f"<dt>Inputs</dt><dd>{pre(call.get('inputs', {}))}</dd>"
        if ok:
            body += f"<dt>Output</dt><dd>{pre(status.get('output', ''))}</dd>"
        else:
            exc = (
                f"{status.get('exception_type') or 'Exception'}: {status.get('exception_message')}"
            )
            body += f"<dt>Exception</dt><dd>{pre(exc)}</dd>"
            trace = status.get("exception_stack_trace")
            if isinstance(trace, list) and trace:
                body += f"<dt>Stack trace</dt><dd>{pre(chr(10).join(map(str, trace)))}</dd>"
        items.append(f'<li><p>{head}</p><dl class="kv">{body}</dl></li>')
    more = len(calls) - MAX_INVOCATIONS
    extra = f'<p class="muted">{more} more tool invocations not shown.</p>' if more > 0 else ""
    return f'<ol class="tools">{"".join(items)}</ol>{extra}'


def transcript(data: JsonValue) -> str:
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
