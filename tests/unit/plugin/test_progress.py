"""Progress text and the terminal status line, without a terminal."""

from __future__ import annotations

import io

from pytest_amigo.lifecycle.snapshot import Snapshot
from pytest_amigo.plugin.progress import StatusLine, describe


class Writer:
    def __init__(self) -> None:
        self._file = io.StringIO()
        self.width_of_current_line = 6  # pytest wrote "amigo " before the wait
        self.fullwidth = 40


def test_describe_counts_sessions_of_finished_unit_tests_and_failures() -> None:
    run = {
        "is_completed": False,
        "unit_test_run_specs": [{"run_count": 2}, {"run_count": 3}],
        "unit_test_run_results": [
            {"metric_evaluation_results": [{"results": [["e1", True], ["e2", False]]}]},
            None,
        ],
    }
    line = describe(Snapshot(runs={"r": run}), started_at=100.0, now=112.0)
    assert line == (
        "amigo: 0/1 sets complete, 2/5 sessions done, 1 unit test(s) failing so far, 12s elapsed"
    )


def test_status_line_rewrites_in_place_and_returns_to_pytests_line() -> None:
    writer = Writer()
    status = StatusLine(writer)
    status.show("first")
    status.show("a status longer than the forty columns of this terminal")
    status.clear()
    assert writer._file.getvalue() == (
        "\n\rfirst\x1b[K\ra status longer than the forty columns \x1b[K\r\x1b[K\x1b[1A\x1b[6C"
    )
    assert not status.shown
    status.clear()  # nothing shown: nothing written
    assert writer._file.getvalue().endswith("\x1b[6C")
