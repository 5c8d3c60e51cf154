"""Shards of one suite started together against one emulator (tests/plugin/test_shards.py).

Each shard is a ``pytest`` subprocess in the same pytester project. The project's conftest marks
a file once the shard's runs are started or attached (its ``pytest_runtestloop`` runs after
pytest-amigo's, which starts every selected set's run); with the emulator's clock at real speed
no run can finish before every shard has started, and :func:`run_together` then pushes the
clock far ahead so the results are in at once: the shards meet the runs unfinished, as shards
started together on a minutes-long set do, whatever the machine's load.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.plugin import AmigoProject, Case, read_junit

MARK_ENV = "PYTEST_AMIGO_TEST_STARTED_MARK"
CONFTEST = f"""\
import os
from pathlib import Path


def pytest_runtestloop(session):
    mark = os.environ.get({MARK_ENV!r})
    if mark:
        Path(mark).write_text("started", encoding="utf-8")
"""


@dataclass
class Shard:
    """A finished shard: its output, exit status, JSON report and JUnit cases."""

    name: str
    output: str
    ret: int
    json_path: Path
    junit_path: Path

    @property
    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.json_path.read_text(encoding="utf-8"))
        return data

    @property
    def cases(self) -> list[Case]:
        return read_junit(self.junit_path)

    def unit_tests(self) -> dict[str, dict[str, Any]]:
        """Every unit test the JSON report holds, by node id."""
        return {u["nodeid"]: u for s in self.report["sets"] for u in s["unit_tests"]}

    def run_ids(self) -> dict[str, str]:
        """Per set id, the run the shard reported."""
        return {s["id"]: s["run_id"] for s in self.report["sets"]}


def run_together(
    project: AmigoProject,
    shards: Mapping[str, Sequence[str]],
    *,
    env: Mapping[str, Mapping[str, str]] | None = None,
    finish: bool = True,
    during: Callable[[dict[str, subprocess.Popen[str]]], None] | None = None,
    one_by_one: bool = False,
    give_up: float = 90.0,
) -> dict[str, Shard]:
    """Start every shard (name -> pytest arguments) at once (``one_by_one``: each once the one
    before has started its runs, so the first creates them); once all have started their runs,
    call ``during`` (the processes by name) and, ``finish``, push the emulator's clock ahead;
    then wait for them all. ``env``: per shard, variables to add (another API user's)."""
    path = project.pytester.path
    path.joinpath("conftest.py").write_text(CONFTEST, encoding="utf-8")
    base = dict(os.environ)
    procs: dict[str, subprocess.Popen[str]] = {}
    marks = {name: path / f"started-{name}" for name in shards}
    for name in shards:
        marks[name].unlink(missing_ok=True)
    outputs: dict[str, str] = {}
    try:
        for name, args in shards.items():
            procs[name] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-p",
                    "no:cacheprovider",
                    f"--amigo-json={name}.json",
                    f"--junitxml={name}.xml",
                    *args,
                ],
                cwd=path,
                env={**base, **(env or {}).get(name, {}), MARK_ENV: str(marks[name])},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            if one_by_one:
                wait_started({name: procs[name]}, marks, give_up)
        wait_started(procs, marks, give_up)
        if during is not None:
            during(procs)
        if finish:
            project.emu.advance(10_000_000)
        for name, proc in procs.items():
            outputs[name], _ = proc.communicate(timeout=give_up)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
    return {
        name: Shard(
            name, outputs[name], procs[name].returncode, path / f"{name}.json", path / f"{name}.xml"
        )
        for name in shards
    }


def wait_started(
    procs: Mapping[str, subprocess.Popen[str]], marks: Mapping[str, Path], give_up: float
) -> None:
    """Until every shard of ``procs`` has started its runs (or ended)."""
    deadline = time.monotonic() + give_up
    while not all(marks[n].exists() or p.poll() is not None for n, p in procs.items()):
        assert time.monotonic() < deadline, "the shards never all started"
        time.sleep(0.02)
