"""Figures of docs/stages.md: the sequential design's error, power and sessions, by exact
computation and by simulation (pure statistics, no emulator), and the old --amigo-resample
rule's error. Run: .venv/bin/python scripts/stage_simulation.py (about a minute)."""

from __future__ import annotations

import math

import numpy as np

from pytest_amigo.judging.curtail import SoFar, StageRule
from pytest_amigo.judging.curtail import decide as curtail_decide
from pytest_amigo.judging.sequential import (
    characteristics,
    decide,
    design,
    resample_looks,
    wilson_design,
)

REPLICATIONS = 10_000
MIX = [0.3 + 0.7 * i / 19 for i in range(20)]  # 20 unit tests, pass rates 0.3 to 1.0


def simulated_pass(plan, p: float, seed: int) -> float:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    looks = [look.sessions for look in plan.looks]
    paths = np.cumsum(rng.binomial(np.diff([0, *looks]), p, (REPLICATIONS, len(looks))), axis=1)
    passed = 0
    for path in paths:
        for k, s in enumerate(path):
            decision = decide(plan, k, int(s))
            if decision.decided:
                passed += decision.outcome == "passed"
                break
    return passed / REPLICATIONS


def curtailed_share(rate: float | None, sizes: tuple[int, ...]) -> float:
    """Expected sessions in stages of ``sizes`` under curtailment over the fixed run count, on
    MIX, exact (every path of passes and failures; no errored sessions)."""
    run_count, total = sum(sizes), 0.0
    for p in MIX:
        going = {(0, 0): 1.0}  # (passed, failed) -> chance, on paths still undecided
        for size in sizes:
            total += sum(going.values()) * size
            after: dict[tuple[int, int], float] = {}
            for (c, f), chance in going.items():
                for x in range(size + 1):
                    state = (c + x, f + size - x)
                    q = chance * math.comb(size, x) * p**x * (1 - p) ** (size - x)
                    if not curtail_decide(StageRule(run_count, rate), SoFar(*state)).decided:
                        after[state] = after.get(state, 0.0) + q
            going = after
    return total / len(MIX) / run_count


def main() -> None:
    print("curtailment, run count 10, 20 unit tests with pass rates 0.3-1.0: sessions / fixed")
    print("| min pass rate | 2 stages (5+5) | 3 stages (4+3+3) | 10 stages (1 each) |")
    print("|---|---|---|---|")
    for rate in (None, 0.5, 0.7, 0.8, 0.9):
        shares = [curtailed_share(rate, sizes) for sizes in ((5, 5), (4, 3, 3), (1,) * 10)]
        print(f"| {rate or 'every session'} | " + " | ".join(f"{x:.3f}" for x in shares) + " |")
    print("\nconfidence 0.95 (alpha 0.025 a side), Pocock-type spending, futility 0.1:")
    print("| rate | looks | error exact | error sim | power | fixed power | E sessions / fixed |")
    print("|---|---|---|---|---|---|---|")
    for rate in (0.6, 0.7, 0.8):
        for looks in ((10, 20), (10, 20, 30), (10, 20, 30, 40)):
            plan, fixed = design(rate, 0.95, looks), design(rate, 0.95, looks[-1:])
            alt = (rate + 1) / 2
            mix = sum(characteristics(plan, p).expected_sessions for p in MIX) / len(MIX)
            print(
                f"| {rate} | {looks} | {characteristics(plan, rate).passed:.4f} | "
                f"{simulated_pass(plan, rate, 26):.4f} | {characteristics(plan, alt).passed:.4f} | "
                f"{characteristics(fixed, alt).passed:.4f} | {mix / looks[-1]:.3f} |"
            )
    print("\nold --amigo-resample (Wilson re-checked each round) vs the design, run count 10,")
    print("resample 10, 3 rounds, confidence 0.95, true pass rate = the minimum:")
    print("| rate | old exact | old sim | fixed Wilson at 10 | new exact | new sim |")
    print("|---|---|---|---|---|---|")
    looks = resample_looks(10, 10, 3)
    for rate in (0.5, 0.6, 0.7, 0.8):
        old, new = wilson_design(rate, 0.95, looks), design(rate, 0.95, looks)
        once = characteristics(wilson_design(rate, 0.95, looks[:1]), rate).passed
        print(
            f"| {rate} | {characteristics(old, rate).passed:.4f} | "
            f"{simulated_pass(old, rate, 1):.4f}"
            f" | {once:.4f} | {characteristics(new, rate).passed:.4f} | "
            f"{simulated_pass(new, rate, 2):.4f} |"
        )


if __name__ == "__main__":
    main()
