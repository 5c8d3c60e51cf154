"""Fixtures of the HTML report tests: a real run's JSON report and a headless Chromium.

The browser is the system Chromium (Debian package ``chromium``) driven by Playwright for Python;
``playwright install`` is never needed. Without Chromium or Playwright the browser tests skip,
unless ``AMIGO_REQUIRE_BROWSER=1`` (set by ``.ci/run``) makes that a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import jsonschema
import pytest

from pytest_amigo.emulator import Emulator, World
from pytest_amigo.reports.json_report import schema

WORLD = World.from_toml(Path(__file__).resolve().parents[1] / "plugin" / "worlds" / "evidence.toml")
SET = {s.name: s.id for s in WORLD.sets}


def _no_browser(reason: str) -> NoReturn:
    if os.environ.get("AMIGO_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (AMIGO_REQUIRE_BROWSER=1: the browser tests must run)")
    pytest.skip(reason)


@dataclass
class RealRun:
    """The JSON report of a real pytest session against the emulator, and where it ran."""

    path: Path
    document: dict[str, Any]

    @property
    def unit_tests(self) -> dict[str, dict[str, Any]]:
        return {t["name"]: t for s in self.document["sets"] for t in s["unit_tests"]}


@pytest.fixture(scope="session")
def evidence_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealRun]:
    """pytest against the evidence world: Broken fails, Shaky is inconclusive, Solid passes."""
    project = tmp_path_factory.mktemp("evidence-project")
    project.joinpath("pytest.ini").write_text(
        "[pytest]\namigo_poll_interval = 0.2 1\namigo_artifacts_wait = 10\n", encoding="utf-8"
    )
    report = project / "amigo.json"
    with Emulator(WORLD) as emu:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AMIGO_", "PYTEST_"))}
        env.update(emu.env("ci-bot"))
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                f"--amigo-set={SET['Evidence']}",
                "--amigo-min-pass-rate=0.7",
                "--amigo-confidence=0.95",
                f"--amigo-json={report}",
            ],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1, done.stdout + done.stderr  # Broken and Shaky fail
    document = json.loads(report.read_text(encoding="utf-8"))
    jsonschema.validate(document, schema())
    yield RealRun(project, document)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless system Chromium (Playwright ``Browser``), shared by a module's tests.

    Not by the session's: Playwright's sync API leaves its event loop running in the thread
    while it is open, and every asyncio test that the same (xdist) process runs meanwhile fails
    with "Cannot run the event loop while another loop is running" (tests/emulator/
    test_traffic.py after a browser test: test_browser_loop_ends_with_its_module)."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        _no_browser("Playwright for Python is not installed (pip install playwright)")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        _no_browser("no Chromium on PATH (Debian: apt-get install chromium)")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=executable)
        except Error as exc:
            _no_browser(f"Chromium at {executable} does not start: {exc}")
        try:
            yield browser
        finally:
            browser.close()
