"""The emulator worlds of the measurements, and the constants that shape them."""

from __future__ import annotations

from typing import Any

from bench.harness import SPEED
from pytest_amigo.emulator import World, derive_id

SETS_PAGE, UNIT_TESTS_PAGE = 20, 500  # largest pages the emulator's list endpoints allow
METRICS = [
    {"name": "Done", "type": "boolean"},
    {"name": "Score", "type": "numerical", "lower_bound": 0, "upper_bound": 10},
]
CRITERIA = [
    {"name": "Done", "metric": "Done", "expected": True},
    {"name": "Score", "metric": "Score", "verb": ">=", "threshold": 5},
]

# f: concurrent sessions of one organization
CONC_SESSIONS, CONC_SETS = 8, 5
# The reference: lone sessions of the same 5 sets, one after another before the concurrent phase.
# f1 swung between runs (1.40-1.58 on the code of 2026-11-23); three lone sessions in one run
# gave the same lags to the hundredth (2026-11-24): the spread comes from the concurrent phase.
CONC_LONE = 3
CONC_SPEED = 10.0
CONC_DURATIONS = [80.0, 140.0, 200.0, 260.0, 320.0]  # world seconds of set k (8..32 real s)
CONC_FAILING = (1, 3)  # in these sets the second unit test fails its "Done" criterion

# f4, f5: pipelines under load: sessions sharing a tight list limit, last result -> exit
LOAD_SESSIONS = 4
LOAD_LIST_LIMIT = 12  # get-simulation-unit-test-set-runs, a minute, for the organization
LOAD_SPEED = 10.0
# World seconds of session g's sets (90..135 real s): long enough for the polls to back off as
# far as they will, as in real pipelines whose simulations take minutes.
LOAD_DURATIONS = [900.0, 1050.0, 1200.0, 1350.0]
LOAD_ARTIFACTS_DELAY = 50.0  # world seconds from a run's completion to its artifacts (5 real s)
# The short-set case (issue 24): sets of 6-8 real s end before the sessions' first polls have
# spread out; the long sets above hide what those first polls cost.
LOAD_SHORT_DURATIONS = [60.0, 200.0 / 3, 220.0 / 3, 80.0]

# g: A/B in one job (--amigo-compare)
AB_UNIT_TESTS = 2  # per set
AB_RUN_COUNT = 3  # sessions of each unit test, on each side
AB_CANDIDATE, AB_REFERENCE = "pr-1", "release"

SetKeys = dict[str, tuple[int, int]]  # set id -> (group, set)


def bench_unit_test(
    name: str, duration: float, *, done: bool = True, scenario: str = "Bench scenario"
) -> dict[str, Any]:
    """A unit test of the bench worlds: one scripted session of ``duration`` world seconds that
    meets its "Done" criterion, or (``done=False``) fails it."""
    return plain_unit_test(name, duration) | {
        "scenario": scenario,
        "sessions": [{"duration": duration, "values": {"Done": done, "Score": 8}}],
    }


def plain_unit_test(name: str, duration: float) -> dict[str, Any]:
    """A unit test of the bench persona and scenario without scripted sessions."""
    return {
        "name": name,
        "persona": "Bench persona",
        "scenario": "Bench scenario",
        "duration": duration,
        "criteria": CRITERIA,
    }


def bench_world(
    source: str,
    emulator: dict[str, Any],
    unit_tests: list[dict[str, Any]],
    sets: list[dict[str, Any]],
    **more: Any,
) -> World:
    """A bench world: the bench persona, scenario and metrics, ``more`` top-level tables
    (services, other scenarios) over those."""
    data: dict[str, Any] = {
        "emulator": emulator,
        "metrics": METRICS,
        "personas": [{"name": "Bench persona"}],
        "scenarios": [{"name": "Bench scenario"}],
        **more,
        "unit_tests": unit_tests,
        "sets": sets,
    }
    return World.from_dict(data, source=source)


def durations(n: int) -> list[float]:
    """n world durations spread evenly over 2..20 seconds."""
    if n == 1:
        return [20.0]
    return [round(2 + 18 * i / (n - 1), 3) for i in range(n)]


def timed_world(n: int) -> tuple[World, list[str], list[float]]:
    """n sets of one unit test (one session) each; set i lasts durations(n)[i] world seconds."""
    ds = durations(n)
    world = bench_world(
        "bench:timed",
        {"speed": SPEED, "artifacts_delay": 0},
        [bench_unit_test(f"timed-{i:02d}", d) for i, d in enumerate(ds)],
        [
            {"name": f"timed-set-{i:02d}", "unit_tests": [{"unit_test": f"timed-{i:02d}"}]}
            for i in range(n)
        ],
    )
    ids = [derive_id("set", f"timed-set-{i:02d}") for i in range(n)]
    return world, ids, ds


def collection_world(n_sets: int, n_tests: int) -> tuple[World, list[str]]:
    """n_sets sets of n_tests distinct unit tests (run_count 1, no scripted sessions)."""
    unit_tests = [
        plain_unit_test(f"ut-{s:03d}-{u:03d}", 1) for s in range(n_sets) for u in range(n_tests)
    ]
    sets = [
        {
            "name": f"col-set-{s:03d}",
            "unit_tests": [
                {"unit_test": f"ut-{s:03d}-{u:03d}", "run_count": 1} for u in range(n_tests)
            ],
        }
        for s in range(n_sets)
    ]
    ids = [derive_id("set", f"col-set-{s:03d}") for s in range(n_sets)]
    return bench_world("bench:collection", {}, unit_tests, sets), ids


def artifact_world(padding: int) -> World:
    """One set of one unit test whose run's artifacts zip carries ``padding`` bytes."""
    return bench_world(
        "bench:artifact",
        {"artifact_padding_bytes": padding, "artifacts_delay": 1},
        [plain_unit_test("artifact", 5)],
        [{"name": "artifact-set", "unit_tests": ["artifact"]}],
    )


def expected_outcome(k: int, u: int) -> str:
    """The verdict of unit test u of set k in the f and h worlds."""
    return "failed" if u == 1 and k in CONC_FAILING else "passed"


def two_test_set(
    prefix: str, duration: float, failing: bool, unit_tests: list[dict[str, Any]]
) -> dict[str, Any]:
    """A set ``prefix`` of two one-session unit tests ``prefix-u0``, ``prefix-u1`` (appended to
    ``unit_tests``), both lasting ``duration``; the second fails "Done" when ``failing``."""
    names = [f"{prefix}-u{u}" for u in range(2)]
    for u, name in enumerate(names):
        unit_tests.append(bench_unit_test(name, duration, done=not (u == 1 and failing)))
    return {"name": prefix, "unit_tests": [{"unit_test": n} for n in names]}


def concurrency_world() -> tuple[World, SetKeys]:
    """Groups 0..7 (one per concurrent session) and 8.. (one per lone session) of the same 5 sets.

    Set k of every group holds two unit tests of one session each: ``c-g<g>-s<k>-u0`` passes,
    ``...-u1`` passes except in CONC_FAILING; both last CONC_DURATIONS[k] world seconds."""
    unit_tests: list[dict[str, Any]] = []
    sets, ids = [], {}
    for g in range(CONC_SESSIONS + CONC_LONE):
        for k, d in enumerate(CONC_DURATIONS):
            sets.append(two_test_set(f"c-g{g}-s{k}", d, k in CONC_FAILING, unit_tests))
            ids[derive_id("set", f"c-g{g}-s{k}")] = (g, k)
    world = bench_world(
        "bench:concurrent", {"speed": CONC_SPEED, "artifacts_delay": 0}, unit_tests, sets
    )
    return world, ids


def load_world(
    n_sets: int, scale: float, durations: list[float] = LOAD_DURATIONS
) -> tuple[World, SetKeys]:
    """LOAD_SESSIONS groups of ``n_sets`` sets; set k of group g holds two unit tests of one
    session each, both lasting ``durations[g]`` x ``scale`` world seconds; in set 0 the second
    fails its "Done" criterion (its verdict needs a justification, 10 requests a minute)."""
    unit_tests: list[dict[str, Any]] = []
    sets, ids = [], {}
    for g in range(LOAD_SESSIONS):
        d = durations[g % len(durations)] * scale
        for k in range(n_sets):
            sets.append(two_test_set(f"l-g{g}-s{k}", d, k == 0, unit_tests))
            ids[derive_id("set", f"l-g{g}-s{k}")] = (g, k)
    world = bench_world(
        "bench:load",
        {"speed": LOAD_SPEED, "artifacts_delay": LOAD_ARTIFACTS_DELAY * scale},
        unit_tests,
        sets,
    )
    return world, ids


def shard_world(n_sets: int, scale: float) -> tuple[World, dict[str, int], dict[str, float]]:
    """One group of the f suite: sets k = 0..n_sets-1 of two one-session unit tests, both lasting
    CONC_DURATIONS[k] x ``scale`` world seconds (emulator speed CONC_SPEED), the second failing
    its "Done" criterion in CONC_FAILING. Returns the world, set id -> k, and set id -> its
    length in real seconds."""
    unit_tests: list[dict[str, Any]] = []
    sets, ids, lengths = [], {}, {}
    for k in range(n_sets):
        d = CONC_DURATIONS[k] * scale
        sets.append(two_test_set(f"h-s{k}", d, k in CONC_FAILING, unit_tests))
        set_id = derive_id("set", f"h-s{k}")
        ids[set_id] = k
        lengths[set_id] = d / CONC_SPEED
    world = bench_world(
        "bench:shards", {"speed": CONC_SPEED, "artifacts_delay": 0}, unit_tests, sets
    )
    return world, ids, lengths


def ab_world(n: int, speed: float = SPEED) -> tuple[World, list[str], list[float]]:
    """n sets of AB_UNIT_TESTS unit tests (AB_RUN_COUNT sessions each), set i lasting
    durations(n)[i] world seconds, on a service whose candidate version set runs another agent
    version: the same sessions on both sides, so what differs between the two pytest sessions
    of g is only the reference side."""
    ds = durations(n)
    names = [[f"ab-{i:02d}-{u}" for u in range(AB_UNIT_TESTS)] for i in range(n)]
    world = bench_world(
        "bench:ab",
        {"speed": speed, "artifacts_delay": 0},
        [
            bench_unit_test(name, ds[i], scenario=f"Scenario {name}")
            for i, row in enumerate(names)
            for name in row
        ],
        [
            {
                "name": f"ab-set-{i:02d}",
                "unit_tests": [{"unit_test": name, "run_count": AB_RUN_COUNT} for name in row],
            }
            for i, row in enumerate(names)
        ],
        services=[
            {
                "name": "Bench service",
                "version_sets": [
                    {"name": AB_REFERENCE},
                    {"name": AB_CANDIDATE, "agent_version": 2},
                ],
            }
        ],
        # a scenario per unit test: a copy on the candidate behaves like its own original
        # (the emulator's twin rule), so it lasts as long
        scenarios=[{"name": f"Scenario {name}"} for row in names for name in row],
    )
    ids = [derive_id("set", f"ab-set-{i:02d}") for i in range(n)]
    return world, ids, ds
