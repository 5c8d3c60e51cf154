"""What every measurement shares: the sizes, the children's environment, the pytest command, the
emulator's admin endpoints, and pytest sessions started together with a timing conftest."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pytest_amigo.emulator import Emulator

PY = sys.executable
SPEED = 10.0  # world seconds per real second for measurements a and b
POLL_INI = "amigo_poll_interval=0.2 1"
POLL_MIN, POLL_MAX = 0.2, 1.0
LIST_RUNS_PER_MINUTE = 50  # documented limit of get-simulation-unit-test-set-runs
# The plugin never polls faster than the list endpoint's documented limit allows (coordinator.py);
# the sequential baseline applies the same floor so both pay the same polling granularity.
POLL_FLOOR = 60.0 / LIST_RUNS_PER_MINUTE * 1.05
MB = 1024 * 1024
PYTEST = (PY, "-m", "pytest", "-q", "-p", "no:cacheprovider")
NO_ARTIFACTS = ("-o", "amigo_artifacts_dir=none")


@dataclass(frozen=True)
class Size:
    name: str
    sets: int  # a, b: sets with known durations
    col_sets: int  # c: sets ...
    col_tests: int  # ... of this many unit tests each
    artifact_mb: int  # d
    startups: int = 5  # e: start-ups of each kind (alternating); a: bare start-ups
    ab_sets: int = 4  # g: sets of AB_UNIT_TESTS unit tests (both sides' creates within a minute)
    ab_rounds: int = 1  # g: sessions of each kind (alternating)
    ab_speed: float = SPEED  # g: emulator speed (the smoke size only checks that g runs)
    load_sets: int = 3  # f4: sets per session
    load_rounds: int = 1  # f4: rounds (each at its own second of the minute, see LOAD_PHASES)
    load_scale: float = 1.0  # f4: durations and artifacts delay scaled (smoke, small: shorter)
    short_sets: int = 3  # f4s: sets per session of 6-8 s
    short_scale: float = 1.0  # f4s: their durations scaled (smoke only: it checks f4s runs)
    short_rounds: int = 2  # f4s: rounds (each at its own second of the minute, see LOAD_PHASES)
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
        short_sets=1,
        short_rounds=1,
        short_scale=0.25,
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
        short_sets=2,
        short_rounds=1,
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


# -- the children's environment and command -------------------------------------------------------


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


@contextmanager
def api_env(emu: Emulator) -> Iterator[None]:
    """This process's environment pointed at ``emu`` (for a SimulationApi of the benchmark)."""
    saved = dict(os.environ)
    os.environ.update(emu.env())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def pytest_cmd(set_ids: list[str], *extra: str) -> list[str]:
    """pytest-amigo on ``set_ids`` with a and b's poll interval, artifacts off."""
    cmd = [*PYTEST, "-o", POLL_INI, *NO_ARTIFACTS]
    return cmd + [f"--amigo-set={s}" for s in set_ids] + list(extra)


def run_checked(
    cmd: list[str], cwd: Path, env: dict[str, str], timeout: float, ok: tuple[int, ...] = (0,)
) -> str:
    """``cmd``'s output; an error unless it exits with one of ``ok``."""
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode not in ok:
        raise RuntimeError(
            f"{' '.join(cmd[:6])} ... exited {proc.returncode}\n{proc.stdout[-3000:]}\n"
            f"{proc.stderr[-3000:]}"
        )
    return proc.stdout


def timed_run(cmd: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...] = (0,)) -> float:
    """Wall seconds of ``cmd`` (a pytest start-up)."""
    start = time.perf_counter()
    run_checked(cmd, cwd, env, timeout=120, ok=ok)
    return time.perf_counter() - start


def passed_count(output: str) -> int:
    found = re.findall(r"(\d+) passed", output)
    return int(found[-1]) if found else 0  # the last line is the session summary


def expect_passed(output: str, n: int, label: str) -> None:
    if passed_count(output) != n:
        raise RuntimeError(f"{label}: expected {n} passed:\n{output[-2000:]}")


# -- the emulator's admin endpoints ---------------------------------------------------------------


@dataclass(frozen=True)
class RequestStats:
    """The emulator's request log: requests, per operation id, and HTTP 429 answers."""

    total: int = 0
    rate_limited: int = 0
    by_endpoint: dict[str, int] = field(default_factory=dict)

    def endpoint(self, name: str) -> int:
        return self.by_endpoint.get(name, 0)

    @staticmethod
    def summed(stats: list[RequestStats]) -> RequestStats:
        by_endpoint: dict[str, int] = {}
        for s in stats:
            for endpoint, n in s.by_endpoint.items():
                by_endpoint[endpoint] = by_endpoint.get(endpoint, 0) + n
        return RequestStats(
            sum(s.total for s in stats), sum(s.rate_limited for s in stats), by_endpoint
        )


def admin_requests(emu: Emulator) -> RequestStats:
    with emu.client(timeout=30) as c:
        data = c.get("/_emulator/requests").json()
    return RequestStats(data["total"], data["rate_limited"], dict(data["by_endpoint"]))


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


def fresh_phase(emu: Emulator) -> None:
    """Before a phase: the previous runs complete, the request log and rate-limit counts reset."""
    wait_until_free(emu)
    admin_reset(emu)
