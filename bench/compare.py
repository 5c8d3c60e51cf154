"""g1, g2 -- A/B in one job: the same sets simulated on the candidate version set, without and
with ``--amigo-compare``: wall time of the pytest session and sessions simulated."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from bench.harness import (
    Size,
    admin_requests,
    child_env,
    expect_passed,
    project_dir,
    pytest_cmd,
    run_checked,
)
from bench.rows import Row, count_row, timed_row
from bench.worlds import AB_CANDIDATE, AB_REFERENCE, AB_RUN_COUNT, AB_UNIT_TESTS, ab_world
from pytest_amigo.emulator import Emulator, World

CANDIDATE = f"--amigo-version-set={AB_CANDIDATE}"
KINDS = {"plain": [CANDIDATE], "compare": [CANDIDATE, f"--amigo-compare={AB_REFERENCE}"]}


@dataclass(frozen=True)
class Kind:
    """The sessions of one kind (with or without --amigo-compare) over the rounds."""

    walls: list[float]  # sorted
    sessions: int  # simulated, the same every round
    runs: int  # created, the same every round
    rate_limited: int

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)


@dataclass(frozen=True)
class CompareResult:
    sets: int
    rounds: int
    longest: float  # the longest set, real seconds
    speed: float
    plain: Kind
    compare: Kind


@dataclass(frozen=True)
class Session:
    wall: float
    sessions: int
    runs: int
    rate_limited: int


def one_session(world: World, set_ids: list[str], extra: list[str], label: str) -> Session:
    """One pytest session against a fresh emulator (fresh rate-limit windows: the reference
    side's run creates must not meet the previous session's)."""
    with Emulator(world) as emu, project_dir() as proj:
        start = time.perf_counter()
        out = run_checked(pytest_cmd(set_ids, *extra), proj, child_env(emu), timeout=300)
        wall = time.perf_counter() - start
        stats = admin_requests(emu)
        with emu.store.lock:
            made = list(emu.store.runs.values())
    expect_passed(out, len(set_ids) * AB_UNIT_TESTS, label)
    sessions = sum(u.run_count for r in made for u in r.unit_tests)
    return Session(wall, sessions, len(made), stats.rate_limited)


def kind(label: str, sessions: list[Session]) -> Kind:
    simulated, runs = {s.sessions for s in sessions}, {s.runs for s in sessions}
    if len(simulated) != 1 or len(runs) != 1:
        raise RuntimeError(f"{label}: sessions {simulated}, runs {runs} vary by round")
    return Kind(
        sorted(s.wall for s in sessions),
        simulated.pop(),
        runs.pop(),
        sum(s.rate_limited for s in sessions),
    )


def measure(size: Size) -> CompareResult:
    """The kinds alternate, size.ab_rounds sessions of each; medians of the times."""
    world, set_ids, ds = ab_world(size.ab_sets, size.ab_speed)
    done: dict[str, list[Session]] = {k: [] for k in KINDS}
    for _ in range(size.ab_rounds):
        for key, extra in KINDS.items():
            done[key].append(one_session(world, set_ids, extra, key))
    return CompareResult(
        size.ab_sets,
        size.ab_rounds,
        max(ds) / size.ab_speed,
        size.ab_speed,
        kind("plain", done["plain"]),
        kind("compare", done["compare"]),
    )


def rows(g: CompareResult) -> list[Row]:
    n = f"{g.sets} sets x {AB_UNIT_TESTS} unit tests x {AB_RUN_COUNT} sessions"
    versus = f"--amigo-compare={AB_REFERENCE} / without"
    return [
        timed_row(
            "g1",
            f"wall time, {n} on {AB_CANDIDATE} (median of {g.rounds}): {versus}",
            g.compare.wall,
            g.plain.wall,
        ),
        count_row("g2", f"sessions simulated, {n}: {versus}", g.compare.sessions, g.plain.sessions),
    ]


def spread(values: list[float]) -> str:
    return f"{values[0]:.2f}-{values[-1]:.2f} s" if len(values) > 1 else f"{values[0]:.2f} s"


def note(g: CompareResult) -> str:
    return (
        f"A/B (g): runs created {g.compare.runs} with --amigo-compare, {g.plain.runs} "
        f"without; 429 answers {g.compare.rate_limited} / {g.plain.rate_limited}; longest "
        f"set {g.longest:.2f} s; wall times with {spread(g.compare.walls)}, without "
        f"{spread(g.plain.walls)}; a fresh emulator per pytest session, speed "
        f"{g.speed:g}, poll interval as in a."
    )
