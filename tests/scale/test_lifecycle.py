"""Interruption, timeouts and xdist economy, black-box over loopback HTTP."""

from __future__ import annotations

import re
import signal
import xml.etree.ElementTree as ET

import pytest

from support.scale import world

pytestmark = pytest.mark.slow

CREATE = "create-simulation-unit-test-set-run"
CANCEL = "cancel-simulation-unit-test-set-run"
EVALUATIONS = "get-metric-evaluation-results"
POLL = "get-simulation-unit-test-set-runs"


def messages(junit: object) -> dict[str, str]:
    root = ET.parse(str(junit)).getroot()
    return {
        case.get("name") or "": " ".join((c.get("message") or "") + (c.text or "") for c in case)
        for case in root.iter("testcase")
    }


def outcomes(junit: object) -> dict[str, str]:
    root = ET.parse(str(junit)).getroot()
    found = {}
    for case in root.iter("testcase"):
        kind = next((c.tag for c in case if c.tag in ("failure", "error", "skipped")), "passed")
        found[case.get("name") or ""] = kind
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interruption_cancels_started_runs_and_reports_results_already_in(harness_for, sig):
    h = harness_for(world({"Slow": 120.0, "Quick": 0.5}))
    slow, quick = h.set_ids("Slow", "Quick")
    # The slow set's item runs first and waits; the quick set's result arrives meanwhile.
    # The signal goes 2 s after both creates (not the first only: on a loaded machine the
    # second could still be on its way, and the quick set would have no result to report).
    session = h.interrupt([slow, quick], after=2.0, sig=sig, ready=CREATE, ready_count=2)
    assert session.returncode == 2, session.output
    assert session.count(CREATE) == 2
    assert session.count(CANCEL) == 1  # only the unfinished (slow) run
    assert "cancelled run" in session.output
    # Issue 7.14: the item still waiting is in the JUnit too, as an error saying what happened.
    assert outcomes(session.junit) == {"Quick unit": "passed", "Slow unit": "error"}
    assert "cancelled" in messages(session.junit)["Slow unit"]
    assert "scale-secret-key-1" not in session.output


def test_interruption_under_xdist_cancels_runs(harness_for):
    h = harness_for(world({"Slow A": 120.0, "Slow B": 120.0}))
    # Both creates first: each worker starts its set, and one may come up late when loaded.
    session = h.interrupt(
        h.set_ids("Slow A", "Slow B"), "-n", "2", after=3.0, sig=signal.SIGTERM, ready=CREATE,
        ready_count=2,
    )  # fmt: skip
    assert session.returncode == 2, session.output
    assert session.count(CREATE) == 2
    assert session.count(CANCEL) == 2, session.output
    # Issue 7.14: the controller reports the workers' waiting items (JUnit used to say "no tests").
    assert outcomes(session.junit) == {"Slow A unit": "error", "Slow B unit": "error"}
    assert all("cancelled" in m for m in messages(session.junit).values())


def test_sigterm_while_xdist_workers_start_still_writes_junit(harness_for):
    # Issue 7.14: a SIGTERM while xdist started its workers killed pytest outright (no JUnit,
    # workers left running). The signal is sent from within the controller's session start,
    # where xdist brings its workers up, so the moment is exact.
    h = harness_for(world({"Slow A": 120.0}))
    (h.tmp / "conftest.py").write_text(
        "import os, signal, pytest\n"
        "@pytest.hookimpl(trylast=True)\n"
        "def pytest_sessionstart(session):\n"
        "    if not hasattr(session.config, 'workerinput'):\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
    )
    session = h.run(h.set_ids("Slow A"), "-n", "2", timeout=120)
    assert session.returncode == 2, session.output
    assert session.junit.exists(), session.output
    # the workers may have started the run meanwhile: then it was cancelled, not left running
    assert session.count(CANCEL) == session.count(CREATE), session.output


def test_attached_runs_are_not_cancelled(harness_for):
    h = harness_for(world({"Slow": 120.0}))
    (slow,) = h.set_ids("Slow")
    api = h.emu.client()
    token = api.post(
        f"/v1/{h.emu.organization_id}/user/signin_with_api_key",
        headers={"x-api-key": "scale-secret-key-1", "x-api-key-id": "key-ci", "x-user-id": "ci"},
    ).json()["id_token"]
    created = api.post(
        f"/v1/{h.emu.organization_id}/simulation/unit_test_set_run/",
        json={"simulation_unit_test_set_id": slow},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201
    session = h.interrupt([slow], after=2.0, ready=CREATE)
    assert session.count(CREATE) == 1  # the 409, then attached
    assert session.count(CANCEL) == 0, session.output


def test_amigo_timeout_errors_and_cancels(harness_for):
    h = harness_for(world({"Slow": 120.0, "Quick": 0.3}))
    session = h.run(h.set_ids("Slow", "Quick"), "--amigo-timeout=4")
    assert session.returncode == 1, session.output
    assert outcomes(session.junit) == {"Slow unit": "error", "Quick unit": "passed"}
    assert session.count(CANCEL) == 1
    assert "no result after 4 s" in session.output


def test_keep_running_leaves_runs_alone(harness_for):
    h = harness_for(world({"Slow": 120.0}))
    session = h.run(h.set_ids("Slow"), "--amigo-timeout=2", "--amigo-keep-running")
    assert outcomes(session.junit) == {"Slow unit": "error"}
    assert session.count(CANCEL) == 0


def test_pytest_timeout_signal_interrupt_cancels_the_run(harness_for, tmp_path):
    pytest.importorskip("pytest_timeout")
    h = harness_for(world({"Slow": 120.0}))
    (slow,) = h.set_ids("Slow")
    (tmp_path / "test_marker.py").write_text(
        "import pytest\n\n"
        f"@pytest.mark.amigo_set({slow!r})\n"
        "@pytest.mark.timeout(3, method='signal')\n"
        "def test_slow(amigo_result):\n"
        "    pass\n"
    )
    session = h.run([], "test_marker.py")
    assert session.returncode == 1, session.output
    assert "Timeout" in session.output
    assert session.count(CANCEL) == 1


def test_global_pytest_timeout_does_not_kill_amigo_items(harness_for):
    pytest.importorskip("pytest_timeout")
    h = harness_for(world({"Takes four seconds": 4.0}))
    session = h.run(h.set_ids("Takes four seconds"), "--timeout=1")
    assert session.returncode == 0, session.output
    assert outcomes(session.junit) == {"Takes four seconds unit": "passed"}


@pytest.mark.parametrize("dist", ["load", "loadscope", "loadgroup"])
def test_xdist_same_verdicts_and_requests_as_single_process(harness_for, dist):
    pytest.importorskip("xdist")
    # Sessions of 2..7 world seconds at speed 2: the sets finish 0.5 s apart, from 1 s on, so
    # the items still end at different polls (speed 1 only waited twice as long for the same).
    sets = {f"Set {i}": 2.0 + i for i in range(6)}
    h = harness_for(world(sets, fail=["Set 2", "Set 4"], speed=2.0))
    ids = h.set_ids(*sets)
    single = h.run(ids, "-p", "no:xdist")
    single_outcomes = outcomes(single.junit)
    multi = h.run(ids, "-n", "3", f"--dist={dist}")
    assert outcomes(multi.junit) == single_outcomes
    assert single_outcomes["Set 2 unit"] == "failure"
    assert multi.count(CREATE) == single.count(CREATE) == 6
    assert multi.count("sign-in-with-api-key") == 1
    assert multi.count("get-simulation-unit-test-sets") == 1
    # Every request but the polls is the same; the polls follow the sets' timing (CI once saw
    # 15 requests in all against 18), so they are bounded rather than pinned: three workers
    # must not poll three times as often.
    by_single, by_multi = single.requests["by_endpoint"], multi.requests["by_endpoint"]
    # Justification fetches follow the timing too (a running run at most every 10 s, a finished
    # one once more: CI once saw 2 against 1), bounded at two per failing set.
    timed = (POLL, EVALUATIONS)
    assert {k: v for k, v in by_multi.items() if k not in timed} == {
        k: v for k, v in by_single.items() if k not in timed
    }, (by_single, by_multi)
    assert by_multi.get(POLL, 0) <= 2 * by_single.get(POLL, 0) + 2, (by_single, by_multi)
    for by in (by_single, by_multi):
        assert 1 <= by.get(EVALUATIONS, 0) <= 2 * 2, (by_single, by_multi)


def test_progress_lines_without_a_terminal_and_none_with_quiet(harness_for):
    h = harness_for(world({"Four seconds": 4.0}))
    ids = h.set_ids("Four seconds")
    plain = h.run(ids, "--amigo-progress-interval=1")
    lines = [line for line in plain.output.splitlines() if line.startswith("amigo: ")]
    # At most one line a second: the n-th comes at least n s after the plugin started, which
    # its "Ns elapsed" shows. (A fixed 6 could fail when a loaded machine drew the wait out.)
    last = re.search(r", (\d+)s elapsed$", lines[-1]) if lines else None
    assert last is not None, plain.output
    assert 2 <= len(lines) <= int(last.group(1)) + 1, plain.output
    assert "0/1 sets complete, 0/1 sessions done" in lines[0]
    quiet = h.run(ids, "--amigo-progress-interval=1", "-q")
    assert "sessions done" not in quiet.output
    parallel = h.run(ids, "--amigo-progress-interval=1", "-n", "2")
    assert "sessions done" in parallel.output


def test_flaky_service_gives_the_same_verdicts(harness_for):
    # 5xx answers, dropped connections and latency on every read the plugin makes: the
    # client's retries absorb them and the verdicts are those of a healthy service.
    reads = [
        "get-simulation-unit-test-sets",
        "get-simulation-unit-tests",
        "get-simulation-unit-test-set-runs",
        "get-metric-evaluation-results",
    ]
    sets = {"Good": 1.0, "Bad": 1.5, "Also good": 2.0}
    faults = {"error_rate": 0.2, "drop_rate": 0.05, "latency": 0.05, "seed": 3, "only": reads}
    h = harness_for(world(sets, fail=["Bad"], faults=faults))
    session = h.run(h.set_ids(*sets), "-rA")
    assert outcomes(session.junit) == {
        "Good unit": "passed",
        "Bad unit": "failure",
        "Also good unit": "passed",
    }
    assert "Bad: the agent gave up." in session.output  # the justification survived
    assert sum(v for k, v in session.requests["status_counts"].items() if k >= "500") > 0
