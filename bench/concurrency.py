"""f1, f2, f3 -- concurrent sessions of one organization: 8 pytest sessions x 5 sets at once
against one emulator (limits on), against lone sessions of the same 5 sets one after another in
the same run; f4, f5 (bench.load) run with them at every size."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench import load, sessions
from bench.harness import NO_ARTIFACTS, PYTEST, RequestStats, Size
from bench.rows import Row, count_row, median_or_nan, ratio, seconds
from bench.worlds import (
    CONC_FAILING,
    CONC_LONE,
    CONC_SESSIONS,
    CONC_SETS,
    CONC_SPEED,
    SetKeys,
    concurrency_world,
    expected_outcome,
)
from pytest_amigo.emulator import Emulator

Item = tuple[int, int, int]  # (group, set, unit test)
Verdicts = dict[Item, str]


@dataclass(frozen=True)
class Phase:
    """Sessions run together (or, merged, one after another): per set (k, lag from its run's
    completion to its verdict), each item's verdict, the requests and the wall time."""

    lags: list[tuple[int, float]]
    verdicts: Verdicts
    sets: int
    wall: float
    stats: RequestStats

    def median_lag(self, failing: bool | None = None) -> float:
        """Median lag of every set, or of the sets with (True) / without (False) a failure."""
        return median_or_nan(
            [lag for k, lag in self.lags if failing is None or (k in CONC_FAILING) == failing]
        )

    @staticmethod
    def merged(phases: list[Phase]) -> Phase:
        """One after another, as one: lags and verdicts pooled, requests and wall summed."""
        return Phase(
            [lag for p in phases for lag in p.lags],
            {item: v for p in phases for item, v in p.verdicts.items()},
            sum(p.sets for p in phases),
            sum(p.wall for p in phases),
            RequestStats.summed([p.stats for p in phases]),
        )


@dataclass(frozen=True)
class ConcurrentResult:
    lone: Phase
    concurrent: Phase
    right: int  # concurrent items whose verdict is the lone sessions' and the expected one
    items: int
    lone_right: int
    lone_items: int
    errors: dict[str, int]  # phase label -> items reported as errors plus items never reported


@dataclass(frozen=True)
class FResult:
    """f: f1-f3 (None below size full) and f4, f5."""

    load: load.LoadResult
    concurrent: ConcurrentResult | None


def completions(emu: Emulator, sets: SetKeys) -> dict[tuple[int, int], float]:
    """(group, set) -> epoch seconds at which its run completed (the emulator's run end)."""
    to_epoch = sessions.epoch_clock(emu, CONC_SPEED)
    with emu.store.lock:
        runs = [r for r in emu.store.runs.values() if r.set_id in sets]
    ends = {sets[r.set_id]: to_epoch(r.end) for r in runs}
    if len(runs) != len(ends):
        raise RuntimeError("more than one run of a set")
    return ends


def run_phase(emu: Emulator, members: list[int], sets: SetKeys) -> Phase:
    """The sessions of ``members`` at once (one project each, the default poll interval "2 30"),
    rate-limit counts reset (a phase starts anywhere in a minute), and what they did."""
    ordered = sorted(sets, key=sets.__getitem__)
    commands = {
        g: [*PYTEST, *NO_ARTIFACTS, *(f"--amigo-set={s}" for s in ordered if sets[s][0] == g)]
        for g in members
    }
    together = sessions.run_phase(emu, commands)
    reports = together.keyed(r"c-g(\d+)-s(\d+)-u(\d+)")
    ends = {gk: t for gk, t in completions(emu, sets).items() if gk[0] in members}
    lags = []
    for (g, k), end in sorted(ends.items()):
        ats = [reports[(g, k, u)].at for u in range(2) if (g, k, u) in reports]
        if len(ats) == 2:
            lags.append((k, max(ats) - end))
    verdicts = {(g, k, u): r.outcome for (g, k, u), r in reports.items() if g in members}
    return Phase(lags, verdicts, len(ends), together.wall, together.stats)


def items_of(groups: list[int]) -> list[Item]:
    return [(g, k, u) for g in groups for k in range(CONC_SETS) for u in range(2)]


def errors(phase: Phase, count: int) -> int:
    """Items reported as errors, plus items that never reported."""
    return sum(1 for v in phase.verdicts.values() if v == "error") + count - len(phase.verdicts)


def measure_concurrent() -> ConcurrentResult:
    """8 pytest sessions x 5 sets at once against one emulator (limits on, one organization),
    and, in the same emulator just before, CONC_LONE lone sessions one after another."""
    world, sets = concurrency_world()
    groups = list(range(CONC_SESSIONS))
    lone_groups = list(range(CONC_SESSIONS, CONC_SESSIONS + CONC_LONE))
    with Emulator(world) as emu:
        lone = Phase.merged([run_phase(emu, [g], sets) for g in lone_groups])
        conc = run_phase(emu, groups, sets)
    lone_items = items_of(lone_groups)
    lone_ok = {
        item for item in lone_items if lone.verdicts.get(item) == expected_outcome(*item[1:])
    }
    # a unit test the lone sessions all got right: the reference the concurrent verdicts match
    reference = {(k, u) for _, k, u in lone_items if all((g, k, u) in lone_ok for g in lone_groups)}
    items = items_of(groups)
    right = sum(
        1
        for g, k, u in items
        if (k, u) in reference and conc.verdicts.get((g, k, u)) == expected_outcome(k, u)
    )
    return ConcurrentResult(
        lone,
        conc,
        right,
        len(items),
        len(lone_ok),
        len(lone_items),
        {"lone": errors(lone, len(lone_items)), "concurrent": errors(conc, len(items))},
    )


def measure(size: Size) -> FResult:
    """f4, f5 at every size (the smoke size only checks they run); f1-f3 at size full."""
    loaded = load.measure(size)
    return FResult(loaded, measure_concurrent() if size.name == "full" else None)


def rows(f: FResult) -> list[Row]:
    if f.concurrent is None:
        return load.rows(f.load)
    lone, conc = f.concurrent.lone, f.concurrent.concurrent
    n = f"{CONC_SESSIONS} sessions x {CONC_SETS} sets"
    return [
        Row(
            "f1",
            f"{n}, one org: median set completion -> verdict, concurrent / lone sessions",
            seconds(conc.median_lag()),
            seconds(lone.median_lag()),
            ratio(conc.median_lag(), lone.median_lag()),
        ),
        count_row(
            "f2",
            f"{n}: verdicts equal to the lone sessions' and right / items "
            f"(errors: {f.concurrent.errors['concurrent']})",
            f.concurrent.right,
            f.concurrent.items,
        ),
        count_row(
            "f3",
            f"{n}: HTTP 429 answers absorbed / all requests",
            conc.stats.rate_limited,
            conc.stats.total,
        ),
        *load.rows(f.load),
    ]


def table_row(label: str, phase: Phase, sessions: str, errors: int) -> str:
    ls = sorted(lag for _, lag in phase.lags)
    p90 = ls[min(len(ls) - 1, math.ceil(0.9 * len(ls)) - 1)] if ls else float("nan")
    stats = phase.stats
    return (
        f"| {label} | {sessions} | {phase.sets} | {phase.median_lag():.2f} | "
        f"{phase.median_lag(False):.2f} | {phase.median_lag(True):.2f} | {p90:.2f} | "
        f"{max(ls, default=float('nan')):.2f} | {errors} | "
        f"{stats.rate_limited} | {stats.endpoint('create-simulation-unit-test-set-run')} | "
        f"{stats.endpoint('get-simulation-unit-test-set-runs')} | "
        f"{stats.endpoint('get-metric-evaluation-results')} | {stats.total} | "
        f"{phase.wall:.1f} |"
    )


def table(f: FResult) -> list[str]:
    """The lone and concurrent phases side by side (nothing below size full)."""
    c = f.concurrent
    if c is None:
        return []
    ratios = (ratio(c.concurrent.median_lag(k), c.lone.median_lag(k)) for k in (None, False, True))
    return [
        "",
        "### Concurrent sessions of one organization (f)",
        "",
        "Lags in seconds (set completion -> verdict); all: every set, pass: sets whose unit "
        "tests pass, fail: sets with a failing unit test (their verdict waits for the judges' "
        "justifications, 10 requests a minute per organization).",
        "",
        "| phase | sessions | sets | median all | median pass | median fail | p90 | max | "
        "errors | 429 | creates | polls | evaluations | requests | wall s |",
        "|-------|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        table_row("lone", c.lone, f"{CONC_LONE}, one at a time", c.errors["lone"]),
        table_row("concurrent", c.concurrent, f"{CONC_SESSIONS} at once", c.errors["concurrent"]),
        "| concurrent / lone | | | " + " | ".join(ratios) + " | | | | | | | | | | |",
        "",
        f"Lag: report time of a set's last item (recorded by a conftest hook) minus the "
        f"emulator's completion time of its run. Lone: {CONC_LONE} sessions of the same "
        f"{CONC_SETS} sets one after another, each with the rate-limit counts reset; their "
        f"requests and wall times are summed. Lone verdicts right: {c.lone_right} / "
        f"{c.lone_items}. Poll interval: the default ('2 30'); emulator speed "
        f"{CONC_SPEED:g}; rate limits on (per organization, shared by all sessions).",
    ]


CONCURRENT_SKIPPED = (
    "f1-f3 (8 concurrent sessions x 5 sets) skipped below size full: 40 run creations at the "
    "documented 20 a minute need two rate-limit windows (~2-3 min); run --size full."
)


def notes(f: FResult) -> list[str]:
    return [load.note(f.load), *([CONCURRENT_SKIPPED] if f.concurrent is None else [])]
