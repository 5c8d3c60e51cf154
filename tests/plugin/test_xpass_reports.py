"""A unit test listed in ``amigo_xfail`` that passes (an XPASS, issue 24 section 2), black-box:
the terminal, the JSON report, the HTML page, the step summary and ``pytest-amigo merge`` of the
JSON all say it passed although listed as a known failure, with its reason, and what to do.
"""

from __future__ import annotations

import html
import os
import subprocess
import sys

import pytest

from support.plugin import SET, AmigoProject, report

REASON = "SUP-12 flaky greeting"
SAID = f"XPASS: passed although listed as a known failure ({REASON}); fixed: drop the xfail line"


@pytest.mark.parametrize("workers", [[], ["-n", "1"]], ids=["plain", "xdist"])
def test_an_xpass_is_said_with_its_reason_in_every_report(
    amigo: AmigoProject, workers: list[str]
) -> None:
    amigo.ini(f"amigo_xfail =\n    Greets customer: {REASON}\n")
    path = amigo.pytester.path
    summary = path / "summary.md"
    amigo.mp.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = amigo.run(
        f"--amigo-set={SET['All green']}", "--amigo-json=r.json", "--amigo-html=r.html", *workers
    )
    out.result.assert_outcomes(xpassed=1)
    assert out.result.ret == 0
    assert SAID in out.output  # the terminal's set summary

    data = report(path / "r.json")  # valid against the schema, read back unchanged
    [entry] = data["sets"]
    [unit_test] = entry["unit_tests"]
    assert (unit_test["outcome"], unit_test["reported"]) == ("passed", "xpassed")
    assert unit_test["expected"] == REASON

    page = html.unescape((path / "r.html").read_text(encoding="utf-8"))
    assert SAID in page
    assert SAID in summary.read_text(encoding="utf-8")

    merged_summary = path / "merged.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(merged_summary)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest_amigo", "merge", "r.json", "--json", "all.json",
         "--html", "all.html", "--github-summary"],
        cwd=path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert SAID in done.stdout
    merged = report(path / "all.json")
    [merged_test] = merged["sets"][0]["unit_tests"]
    assert (merged_test["reported"], merged_test["expected"]) == ("xpassed", REASON)
    assert SAID in html.unescape((path / "all.html").read_text(encoding="utf-8"))
    assert SAID in merged_summary.read_text(encoding="utf-8")
