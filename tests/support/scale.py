"""Helpers of the scale tests (tests/scale): one-set-per-unit-test worlds, a pytest subprocess
with the plugin against an emulator in the test's process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_amigo.emulator import Emulator, World


def world(
    sets: dict[str, float],
    *,
    speed: float = 1.0,
    rate_limits: bool = True,
    fail: Sequence[str] = (),
    faults: dict[str, Any] | None = None,
) -> World:
    """One unit test per set, one session of the given duration (real seconds at speed 1)."""
    unit_tests: list[dict[str, Any]] = []
    for name, duration in sets.items():
        unit: dict[str, Any] = {
            "name": f"{name} unit",
            "persona": "Caller",
            "scenario": "Call",
            "duration": duration,
            "criteria": [{"name": "Done", "metric": "Done", "expected": True}],
        }
        if name in fail:
            unit["sessions"] = [
                {
                    "duration": duration,
                    "values": {"Done": False},
                    "justifications": {"Done": f"{name}: the agent gave up."},
                }
            ]
        unit_tests.append(unit)
    return World.from_dict(
        {
            "emulator": {
                "organization": "scale-org",
                "speed": speed,
                "artifacts_delay": 0.5,
                "rate_limits": rate_limits,
            },
            "users": [{"user_id": "ci", "api_key_id": "key-ci", "api_key": "scale-secret-key-1"}],
            "metrics": [{"name": "Done", "type": "boolean"}],
            "personas": [{"name": "Caller"}],
            "scenarios": [{"name": "Call"}],
            "unit_tests": unit_tests,
            "sets": [
                {"name": name, "unit_tests": [{"unit_test": f"{name} unit", "run_count": 1}]}
                for name in sets
            ],
            "faults": faults or {},
        }
    )


@dataclass
class Session:
    """A pytest subprocess run with the plugin, and what the emulator saw meanwhile."""

    returncode: int
    output: str
    requests: dict[str, Any]
    junit: Path

    def count(self, operation_id: str) -> int:
        return int(self.requests["by_endpoint"].get(operation_id, 0))


class Harness:
    def __init__(self, emu: Emulator, tmp: Path) -> None:
        self.emu = emu
        self.tmp = tmp
        (tmp / "pytest.ini").write_text(
            "[pytest]\namigo_poll_interval = 0.1 0.5\namigo_artifacts_wait = 0\n"
            "amigo_artifacts_dir = none\n"
        )

    def set_ids(self, *names: str) -> list[str]:
        found = {s.name: s.id for s in self.emu.world.sets}
        return [found[n] for n in names]

    def reset_log(self) -> None:
        self.emu.client().delete("/_emulator/requests")

    def requests(self) -> dict[str, Any]:
        return self.emu.client().get("/_emulator/requests").json()

    def command(self, sets: Sequence[str], *args: str) -> list[str]:
        junit = self.tmp / "junit.xml"
        return [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            f"--junitxml={junit}",
            *[f"--amigo-set={s}" for s in sets],
            *args,
        ]

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.emu.env(), "PYTHONUNBUFFERED": "1"}

    def run(self, sets: Sequence[str], *args: str, timeout: float = 300) -> Session:
        self.reset_log()
        done = subprocess.run(
            self.command(sets, *args),
            cwd=self.tmp,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Session(
            done.returncode, done.stdout + done.stderr, self.requests(), self.tmp / "junit.xml"
        )

    def interrupt(
        self,
        sets: Sequence[str],
        *args: str,
        after: float,
        sig: int = signal.SIGINT,
        ready: str | None = None,
        ready_count: int = 1,
    ) -> Session:
        """Start pytest, send ``sig`` ``after`` seconds (after ``ready`` is logged ``ready_count``
        times, if given)."""
        self.reset_log()
        proc = subprocess.Popen(
            self.command(sets, *args),
            cwd=self.tmp,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if ready is not None:  # wait (bounded) for the emulator to see that request first
            give_up = time.monotonic() + 120
            while time.monotonic() < give_up and proc.poll() is None:
                seen = [e for e in self.requests()["log"] if e["operation_id"] == ready]
                if len(seen) >= ready_count:
                    break
                time.sleep(0.05)
        deadline = time.monotonic() + after
        while time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=120)
        return Session(proc.returncode, out, self.requests(), self.tmp / "junit.xml")
