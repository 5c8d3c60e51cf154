"""pytest-amigo benchmarks against the bundled emulator; prints Markdown tables.

    python bench/run.py [--size smoke|small|full] [--only a,b,c,d,e,f,g,h]

Every figure is a ratio against a baseline measured in the same run (see bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from pytest_amigo.emulator import Emulator, World, derive_id

PY = sys.executable
SPEED = 10.0  # world seconds per real second for measurements a and b
POLL_INI = "amigo_poll_interval=0.2 1"
POLL_MIN, POLL_MAX = 0.2, 1.0
LIST_RUNS_PER_MINUTE = 50  # documented limit of get-simulation-unit-test-set-runs
# The plugin never polls faster than the list endpoint's documented limit allows (coordinator.py);
# the sequential baseline applies the same floor so both pay the same polling granularity.
POLL_FLOOR = 60.0 / LIST_RUNS_PER_MINUTE * 1.05
SETS_PAGE, UNIT_TESTS_PAGE = 20, 500  # largest pages the emulator's list endpoints allow
MB = 1024 * 1024


@dataclass(frozen=True)
class Size:
    name: str
    sets: int  # a, b: sets with known durations
    col_sets: int  # c: sets ...
    col_tests: int  # ... of this many unit tests each
    artifact_mb: int  # d
    startups: int = 5  # e: start-ups of each kind (alternating)
    ab_sets: int = 4  # g: sets of AB_UNIT_TESTS unit tests (both sides' creates within a minute)
    ab_rounds: int = 1  # g: sessions of each kind (alternating)
    ab_speed: float = SPEED  # g: emulator speed (the smoke size only checks that g runs)
    load_sets: int = 3  # f4: sets per session
    load_rounds: int = 1  # f4: rounds (each at its own second of the minute, see LOAD_PHASES)
    load_scale: float = 1.0  # f4: durations and artifacts delay scaled (smoke, small: shorter)
    shards: int = 4  # h: shards of the suite started together (0: h skipped)
    shard_sets: int = 5  # h: sets of the f suite (CONC_DURATIONS[:shard_sets])
    shard_scale: float = 1.0  # h: their durations scaled (smoke: shorter)


SIZES = {
    # smoke: that every measurement runs and prints (tests/bench), not figures to read
    "smoke": Size(
        "smoke",
        sets=2,
        col_sets=3,
        col_tests=3,
        artifact_mb=2,
        startups=2,
        ab_sets=2,
        ab_speed=4 * SPEED,
        load_sets=1,
        load_scale=0.025,
        shards=0,  # 9 pytest processes, 4 at a time: ~20 s even on 2 short sets
    ),
    "small": Size(
        "small",
        sets=4,
        col_sets=10,
        col_tests=10,
        artifact_mb=20,
        load_sets=2,
        load_scale=0.25,
        shard_scale=0.25,
    ),
    "full": Size(
        "full",
        sets=20,
        col_sets=100,
        col_tests=100,
        artifact_mb=200,
        startups=15,
        ab_sets=8,
        ab_rounds=5,
    ),
}

METRICS = [
    {"name": "Done", "type": "boolean"},
    {"name": "Score", "type": "numerical", "lower_bound": 0, "upper_bound": 10},
]
CRITERIA = [
    {"name": "Done", "metric": "Done", "expected": True},
    {"name": "Score", "metric": "Score", "verb": ">=", "threshold": 5},
]


def bench_unit_test(
    name: str, duration: float, *, done: bool = True, scenario: str = "Bench scenario"
) -> dict[str, Any]:
    """A unit test of the bench worlds: one scripted session of ``duration`` world seconds that
    meets its "Done" criterion, or (``done=False``) fails it."""
    return {
        "name": name,
        "persona": "Bench persona",
        "scenario": scenario,
        "duration": duration,
        "criteria": CRITERIA,
        "sessions": [{"duration": duration, "values": {"Done": done, "Score": 8}}],
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
    data: dict[str, Any] = {
        "metrics": METRICS,
        "personas": [{"name": "Bench persona"}],
        "scenarios": [{"name": "Bench scenario"}],
        "unit_tests": [
            {
                "name": f"ut-{s:03d}-{u:03d}",
                "persona": "Bench persona",
                "scenario": "Bench scenario",
                "duration": 1,
                "criteria": CRITERIA,
            }
            for s in range(n_sets)
            for u in range(n_tests)
        ],
        "sets": [
            {
                "name": f"col-set-{s:03d}",
                "unit_tests": [
                    {"unit_test": f"ut-{s:03d}-{u:03d}", "run_count": 1} for u in range(n_tests)
                ],
            }
            for s in range(n_sets)
        ],
    }
    ids = [derive_id("set", f"col-set-{s:03d}") for s in range(n_sets)]
    return World.from_dict(data, source="bench:collection"), ids


# f: concurrent sessions of one organization
CONC_SESSIONS, CONC_SETS = 8, 5
# The reference: lone sessions of the same 5 sets, one after another before the concurrent phase.
# f1 swung between runs (1.40-1.58 on the code of 2026-11-23); three lone sessions in one run
# gave the same lags to the hundredth (2026-11-24): the spread comes from the concurrent phase.
CONC_LONE = 3
CONC_SPEED = 10.0
CONC_DURATIONS = [80.0, 140.0, 200.0, 260.0, 320.0]  # world seconds of set k (8..32 real s)
CONC_FAILING = (1, 3)  # in these sets the second unit test fails its "Done" criterion
TIMING_CONFTEST = textwrap.dedent(
    """
    import json, os, time

    def pytest_runtest_logreport(report):
        # An item's verdict is its call report, or its setup report when setup did not pass.
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            outcome = report.outcome
            if report.when == "setup" and outcome == "failed":
                outcome = "error"
            entry = {"nodeid": report.nodeid, "outcome": outcome, "at": time.time()}
            with open(os.environ["BENCH_REPORTS"], "a", encoding="utf-8") as out:
                out.write(json.dumps(entry) + "\\n")
    """
)


def concurrency_world() -> tuple[World, dict[str, tuple[int, int]]]:
    """Groups 0..7 (one per concurrent session) and 8.. (one per lone session) of the same 5 sets.

    Set k of every group holds two unit tests of one session each: ``c-g<g>-s<k>-u0`` passes,
    ``...-u1`` passes except in CONC_FAILING; both last CONC_DURATIONS[k] world seconds."""
    unit_tests, sets, ids = [], [], {}
    for g in range(CONC_SESSIONS + CONC_LONE):
        for k, d in enumerate(CONC_DURATIONS):
            names = [f"c-g{g}-s{k}-u{u}" for u in range(2)]
            for u, name in enumerate(names):
                done = not (u == 1 and k in CONC_FAILING)
                unit_tests.append(bench_unit_test(name, d, done=done))
            sets.append({"name": f"c-g{g}-s{k}", "unit_tests": [{"unit_test": n} for n in names]})
            ids[derive_id("set", f"c-g{g}-s{k}")] = (g, k)
    world = bench_world(
        "bench:concurrent", {"speed": CONC_SPEED, "artifacts_delay": 0}, unit_tests, sets
    )
    return world, ids


# f4, f5: pipelines under load: sessions sharing a tight list limit, last result -> exit
LOAD_SESSIONS = 4
LOAD_LIST_LIMIT = 12  # get-simulation-unit-test-set-runs, a minute, for the organization
LOAD_SPEED = 10.0
# World seconds of session g's sets (90..135 real s): long enough for the polls to back off as
# far as they will, as in real pipelines whose simulations take minutes.
LOAD_DURATIONS = [900.0, 1050.0, 1200.0, 1350.0]
LOAD_ARTIFACTS_DELAY = 50.0  # world seconds from a run's completion to its artifacts (5 real s)
# Seconds into the (epoch-aligned) rate-limit minute at which round r starts: the lags depend on
# where the sets end in the window, so the rounds are pinned (full size: two, half a minute apart).
LOAD_PHASES = [5.0, 35.0]
LOAD_GOAL_S = 30.0  # issue 18, case 8: under 30 s (42-44 s when filed)


def load_world(n_sets: int, scale: float) -> tuple[World, dict[str, tuple[int, int]]]:
    """LOAD_SESSIONS groups of ``n_sets`` sets; set k of group g holds two unit tests of one
    session each, both lasting LOAD_DURATIONS[g] x ``scale`` world seconds; in set 0 the second
    fails its "Done" criterion (its verdict needs a justification, 10 requests a minute)."""
    unit_tests, sets, ids = [], [], {}
    for g in range(LOAD_SESSIONS):
        d = LOAD_DURATIONS[g % len(LOAD_DURATIONS)] * scale
        for k in range(n_sets):
            names = [f"l-g{g}-s{k}-u{u}" for u in range(2)]
            for u, name in enumerate(names):
                done = not (u == 1 and k == 0)
                unit_tests.append(bench_unit_test(name, d, done=done))
            sets.append({"name": f"l-g{g}-s{k}", "unit_tests": [{"unit_test": n} for n in names]})
            ids[derive_id("set", f"l-g{g}-s{k}")] = (g, k)
    world = bench_world(
        "bench:load",
        {"speed": LOAD_SPEED, "artifacts_delay": LOAD_ARTIFACTS_DELAY * scale},
        unit_tests,
        sets,
    )
    return world, ids


# g: A/B in one job (--amigo-compare)
AB_UNIT_TESTS = 2  # per set
AB_RUN_COUNT = 3  # sessions of each unit test, on each side
AB_CANDIDATE, AB_REFERENCE = "pr-1", "release"


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


# -- helpers ----------------------------------------------------------------------------------


@contextmanager
def project_dir() -> Iterator[Path]:
    """An empty pytest project (own pytest.ini) so the repository's config is not picked up."""
    with tempfile.TemporaryDirectory(prefix="amigo-bench-") as d:
        path = Path(d)
        (path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        yield path


CHILD_ADDOPTS = "PYTEST_AMIGO_BENCH_ADDOPTS"
"""Options for every pytest the benchmark starts (their PYTEST_ADDOPTS), e.g. plugins to leave
out: tests/bench sets it so its smoke run skips this repository's unrelated dev plugins."""


def clean_env() -> dict[str, str]:
    """The calling environment without AMIGO_* and PYTEST_* (but ``CHILD_ADDOPTS``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMIGO_", "PYTEST_"))}
    if os.environ.get(CHILD_ADDOPTS):
        env["PYTEST_ADDOPTS"] = os.environ[CHILD_ADDOPTS]
    return env


def child_env(emu: Emulator) -> dict[str, str]:
    env = clean_env()
    env.update(emu.env())
    return env


def pytest_cmd(set_ids: list[str], *extra: str) -> list[str]:
    cmd = [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", POLL_INI]
    cmd += ["-o", "amigo_artifacts_dir=none"]
    for s in set_ids:
        cmd.append(f"--amigo-set={s}")
    return cmd + list(extra)


def run_checked(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> str:
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd[:6])} ... exited {proc.returncode}\n{proc.stdout[-3000:]}\n"
            f"{proc.stderr[-3000:]}"
        )
    return proc.stdout


def passed_count(output: str) -> int:
    found = re.findall(r"(\d+) passed", output)
    return int(found[-1]) if found else 0  # the last line is the session summary


def admin_requests(emu: Emulator) -> dict[str, Any]:
    with emu.client(timeout=30) as c:
        return c.get("/_emulator/requests").json()


def admin_reset(emu: Emulator) -> None:
    """Forget the request log and the rate-limit counters (limits stay on)."""
    with emu.client(timeout=30) as c:
        c.delete("/_emulator/requests").raise_for_status()
        c.post("/_emulator/rate_limits", json={}).raise_for_status()


def wait_until_free(emu: Emulator) -> None:
    """Wait until every run of the emulator is complete (the next create must not conflict)."""
    with emu.client(timeout=30) as c:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            world = c.get("/_emulator/world").json()
            if not world.get("runs"):
                return
            with emu.store.lock:
                now = emu.store.now()
                busy = [r for r in emu.store.runs.values() if now < r.end]
            if not busy:
                return
            time.sleep(0.2)


@contextmanager
def api_env(emu: Emulator) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(emu.env())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


# -- a. wall time -----------------------------------------------------------------------------


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


def measure_wall(size: Size) -> dict[str, Any]:
    world, set_ids, ds = timed_world(size.sets)
    with Emulator(world) as emu, project_dir() as proj:
        start = time.perf_counter()
        out = run_checked(pytest_cmd(set_ids), proj, child_env(emu), timeout=300)
        amigo = time.perf_counter() - start
        stats = admin_requests(emu)
    if passed_count(out) != size.sets:
        raise RuntimeError(f"expected {size.sets} passed:\n{out[-2000:]}")
    with Emulator(world) as emu:
        sequential = sequential_baseline(emu, set_ids)
    ideal = max(ds) / SPEED + max(POLL_MIN, POLL_FLOOR)
    return {
        "amigo": amigo,
        "sequential": sequential,
        "ideal": ideal,
        "rate_limited": stats["rate_limited"],
        "creates": stats["by_endpoint"].get("create-simulation-unit-test-set-run", 0),
    }


# -- b. requests per endpoint -------------------------------------------------------------------


def measure_requests(size: Size) -> dict[str, Any]:
    world, set_ids, _ = timed_world(size.sets)
    result: dict[str, Any] = {}
    with Emulator(world) as emu, project_dir() as proj:
        for label, workers in (("n0", "0"), ("n4", "4")):
            wait_until_free(emu)
            admin_reset(emu)
            out = run_checked(pytest_cmd(set_ids, "-n", workers), proj, child_env(emu), timeout=300)
            if passed_count(out) != size.sets:
                raise RuntimeError(f"-n {workers}: expected {size.sets} passed:\n{out[-2000:]}")
            result[label] = admin_requests(emu)
    return result


# -- c. collection --------------------------------------------------------------------------------

WRAPPER = textwrap.dedent(
    """
    import json, resource, subprocess, sys, time
    out_path, cwd, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(out_path, "w") as out:
        start = time.perf_counter()
        rc = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT).returncode
        wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"rc": rc, "wall": wall, "maxrss_kb": usage.ru_maxrss}))
    """
)


def wrapped(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, output) of ``cmd`` run by a fresh wrapper process.

    The wrapper's RUSAGE_CHILDREN covers exactly that one child (Linux: ru_maxrss in KiB).
    """
    with tempfile.NamedTemporaryFile("r", suffix=".out") as out:
        proc = subprocess.run(
            [PY, "-c", WRAPPER, out.name, str(cwd), *cmd],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        text = Path(out.name).read_text(encoding="utf-8", errors="replace")
    if data["rc"] != 0:
        raise RuntimeError(f"{' '.join(cmd[:6])} ... exited {data['rc']}:\n{text[-3000:]}")
    kib = data["maxrss_kb"] if sys.platform != "darwin" else data["maxrss_kb"] / 1024
    return data["wall"], kib / 1024, text


def collected(text: str) -> int:
    m = re.search(r"(\d+) tests? collected", text)
    return int(m.group(1)) if m else -1


def measure_collection(size: Size) -> dict[str, Any]:
    n = size.col_sets * size.col_tests
    world, set_ids = collection_world(size.col_sets, size.col_tests)
    collect = ["--collect-only"]
    with project_dir() as proj:
        (proj / "test_plain.py").write_text(
            f"import pytest\n\n\n@pytest.mark.parametrize('i', range({n}))\n"
            "def test_plain(i):\n    pass\n",
            encoding="utf-8",
        )
        env = clean_env()
        base_cmd = [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", *collect]
        plain_wall, plain_rss, text = wrapped([*base_cmd, "test_plain.py"], proj, env)
        if collected(text) != n:
            raise RuntimeError(f"plain: expected {n} collected:\n{text[-2000:]}")
    with Emulator(world) as emu, project_dir() as proj:
        amigo_cmd = [*pytest_cmd(set_ids), *collect]
        amigo_wall, amigo_rss, text = wrapped(amigo_cmd, proj, child_env(emu))
        if collected(text) != n:
            raise RuntimeError(f"amigo: expected {n} collected:\n{text[-2000:]}")
        stats = admin_requests(emu)
    ids_chunks = math.ceil(size.col_sets / 50)  # the client sends at most 50 ids per request
    minimum = (
        1 + max(ids_chunks, math.ceil(size.col_sets / SETS_PAGE)) + math.ceil(n / UNIT_TESTS_PAGE)
    )
    return {
        "n": n,
        "amigo_wall": amigo_wall,
        "plain_wall": plain_wall,
        "amigo_rss": amigo_rss,
        "plain_rss": plain_rss,
        "requests": stats["total"],
        "by_endpoint": stats["by_endpoint"],
        "rate_limited": stats["rate_limited"],
        "minimum": minimum,
    }


# -- d. artifact download -----------------------------------------------------------------------

DOWNLOADER = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from pytest_amigo.api import SimulationApi

    run_id, dest = sys.argv[1], Path(sys.argv[2])
    with SimulationApi() as api:
        api.get_artifacts(run_id)  # warm-up: sign-in, SDK models, httpx
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:  # Linux: the current RSS (<= the peak so far), so no growth hides under an old peak
            status = Path("/proc/self/status").read_text()
            before = min(before, int(status.split("VmRSS:")[1].split()[0]))
        except (OSError, IndexError, ValueError):
            pass
        path = api.download_artifacts(run_id, dest)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1024 if sys.platform == "darwin" else 1
    print(json.dumps({"before_kb": before / scale, "after_kb": after / scale,
                      "path": str(path), "size": path.stat().st_size}))
    """
)


def measure_download(size: Size) -> dict[str, Any]:
    padding = size.artifact_mb * MB
    world = World.from_dict(
        {
            "emulator": {"artifact_padding_bytes": padding, "artifacts_delay": 1},
            "metrics": METRICS,
            "personas": [{"name": "Bench persona"}],
            "scenarios": [{"name": "Bench scenario"}],
            "unit_tests": [
                {
                    "name": "artifact",
                    "persona": "Bench persona",
                    "scenario": "Bench scenario",
                    "duration": 5,
                    "criteria": CRITERIA,
                }
            ],
            "sets": [{"name": "artifact-set", "unit_tests": ["artifact"]}],
        },
        source="bench:artifact",
    )
    from pytest_amigo.api import SimulationApi

    with Emulator(world) as emu, tempfile.TemporaryDirectory(prefix="amigo-dl-") as d:
        with api_env(emu), SimulationApi() as api:
            run_id = api.create_run(derive_id("set", "artifact-set"))
            emu.advance(3600)
            deadline = time.monotonic() + 30
            while True:
                runs = api.list_runs(ids=[run_id])
                if runs and runs[0]["is_completed"] and runs[0]["artifacts_generated"]:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("artifacts were never generated")
                time.sleep(0.2)
            # Build the zip server-side before the measured download (the emulator builds lazily).
            url = api.get_artifacts(run_id).presigned_url
            with httpx.Client(timeout=120) as c, c.stream("GET", url) as resp:
                served = int(resp.headers["content-length"])
        proc = subprocess.run(
            [PY, "-c", DOWNLOADER, run_id, d],
            env=child_env(emu),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"download child failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
        data = json.loads(proc.stdout.strip().splitlines()[-1])
    growth = (data["after_kb"] - data["before_kb"]) * 1024
    return {
        "padding": padding,
        "served": served,
        "size": data["size"],
        "growth": growth,
        "before": data["before_kb"] * 1024,
    }


# -- f. concurrent sessions of one organization ---------------------------------------------------


def expected_outcome(k: int, u: int) -> str:
    return "failed" if u == 1 and k in CONC_FAILING else "passed"


def completions(emu: Emulator, sets: dict[str, tuple[int, int]]) -> dict[tuple[int, int], float]:
    """(group, set) -> epoch seconds at which its run completed (the emulator's run end)."""
    with emu.store.lock:
        wall, world_now = time.time(), emu.store.now()
        runs = [r for r in emu.store.runs.values() if r.set_id in sets]
        ends = {sets[r.set_id]: wall - (world_now - r.end) / CONC_SPEED for r in runs}
    if len(runs) != len(ends):
        raise RuntimeError("more than one run of a set")
    return ends


def run_sessions(
    emu: Emulator, groups: list[int], sets: dict[str, tuple[int, int]]
) -> dict[str, Any]:
    """One pytest session per group, all started at once; their verdicts and report times."""
    by_group: dict[int, list[str]] = {g: [] for g in groups}
    for set_id, (g, _) in sets.items():
        if g in by_group:
            by_group[g].append(set_id)
    with tempfile.TemporaryDirectory(prefix="amigo-bench-f-") as tmp:
        procs = []
        start = time.perf_counter()
        for g in groups:
            proj = Path(tmp) / f"session-{g}"
            proj.mkdir()
            (proj / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
            (proj / "conftest.py").write_text(TIMING_CONFTEST, encoding="utf-8")
            env = child_env(emu) | {"BENCH_REPORTS": str(proj / "reports.jsonl")}
            cmd = [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
            cmd += ["-o", "amigo_artifacts_dir=none"]  # default poll interval: "2 30"
            cmd += [f"--amigo-set={s}" for s in sorted(by_group[g], key=lambda s: sets[s])]
            out = open(proj / "output.txt", "w", encoding="utf-8")
            procs.append(
                (
                    g,
                    proj,
                    out,
                    subprocess.Popen(cmd, cwd=proj, env=env, stdout=out, stderr=subprocess.STDOUT),
                )
            )
        codes = {}
        for g, _, out, proc in procs:
            codes[g] = proc.wait(timeout=600)
            out.close()
        wall = time.perf_counter() - start
        reports: dict[tuple[int, int, int], dict[str, Any]] = {}
        for g, proj, _, _ in procs:
            text = (proj / "output.txt").read_text(encoding="utf-8")
            if codes[g] not in (0, 1):  # 1: some unit tests failed, as they should
                raise RuntimeError(f"session {g} exited {codes[g]}:\n{text[-3000:]}")
            path = proj / "reports.jsonl"
            lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
            for line in lines:
                entry = json.loads(line)
                found = re.search(r"c-g(\d+)-s(\d+)-u(\d+)", entry["nodeid"])
                if found is None:
                    raise RuntimeError(f"unexpected item {entry['nodeid']}")
                gk = tuple(int(x) for x in found.groups())
                reports[gk] = entry  # type: ignore[index]
    return {"reports": reports, "wall": wall}


def lags(reports: dict, ends: dict[tuple[int, int], float]) -> list[tuple[int, float]]:
    """Per set (k, lag): the last of its items' report times minus the completion of its run."""
    out = []
    for (g, k), end in sorted(ends.items()):
        ats = [reports[(g, k, u)]["at"] for u in range(2) if (g, k, u) in reports]
        if len(ats) == 2:
            out.append((k, max(ats) - end))
    return out


def run_phase(
    emu: Emulator, members: list[int], sets: dict[str, tuple[int, int]]
) -> dict[str, Any]:
    """The sessions of ``members`` at once, rate-limit counts reset (limits stay on; the windows
    stay aligned to the epoch, so a phase starts anywhere in a minute), and what they did."""
    wait_until_free(emu)
    admin_reset(emu)
    result = run_sessions(emu, members, sets)
    stats = admin_requests(emu)
    ends = {gk: t for gk, t in completions(emu, sets).items() if gk[0] in members}
    verdicts = {gk: r["outcome"] for gk, r in result["reports"].items() if gk[0] in members}
    return result | {
        "stats": stats,
        "lags": lags(result["reports"], ends),
        "verdicts": verdicts,
        "sets": len(ends),
    }


def merged(phases: list[dict[str, Any]]) -> dict[str, Any]:
    """Phases run one after another, as one: lags and verdicts pooled, requests and wall summed."""
    by_endpoint: dict[str, int] = {}
    for phase in phases:
        for endpoint, n in phase["stats"]["by_endpoint"].items():
            by_endpoint[endpoint] = by_endpoint.get(endpoint, 0) + n
    return {
        "lags": [lag for phase in phases for lag in phase["lags"]],
        "verdicts": {gk: v for phase in phases for gk, v in phase["verdicts"].items()},
        "sets": sum(phase["sets"] for phase in phases),
        "wall": sum(phase["wall"] for phase in phases),
        "stats": {
            "by_endpoint": by_endpoint,
            **{
                key: sum(phase["stats"][key] for phase in phases)
                for key in ("total", "rate_limited")
            },
        },
    }


def measure_concurrent(size: Size) -> dict[str, Any]:
    """f: 8 pytest sessions x 5 sets at once against one emulator (limits on, one organization),
    and, in the same run and emulator just before, CONC_LONE lone sessions of the same 5 sets
    one after another."""
    load = measure_load(size)  # f4, f5: at every size (the smoke size only checks it runs)
    if size.name != "full":
        return {"skipped": True, "load": load}
    world, sets = concurrency_world()
    groups = list(range(CONC_SESSIONS))
    lone_groups = list(range(CONC_SESSIONS, CONC_SESSIONS + CONC_LONE))
    with Emulator(world) as emu:
        lone = merged([run_phase(emu, [g], sets) for g in lone_groups])
        conc = run_phase(emu, groups, sets)
    lone_items = [(g, k, u) for g in lone_groups for k in range(CONC_SETS) for u in range(2)]
    lone_ok = {
        item for item in lone_items if lone["verdicts"].get(item) == expected_outcome(*item[1:])
    }
    # a unit test the lone sessions all got right: the reference the concurrent verdicts match
    reference = {(k, u) for _, k, u in lone_items if all((g, k, u) in lone_ok for g in lone_groups)}
    items = [(g, k, u) for g in groups for k in range(CONC_SETS) for u in range(2)]
    right = sum(
        1
        for g, k, u in items
        if (k, u) in reference and conc["verdicts"].get((g, k, u)) == expected_outcome(k, u)
    )
    # Errors: items reported as errors, plus items that never reported.
    errors = {
        label: sum(1 for v in phase["verdicts"].values() if v == "error")
        + count
        - len(phase["verdicts"])
        for label, phase, count in (
            ("lone", lone, len(lone_items)),
            ("concurrent", conc, len(items)),
        )
    }
    return {
        "skipped": False,
        "load": load,
        "lone": lone,
        "concurrent": conc,
        "right": right,
        "items": len(items),
        "lone_right": len(lone_ok),
        "lone_items": len(lone_items),
        "errors": errors,
    }


def run_load_round(emu: Emulator, sets: dict[str, tuple[int, int]], phase: float | None) -> dict:
    """One round of f4: LOAD_SESSIONS pytest sessions at once (started ``phase`` seconds into a
    rate-limit minute, if given), with the plugin's defaults (poll interval, artifacts on and
    their wait); per set, its run's completion, its last item's report and its session's exit."""
    wait_until_free(emu)
    admin_reset(emu)
    if phase is not None:
        time.sleep((phase - time.time()) % 60.0)
    groups = sorted({g for g, _ in sets.values()})
    exits: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="amigo-bench-f4-") as tmp:
        procs = []
        for g in groups:
            proj = Path(tmp) / f"session-{g}"
            proj.mkdir()
            (proj / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
            (proj / "conftest.py").write_text(TIMING_CONFTEST, encoding="utf-8")
            env = child_env(emu) | {"BENCH_REPORTS": str(proj / "reports.jsonl")}
            cmd = [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
            ordered = sorted(sets, key=lambda s: sets[s])
            cmd += [f"--amigo-set={s}" for s in ordered if sets[s][0] == g]
            out = open(proj / "output.txt", "w", encoding="utf-8")
            proc = subprocess.Popen(cmd, cwd=proj, env=env, stdout=out, stderr=subprocess.STDOUT)
            procs.append((g, proj, out, proc))

        def wait(g: int, proc: subprocess.Popen) -> None:
            proc.wait(timeout=600)
            exits[g] = time.time()

        threads = [threading.Thread(target=wait, args=(g, proc)) for g, _, _, proc in procs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        reports: dict[tuple[int, int, int], dict[str, Any]] = {}
        for g, proj, out, proc in procs:
            out.close()
            text = (proj / "output.txt").read_text(encoding="utf-8")
            if proc.returncode not in (0, 1):  # 1: the failing unit tests failed, as they should
                raise RuntimeError(f"session {g} exited {proc.returncode}:\n{text[-3000:]}")
            path = proj / "reports.jsonl"
            for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
                entry = json.loads(line)
                found = re.search(r"l-g(\d+)-s(\d+)-u(\d+)", entry["nodeid"])
                if found is not None:
                    reports[tuple(int(x) for x in found.groups())] = entry  # type: ignore[index]
    with emu.store.lock:
        wall, world_now = time.time(), emu.store.now()
        ends = {
            sets[r.set_id]: wall - (world_now - r.end) / LOAD_SPEED
            for r in emu.store.runs.values()
            if r.set_id in sets
        }
    exit_lags, verdict_lags = [], []
    for (g, k), end in sorted(ends.items()):
        exit_lags.append(exits[g] - end)
        ats = [reports[(g, k, u)]["at"] for u in range(2) if (g, k, u) in reports]
        if len(ats) == 2:
            verdict_lags.append(max(ats) - end)
    expected = {
        (g, k, u): "failed" if (k, u) == (0, 1) else "passed" for (g, k) in ends for u in (0, 1)
    }
    right = sum(1 for item, v in expected.items() if reports.get(item, {}).get("outcome") == v)
    return {
        "exit_lags": exit_lags,
        "verdict_lags": verdict_lags,
        "right": right,
        "items": len(expected),
        "sets": len(ends),
        "stats": admin_requests(emu),
    }


def measure_load(size: Size) -> dict[str, Any]:
    """f4, f5: LOAD_SESSIONS sessions of one organization whose list limit is LOAD_LIST_LIMIT a
    minute; per set, the time from its last result to its session's exit, and the 429s."""
    world, sets = load_world(size.load_sets, size.load_scale)
    rounds = []
    with Emulator(world) as emu:
        with emu.client(timeout=30) as c:
            limits = {"get-simulation-unit-test-set-runs": LOAD_LIST_LIMIT}
            c.post("/_emulator/rate_limits", json={"limits": limits}).raise_for_status()
        for r in range(size.load_rounds):
            phase = LOAD_PHASES[r % len(LOAD_PHASES)] if size.load_rounds > 1 else None
            rounds.append(run_load_round(emu, sets, phase))
    by_endpoint: dict[str, int] = {}
    for rnd in rounds:
        for endpoint, n in rnd["stats"]["by_endpoint"].items():
            by_endpoint[endpoint] = by_endpoint.get(endpoint, 0) + n
    return {
        "rounds": len(rounds),
        "exit_lags": [x for rnd in rounds for x in rnd["exit_lags"]],
        "round_medians": [statistics.median(rnd["exit_lags"]) for rnd in rounds],
        "verdict_lags": [x for rnd in rounds for x in rnd["verdict_lags"]],
        "right": sum(rnd["right"] for rnd in rounds),
        "items": sum(rnd["items"] for rnd in rounds),
        "sets": sum(rnd["sets"] for rnd in rounds),
        "rate_limited": sum(rnd["stats"]["rate_limited"] for rnd in rounds),
        "total": sum(rnd["stats"]["total"] for rnd in rounds),
        "by_endpoint": by_endpoint,
        "fair_pace": 60.0 * LOAD_SESSIONS / LOAD_LIST_LIMIT,
    }


def load_rows(f4: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    n = f"{LOAD_SESSIONS} sessions x list limit {LOAD_LIST_LIMIT}/min"
    median = statistics.median(f4["exit_lags"])
    return [
        (
            "f4",
            f"{n}: median set's last result -> its session's exit / the budget's fair poll "
            f"spacing ({LOAD_SESSIONS} x 60 s / {LOAD_LIST_LIMIT}; verdicts right: "
            f"{f4['right']}/{f4['items']})",
            f"{median:.2f} s",
            f"{f4['fair_pace']:.2f} s",
            ratio(median, f4["fair_pace"]),
        ),
        (
            "f5",
            f"{n}: HTTP 429 answers / all requests",
            str(f4["rate_limited"]),
            str(f4["total"]),
            ratio(f4["rate_limited"], f4["total"]),
        ),
    ]


def load_note(f4: dict[str, Any]) -> str:
    ls = sorted(f4["exit_lags"])
    vs = sorted(f4["verdict_lags"])
    by = f4["by_endpoint"]
    return (
        f"f4: {f4['rounds']} round(s) of {LOAD_SESSIONS} sessions, {f4['sets']} sets in all; "
        f"last result -> exit: median {statistics.median(ls):.2f} s (rounds: "
        f"{', '.join(f'{m:.2f}' for m in f4['round_medians'])}), max {ls[-1]:.2f} s; "
        f"last result -> verdict: median {statistics.median(vs) if vs else float('nan'):.2f} s; "
        f"list requests {by.get('get-simulation-unit-test-set-runs', 0)}, artifacts requests "
        f"{by.get('get-simulation-unit-test-set-run-artifacts', 0)}, evaluations "
        f"{by.get('get-metric-evaluation-results', 0)}; goal: under {LOAD_GOAL_S:g} s "
        f"(ratio {LOAD_GOAL_S / f4['fair_pace']:.2f}) without a 429."
    )


# -- g. A/B in one job ----------------------------------------------------------------------------


def measure_compare(size: Size) -> dict[str, Any]:
    """The same sets simulated on the candidate version set, without and with
    ``--amigo-compare``: wall time of the pytest session and sessions simulated.

    Each session gets a fresh emulator (fresh rate-limit windows: the reference side's run
    creates must not meet the previous session's); the kinds alternate, medians of the times."""
    n = size.ab_sets
    world, set_ids, ds = ab_world(n, size.ab_speed)
    candidate = f"--amigo-version-set={AB_CANDIDATE}"
    kinds = {"plain": [candidate], "compare": [candidate, f"--amigo-compare={AB_REFERENCE}"]}
    times: dict[str, list[float]] = {k: [] for k in kinds}
    sessions: dict[str, set[int]] = {k: set() for k in kinds}
    runs: dict[str, set[int]] = {k: set() for k in kinds}
    rate_limited = {k: 0 for k in kinds}
    for _ in range(size.ab_rounds):
        for key, extra in kinds.items():
            with Emulator(world) as emu, project_dir() as proj:
                start = time.perf_counter()
                out = run_checked(pytest_cmd(set_ids, *extra), proj, child_env(emu), timeout=300)
                times[key].append(time.perf_counter() - start)
                stats = admin_requests(emu)
                with emu.store.lock:
                    made = list(emu.store.runs.values())
            if passed_count(out) != n * AB_UNIT_TESTS:
                raise RuntimeError(f"{key}: expected {n * AB_UNIT_TESTS} passed:\n{out[-2000:]}")
            sessions[key].add(sum(u.run_count for r in made for u in r.unit_tests))
            runs[key].add(len(made))
            rate_limited[key] += stats["rate_limited"]
    for key in kinds:
        if len(sessions[key]) != 1 or len(runs[key]) != 1:
            raise RuntimeError(f"{key}: sessions {sessions[key]}, runs {runs[key]} vary by round")
    return {
        "sets": n,
        "rounds": size.ab_rounds,
        "ideal": max(ds) / size.ab_speed,
        "speed": size.ab_speed,
        **{f"{k}_wall": statistics.median(v) for k, v in times.items()},
        **{f"{k}_walls": sorted(v) for k, v in times.items()},
        **{f"{k}_sessions": sessions[k].pop() for k in kinds},
        **{f"{k}_runs": runs[k].pop() for k in kinds},
        **{f"{k}_rate_limited": rate_limited[k] for k in kinds},
    }


def compare_rows(g: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    n = f"{g['sets']} sets x {AB_UNIT_TESTS} unit tests x {AB_RUN_COUNT} sessions"
    return [
        (
            "g1",
            f"wall time, {n} on {AB_CANDIDATE} (median of {g['rounds']}): "
            f"--amigo-compare={AB_REFERENCE} / without",
            f"{g['compare_wall']:.2f} s",
            f"{g['plain_wall']:.2f} s",
            ratio(g["compare_wall"], g["plain_wall"]),
        ),
        (
            "g2",
            f"sessions simulated, {n}: --amigo-compare={AB_REFERENCE} / without",
            str(g["compare_sessions"]),
            str(g["plain_sessions"]),
            ratio(g["compare_sessions"], g["plain_sessions"]),
        ),
    ]


def spread(values: list[float]) -> str:
    return f"{values[0]:.2f}-{values[-1]:.2f} s" if len(values) > 1 else f"{values[0]:.2f} s"


def compare_note(g: dict[str, Any]) -> str:
    return (
        f"A/B (g): runs created {g['compare_runs']} with --amigo-compare, {g['plain_runs']} "
        f"without; 429 answers {g['compare_rate_limited']} / {g['plain_rate_limited']}; longest "
        f"set {g['ideal']:.2f} s; wall times with {spread(g['compare_walls'])}, without "
        f"{spread(g['plain_walls'])}; a fresh emulator per pytest session, speed "
        f"{g['speed']:g}, poll interval as in a."
    )


# -- h. CI shards of one suite ------------------------------------------------------------------

SHARD_SPLIT = ("--splitting-algorithm", "least_duration")
SHARD_GOAL_WALL = 1.10  # issue 19, part 3: the slowest shard within 10 % of an unsharded session


def shard_world(n_sets: int, scale: float) -> tuple[World, dict[str, int], dict[str, float]]:
    """One group of the f suite: sets k = 0..n_sets-1 of two one-session unit tests, both lasting
    CONC_DURATIONS[k] x ``scale`` world seconds (emulator speed CONC_SPEED), the second failing
    its "Done" criterion in CONC_FAILING. Returns the world, set id -> k, and set id -> its
    length in real seconds."""
    unit_tests, sets, ids, lengths = [], [], {}, {}
    for k in range(n_sets):
        d = CONC_DURATIONS[k] * scale
        names = [f"h-s{k}-u{u}" for u in range(2)]
        for u, name in enumerate(names):
            done = expected_outcome(k, u) == "passed"
            unit_tests.append(bench_unit_test(name, d, done=done))
        sets.append({"name": f"h-s{k}", "unit_tests": [{"unit_test": n} for n in names]})
        set_id = derive_id("set", f"h-s{k}")
        ids[set_id] = k
        lengths[set_id] = d / CONC_SPEED
    world = bench_world(
        "bench:shards", {"speed": CONC_SPEED, "artifacts_delay": 0}, unit_tests, sets
    )
    return world, ids, lengths


def run_shard_phase(
    emu: Emulator, sets: dict[str, int], shards: int, size: Size, *extra: str
) -> dict[str, Any]:
    """``shards`` pytest sessions of the whole suite started at once, shard i running
    ``--splits shards --group i`` (pytest-split), or one plain session when ``shards`` is 0;
    rate-limit counts reset first. Per shard: its wall time from the common start to its exit
    and its items' verdicts; and what the emulator's store holds of the phase's runs and sets."""
    wait_until_free(emu)
    admin_reset(emu)
    with emu.store.lock:
        runs_before, sets_before = set(emu.store.runs), set(emu.store.sets)
    groups = list(range(1, shards + 1)) or [0]
    walls: dict[int, float] = {}
    reports: dict[int, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="amigo-bench-h-") as tmp:
        proj = Path(tmp)  # one checkout, as in a CI job; each shard its own report and output
        (proj / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        (proj / "conftest.py").write_text(TIMING_CONFTEST, encoding="utf-8")
        cmd = [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        cmd += ["-o", "amigo_artifacts_dir=none"]  # default poll interval: "2 30", as in f
        cmd += [f"--amigo-set={s}" for s in sorted(sets, key=sets.__getitem__)]
        cmd += list(extra)
        procs = []
        start = time.time()
        for i in groups:
            split = ["--splits", str(shards), "--group", str(i), *SHARD_SPLIT] if i else []
            env = child_env(emu) | {"BENCH_REPORTS": str(proj / f"reports-{i}.jsonl")}
            out = open(proj / f"output-{i}.txt", "w", encoding="utf-8")
            proc = subprocess.Popen(
                cmd + split, cwd=proj, env=env, stdout=out, stderr=subprocess.STDOUT
            )
            procs.append((i, out, proc))

        def wait(i: int, proc: subprocess.Popen) -> None:
            proc.wait(timeout=600)
            walls[i] = time.time() - start

        threads = [threading.Thread(target=wait, args=(i, proc)) for i, _, proc in procs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for i, out, proc in procs:
            out.close()
            text = (proj / f"output-{i}.txt").read_text(encoding="utf-8")
            if proc.returncode not in (0, 1):  # 1: the failing unit tests failed, as they should
                raise RuntimeError(f"shard {i} exited {proc.returncode}:\n{text[-3000:]}")
            path = proj / f"reports-{i}.jsonl"
            lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
            reports[i] = [json.loads(line) for line in lines]
    with emu.store.lock:
        runs = [r for rid, r in emu.store.runs.items() if rid not in runs_before]
        temporary = [d for sid, d in emu.store.sets.items() if sid not in sets_before]
        names = [emu.store.sets[r.set_id]["name"] for r in runs]
        now, world_now = time.time(), emu.store.now()

    def since_start(world: float) -> float:
        return now - (world_now - world) / CONC_SPEED - start

    # per set k, the latest end of its runs (a subset's name holds its set's), since the start
    ends: dict[int, float] = {}
    for run, name in zip(runs, names, strict=True):
        found = re.search(r"h-s(\d+)", name)
        if found is None:
            raise RuntimeError(f"run {run.id} of an unexpected set {name!r}")
        k = int(found.group(1))
        ends[k] = max(ends.get(k, 0.0), since_start(run.end))
    return {
        "walls": walls,
        "created": sorted(since_start(r.created) for r in runs),
        "ends": ends,
        "reports": reports,
        "runs": len(runs),
        "sessions": sum(u.run_count for r in runs for u in r.unit_tests),
        "temporary": len(temporary),
        "deleted": sum(1 for d in temporary if d.get("is_deleted")),
        "stats": admin_requests(emu),
    }


def shard_verdicts(phase: dict[str, Any]) -> dict[tuple[int, int], list[tuple[int, str]]]:
    """(set, unit test) -> every (shard, outcome) that reported it."""
    out: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for i, entries in phase["reports"].items():
        for entry in entries:
            found = re.search(r"h-s(\d+)-u(\d+)", entry["nodeid"])
            if found is None:
                raise RuntimeError(f"unexpected item {entry['nodeid']}")
            k, u = (int(x) for x in found.groups())
            out.setdefault((k, u), []).append((i, entry["outcome"]))
    return out


def measure_shards(size: Size) -> dict[str, Any]:
    """h: the f suite's sets as one unsharded session, then as ``size.shards`` shards started
    together sharing runs (the default), then as shards with ``--amigo-subset``, one after
    another against one emulator: sessions simulated and runs created (the emulator's store),
    the slowest shard's wall time, and whether every unit test was reported once, rightly."""
    if not size.shards:
        return {"skipped": True}
    world, sets, lengths = shard_world(size.shard_sets, size.shard_scale)
    with Emulator(world) as emu:
        whole = run_shard_phase(emu, sets, 0, size)
        shared = run_shard_phase(emu, sets, size.shards, size)
        subset = run_shard_phase(emu, sets, size.shards, size, "--amigo-subset")
    items = {(k, u): expected_outcome(k, u) for k in range(size.shard_sets) for u in range(2)}
    reference = {ku: v[0][1] for ku, v in shard_verdicts(whole).items() if len(v) == 1}
    checks = {}
    for label, phase in (("whole", whole), ("shared", shared), ("subset", subset)):
        got, walls = shard_verdicts(phase), phase["walls"]
        checks[label] = {
            # reported by exactly one shard, as the unsharded session and rightly
            "right": sum(
                1
                for ku, want in items.items()
                if len(got.get(ku, [])) == 1
                and got[ku][0][1] == want
                and (label == "whole" or reference.get(ku) == want)
            ),
            "twice": sum(1 for v in got.values() if len(v) > 1),
            "errors": sum(1 for v in got.values() for _, o in v if o == "error")
            + sum(1 for ku in items if ku not in got),
            # sets whose unit tests more than one shard reported
            "split": sum(
                1
                for k in range(size.shard_sets)
                if len({i for u in range(2) for i, _ in got.get((k, u), [])}) > 1
            ),
        }
        # per shard: its exit after the last run of the sets it reports ended
        reported = {i: {k for (k, _u), v in got.items() for j, _o in v if j == i} for i in walls}
        checks[label]["tail"] = max(
            wall - max((phase["ends"][k] for k in reported[i]), default=0.0)
            for i, wall in phase["walls"].items()
        )
    return {
        "skipped": False,
        "shards": size.shards,
        "sets": size.shard_sets,
        "items": len(items),
        "longest": max(lengths.values()),
        "whole": whole,
        "shared": shared,
        "subset": subset,
        "checks": checks,
    }


def shard_rows(h: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    if h["skipped"]:
        return []
    whole, shared, subset = h["whole"], h["shared"], h["subset"]
    n = f"{h['shards']} shards x {h['sets']} sets started together"
    slowest = {k: max(p["walls"].values()) for k, p in (("shared", shared), ("subset", subset))}
    return [
        (
            "h1",
            f"sessions simulated, {n}, shared runs: across the shards / the suite's "
            "(unsharded session)",
            str(shared["sessions"]),
            str(whole["sessions"]),
            ratio(shared["sessions"], whole["sessions"]),
        ),
        (
            "h2",
            f"sessions simulated, {n}, --amigo-subset: across the shards / the suite's",
            str(subset["sessions"]),
            str(whole["sessions"]),
            ratio(subset["sessions"], whole["sessions"]),
        ),
        (
            "h3",
            f"runs created, {n}, shared runs: across the shards / unsharded session",
            str(shared["runs"]),
            str(whole["runs"]),
            ratio(shared["runs"], whole["runs"]),
        ),
        (
            "h4",
            f"wall time, {n}, shared runs: slowest shard / unsharded session",
            f"{slowest['shared']:.2f} s",
            f"{whole['walls'][0]:.2f} s",
            ratio(slowest["shared"], whole["walls"][0]),
        ),
        (
            "h5",
            f"wall time, {n}, --amigo-subset: slowest shard / unsharded session",
            f"{slowest['subset']:.2f} s",
            f"{whole['walls'][0]:.2f} s",
            ratio(slowest["subset"], whole["walls"][0]),
        ),
    ]


SHARDS_SKIPPED = (
    "h1-h5 (4 shards of the f suite started together) skipped at size smoke: 9 pytest "
    "processes, 4 at a time, take ~20 s even on 2 short sets; run --size small or full."
)


def shard_note(h: dict[str, Any]) -> str:
    if h["skipped"]:
        return SHARDS_SKIPPED

    def phase(label: str) -> str:
        p, c = h[label], h["checks"][label]
        walls = ", ".join(f"{w:.2f}" for _, w in sorted(p["walls"].items()))
        temporary = f", temporary sets {p['temporary']} ({p['deleted']} deleted)"
        return (
            f"{label}: runs {p['runs']}, sessions {p['sessions']}"
            f"{temporary if p['temporary'] else ''}, reported once and right "
            f"{c['right']}/{h['items']} (twice: {c['twice']}, errors: {c['errors']}), sets split "
            f"across shards {c['split']}/{h['sets']}, 429 answers {p['stats']['rate_limited']} / "
            f"{p['stats']['total']} requests, runs created {p['created'][0]:.2f}-"
            f"{p['created'][-1]:.2f} s after the start, last run's end -> exit (slowest) "
            f"{c['tail']:.2f} s, wall s {walls}"
        )

    return (
        f"Shards (h): pytest-split --splits {h['shards']} --group i --splitting-algorithm "
        f"least_duration (no durations file), one emulator, one API user, the f suite's "
        f"{h['sets']} sets of 2 one-session unit tests (longest {h['longest']:.2f} s); poll "
        f"interval: the default ('2 30'), speed {CONC_SPEED:g}, rate limits on. "
        + "; ".join(phase(label) for label in ("whole", "shared", "subset"))
        + "."
    )


# -- report -------------------------------------------------------------------------------------


def measure_startup(size: Size) -> dict[str, Any]:
    """pytest start-up on a trivial test: with the plugin installed vs ``-p no:amigo``.

    Alternating runs, median of each; no AMIGO_* variable and no set configured, i.e. what a
    project that installs pytest-amigo pays when it does not use it."""
    runs = size.startups
    env = clean_env()
    times: dict[str, list[float]] = {"amigo": [], "plain": []}
    with project_dir() as path:
        (path / "test_trivial.py").write_text("def test_ok():\n    pass\n", encoding="utf-8")
        base = [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_trivial.py"]
        for _ in range(runs):
            for key, extra in (("amigo", []), ("plain", ["-p", "no:amigo"])):
                t = time.perf_counter()
                run_checked(base + extra, path, env, timeout=120)
                times[key].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()} | {"runs": runs}


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.3f}" if reference else "nan"


def median_lag(phase: dict[str, Any], failing: bool | None = None) -> float:
    """Median lag of every set, or of the sets with (True) / without (False) a failure."""
    values = [lag for k, lag in phase["lags"] if failing is None or (k in CONC_FAILING) == failing]
    return statistics.median(values) if values else float("nan")


def concurrent_rows(f: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    lone, conc = f["lone"], f["concurrent"]
    n = f"{CONC_SESSIONS} sessions x {CONC_SETS} sets"
    refused, total = conc["stats"]["rate_limited"], conc["stats"]["total"]
    return [
        (
            "f1",
            f"{n}, one org: median set completion -> verdict, concurrent / lone sessions",
            f"{median_lag(conc):.2f} s",
            f"{median_lag(lone):.2f} s",
            ratio(median_lag(conc), median_lag(lone)),
        ),
        (
            "f2",
            f"{n}: verdicts equal to the lone sessions' and right / items "
            f"(errors: {f['errors']['concurrent']})",
            str(f["right"]),
            str(f["items"]),
            ratio(f["right"], f["items"]),
        ),
        (
            "f3",
            f"{n}: HTTP 429 answers absorbed / all requests",
            str(refused),
            str(total),
            ratio(refused, total),
        ),
    ]


def concurrent_table(f: dict[str, Any]) -> list[str]:
    def row(label: str, phase: dict[str, Any], sessions: str) -> str:
        ls = sorted(lag for _, lag in phase["lags"])
        p90 = ls[min(len(ls) - 1, math.ceil(0.9 * len(ls)) - 1)] if ls else float("nan")
        stats = phase["stats"]
        by = stats["by_endpoint"]
        return (
            f"| {label} | {sessions} | {phase['sets']} | {median_lag(phase):.2f} | "
            f"{median_lag(phase, False):.2f} | {median_lag(phase, True):.2f} | {p90:.2f} | "
            f"{max(ls, default=float('nan')):.2f} | {f['errors'][label]} | "
            f"{stats['rate_limited']} | {by.get('create-simulation-unit-test-set-run', 0)} | "
            f"{by.get('get-simulation-unit-test-set-runs', 0)} | "
            f"{by.get('get-metric-evaluation-results', 0)} | {stats['total']} | "
            f"{phase['wall']:.1f} |"
        )

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
        row("lone", f["lone"], f"{CONC_LONE}, one at a time"),
        row("concurrent", f["concurrent"], f"{CONC_SESSIONS} at once"),
        "| concurrent / lone | | | "
        + " | ".join(
            ratio(median_lag(f["concurrent"], k), median_lag(f["lone"], k))
            for k in (None, False, True)
        )
        + " | | | | | | | | | | |",
        "",
        f"Lag: report time of a set's last item (recorded by a conftest hook) minus the "
        f"emulator's completion time of its run. Lone: {CONC_LONE} sessions of the same "
        f"{CONC_SETS} sets one after another, each with the rate-limit counts reset; their "
        f"requests and wall times are summed. Lone verdicts right: {f['lone_right']} / "
        f"{f['lone_items']}. Poll interval: the default ('2 30'); emulator speed "
        f"{CONC_SPEED:g}; rate limits on (per organization, shared by all sessions).",
    ]


GOALS: dict[str, tuple[str, str]] = {
    # id: (goal, the figure when the goal was set: issue 11 for a2, c1, f1; "-": none given)
    "a1": ("none set", "-"),
    "a2": ("<= 1.10", "1.25"),
    "b1": ("<= 1.10", "-"),
    "b2": ("0", "-"),
    "c1": ("<= 2.00", "2.60"),
    "c2": ("none set", "-"),
    "c3": ("none set", "-"),
    "d1": ("far below 1", "-"),
    "d2": ("1.000", "-"),
    "e1": ("<= 1.05", "-"),
    "f1": ("<= 1.50", "2.28"),
    "f2": ("1.000, 0 errors", "-"),
    "f3": ("all absorbed", "-"),
    "f4": (f"<= {LOAD_GOAL_S / (60.0 * LOAD_SESSIONS / LOAD_LIST_LIMIT):.2f}", "2.10-2.20"),
    "f5": ("0", "-"),
    "g1": ("<= 1.10", "-"),
    "g2": ("2.000", "-"),
    "h1": ("1.000", "-"),
    "h2": ("1.000", "-"),
    "h3": ("1.000", "-"),
    "h4": (f"<= {SHARD_GOAL_WALL:.2f}", "-"),
    "h5": (f"<= {SHARD_GOAL_WALL:.2f}", "-"),
}
MAIN_HEADER = [
    "| id | measurement | value | baseline | ratio | goal | at filing |",
    "|----|-------------|------:|---------:|------:|-----:|----------:|",
]


def main_rows(rows: list[tuple[str, str, str, str, str]]) -> list[str]:
    """The main table: each measurement with its goal and the figure when it was set."""
    out = []
    for r in rows:
        goal, before = GOALS.get(r[0], ("-", "-"))
        out.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {goal} | {before} |")
    return out


def render(size: Size, elapsed: float, **results: dict) -> str:
    if set(results) == {"g"}:
        g = results["g"]
        lines = [f"## pytest-amigo benchmark (size {size.name}, only g)", ""]
        lines += [*MAIN_HEADER, *main_rows(compare_rows(g)), "", compare_note(g)]
        lines.append(f"Benchmark runtime: {elapsed:.1f} s.")
        return "\n".join(lines)
    if set(results) == {"h"}:
        h = results["h"]
        lines = [f"## pytest-amigo benchmark (size {size.name}, only h)", ""]
        lines += [*MAIN_HEADER, *main_rows(shard_rows(h)), "", shard_note(h)]
        lines.append(f"Benchmark runtime: {elapsed:.1f} s.")
        return "\n".join(lines)
    if set(results) != {"f"}:
        return render_all(size, elapsed, **results)
    f = results["f"]
    lines = [f"## pytest-amigo benchmark (size {size.name}, only f)", ""]
    rows = [] if f["skipped"] else concurrent_rows(f)
    lines += [*MAIN_HEADER, *main_rows(rows + load_rows(f["load"]))]
    if not f["skipped"]:
        lines += concurrent_table(f)
    lines += ["", load_note(f["load"])]
    if f["skipped"]:
        lines.append(CONCURRENT_SKIPPED)
    lines.append(f"Benchmark runtime: {elapsed:.1f} s.")
    return "\n".join(lines)


CONCURRENT_SKIPPED = (
    "f1-f3 (8 concurrent sessions x 5 sets) skipped below size full: 40 run creations at the "
    "documented 20 a minute need two rate-limit windows (~2-3 min); run --size full."
)


def render_all(
    size: Size,
    elapsed: float,
    a: dict,
    b: dict,
    c: dict,
    d: dict,
    e: dict,
    f: dict,
    g: dict,
    h: dict,
) -> str:
    n0, n4 = b["n0"], b["n4"]
    rows = [
        (
            "a1",
            f"wall time, {size.sets} sets: pytest-amigo / sequential SimulationApi",
            f"{a['amigo']:.2f} s",
            f"{a['sequential']:.2f} s",
            ratio(a["amigo"], a["sequential"]),
        ),
        (
            "a2",
            f"wall time, {size.sets} sets: pytest-amigo / ideal (longest set + one poll)",
            f"{a['amigo']:.2f} s",
            f"{a['ideal']:.2f} s",
            ratio(a["amigo"], a["ideal"]),
        ),
        (
            "b1",
            f"API requests, {size.sets} sets: -n 4 / -n 0",
            str(n4["total"]),
            str(n0["total"]),
            ratio(n4["total"], n0["total"]),
        ),
        (
            "b2",
            "HTTP 429 answers (a + b runs) / all requests",
            str(a["rate_limited"] + n0["rate_limited"] + n4["rate_limited"]),
            str(n0["total"] + n4["total"]),
            ratio(
                a["rate_limited"] + n0["rate_limited"] + n4["rate_limited"],
                n0["total"] + n4["total"],
            ),
        ),
        (
            "c1",
            f"--collect-only time: {size.col_sets}x{size.col_tests} amigo / {c['n']} parametrized",
            f"{c['amigo_wall']:.2f} s",
            f"{c['plain_wall']:.2f} s",
            ratio(c["amigo_wall"], c["plain_wall"]),
        ),
        (
            "c2",
            "--collect-only peak RSS: amigo / parametrized",
            f"{c['amigo_rss']:.1f} MiB",
            f"{c['plain_rss']:.1f} MiB",
            ratio(c["amigo_rss"], c["plain_rss"]),
        ),
        (
            "c3",
            "--collect-only API requests / minimum at the emulator's page sizes",
            str(c["requests"]),
            str(c["minimum"]),
            ratio(c["requests"], c["minimum"]),
        ),
        (
            "d1",
            f"artifact download ({size.artifact_mb} MiB padding): peak RSS growth / file size",
            f"{d['growth'] / MB:.1f} MiB",
            f"{d['size'] / MB:.1f} MiB",
            ratio(d["growth"], d["size"]),
        ),
        (
            "d2",
            "artifact download: file size / size served",
            str(d["size"]),
            str(d["served"]),
            ratio(d["size"], d["served"]),
        ),
        (
            "e1",
            f"pytest start-up, trivial test (median of {e['runs']}): installed / -p no:amigo",
            f"{e['amigo']:.3f} s",
            f"{e['plain']:.3f} s",
            ratio(e["amigo"], e["plain"]),
        ),
    ]
    if not f["skipped"]:
        rows += concurrent_rows(f)
    rows += load_rows(f["load"])
    rows += compare_rows(g)
    rows += shard_rows(h)
    lines = [f"## pytest-amigo benchmark (size {size.name})", "", *MAIN_HEADER, *main_rows(rows)]
    lines += [
        "",
        "### Requests per endpoint (b)",
        "",
        "| endpoint | -n 0 | -n 4 | ratio |",
        "|----------|-----:|-----:|------:|",
    ]
    endpoints = sorted(set(n0["by_endpoint"]) | set(n4["by_endpoint"]))
    for ep in endpoints:
        x0, x4 = n0["by_endpoint"].get(ep, 0), n4["by_endpoint"].get(ep, 0)
        lines.append(f"| {ep} | {x0} | {x4} | {ratio(x4, x0)} |")
    lines.append(f"| total | {n0['total']} | {n4['total']} | {ratio(n4['total'], n0['total'])} |")
    lines += [
        "",
        "### Collection requests per endpoint (c)",
        "",
        "| endpoint | requests |",
        "|----------|---------:|",
    ]
    lines += [f"| {ep} | {k} |" for ep, k in sorted(c["by_endpoint"].items())]
    if not f["skipped"]:
        lines += concurrent_table(f)
    lines += [
        "",
        f"Runs created by pytest-amigo in a: {a['creates']} for {size.sets} sets; "
        f"429 answers during collection: {c['rate_limited']}; "
        f"downloader RSS before download: {d['before'] / MB:.1f} MiB.",
        f"Poll interval: ini '{POLL_INI.split('=')[1]}', floored at {POLL_FLOOR:.2f} s by the "
        f"list-runs limit; emulator speed {SPEED:g}; rate limits on.",
        compare_note(g),
        shard_note(h),
        load_note(f["load"]),
        *([CONCURRENT_SKIPPED] if f["skipped"] else []),
        f"Benchmark runtime: {elapsed:.1f} s.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated measurements: a,b,c,d,e,f,g,h (f, g or h alone: "
        "its rows only; anything else needs all of a-h)",
    )
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    start = time.perf_counter()
    steps = (
        ("a", measure_wall),
        ("b", measure_requests),
        ("c", measure_collection),
        ("d", measure_download),
        ("e", measure_startup),
        ("f", measure_concurrent),
        ("g", measure_compare),
        ("h", measure_shards),
    )
    if only and only not in ({"f"}, {"g"}, {"h"}) and only != {s for s, _ in steps}:
        parser.error("--only: 'f', 'g' or 'h' alone, or every measurement")
    results: dict[str, Any] = {}
    for key, fn in steps:
        if only and key not in only:
            continue
        t = time.perf_counter()
        results[key] = fn(size)
        print(f"[{key}] done in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    print(render(size, time.perf_counter() - start, **results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
