"""d1, d2 -- an artifact download in a child process: its peak RSS growth over the file size
(a streamed download stays far below 1), and the file's size over the size served."""

from __future__ import annotations

import json
import subprocess
import tempfile
import textwrap
import time
from dataclasses import dataclass

import httpx

from bench.harness import MB, PY, Size, api_env, child_env
from bench.rows import Row, count_row, ratio
from bench.worlds import artifact_world
from pytest_amigo.emulator import Emulator, derive_id

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


@dataclass(frozen=True)
class DownloadResult:
    padding_mb: int
    served: int  # Content-Length served, bytes
    size: int  # the downloaded file's size, bytes
    growth: float  # peak RSS after - RSS before, bytes
    before: float  # RSS before the download, bytes


def finished_run(emu: Emulator) -> tuple[str, int]:
    """A run of the artifact set, its artifacts built server-side: its id and their size."""
    from pytest_amigo.api import SimulationApi

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
            return run_id, int(resp.headers["content-length"])


def measure(size: Size) -> DownloadResult:
    with Emulator(artifact_world(size.artifact_mb * MB)) as emu:
        run_id, served = finished_run(emu)
        with tempfile.TemporaryDirectory(prefix="amigo-dl-") as d:
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
    return DownloadResult(size.artifact_mb, served, data["size"], growth, data["before_kb"] * 1024)


def rows(d: DownloadResult) -> list[Row]:
    return [
        Row(
            "d1",
            f"artifact download ({d.padding_mb} MiB padding): peak RSS growth / file size",
            f"{d.growth / MB:.1f} MiB",
            f"{d.size / MB:.1f} MiB",
            ratio(d.growth, d.size),
        ),
        count_row("d2", "artifact download: file size / size served", d.size, d.served),
    ]
