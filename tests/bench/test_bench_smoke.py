"""Smoke test of the benchmark (``python -m bench``): the smoke size (every measurement, the
fewest sets and start-ups) runs and prints every row with numeric ratios.

No timing thresholds: the figures are only checked to be printed and to parse as numbers.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.inner import INNER_ADDOPTS

pytestmark = pytest.mark.slow(seconds=30)

pytest.importorskip("fastapi")
pytest.importorskip("xdist")

ROOT = Path(__file__).resolve().parents[2]
# f1-f3 need the full size; f4, f4s, f5 (sessions sharing a tight list limit, long and short
# sets) run at every size; h1-h5
# (4 shards of one suite, 9 pytest processes) are skipped at the smoke size, with a note
ROWS = ("a1", "a2", "b1", "b2", "c1", "c2", "c3", "d1", "d2", "e1", "f4", "f4s", "f5", "g1", "g2")


def _table_rows(text: str, header: str) -> list[list[str]]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


@pytest.mark.timeout(320)
def test_smoke_benchmark_prints_every_row() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMIGO_", "PYTEST_"))}
    # the pytest sessions the benchmark starts skip this repository's unrelated dev plugins,
    # as every inner session of the suite does (tests/conftest.py): ~2.5 s each
    env["PYTEST_AMIGO_BENCH_ADDOPTS"] = INNER_ADDOPTS
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--size", "smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-4000:]
    out = proc.stdout

    main = _table_rows(out, "| id | measurement")
    assert [r[0] for r in main] == list(ROWS)
    for row in main:
        assert len(row) == 7, row  # id, measurement, value, baseline, ratio, goal, at filing
        assert math.isfinite(float(row[4])), row
        assert row[5] != "-", row  # every measurement states its goal (or that none is set)
    at_filing = {r[0]: r[6] for r in main}
    assert (at_filing["a2"], at_filing["c1"]) == ("1.25", "2.60")  # issue 11's figures
    # a2's ideal counts the bare pytest start-up measured in the same run (issue 23)
    assert "ideal (bare pytest start-up + longest set + one poll)" in main[1][1]
    assert "a2's ideal: bare pytest start-up" in out
    # --amigo-compare simulates every session on the reference too: exactly twice the sessions
    ratios = {r[0]: r[4] for r in main}
    assert ratios["g2"] == "2.000"
    int(next(r for r in main if r[0] == "f5")[2])  # the 429s of f4 are counted (no goal checked)
    assert "h1-h5 (4 shards of the f suite started together) skipped at size smoke" in out

    per_endpoint = _table_rows(out, "| endpoint | -n 0 | -n 4")
    names = [r[0] for r in per_endpoint]
    assert "create-simulation-unit-test-set-run" in names
    assert names[-1] == "total"
    for row in per_endpoint:
        int(row[1]), int(row[2])
        float(row[3])

    collection = _table_rows(out, "| endpoint | requests")
    assert collection and all(int(r[1]) > 0 for r in collection)
