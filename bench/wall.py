"""a1, a2 -- wall time of pytest-amigo on sets of known durations, against a sequential loop of
SimulationApi calls (a1) and against the ideal (a2): bare pytest start-up, measured in the same
run, plus the longest set plus one effective poll interval."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import (
    POLL_FLOOR,
    POLL_MAX,
    POLL_MIN,
    PYTEST,
    SPEED,
    RequestStats,
    Size,
    admin_requests,
    api_env,
    child_env,
    expect_passed,
    project_dir,
    pytest_cmd,
    run_checked,
    timed_run,
)
from bench.rows import Row, timed_row
from bench.worlds import timed_world
from pytest_amigo.emulator import Emulator

BARE_FILE = "test_bare.py"
EMPTY_EXIT = 5  # pytest's exit code when no test was collected


@dataclass(frozen=True)
class WallResult:
    sets: int
    amigo: float  # wall seconds of the pytest-amigo session
    sequential: float  # a1's baseline
    bare_startup: float  # median wall seconds of a bare pytest run (no Amigo work)
    startups: int  # how many bare runs the median is of
    longest: float  # the longest set, real seconds
    poll: float  # one effective poll interval
    stats: RequestStats  # the pytest-amigo session's requests

    @property
    def ideal(self) -> float:
        return self.bare_startup + self.longest + self.poll

    @property
    def creates(self) -> int:
        return self.stats.endpoint("create-simulation-unit-test-set-run")


def sequential_baseline(emu: Emulator, set_ids: list[str]) -> float:
    """Start each set with SimulationApi, poll it until complete, then the next one."""
    from pytest_amigo.api import SimulationApi

    with api_env(emu), SimulationApi() as api:
        start = time.perf_counter()
        for set_id in set_ids:
            run_id = api.create_run(set_id)
            interval = POLL_MIN
            while True:
                time.sleep(interval)
                runs = api.list_runs(ids=[run_id])
                if runs and runs[0]["is_completed"]:
                    break
                interval = max(min(interval * 1.5, POLL_MAX), POLL_FLOOR)
        return time.perf_counter() - start


def bare_startup(proj: Path, env: dict[str, str], runs: int) -> float:
    """Median wall time of pytest without the plugin (``-p no:amigo``) on an empty test file in
    ``proj``, with ``env``: what any pytest session pays before it does anything."""
    (proj / BARE_FILE).write_text("", encoding="utf-8")
    cmd = [*PYTEST, "-p", "no:amigo", BARE_FILE]
    return statistics.median(timed_run(cmd, proj, env, ok=(EMPTY_EXIT,)) for _ in range(runs))


def measure(size: Size) -> WallResult:
    world, set_ids, ds = timed_world(size.sets)
    with Emulator(world) as emu, project_dir() as proj:
        env = child_env(emu)
        bare = bare_startup(proj, env, size.startups)
        start = time.perf_counter()
        out = run_checked(pytest_cmd(set_ids), proj, env, timeout=300)
        amigo = time.perf_counter() - start
        stats = admin_requests(emu)
    expect_passed(out, size.sets, "a")
    with Emulator(world) as emu:
        sequential = sequential_baseline(emu, set_ids)
    return WallResult(
        sets=size.sets,
        amigo=amigo,
        sequential=sequential,
        bare_startup=bare,
        startups=size.startups,
        longest=max(ds) / SPEED,
        poll=max(POLL_MIN, POLL_FLOOR),
        stats=stats,
    )


def rows(a: WallResult) -> list[Row]:
    n = f"wall time, {a.sets} sets: pytest-amigo"
    return [
        timed_row("a1", f"{n} / sequential SimulationApi", a.amigo, a.sequential),
        timed_row(
            "a2",
            f"{n} / ideal (bare pytest start-up + longest set + one poll)",
            a.amigo,
            a.ideal,
        ),
    ]


def note(a: WallResult) -> str:
    return (
        f"a2's ideal: bare pytest start-up {a.bare_startup:.2f} s (-p no:amigo, empty test file, "
        f"median of {a.startups}) + longest set {a.longest:.2f} s + one poll {a.poll:.2f} s."
    )
