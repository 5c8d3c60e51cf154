"""pytest-html: Amigo items show their evidence (grid, justifications) and link their artifacts;
an xfailed Amigo item shows the explanation, not pytest's and pluggy's traceback."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from support.plugin import SET, AmigoProject

MIXED = SET["Mixed bag"]
JUSTIFICATION = "The agent ignored the customer's frustration twice."


def html_rows(path: Any) -> dict[str, list[dict[str, Any]]]:
    """The test rows pytest-html 4 embeds as JSON in its report."""
    text = path.read_text(encoding="utf-8")
    found = re.search(r'data-jsonblob="([^"]*)"', text)
    assert found, "pytest-html 4 embeds its data as a JSON blob"
    tests: dict[str, list[dict[str, Any]]] = json.loads(html.unescape(found.group(1)))["tests"]
    return tests


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["single", "xdist"])
def test_html_rows_show_the_evidence_and_xfail_rows_the_explanation(
    amigo: AmigoProject, workers: list[str]
) -> None:
    amigo.ini("amigo_xfail =\n    Refund is processed: TICKET-1 known\n")
    report = amigo.pytester.path / "reports" / "r.html"
    out = amigo.run("--amigo-set", MIXED, f"--html={report}", "--self-contained-html", *workers)
    out.result.assert_outcomes(passed=1, failed=1, xfailed=1)
    [run] = out.runs
    rows = html_rows(report)

    [xfail] = rows["amigo::Mixed bag::Refund is processed"]
    assert xfail["result"] == "XFailed"
    log = html.unescape("".join(xfail["log"]))
    assert JUSTIFICATION in log
    assert f"pytest --amigo-run={run.id}" in log
    for internal in ("pluggy", "_pytest", "def pytest_runtest_call", "Traceback"):
        assert internal not in log, internal
    assert len(log) < 5000

    extras = xfail["extras"]
    [evidence] = [e for e in extras if e["format_type"] == "html"]
    grid = evidence["content"]
    assert '<table class="amigo-grid"' in grid
    assert '<th scope="row"' in grid and "Empathy" in grid
    assert "\u2718 5" in grid  # not met, with the metric value
    assert html.escape(JUSTIFICATION) in grid
    [link] = [e for e in extras if e["format_type"] == "url"]
    assert link["name"] == "Amigo artifacts"
    assert link["content"] == f"../.amigo-artifacts/run-{run.id}.zip"

    [failed] = rows["amigo::Mixed bag::Half and half"]
    assert failed["result"] == "Failed"
    assert "The customer left before the refund was confirmed." in html.unescape(
        "".join(failed["log"])
    )
    assert any(e["format_type"] == "html" for e in failed["extras"])
    [passed] = rows["amigo::Mixed bag::Greets customer"]
    assert any("\u2714" in e["content"] for e in passed["extras"] if e["format_type"] == "html")


def test_html_error_rows_carry_the_evidence(amigo: AmigoProject) -> None:
    report = amigo.pytester.path / "r.html"
    out = amigo.run("--amigo-set", SET["Broken sessions"], f"--html={report}")
    out.result.assert_outcomes(passed=1, errors=1)
    rows = html_rows(report)
    [error] = [r for r in rows["amigo::Broken sessions::Session crashes"] if r["result"] == "Error"]
    assert "The simulator stopped responding." in html.unescape("".join(error["log"]))
    [evidence] = [e for e in error["extras"] if e["format_type"] == "html"]
    assert "session errored: The simulator stopped responding." in evidence["content"]


def test_no_extras_without_pytest_html_report(amigo: AmigoProject) -> None:
    amigo.pytester.makeconftest(
        """
        def pytest_runtest_logreport(report):
            if report.nodeid.startswith("amigo::") and getattr(report, "extras", None):
                raise AssertionError("extras without --html")
        """
    )
    out = amigo.run("--amigo-set", SET["All green"])
    out.result.assert_outcomes(passed=1)
