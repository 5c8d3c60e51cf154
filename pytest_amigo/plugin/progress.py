"""Live progress while items wait for simulation results."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from pytest_amigo.judging.run_data import result_failures
from pytest_amigo.lifecycle.snapshot import Snapshot
from pytest_amigo.settings import Settings

TTY_INTERVAL = 1.0


class StatusLine:
    """One line below pytest's output, rewritten in place, removed when the wait ends.

    Writes to the terminal writer's file directly, so pytest's own idea of its current line
    (which it uses to place the ``[ 50%]`` column) stays true; on removal the cursor goes back
    to the end of pytest's line with relative moves, which survive scrolling.
    """

    def __init__(self, writer: Any) -> None:
        self.writer = writer
        self._column: int | None = None

    @property
    def shown(self) -> bool:
        return self._column is not None

    def show(self, text: str) -> None:
        file = self.writer._file
        if self._column is None:
            self._column = int(self.writer.width_of_current_line)
            file.write("\n")
        width = max(20, int(self.writer.fullwidth) - 1)
        file.write("\r" + text[:width] + "\x1b[K")
        file.flush()

    def clear(self) -> None:
        if self._column is None:
            return
        back = f"\x1b[{self._column}C" if self._column else ""
        self.writer._file.write("\r\x1b[K\x1b[1A" + back)
        self.writer._file.flush()
        self._column = None


def describe(snapshot: Snapshot, started_at: float | None, now: float) -> str:
    """One status line: sets done, sessions done / total, failing so far, elapsed."""
    runs = list(snapshot.runs.values())
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
                failing += bool(result_failures(result))
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
        self._status: StatusLine | None = None

    def _enabled(self) -> bool:
        return not hasattr(self.config, "workerinput") and self.config.get_verbosity() >= 0

    def watch(self, snapshot: Callable[[], Snapshot]) -> None:
        """Under xdist the waiting happens in workers, whose output nobody sees: the controller
        reads the shared snapshot in a background thread and prints the progress lines."""
        if not self._enabled() or self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.wait(1.0):
                current = snapshot()
                if current.runs:
                    self.tick(current, capture=False)

        self._thread = threading.Thread(target=loop, name="amigo-progress", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def tick(self, snapshot: Snapshot, *, capture: bool = True) -> None:
        if not self._enabled():
            return
        if not snapshot.runs:
            return
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        tty = bool(getattr(reporter, "isatty", False)) and capture
        writer = getattr(reporter, "_tw", None)
        if tty and not hasattr(writer, "_file"):
            tty = False  # a terminal writer without the attributes the status line needs
        interval = TTY_INTERVAL if tty else self.settings.polling.progress_interval
        now = time.monotonic()
        if interval <= 0 or now - self._last < interval:
            return
        self._last = now
        line = describe(snapshot, self._started, time.time())
        manager = self.config.pluginmanager.get_plugin("capturemanager") if capture else None
        if manager is not None:
            with manager.global_and_fixture_disabled():
                self._emit(reporter, line, status=tty)
        else:
            self._emit(reporter, line, status=tty)

    def _emit(self, reporter: Any, line: str, *, status: bool) -> None:
        if status:
            if self._status is None:
                self._status = StatusLine(reporter._tw)
            self._status.show(line)
        else:
            reporter.write_line(line)

    def done(self) -> None:
        """The wait is over: remove the status line (on a terminal) before pytest writes on."""
        if self._status is None or not self._status.shown:
            return
        manager = self.config.pluginmanager.get_plugin("capturemanager")
        if manager is not None:
            with manager.global_and_fixture_disabled():
                self._status.clear()
        else:
            self._status.clear()
