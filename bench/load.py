"""f4, f4s, f5 -- pipelines under load (issue 18, case 8; issue 24): sessions of one
organization sharing a tight list limit, with the plugin's defaults; per set, its last result ->
its session's exit, for sets of 90-135 s (f4) and of 6-8 s (f4s: they end before the sessions'
first polls have spread out), and the HTTP 429 answers of both (f5)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench import sessions
from bench.harness import PYTEST, RequestStats, Size
from bench.rows import Row, count_row, median_or_nan, ratio, seconds
from bench.worlds import (
    LOAD_DURATIONS,
    LOAD_LIST_LIMIT,
    LOAD_SESSIONS,
    LOAD_SHORT_DURATIONS,
    LOAD_SPEED,
    SetKeys,
    load_world,
)
from pytest_amigo.emulator import Emulator

# Seconds into the (epoch-aligned) rate-limit minute at which round r starts: the lags depend on
# where the sets end in the window, so the rounds are pinned (full size: two, half a minute apart).
LOAD_PHASES = [5.0, 35.0]
LOAD_GOAL_S = 30.0  # issue 18, case 8: under 30 s (42-44 s when filed)
FAIR_PACE = 60.0 * LOAD_SESSIONS / LOAD_LIST_LIMIT  # seconds between one session's list polls
SHORT_GOAL = 1.0  # f4s: a set's last result -> exit within one fair spacing (issue 24: 42 / 20)
LIST_RUNS = "get-simulation-unit-test-set-runs"


@dataclass(frozen=True)
class LoadRound:
    exit_lags: list[float]  # per set: its session's exit - its run's completion
    verdict_lags: list[float]  # per set: its last item's report - its run's completion
    right: int
    items: int
    sets: int
    stats: RequestStats


@dataclass(frozen=True)
class LoadCase:
    """The rounds of one kind of set, and the fair poll spacing of the budget in force:
    LOAD_SESSIONS x the window / the list limit, as the emulator answered them when the limit
    was set (the baseline of f4 and f4s)."""

    rounds: list[LoadRound]
    fair_pace: float
    lengths: tuple[float, float]  # the shortest and the longest set, real seconds

    def pooled(self, lags: str) -> list[float]:
        return sorted(x for r in self.rounds for x in getattr(r, lags))

    @property
    def stats(self) -> RequestStats:
        return RequestStats.summed([r.stats for r in self.rounds])

    @property
    def right(self) -> tuple[int, int]:
        """Verdicts right / items."""
        return sum(r.right for r in self.rounds), sum(r.items for r in self.rounds)


@dataclass(frozen=True)
class LoadResult:
    long: LoadCase  # f4: sets of 90-135 s (size full)
    short: LoadCase  # f4s: sets of 6-8 s

    @property
    def stats(self) -> RequestStats:
        return RequestStats.summed([self.long.stats, self.short.stats])


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


def measure_case(
    n_sets: int, scale: float, durations: list[float], rounds: int, pinned: bool
) -> LoadCase:
    """``rounds`` rounds of LOAD_SESSIONS sessions of one organization whose list limit is
    LOAD_LIST_LIMIT a minute, each of ``n_sets`` sets lasting ``durations`` x ``scale``; each
    round started at its LOAD_PHASES second of a minute when ``pinned``."""
    world, sets = load_world(n_sets, scale, durations)
    done = []
    with Emulator(world) as emu:
        with emu.client(timeout=30) as c:
            answer = c.post("/_emulator/rate_limits", json={"limits": {LIST_RUNS: LOAD_LIST_LIMIT}})
            answer.raise_for_status()
            policy = answer.json()
        for r in range(rounds):
            phase = LOAD_PHASES[r % len(LOAD_PHASES)] if pinned else None
            done.append(run_round(emu, sets, phase))
    fair = LOAD_SESSIONS * policy["window"] / policy["limits"][LIST_RUNS]
    lengths = [d * scale / LOAD_SPEED for d in durations[:LOAD_SESSIONS]]
    return LoadCase(done, fair, (min(lengths), max(lengths)))


def measure(size: Size) -> LoadResult:
    """f4 (the long sets, scaled down below size full) and f4s (the short sets, pinned to a
    second of the minute; scaled down and started at once at the smoke size, which only checks
    that it runs)."""
    long = measure_case(
        size.load_sets, size.load_scale, LOAD_DURATIONS, size.load_rounds, size.load_rounds > 1
    )
    short = measure_case(
        size.short_sets,
        size.short_scale,
        LOAD_SHORT_DURATIONS,
        size.short_rounds,
        size.name != "smoke",
    )
    return LoadResult(long, short)


def rows(f4: LoadResult) -> list[Row]:
    n = f"{LOAD_SESSIONS} sessions x list limit {LOAD_LIST_LIMIT}/min"
    out = []
    for id_, case in (("f4", f4.long), ("f4s", f4.short)):
        what = f"{case.lengths[0]:.3g}-{case.lengths[1]:.3g} s"
        median = statistics.median(case.pooled("exit_lags"))
        right, items = case.right
        out.append(
            Row(
                id_,
                f"{n}, sets of {what}: median set's last result -> its session's exit / the "
                f"budget's fair poll spacing ({LOAD_SESSIONS} x 60 s / {LOAD_LIST_LIMIT}; "
                f"verdicts right: {right}/{items})",
                seconds(median),
                seconds(case.fair_pace),
                ratio(median, case.fair_pace),
            )
        )
    out.append(
        count_row(
            "f5",
            f"{n}: HTTP 429 answers / all requests (f4, f4s)",
            f4.stats.rate_limited,
            f4.stats.total,
        )
    )
    return out


def note(f4: LoadResult) -> str:
    return " ".join(
        case_note(name, case) for name, case in (("f4", f4.long), ("f4s", f4.short))
    ) + (
        f" Goals: f4 under {LOAD_GOAL_S:g} s (ratio {LOAD_GOAL_S / FAIR_PACE:.2f}), f4s within "
        f"one fair spacing (ratio {SHORT_GOAL:.2f}), without a 429."
    )


def case_note(name: str, case: LoadCase) -> str:
    ls, vs, stats = case.pooled("exit_lags"), case.pooled("verdict_lags"), case.stats
    rounds = ", ".join(f"{statistics.median(r.exit_lags):.2f}" for r in case.rounds)
    return (
        f"{name}: {len(case.rounds)} round(s) of {LOAD_SESSIONS} sessions, "
        f"{sum(r.sets for r in case.rounds)} sets in all; last result -> exit: median "
        f"{statistics.median(ls):.2f} s (rounds: {rounds}), max {ls[-1]:.2f} s; "
        f"last result -> verdict: median {median_or_nan(vs):.2f} s; "
        f"list requests {stats.endpoint(LIST_RUNS)}, artifacts "
        f"requests {stats.endpoint('get-simulation-unit-test-set-run-artifacts')}, evaluations "
        f"{stats.endpoint('get-metric-evaluation-results')}, 429 {stats.rate_limited}."
    )
