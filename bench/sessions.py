"""pytest sessions started together against one emulator (f, f4, h): each in a project whose
conftest records every item's verdict and its time, the sessions' exits, the requests."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.harness import RequestStats, admin_requests, child_env, fresh_phase
from pytest_amigo.emulator import Emulator


def epoch_clock(emu: Emulator, speed: float) -> Callable[[float], float]:
    """World seconds of ``emu`` -> epoch seconds (taken now; the caller holds no lock)."""
    with emu.store.lock:
        wall, world_now = time.time(), emu.store.now()
    return lambda world: wall - (world_now - world) / speed


TIMING_CONFTEST = textwrap.dedent(
    """
    import json, os, time

    def pytest_runtest_logreport(report):
        # An item's verdict is its call report, or its setup report when setup did not pass.
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            outcome = report.outcome
            if report.when == "setup" and outcome == "failed":
                outcome = "error"
            entry = {"nodeid": report.nodeid, "outcome": outcome, "at": time.time()}
            with open(os.environ["BENCH_REPORTS"], "a", encoding="utf-8") as out:
                out.write(json.dumps(entry) + "\\n")
    """
)


def timing_project(path: Path) -> Path:
    """``path`` made a pytest project whose conftest records each item's verdict and time."""
    path.mkdir(exist_ok=True)
    (path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (path / "conftest.py").write_text(TIMING_CONFTEST, encoding="utf-8")
    return path


@dataclass(frozen=True)
class Report:
    """An item's verdict as the timing conftest recorded it (``at``: epoch seconds)."""

    nodeid: str
    outcome: str
    at: float


@dataclass(frozen=True)
class Finished:
    """A session that ended: its exit (epoch seconds) and its items' verdicts."""

    key: int
    exit_at: float
    reports: list[Report]


@dataclass(frozen=True)
class Together:
    """Sessions started together: the common start (epoch seconds), each session once it has
    ended, and the emulator's requests of the phase."""

    start: float
    finished: dict[int, Finished]
    stats: RequestStats

    @property
    def wall(self) -> float:
        """From the common start to the last session's exit."""
        return max(f.exit_at for f in self.finished.values()) - self.start

    def keyed(self, pattern: str, strict: bool = True) -> dict[tuple[int, ...], Report]:
        """Every session's reports by the numbers ``pattern`` finds in their node ids."""
        return {
            key: r
            for f in self.finished.values()
            for key, r in item_keys(pattern, f.reports, strict)
        }


def run_phase(
    emu: Emulator,
    commands: dict[int, list[str]],
    *,
    shared: bool = False,
    second: float | None = None,
    what: str = "session",
) -> Together:
    """The previous runs complete and the request log and rate-limit counts reset (limits stay
    on; the windows stay aligned to the epoch), then, ``second`` seconds into a rate-limit
    minute if given, the sessions of ``commands`` (key -> pytest command) at once, each in its
    own project with the timing conftest or (``shared``) all in one checkout, as in a CI job."""
    fresh_phase(emu)
    if second is not None:
        time.sleep((second - time.time()) % 60.0)
    with tempfile.TemporaryDirectory(prefix="amigo-bench-sessions-") as tmp:
        logs = Path(tmp)
        one = timing_project(logs) if shared else None
        projects = {key: one or timing_project(logs / f"session-{key}") for key in commands}
        start, done = run_together(emu, commands, projects, logs, what)
    return Together(start, done, admin_requests(emu))


def run_together(
    emu: Emulator,
    commands: dict[int, list[str]],
    projects: dict[int, Path],
    logs: Path,
    what: str,
) -> tuple[float, dict[int, Finished]]:
    """Start every session at once, each with its own output and reports file under ``logs``;
    the common start (epoch seconds) and each session once it has ended (exit 0, or 1: the
    failing unit tests failed, as they should)."""
    started: dict[int, subprocess.Popen[bytes]] = {}
    exits: dict[int, float] = {}
    start = time.time()
    for key, cmd in commands.items():
        env = child_env(emu) | {"BENCH_REPORTS": str(logs / f"reports-{key}.jsonl")}
        with open(logs / f"output-{key}.txt", "wb") as out:
            started[key] = subprocess.Popen(
                cmd, cwd=projects[key], env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def wait(key: int, proc: subprocess.Popen[bytes]) -> None:
        proc.wait(timeout=600)
        exits[key] = time.time()

    threads = [threading.Thread(target=wait, args=item) for item in started.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return start, {k: finished(k, p.returncode, exits[k], logs, what) for k, p in started.items()}


def finished(key: int, code: int, exit_at: float, logs: Path, what: str) -> Finished:
    text = (logs / f"output-{key}.txt").read_text(encoding="utf-8", errors="replace")
    if code not in (0, 1):  # 1: the failing unit tests failed, as they should
        raise RuntimeError(f"{what} {key} exited {code}:\n{text[-3000:]}")
    path = logs / f"reports-{key}.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    entries = [json.loads(line) for line in lines]
    return Finished(key, exit_at, [Report(e["nodeid"], e["outcome"], e["at"]) for e in entries])


def item_keys(
    pattern: str, reports: list[Report], strict: bool = True
) -> Iterator[tuple[tuple[int, ...], Report]]:
    """(numbers in the node id matched by ``pattern``, report) of each report; an unexpected
    item is an error when ``strict``."""
    for report in reports:
        found = re.search(pattern, report.nodeid)
        if found is None:
            if strict:
                raise RuntimeError(f"unexpected item {report.nodeid}")
            continue
        yield tuple(int(x) for x in found.groups()), report
