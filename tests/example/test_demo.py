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
    assert "8 passed, 3 xfailed" in done.stdout
    assert "Amigo simulation sets" in done.stdout

    cases = list(ET.parse(junit).getroot().iter("testcase"))
    assert len(cases) == 11
    amigo = [c for c in cases if c.find("properties") is not None]
    assert len(amigo) == 6  # 2 + 2 plain items of the ini sets, 2 marker-parametrized
    xfailed = [c for c in cases if c.find("skipped") is not None]
    assert len(xfailed) == 3
    for case in xfailed:
        out = case.findtext("system-out") or ""
        assert "Report this run again: pytest --amigo-run=" in out, case.attrib
    assert any("needs" in (c.findtext("system-out") or "") for c in xfailed)
    # One session of this unit test errored: left out of the denominator under the
    # example's amigo_min_pass_rate = 1, and reported in the properties.
    [portal] = [c for c in cases if c.get("name") == "Portal unlock without SMS"]
    assert portal.find("skipped") is None and portal.find("error") is None
    props = {p.get("name"): p.get("value") for p in portal.iter("property")}
    assert (props["amigo_sessions_valid"], props["amigo_sessions_total"]) == ("2", "3")
    assert "presigned" not in junit.read_text(encoding="utf-8")
    assert "signature=" not in junit.read_text(encoding="utf-8")
    zips = list((tmp_path / "artifacts").glob("run-*.zip"))
    assert len(zips) == 3
