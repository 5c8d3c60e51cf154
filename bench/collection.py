"""c1, c2, c3 -- ``--collect-only`` of a world of many sets x unit tests against as many
parametrized tests: time, peak RSS (each pytest the only child of a fresh wrapper process), and
the API requests over the minimum at the emulator's page sizes."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from bench.harness import (
    PY,
    PYTEST,
    RequestStats,
    Size,
    admin_requests,
    child_env,
    clean_env,
    project_dir,
    pytest_cmd,
)
from bench.rows import Row, count_row, ratio, timed_row
from bench.worlds import SETS_PAGE, UNIT_TESTS_PAGE, collection_world
from pytest_amigo.emulator import Emulator

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
COLLECT = "--collect-only"


@dataclass(frozen=True)
class Collected:
    """One ``--collect-only``: wall seconds and peak RSS in MiB."""

    wall: float
    rss: float


@dataclass(frozen=True)
class CollectionResult:
    sets: int
    tests: int
    amigo: Collected
    plain: Collected
    stats: RequestStats
    minimum: int  # requests at the emulator's largest pages

    @property
    def n(self) -> int:
        return self.sets * self.tests


def wrapped(cmd: list[str], cwd: Path, env: dict[str, str], n: int, label: str) -> Collected:
    """``cmd`` run by a fresh wrapper process, which must collect ``n`` items.

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
    if collected(text) != n:
        raise RuntimeError(f"{label}: expected {n} collected:\n{text[-2000:]}")
    kib = data["maxrss_kb"] if sys.platform != "darwin" else data["maxrss_kb"] / 1024
    return Collected(data["wall"], kib / 1024)


def collected(text: str) -> int:
    m = re.search(r"(\d+) tests? collected", text)
    return int(m.group(1)) if m else -1


def minimum_requests(n_sets: int, n: int) -> int:
    """One sign-in, the set pages (or 50-id chunks, the client's) and the unit test pages."""
    ids_chunks = math.ceil(n_sets / 50)  # the client sends at most 50 ids per request
    return 1 + max(ids_chunks, math.ceil(n_sets / SETS_PAGE)) + math.ceil(n / UNIT_TESTS_PAGE)


def measure(size: Size) -> CollectionResult:
    n = size.col_sets * size.col_tests
    world, set_ids = collection_world(size.col_sets, size.col_tests)
    with project_dir() as proj:
        (proj / "test_plain.py").write_text(
            f"import pytest\n\n\n@pytest.mark.parametrize('i', range({n}))\n"
            "def test_plain(i):\n    pass\n",
            encoding="utf-8",
        )
        plain = wrapped([*PYTEST, COLLECT, "test_plain.py"], proj, clean_env(), n, "plain")
    with Emulator(world) as emu, project_dir() as proj:
        amigo = wrapped([*pytest_cmd(set_ids), COLLECT], proj, child_env(emu), n, "amigo")
        stats = admin_requests(emu)
    return CollectionResult(
        size.col_sets, size.col_tests, amigo, plain, stats, minimum_requests(size.col_sets, n)
    )


def rows(c: CollectionResult) -> list[Row]:
    return [
        timed_row(
            "c1",
            f"--collect-only time: {c.sets}x{c.tests} amigo / {c.n} parametrized",
            c.amigo.wall,
            c.plain.wall,
        ),
        Row(
            "c2",
            "--collect-only peak RSS: amigo / parametrized",
            f"{c.amigo.rss:.1f} MiB",
            f"{c.plain.rss:.1f} MiB",
            ratio(c.amigo.rss, c.plain.rss),
        ),
        count_row(
            "c3",
            "--collect-only API requests / minimum at the emulator's page sizes",
            c.stats.total,
            c.minimum,
        ),
    ]


def table(c: CollectionResult) -> list[str]:
    """Collection requests per endpoint."""
    return [
        "",
        "### Collection requests per endpoint (c)",
        "",
        "| endpoint | requests |",
        "|----------|---------:|",
        *(f"| {ep} | {k} |" for ep, k in sorted(c.stats.by_endpoint.items())),
    ]
