"""The browser is closed with its module: an asyncio test that the same process runs next (xdist
puts any test anywhere) finds no event loop of Playwright's still running."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def test_an_asyncio_test_after_a_browser_test_in_one_process_runs(chromium: Any) -> None:
    """``chromium``: skips (or fails, with AMIGO_REQUIRE_BROWSER=1) as every browser test does.
    With the browser shared by the whole session, the second test failed: "Cannot run the
    event loop while another loop is running" (36 of tests/emulator/test_traffic.py under -n 4)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "-q",
            "tests/browser/test_html_report_browser.py::test_comparison_stacks_on_a_phone",
            "tests/emulator/test_traffic.py::test_latency",
        ],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "AMIGO_"))},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout, done.stdout[-2000:]
