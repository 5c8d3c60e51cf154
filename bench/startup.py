"""e1 -- start-up cost when unused: pytest on a trivial test with the plugin installed against
the same with ``-p no:amigo``, alternating, medians."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench.harness import PYTEST, Size, clean_env, project_dir, timed_run
from bench.rows import Row, timed_row


@dataclass(frozen=True)
class StartupResult:
    amigo: float  # median wall seconds, plugin installed
    plain: float  # median wall seconds, -p no:amigo
    runs: int


def measure(size: Size) -> StartupResult:
    """No AMIGO_* variable and no set configured, i.e. what a project that installs pytest-amigo
    pays when it does not use it."""
    env = clean_env()
    times: dict[str, list[float]] = {"amigo": [], "plain": []}
    with project_dir() as path:
        (path / "test_trivial.py").write_text("def test_ok():\n    pass\n", encoding="utf-8")
        base = [*PYTEST, "test_trivial.py"]
        for _ in range(size.startups):
            for key, extra in (("amigo", []), ("plain", ["-p", "no:amigo"])):
                times[key].append(timed_run(base + extra, path, env))
    return StartupResult(
        statistics.median(times["amigo"]), statistics.median(times["plain"]), size.startups
    )


def rows(e: StartupResult) -> list[Row]:
    return [
        timed_row(
            "e1",
            f"pytest start-up, trivial test (median of {e.runs}): installed / -p no:amigo",
            e.amigo,
            e.plain,
            digits=3,
        )
    ]
