"""The HTML report, pure: ``html_report.render`` / ``write`` on JSON report documents.

The documents are shaped like ``AmigoResult.to_json`` writes them (validated against the shipped
schema); the artifacts zips follow the emulator's layout (docs/emulator.md, "Artifacts").
"""

from __future__ import annotations

import copy
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_amigo.reports import html_artifacts, html_report
from pytest_amigo.reports.document import Report
from pytest_amigo.reports.json_report import schema


def render(document: dict[str, Any], **options: Any) -> str:
    """The page of a report document (the typed report, read as the plugin writes it)."""
    return html_report.render(Report.from_json(document), **options)


def write(path: Path, document: dict[str, Any]) -> None:
    html_report.write(path, Report.from_json(document))


RUN = "6b0500000000000000000001"
EVIL = "<script>alert('pwned')</script> & \"quotes\""


def criterion(name: str, marks: list[bool | None], values: list[Any], why: list[str | None]):
    return {
        "name": name,
        "metric_id": "m" * 24,
        "requirement": ">= 4",
        "passed": sum(1 for m in marks if m is True),
        "valid": sum(1 for m in marks if m is not None),
        "sessions": marks,
        "values": values,
        "justifications": why,
    }


def unit_test(uid: str, name: str, outcome: str, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": uid,
        "name": name,
        "nodeid": f"amigo::Support::{name}",
        "run_id": RUN,
        "outcome": outcome,
        "reported": "failed" if outcome == "inconclusive" else outcome,
        "reason": f"{name}: {outcome}",
        "expected": None,
        "sessions": {"total": 2, "valid": 2, "passed": 2, "errored": 0},
        "pass_rate": 1.0,
        "pass_rate_interval": None,
        "confidence": None,
        "pass_k": {"k": 2, "value": 1.0, "pass_1": 1.0},
        "criteria": [criterion("Accuracy", [True, True], [5, 6], [None, None])],
        "session_errors": [None, None],
        "explanation": f"{name} explained",
        "artifacts": None,
        "baseline": None,
    }
    entry.update(extra)
    return entry


def make_document() -> dict[str, Any]:
    tests = [
        unit_test("a" * 24, "Happy path", "passed"),
        unit_test(
            "b" * 24,
            "Refund policy",
            "failed",
            sessions={"total": 3, "valid": 2, "passed": 1, "errored": 1},
            pass_rate=0.5,
            pass_rate_interval=[0.1, 0.9],
            confidence=0.95,
            criteria=[
                criterion("Accuracy", [True, False, None], [5, 2, None], [None, EVIL, None]),
                criterion("Empathy", [True, True, None], [7, 8, None], ["kind", "kind", None]),
            ],
            session_errors=[None, None, "Simulation timed out <after 600 s>"],
            baseline={
                "run_id": "6b0400000000000000000001",
                "sessions_passed": 3,
                "sessions_valid": 3,
                "transition": "regressed",
                "p_value": 0.4,
                "significant": False,
            },
        ),
        unit_test("c" * 24, "Another pass", "passed"),
        unit_test("d" * 24, "Sometimes", "inconclusive"),
        unit_test("e" * 24, "Run broke", "error", reason="run errored: <boom>"),
    ]
    document = {
        "pytest_amigo": "0.1.0",
        "created_at": "2026-01-01T00:00:00+00:00",
        "sets": [
            {
                "id": "5e7a000000000000000000a1",
                "name": "Support <& co>",
                "run_id": RUN,
                "started_here": True,
                "unit_tests": tests,
            }
        ],
    }
    jsonschema.validate(document, schema())
    return document


class Page(HTMLParser):
    """The rendered page's structure: tags with their attributes, and the text outside scripts."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if not self._in:
            self.text.append(data)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]

    @property
    def plain(self) -> str:
        """The visible text, whitespace collapsed (text nodes apart by one space)."""
        return " ".join(" ".join(self.text).split())


def articles(page: Page) -> list[dict[str, str | None]]:
    return page.all("article")


def test_service_text_is_escaped() -> None:
    text = render(make_document())
    page = Page(text)
    assert len(page.all("script")) == 1  # the report's own script, nothing injected
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;" in text
    assert EVIL in page.plain  # shown as text, verbatim
    assert "Support <& co>" in page.plain
    assert "Simulation timed out <after 600 s>" in page.plain


def test_every_unit_test_present_failures_and_errors_first() -> None:
    page = Page(render(make_document()))
    outcomes = [a["data-outcome"] for a in articles(page)]
    assert outcomes == ["failed", "error", "inconclusive", "passed", "passed"]
    names = re.findall(r'<span class="name">([^<]*)</span>', render(make_document()))
    assert names == ["Refund policy", "Run broke", "Sometimes", "Happy path", "Another pass"]
    assert [a["data-failing"] for a in articles(page)] == ["1", "1", "1", "0", "0"]


def test_filter_defaults_to_failing_only_when_something_failed() -> None:
    page = Page(render(make_document()))
    (failing,) = page.all("input", value="failing")
    (everything,) = page.all("input", value="all")
    assert "checked" in failing and "checked" not in everything
    (form,) = page.all("form")
    assert "hidden" in form  # without script: no controls, every unit test shown
    assert not any("hidden" in a for a in articles(page))

    document = make_document()
    document["sets"][0]["unit_tests"] = [
        t for t in document["sets"][0]["unit_tests"] if t["outcome"] == "passed"
    ]
    page = Page(render(document))
    assert "checked" in page.all("input", value="all")[0]
    assert "checked" not in page.all("input", value="failing")[0]


def test_grid_is_an_accessible_table_with_text_marks() -> None:
    text = render(make_document())
    page = Page(text)
    assert page.all("h1") and page.all("h2") and page.all("h3")
    assert page.all("caption")
    assert page.all("th", scope="col") and page.all("th", scope="row")
    assert page.all("label", **{"for": "search"}) and page.all("input", id="search")
    grid = text.split('<table class="grid">', 2)[1].split("</table>")[0]  # Refund policy's
    assert "Criteria × sessions of Refund policy" in grid
    for word in ("✔</span> met", "✘</span> not met", "!</span> session errored"):
        assert word in grid
    assert "no result" in render(
        {
            "pytest_amigo": "0.1.0",
            "created_at": "2026-01-01T00:00:00+00:00",
            "sets": [
                {
                    "id": "s",
                    "name": "s",
                    "run_id": None,
                    "started_here": False,
                    "unit_tests": [
                        unit_test(
                            "f" * 24,
                            "Unfinished",
                            "error",
                            criteria=[criterion("Accuracy", [True, None], [5, None], [None, None])],
                        )
                    ],
                }
            ],
        }
    )


def test_header_counts_evidence_and_baseline() -> None:
    page = Page(render(make_document()))
    plain = page.plain
    assert "1 errors" not in plain
    for text in ("1 failed", "1 error", "1 inconclusive", "0 xfailed", "2 passed", "40%"):
        assert text in plain
    assert "Baseline 1 regressed" in plain
    assert "0.10–0.90 (95% Wilson interval)" in plain
    assert (
        "regressed since baseline run 6b0400000000000000000001 (then: 3/3 sessions passed); "
        "Fisher p = 0.4 (two-sided, unadjusted): no detectable difference" in plain
    )
    assert "pass^2 1.00 (pass^1 1.00)" in plain
    assert RUN in plain


def test_page_is_self_contained() -> None:
    text = render(make_document())
    page = Page(text)
    assert not page.all("link") and not page.all("img") and not page.all("iframe")
    assert all(a.get("src") is None for _, a in page.tags)
    assert not re.search(r"(href|src)=\"?(https?:)?//", text)
    assert "@import" not in text and "url(" not in text


def write_artifacts(path: Path, document: dict[str, Any], *, big: int = 0) -> None:
    """A zip in the emulator's layout: transcripts of the failing unit test's sessions."""
    failing = document["sets"][0]["unit_tests"][1]
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", "{}")
        zf.writestr("tool_invocations.json", "[]")
        for k in range(3):
            messages = [
                {"id": "1", "interaction_index": 0, "sender": "user", "message": f"hello {k} <b>"},
                {"id": "2", "interaction_index": 0, "sender": "agent", "message": f"answer {k}"},
            ]
            if big and k == 1:
                messages.append({"sender": "agent", "message": "x" * big})
            zf.writestr(
                f"unit_tests/{failing['id']}/session-{k}/transcript.json",
                json.dumps({"run_index": k, "messages": messages}),
            )


def test_transcripts_from_artifacts_and_relative_link(tmp_path: Path) -> None:
    document = make_document()
    artifacts = tmp_path / "artifacts" / f"run-{RUN}.zip"
    artifacts.parent.mkdir()
    write_artifacts(artifacts, document)
    for t in document["sets"][0]["unit_tests"]:
        t["artifacts"] = str(artifacts)
    out = tmp_path / "reports" / "amigo.html"
    write(out, document)
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert "hello 1 <b>" in page.plain and "answer 2" in page.plain
    assert page.all("a", href=f"../artifacts/run-{RUN}.zip")
    assert "(no transcripts inside)" in page.plain  # the other unit tests' sessions
    assert not list(out.parent.glob(".*.tmp"))


def test_transcripts_are_read_with_bounded_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = make_document()
    artifacts = tmp_path / "run.zip"
    write_artifacts(artifacts, document, big=5000)
    document["sets"][0]["unit_tests"][1]["artifacts"] = str(artifacts)
    monkeypatch.setattr(html_artifacts, "MAX_ENTRY_BYTES", 2000)
    plain = Page(render(document)).plain
    assert "answer 0" in plain and "answer 2" in plain
    assert "answer 1" not in plain  # its transcript is over the bound: left out


def test_missing_artifacts_are_linked_and_said(tmp_path: Path) -> None:
    document = make_document()
    document["sets"][0]["unit_tests"][1]["artifacts"] = str(tmp_path / "gone" / "run.zip")
    text = render(document, artifacts_base=tmp_path)
    page = Page(text)
    assert page.all("a", href="gone/run.zip")
    assert "(not found when this report was written)" in page.plain


def test_tool_invocations_per_session() -> None:
    document = make_document()
    failing = document["sets"][0]["unit_tests"][1]

    def call(k: int, ok: bool) -> dict[str, Any]:
        status: dict[str, Any] = (
            {"succeeded": True, "output": f"order {k} found"}
            if ok
            else {
                "succeeded": False,
                "exception_message": "Payment gateway <timeout>",
                "exception_type": "TimeoutError",
                "exception_stack_trace": ["Traceback", "TimeoutError"],
            }
        )
        return {
            "id": f"i{k}",
            "org_id": "org",
            "created_at": f"2026-01-01T00:00:0{k}Z",
            "invocation_status": status,
            "invocation_source": {
                "type": "simulation-conversation",
                "simulation_unit_test_set_run_id": RUN,
                "unit_test_id": failing["id"],
                "run_index": k,
                "invocation_metadata": {},
            },
            "duration_ms": 120,
            "tool_id": "t" * 24,
            "tool_version": {"major": 1, "minor": 2, "patch": 3},
            "inputs": {"order": f"A-{k}"},
        }

    text = render(document, tool_invocations={RUN: [call(0, True), call(1, False)]})
    plain = Page(text).plain
    assert "order 0 found" in plain and '"order": "A-1"' in plain
    assert "TimeoutError: Payment gateway <timeout>" in plain
    assert f"{'t' * 24} v1.2.3, 120 ms" in plain
    refund = text.split('<span class="name">Refund policy</span>')[1].split("</article>")[0]
    sessions = refund.split('<details class="session"')[1:]
    assert "A-0" in sessions[0] and "A-1" in sessions[1] and "A-" not in sessions[2]
    assert "A-0" not in text.split('<span class="name">Happy path</span>')[1]


def test_empty_document() -> None:
    empty = {"pytest_amigo": "0.1.0", "created_at": "2026-01-01T00:00:00+00:00", "sets": []}
    assert "No unit test was reported." in Page(render(empty)).plain


def test_input_document_is_not_changed() -> None:
    document = make_document()
    before = copy.deepcopy(document)
    render(document)
    assert document == before
