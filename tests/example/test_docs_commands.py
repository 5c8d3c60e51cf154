"""The commands the README and docs/sharding.md give, run as written against the emulator.

- README's "one command" against a set of the emulator's demo world (the organization a reader
  points it at);
- docs/sharding.md's "trying shards locally": one standalone emulator of the example world, the
  two shards side by side and the merge, with the credentials the page exports;
- example_project/README.md's "What to expect" is what the demo prints.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_amigo.emulator import Emulator, World
from support.inner import INNER_ADDOPTS

from .test_demo import ROOT, run_demo

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "example_project"


def _block_after(document: Path, marker: str) -> list[str]:
    """The lines of the first fenced block after ``marker``, continuations joined."""
    text = document.read_text(encoding="utf-8").split(marker, 1)[1]
    body = text.split("```", 2)[1].split("\n", 1)[1]
    return body.replace("\\\n", " ").splitlines()


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMIGO_", "PYTEST_"))}
    return {**env, "PYTEST_ADDOPTS": INNER_ADDOPTS, **extra}


def _pytest(words: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    assert words[0] == "pytest", words
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *words[1:]],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def demo_world() -> Iterator[Emulator]:
    with Emulator(World.default(), speed=60.0) as emulator:
        yield emulator


def test_the_readme_s_one_command_runs_against_the_emulator(
    demo_world: Emulator, tmp_path: Path
) -> None:
    [command] = [
        line.strip()
        for line in _block_after(ROOT / "README.md", "3. **One command**")
        if line.strip().startswith("pytest ")
    ]
    words = shlex.split(command)
    (tmp_path / "test_nothing.py").write_text("", encoding="utf-8")
    process = _pytest(words, tmp_path, _clean_env(**demo_world.env()))
    out, _ = process.communicate(timeout=300)
    assert process.returncode in (0, 1), out[-3000:]  # passed, or a unit test failed
    assert "Amigo simulation sets" in out and "Support smoke" in out, out[-3000:]
    assert "Traceback" not in out
    assert (tmp_path / "reports/amigo.xml").is_file()
    assert (tmp_path / "reports/amigo.html").is_file()


def test_trying_shards_locally_as_docs_sharding_says(tmp_path: Path) -> None:
    lines = _block_after(ROOT / "docs/sharding.md", "## Trying shards locally")
    assert lines[0].startswith("python -m pytest_amigo.emulator --world example_project/amigo")
    world = shlex.split(lines[0])[shlex.split(lines[0]).index("--world") + 1]
    project = tmp_path / "example_project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("reports", ".amigo-*"))
    with Emulator(ROOT / world, speed=60.0) as emulator:
        exported = dict(
            word.split("=", 1)
            for line in lines
            if line.strip().startswith("export ")
            for word in shlex.split(line)[1:]
        )
        served = emulator.env()
        # the page's credentials are the ones the emulator prints (its port is the page's choice)
        assert {k: v for k, v in exported.items() if k != "AMIGO_BASE_URL"} == {
            k: v for k, v in served.items() if k != "AMIGO_BASE_URL"
        }
        env = _clean_env(**served)
        shards = [line.strip() for line in lines if line.strip().startswith("pytest --splits")]
        assert len(shards) == 2
        started = [_pytest(shlex.split(s.rstrip("&").strip()), project, env) for s in shards]
        outputs = [p.communicate(timeout=300)[0] for p in started]
        assert [p.returncode for p in started] == [0, 0], [o[-2000:] for o in outputs]
    runs: dict[str, set[str]] = {}  # set name -> its run ids, across the shards
    for report in project.glob("reports/shard-*.json"):
        for unit_test_set in json.loads(report.read_text(encoding="utf-8"))["sets"]:
            runs.setdefault(unit_test_set["name"], set()).add(unit_test_set["run_id"])
    assert len(runs) == 3 and all(len(ids) == 1 for ids in runs.values()), runs
    [merge] = [line.strip() for line in lines if line.strip().startswith("pytest-amigo merge")]
    words = shlex.split(merge)[2:]
    reports = sorted(str(p) for p in project.glob(words[0]))
    merged = subprocess.run(
        [sys.executable, "-m", "pytest_amigo", "merge", *reports, *words[1:]],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert merged.returncode == 0, merged.stderr
    said = re.search(r"the merge prints\s+`([^`]+)`", (ROOT / "docs/sharding.md").read_text())
    assert said is not None
    assert " ".join(said[1].split()) in merged.stdout + merged.stderr


def _expected_lines() -> list[str]:
    """The demo's output as example_project/README.md quotes it ("What to expect")."""
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    block = readme.split("## What to expect", 1)[1].split("```", 2)[1]
    return [line for line in block.split("\n", 1)[1].splitlines() if line.strip()]


def test_what_to_expect_in_the_example_readme_is_what_the_demo_prints(tmp_path: Path) -> None:
    done = run_demo(
        f"--junitxml={tmp_path / 'junit.xml'}",
        f"--amigo-artifacts-dir={tmp_path / 'artifacts'}",
        f"--amigo-json={tmp_path / 'amigo.json'}",
        f"--amigo-html={tmp_path / 'amigo.html'}",
    )
    printed = [re.sub(r" in \d+\.\d+s ", " in <time> ", line) for line in done.stdout.splitlines()]
    expected = _expected_lines()
    assert len(expected) >= 6
    for line in expected:
        if line.endswith("..."):  # the rest of that line is not quoted
            assert any(p.startswith(line[:-3]) for p in printed), line
        else:
            assert re.sub(r" in \d+\.\d+s ", " in <time> ", line) in printed, line
