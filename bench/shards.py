"""h1-h5 -- CI shards of one suite: the f suite's sets as one unsharded session, then as shards
started together sharing runs (the default), then as shards with ``--amigo-subset``, one after
another against one emulator: sessions simulated and runs created (the emulator's store), the
slowest shard's wall time, and whether every unit test was reported once, rightly."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bench import sessions
from bench.harness import NO_ARTIFACTS, PYTEST, RequestStats, Size
from bench.rows import Row, count_row, timed_row
from bench.worlds import CONC_SPEED, expected_outcome, shard_world
from pytest_amigo.emulator import Emulator

SHARD_SPLIT = ("--splitting-algorithm", "least_duration")
SHARD_GOAL_WALL = 1.10  # issue 19, part 3: the slowest shard within 10 % of an unsharded session
PHASES = ("whole", "shared", "subset")
UnitTest = tuple[int, int]  # (set, unit test)


@dataclass(frozen=True)
class ShardPhase:
    """Shards started together (or one unsharded session, key 0): per shard its wall time from
    the common start to its exit and its (unit test, outcome) reports; what the emulator's store
    holds of the phase's runs (times in seconds since the start) and temporary sets."""

    walls: dict[int, float]
    reports: dict[int, list[tuple[UnitTest, str]]]
    created: list[float]
    ends: dict[int, float]  # set k -> the latest end of its runs
    runs: int
    sessions: int
    temporary: int
    deleted: int
    stats: RequestStats


@dataclass(frozen=True)
class Checks:
    right: int  # reported by exactly one shard, as the unsharded session and rightly
    twice: int
    errors: int
    split: int  # sets whose unit tests more than one shard reported
    tail: float  # the slowest shard's exit after the last run of the sets it reports ended


@dataclass(frozen=True)
class ShardsResult:
    shards: int
    sets: int
    longest: float
    phases: dict[str, ShardPhase]
    checks: dict[str, Checks]

    @property
    def items(self) -> int:
        return self.sets * 2


def run_phase(emu: Emulator, sets: dict[str, int], shards: int, *extra: str) -> ShardPhase:
    """``shards`` pytest sessions of the whole suite started at once from one checkout, shard i
    running ``--splits shards --group i`` (pytest-split), or one plain session when ``shards``
    is 0; rate-limit counts reset first."""
    with emu.store.lock:
        runs_before, sets_before = set(emu.store.runs), set(emu.store.sets)
    # default poll interval: "2 30", as in f
    cmd = [
        *PYTEST,
        *NO_ARTIFACTS,
        *(f"--amigo-set={s}" for s in sorted(sets, key=sets.__getitem__)),
    ]
    split = ("--splits", str(shards), "--group")
    commands = {i: [*cmd, *extra, *split, str(i), *SHARD_SPLIT] for i in range(1, shards + 1)}
    together = sessions.run_phase(emu, commands or {0: [*cmd, *extra]}, shared=True, what="shard")
    start, to_epoch = together.start, sessions.epoch_clock(emu, CONC_SPEED)
    with emu.store.lock:
        runs = [r for rid, r in emu.store.runs.items() if rid not in runs_before]
        temporary = [d for sid, d in emu.store.sets.items() if sid not in sets_before]
        names = [emu.store.sets[r.set_id]["name"] for r in runs]
    # per set k, the latest end of its runs (a subset's name holds its set's), since the start
    ends: dict[int, float] = {}
    for run, name in zip(runs, names, strict=True):
        found = re.search(r"h-s(\d+)", name)
        if found is None:
            raise RuntimeError(f"run {run.id} of an unexpected set {name!r}")
        k = int(found.group(1))
        ends[k] = max(ends.get(k, 0.0), to_epoch(run.end) - start)
    return ShardPhase(
        {i: f.exit_at - start for i, f in together.finished.items()},
        {
            i: [
                ((k, u), r.outcome)
                for (k, u), r in sessions.item_keys(r"h-s(\d+)-u(\d+)", f.reports)
            ]
            for i, f in together.finished.items()
        },
        sorted(to_epoch(r.created) - start for r in runs),
        ends,
        len(runs),
        sum(u.run_count for r in runs for u in r.unit_tests),
        len(temporary),
        sum(1 for d in temporary if d.get("is_deleted")),
        together.stats,
    )


def verdicts(phase: ShardPhase) -> dict[UnitTest, list[tuple[int, str]]]:
    """(set, unit test) -> every (shard, outcome) that reported it."""
    out: dict[UnitTest, list[tuple[int, str]]] = {}
    for i, entries in phase.reports.items():
        for ku, outcome in entries:
            out.setdefault(ku, []).append((i, outcome))
    return out


def check(phase: ShardPhase, n_sets: int, reference: dict[UnitTest, str] | None) -> Checks:
    """``reference``: the unsharded session's verdicts (None: this is it)."""
    items = {(k, u): expected_outcome(k, u) for k in range(n_sets) for u in range(2)}
    got = verdicts(phase)
    right = sum(
        1
        for ku, want in items.items()
        if len(got.get(ku, [])) == 1
        and got[ku][0][1] == want
        and (reference is None or reference.get(ku) == want)
    )
    errors = sum(1 for v in got.values() for _, o in v if o == "error")
    shards_of = [{i for u in range(2) for i, _ in got.get((k, u), [])} for k in range(n_sets)]
    reported = {i: {k for (k, _u), v in got.items() for j, _o in v if j == i} for i in phase.walls}
    tail = max(
        wall - max((phase.ends[k] for k in reported[i]), default=0.0)
        for i, wall in phase.walls.items()
    )
    return Checks(
        right,
        sum(1 for v in got.values() if len(v) > 1),
        errors + sum(1 for ku in items if ku not in got),
        sum(1 for s in shards_of if len(s) > 1),
        tail,
    )


def measure(size: Size) -> ShardsResult | None:
    """None when the size skips h."""
    if not size.shards:
        return None
    world, sets, lengths = shard_world(size.shard_sets, size.shard_scale)
    with Emulator(world) as emu:
        phases = {
            "whole": run_phase(emu, sets, 0),
            "shared": run_phase(emu, sets, size.shards),
            "subset": run_phase(emu, sets, size.shards, "--amigo-subset"),
        }
    reference = {ku: v[0][1] for ku, v in verdicts(phases["whole"]).items() if len(v) == 1}
    checks = {
        label: check(phase, size.shard_sets, None if label == "whole" else reference)
        for label, phase in phases.items()
    }
    return ShardsResult(size.shards, size.shard_sets, max(lengths.values()), phases, checks)


def rows(h: ShardsResult | None) -> list[Row]:
    if h is None:
        return []
    whole, shared, subset = (h.phases[label] for label in PHASES)
    n = f"{h.shards} shards x {h.sets} sets started together"
    alone = whole.walls[0]
    return [
        count_row(
            "h1",
            f"sessions simulated, {n}, shared runs: across the shards / the suite's "
            "(unsharded session)",
            shared.sessions,
            whole.sessions,
        ),
        count_row(
            "h2",
            f"sessions simulated, {n}, --amigo-subset: across the shards / the suite's",
            subset.sessions,
            whole.sessions,
        ),
        count_row(
            "h3",
            f"runs created, {n}, shared runs: across the shards / unsharded session",
            shared.runs,
            whole.runs,
        ),
        timed_row(
            "h4",
            f"wall time, {n}, shared runs: slowest shard / unsharded session",
            max(shared.walls.values()),
            alone,
        ),
        timed_row(
            "h5",
            f"wall time, {n}, --amigo-subset: slowest shard / unsharded session",
            max(subset.walls.values()),
            alone,
        ),
    ]


SHARDS_SKIPPED = (
    "h1-h5 (4 shards of the f suite started together) skipped at size smoke: 9 pytest "
    "processes, 4 at a time, take ~20 s even on 2 short sets; run --size small or full."
)


def phase_note(h: ShardsResult, label: str) -> str:
    p, c = h.phases[label], h.checks[label]
    walls = ", ".join(f"{w:.2f}" for _, w in sorted(p.walls.items()))
    temporary = f", temporary sets {p.temporary} ({p.deleted} deleted)" if p.temporary else ""
    return (
        f"{label}: runs {p.runs}, sessions {p.sessions}{temporary}, reported once and right "
        f"{c.right}/{h.items} (twice: {c.twice}, errors: {c.errors}), sets split "
        f"across shards {c.split}/{h.sets}, 429 answers {p.stats.rate_limited} / "
        f"{p.stats.total} requests, runs created {p.created[0]:.2f}-"
        f"{p.created[-1]:.2f} s after the start, last run's end -> exit (slowest) "
        f"{c.tail:.2f} s, wall s {walls}"
    )


def note(h: ShardsResult | None) -> str:
    if h is None:
        return SHARDS_SKIPPED
    return (
        f"Shards (h): pytest-split --splits {h.shards} --group i --splitting-algorithm "
        f"least_duration (no durations file), one emulator, one API user, the f suite's "
        f"{h.sets} sets of 2 one-session unit tests (longest {h.longest:.2f} s); poll "
        f"interval: the default ('2 30'), speed {CONC_SPEED:g}, rate limits on. "
        + "; ".join(phase_note(h, label) for label in PHASES)
        + "."
    )
