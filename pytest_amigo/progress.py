"""Live progress while items wait for simulation results."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from .settings import Settings

TTY_INTERVAL = 5.0


def describe(snapshot: Mapping[str, Any], started_at: float | None, now: float) -> str:
    """One status line: sets done, sessions done / total, failing so far, elapsed."""
    runs = list(snapshot.get("runs", {}).values())
    total = done = failing = 0
    for run in runs:
        specs = run.get("unit_test_run_specs") or []
        results = run.get("unit_test_run_results") or []
        for index, spec in enumerate(specs):
            count = int(spec.get("run_count") or 0)
            total += count
            result = results[index] if index < len(results) else None
            if result:
                done += count
                if any(
                    pair[1] is False
                    for metric in result.get("metric_evaluation_results") or ()
                    for pair in metric.get("results") or ()
                ):
                    failing += 1
    complete = sum(1 for r in runs if r.get("is_completed"))
    elapsed = f"{now - started_at:.0f}s" if started_at else "-"
    return (
        f"amigo: {complete}/{len(runs)} sets complete, {done}/{total} sessions done, "
        f"{failing} unit test(s) failing so far, {elapsed} elapsed"
    )


class Progress:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self._last = time.monotonic()
        self._started = time.time()

        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def _enabled(self) -> bool:
        return not hasattr(self.config, "workerinput") and self.config.get_verbosity() >= 0

    def watch(self, snapshot: Callable[[], Mapping[str, Any] | None]) -> None:
        """Under xdist the waiting happens in workers, whose output nobody sees: the controller
        reads the shared snapshot in a background thread and prints the progress lines."""
        if not self._enabled() or self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(1.0):
                current = snapshot()
                if current and current.get("runs"):
                    self.tick(current, capture=False)

        self._thread = threading.Thread(target=loop, name="amigo-progress", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def tick(self, snapshot: Mapping[str, Any], *, capture: bool = True) -> None:
        if not self._enabled():
            return
        if not snapshot.get("runs"):
            return
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        tty = bool(getattr(reporter, "isatty", False))
        interval = TTY_INTERVAL if tty else self.settings.progress_interval
        now = time.monotonic()
        if interval <= 0 or now - self._last < interval:
            return
        self._last = now
        line = describe(snapshot, self._started, time.time())
        manager = self.config.pluginmanager.get_plugin("capturemanager") if capture else None
        if manager is not None:
            with manager.global_and_fixture_disabled():
                reporter.write_line(line)
        else:
            reporter.write_line(line)
