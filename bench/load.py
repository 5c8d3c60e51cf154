"""f4, f5 -- pipelines under load (issue 18, case 8): sessions of one organization sharing a
tight list limit, with the plugin's defaults; per set, its last result -> its session's exit,
and the HTTP 429 answers."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench import sessions
from bench.harness import PYTEST, RequestStats, Size
from bench.rows import Row, count_row, median_or_nan, ratio, seconds
from bench.worlds import LOAD_LIST_LIMIT, LOAD_SESSIONS, LOAD_SPEED, SetKeys, load_world
from pytest_amigo.emulator import Emulator

# Seconds into the (epoch-aligned) rate-limit minute at which round r starts: the lags depend on
# where the sets end in the window, so the rounds are pinned (full size: two, half a minute apart).
LOAD_PHASES = [5.0, 35.0]
LOAD_GOAL_S = 30.0  # issue 18, case 8: under 30 s (42-44 s when filed)
FAIR_PACE = 60.0 * LOAD_SESSIONS / LOAD_LIST_LIMIT  # seconds between one session's list polls


@dataclass(frozen=True)
class LoadRound:
    exit_lags: list[float]  # per set: its session's exit - its run's completion
    verdict_lags: list[float]  # per set: its last item's report - its run's completion
    right: int
    items: int
    sets: int
    stats: RequestStats


@dataclass(frozen=True)
class LoadResult:
    rounds: list[LoadRound]

    def pooled(self, lags: str) -> list[float]:
        return sorted(x for r in self.rounds for x in getattr(r, lags))

    @property
    def stats(self) -> RequestStats:
        return RequestStats.summed([r.stats for r in self.rounds])


def run_round(emu: Emulator, sets: SetKeys, second: float | None) -> LoadRound:
    """One round of f4: LOAD_SESSIONS pytest sessions at once (started ``second`` seconds into a
    rate-limit minute, if given), each of its group's sets, with the plugin's defaults (poll
    interval, artifacts on and their wait); per set, its run's completion, its last item's
    report and its session's exit."""
    ordered = sorted(sets, key=sets.__getitem__)
    commands = {
        g: [*PYTEST, *(f"--amigo-set={s}" for s in ordered if sets[s][0] == g)]
        for g in sorted({g for g, _ in sets.values()})
    }
    together = sessions.run_phase(emu, commands, second=second)
    reports = together.keyed(r"l-g(\d+)-s(\d+)-u(\d+)", strict=False)
    to_epoch = sessions.epoch_clock(emu, LOAD_SPEED)
    with emu.store.lock:
        ends = {
            sets[r.set_id]: to_epoch(r.end) for r in emu.store.runs.values() if r.set_id in sets
        }
    exit_lags, verdict_lags = [], []
    for (g, k), end in sorted(ends.items()):
        exit_lags.append(together.finished[g].exit_at - end)
        ats = [reports[(g, k, u)].at for u in range(2) if (g, k, u) in reports]
        if len(ats) == 2:
            verdict_lags.append(max(ats) - end)
    expected = {
        (g, k, u): "failed" if (k, u) == (0, 1) else "passed" for (g, k) in ends for u in (0, 1)
    }
    right = sum(1 for item, v in expected.items() if item in reports and reports[item].outcome == v)
    return LoadRound(exit_lags, verdict_lags, right, len(expected), len(ends), together.stats)


def measure(size: Size) -> LoadResult:
    """LOAD_SESSIONS sessions of one organization whose list limit is LOAD_LIST_LIMIT a minute."""
    world, sets = load_world(size.load_sets, size.load_scale)
    rounds = []
    with Emulator(world) as emu:
        with emu.client(timeout=30) as c:
            limits = {"get-simulation-unit-test-set-runs": LOAD_LIST_LIMIT}
            c.post("/_emulator/rate_limits", json={"limits": limits}).raise_for_status()
        for r in range(size.load_rounds):
            phase = LOAD_PHASES[r % len(LOAD_PHASES)] if size.load_rounds > 1 else None
            rounds.append(run_round(emu, sets, phase))
    return LoadResult(rounds)


def rows(f4: LoadResult) -> list[Row]:
    n = f"{LOAD_SESSIONS} sessions x list limit {LOAD_LIST_LIMIT}/min"
    median = statistics.median(f4.pooled("exit_lags"))
    right, items = sum(r.right for r in f4.rounds), sum(r.items for r in f4.rounds)
    return [
        Row(
            "f4",
            f"{n}: median set's last result -> its session's exit / the budget's fair poll "
            f"spacing ({LOAD_SESSIONS} x 60 s / {LOAD_LIST_LIMIT}; verdicts right: "
            f"{right}/{items})",
            seconds(median),
            seconds(FAIR_PACE),
            ratio(median, FAIR_PACE),
        ),
        count_row(
            "f5", f"{n}: HTTP 429 answers / all requests", f4.stats.rate_limited, f4.stats.total
        ),
    ]


def note(f4: LoadResult) -> str:
    ls, vs, stats = f4.pooled("exit_lags"), f4.pooled("verdict_lags"), f4.stats
    rounds = ", ".join(f"{statistics.median(r.exit_lags):.2f}" for r in f4.rounds)
    return (
        f"f4: {len(f4.rounds)} round(s) of {LOAD_SESSIONS} sessions, "
        f"{sum(r.sets for r in f4.rounds)} sets in all; last result -> exit: median "
        f"{statistics.median(ls):.2f} s (rounds: {rounds}), max {ls[-1]:.2f} s; "
        f"last result -> verdict: median {median_or_nan(vs):.2f} s; "
        f"list requests {stats.endpoint('get-simulation-unit-test-set-runs')}, artifacts "
        f"requests {stats.endpoint('get-simulation-unit-test-set-run-artifacts')}, evaluations "
        f"{stats.endpoint('get-metric-evaluation-results')}; goal: under {LOAD_GOAL_S:g} s "
        f"(ratio {LOAD_GOAL_S / FAIR_PACE:.2f}) without a 429."
    )
