"""The demo: `pytest example_project` against the bundled emulator, as the README promises."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_passes_with_known_failures_as_xfail_and_evidence_in_junit(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMIGO_", "PYTEST_"))}
    junit = tmp_path / "demo.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "example_project",
            "-p",
            "no:cacheprovider",
            f"--junitxml={junit}",
            f"--amigo-artifacts-dir={tmp_path / 'artifacts'}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "7 passed, 4 xfailed" in done.stdout
    assert "Amigo simulation sets" in done.stdout

    cases = list(ET.parse(junit).getroot().iter("testcase"))
    assert len(cases) == 11
    amigo = [c for c in cases if c.find("properties") is not None]
    assert len(amigo) == 6  # 2 + 2 plain items of the ini sets, 2 marker-parametrized
    xfailed = [c for c in cases if c.find("skipped") is not None]
    assert len(xfailed) == 4
    for case in xfailed:
        out = case.findtext("system-out") or ""
        assert "Report this run again: pytest --amigo-run=" in out, case.attrib
    assert any("needs" in (c.findtext("system-out") or "") for c in xfailed)
    assert "presigned" not in junit.read_text(encoding="utf-8")
    assert "signature=" not in junit.read_text(encoding="utf-8")
    zips = list((tmp_path / "artifacts").glob("run-*.zip"))
    assert len(zips) == 3
