"""b1, b2 -- API requests of the same sets with ``-n 0`` and ``-n 4`` (pytest-xdist) against one
emulator, per endpoint, and the HTTP 429 answers of the a and b runs."""

from __future__ import annotations

from dataclasses import dataclass

from bench.harness import (
    RequestStats,
    Size,
    admin_requests,
    child_env,
    expect_passed,
    fresh_phase,
    project_dir,
    pytest_cmd,
    run_checked,
)
from bench.rows import Row, count_row, ratio
from bench.wall import WallResult
from bench.worlds import timed_world
from pytest_amigo.emulator import Emulator


@dataclass(frozen=True)
class RequestsResult:
    sets: int
    n0: RequestStats
    n4: RequestStats


def measure(size: Size) -> RequestsResult:
    world, set_ids, _ = timed_world(size.sets)
    result: dict[str, RequestStats] = {}
    with Emulator(world) as emu, project_dir() as proj:
        for workers in ("0", "4"):
            fresh_phase(emu)
            out = run_checked(pytest_cmd(set_ids, "-n", workers), proj, child_env(emu), timeout=300)
            expect_passed(out, size.sets, f"-n {workers}")
            result[workers] = admin_requests(emu)
    return RequestsResult(size.sets, result["0"], result["4"])


def rows(b: RequestsResult, a: WallResult) -> list[Row]:
    refused = a.stats.rate_limited + b.n0.rate_limited + b.n4.rate_limited
    return [
        count_row("b1", f"API requests, {b.sets} sets: -n 4 / -n 0", b.n4.total, b.n0.total),
        count_row(
            "b2", "HTTP 429 answers (a + b runs) / all requests", refused, b.n0.total + b.n4.total
        ),
    ]


def table(b: RequestsResult) -> list[str]:
    """Requests per endpoint of the two runs."""
    n0, n4 = b.n0, b.n4
    lines = [
        "",
        "### Requests per endpoint (b)",
        "",
        "| endpoint | -n 0 | -n 4 | ratio |",
        "|----------|-----:|-----:|------:|",
    ]
    for ep in sorted(set(n0.by_endpoint) | set(n4.by_endpoint)):
        x0, x4 = n0.endpoint(ep), n4.endpoint(ep)
        lines.append(f"| {ep} | {x0} | {x4} | {ratio(x4, x0)} |")
    lines.append(f"| total | {n0.total} | {n4.total} | {ratio(n4.total, n0.total)} |")
    return lines
