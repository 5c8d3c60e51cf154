"""Helpers of the plugin tests (tests/plugin): the test world, JUnit reading, a pytester project.

An ``AmigoProject`` drives a fresh ``pytest`` subprocess (``pytester.runpytest_subprocess``)
whose environment carries the AMIGO_* variables of an emulator running in the test's process.
"""

from __future__ import annotations

import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_amigo.emulator import Emulator, World, derive_id

WORLDS = Path(__file__).resolve().parents[1] / "plugin" / "worlds"
WORLD_PATH = WORLDS / "plugin.toml"
WORLD = World.from_toml(WORLD_PATH)
SET = {s.name: s.id for s in WORLD.sets}
UNIT = {u.name: u.id for u in WORLD.unit_tests}
UNKNOWN_SET = derive_id("set", "No such set")
CREATE_RUN = "create-simulation-unit-test-set-run"
CANCEL_RUN = "cancel-simulation-unit-test-set-run"
# xunit1: the tests read the per-testcase properties, which pytest-amigo writes under xunit1 (and
# with amigo_junit_properties = always) but not under xunit2, pytest's default.
BASE_INI = """\
[pytest]
junit_family = xunit1
amigo_poll_interval = 0.1 0.5
amigo_artifacts_wait = 5
"""
SECRETS = [u.api_key for u in WORLD.users]


@dataclass
class Case:
    """One <testcase> of a JUnit report."""

    classname: str
    name: str
    outcome: str  # passed | failure | error | skipped
    message: str | None
    text: str
    properties: list[tuple[str, str]]
    system_out: str

    @property
    def nodeid_like(self) -> str:
        return f"{self.classname}::{self.name}"

    def prop(self, name: str) -> str:
        found = [v for k, v in self.properties if k == name]
        assert len(found) == 1, (name, self.properties)
        return found[0]


def read_junit(path: Path) -> list[Case]:
    root = ET.parse(path).getroot()
    cases = []
    for tc in root.iter("testcase"):
        outcome, message, text = "passed", None, ""
        for tag in ("failure", "error", "skipped"):
            el = tc.find(tag)
            if el is not None:
                outcome, message, text = tag, el.get("message"), el.text or ""
                break
        props = [(p.get("name") or "", p.get("value") or "") for p in tc.iter("property")]
        out = tc.find("system-out")
        cases.append(
            Case(
                tc.get("classname") or "",
                tc.get("name") or "",
                outcome,
                message,
                text,
                props,
                out.text if out is not None and out.text else "",
            )
        )
    return cases


@dataclass
class Outcome:
    """A finished inner pytest run: its result, JUnit cases and what reached the emulator."""

    result: pytest.RunResult
    junit_path: Path
    runs: list[Any] = field(default_factory=list)  # emulator Run objects created meanwhile
    requests: dict[str, Any] = field(default_factory=dict)

    @property
    def output(self) -> str:
        return self.result.stdout.str() + "\n" + self.result.stderr.str()

    @property
    def cases(self) -> list[Case]:
        return read_junit(self.junit_path)

    def case(self, classname: str, name: str) -> Case:
        found = [c for c in self.cases if (c.classname, c.name) == (classname, name)]
        assert len(found) == 1, [(c.classname, c.name) for c in self.cases]
        return found[0]

    @property
    def junit_text(self) -> str:
        return self.junit_path.read_text(encoding="utf-8")

    def created_sets(self) -> list[str]:
        return sorted(r.set_id for r in self.runs)

    def count(self, operation_id: str) -> int:
        return int(self.requests["by_endpoint"].get(operation_id, 0))


def outcomes(out: Outcome) -> dict[str, str]:
    """Each JUnit test case's outcome, by name."""
    return {c.name: c.outcome for c in out.cases}


def text_of(out: Outcome, name: str) -> str:
    """What a JUnit test case says: its message, its body and its captured output."""
    (case,) = [c for c in out.cases if c.name == name]
    return f"{case.message}\n{case.text}\n{case.system_out}"


def report(path: Path) -> dict[str, Any]:
    """A JSON report (--amigo-json), validated against the shipped schema; it reads into the
    typed document and writes back unchanged."""
    import jsonschema

    from pytest_amigo.reports.document import Report
    from pytest_amigo.reports.json_report import schema

    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema())
    assert json.dumps(Report.from_json(data).to_json()) == json.dumps(data)  # key order too
    return data


def unit_tests(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A JSON report's unit tests, by name."""
    return {t["name"]: t for s in data["sets"] for t in s["unit_tests"]}


class AmigoProject:
    """A pytester project pointed at the module's emulator."""

    def __init__(self, pytester: pytest.Pytester, emu: Emulator, mp: pytest.MonkeyPatch):
        self.pytester = pytester
        self.emu = emu
        self.mp = mp
        self.admin = emu.client(timeout=30)
        self.use_user("ci-bot")
        self.ini()

    def use_user(self, user_id: str) -> None:
        for key, value in self.emu.env(user_id).items():
            self.mp.setenv(key, value)

    def ini(self, extra: str = "") -> None:
        self.pytester.path.joinpath("pytest.ini").write_text(BASE_INI + extra, encoding="utf-8")

    def requests(self) -> dict[str, Any]:
        resp = self.admin.get("/_emulator/requests")
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data

    def clear_requests(self) -> None:
        self.admin.delete("/_emulator/requests").raise_for_status()

    def run(self, *args: str, timeout: float = 120, clear: bool = True) -> Outcome:
        junit = self.pytester.path / f"junit-{len(list(self.pytester.path.glob('junit-*')))}.xml"
        before = set(self.emu.store.runs)
        if clear:
            self.clear_requests()
        result = self.pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", f"--junitxml={junit}", *args, timeout=timeout
        )
        runs = [r for rid, r in list(self.emu.store.runs.items()) if rid not in before]
        return Outcome(result, junit, runs, self.requests())

    @contextmanager
    def finish_runs_once(self, seen: Callable[[list[dict[str, Any]]], bool]) -> Iterator[None]:
        """Push the world clock far ahead as soon as ``seen(request log)`` holds.

        Lets a test keep a run unfinished for as long as needed (a conflict) and still have
        pytest's results quickly once the plugin did what the test watches for.
        """
        self.clear_requests()
        stop = threading.Event()
        fired = threading.Event()

        def watch() -> None:
            with self.emu.client(timeout=30) as client:
                while not stop.is_set():
                    log = client.get("/_emulator/requests").json()["log"]
                    if seen(log):
                        self.emu.advance(10_000_000)
                        fired.set()
                        return
                    time.sleep(0.05)

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=10)

    # -- direct API use (to prepare runs the way another client would) --------------------
    def token(self, user_id: str = "ci-bot") -> str:
        c = self.emu.user(user_id)
        resp = self.admin.post(
            f"/v1/{self.emu.organization_id}/user/signin_with_api_key",
            headers={
                "x-api-key": c["api_key"],
                "x-api-key-id": c["api_key_id"],
                "x-user-id": c["user_id"],
            },
        )
        resp.raise_for_status()
        return str(resp.json()["id_token"])

    def start_run(self, set_name: str, user_id: str = "ci-bot") -> str:
        resp = self.admin.post(
            f"/v1/{self.emu.organization_id}/simulation/unit_test_set_run/",
            headers={"Authorization": f"Bearer {self.token(user_id)}"},
            json={"simulation_unit_test_set_id": SET[set_name]},
        )
        assert resp.status_code == 201, resp.text
        return str(resp.json()["simulation_unit_test_set_run_id"])


def polled_after_create(ops: list[str], n: int = 1) -> bool:
    """The plugin polled runs after the emulator answered the session's ``n``-th run create
    (operation ids in answer order). It records a run before it polls again, so from then on
    it knows that run: a SIGTERM now has something to cancel."""
    creates = [i for i, op in enumerate(ops) if op == CREATE_RUN]
    return len(creates) >= n and "get-simulation-unit-test-set-runs" in ops[creates[n - 1] + 1 :]


def sigterm_when(
    pytester: pytest.Pytester,
    emu: Emulator,
    args: tuple[str, ...],
    ready: Callable[[list[str]], bool],
    *,
    give_up: float = 90.0,
) -> str:
    """Run pytest with ``args`` in a subprocess against ``emu``, send it SIGTERM as soon as
    ``ready(operation ids the emulator has answered)`` holds, and return its output (a cancelled
    CI job)."""
    import os
    import signal
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("AMIGO_")}
    with emu.client(timeout=30) as admin:
        admin.delete("/_emulator/requests").raise_for_status()
        proc = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
            cwd=pytester.path,
            env={**env, **emu.env()},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + give_up
            while time.monotonic() < deadline:
                log = admin.get("/_emulator/requests").json()["log"]
                if ready([e["operation_id"] for e in log]):
                    break
                time.sleep(0.05)
            else:
                raise AssertionError(f"not ready after {give_up} s")
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=give_up)
        finally:
            if proc.poll() is None:
                proc.kill()
    return str(out)
