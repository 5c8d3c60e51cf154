"""pytest glue: options, markers, collection entry points, the item protocol and reporting.

The work itself lives elsewhere: ``coordinator`` runs the runs, ``verdict`` judges them,
``explain`` words the result. This module only wires them into pytest's hooks.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import pytest
from _pytest.config import ExitCode

from . import settings as settings_mod
from .catalog import DefinitionError
from .collect import ROOT_NAME, AmigoItem, AmigoRoot, refs_for
from .coordinator import Coordinator, Observation, RunRecord, artifacts_path
from .domain import UnitTestSet
from .explain import explain
from .fixtures import amigo_emulator, amigo_emulator_factory
from .junit_artifacts import settle
from .outcome import (
    AmigoError,
    AmigoFailure,
    AmigoProblem,
    AmigoResult,
    UnitTestRef,
    longrepr,
)
from .progress import Progress
from .shared import SharedState, SharedTokenCache
from .summary import SetSummary
from .verdict import Verdict, judge, judge_unfinished, printable

__all__ = ["amigo_emulator", "amigo_emulator_factory", "amigo_result", "amigo_unit_test"]

STATE_DIR_KEY = "amigo_state_dir"
FIXTURE_PARAM = "amigo_unit_test"
TIMEOUT_MARGIN = 120.0


def pytest_addoption(parser: pytest.Parser) -> None:
    settings_mod.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "amigo: an Amigo simulation unit test (added by pytest-amigo)"
    )
    config.addinivalue_line(
        "markers",
        "amigo_set(set_id, min_pass_rate=None, enforce_verdict=True): parametrize the test over "
        "the unit tests of an Amigo unit test set; request the amigo_result fixture.",
    )
    session = AmigoSession(config)
    config.pluginmanager.register(session, "amigo-session")
    config.add_cleanup(session.cleanup)
    if session.settings.set_ids or session.settings.ini_set_ids or session.settings.run_ids:
        session._handle_sigterm()  # a cancelled CI job may come at any moment from now on


class AmigoSession:
    """Per-process state of pytest-amigo, registered as a plugin object."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings = settings_mod.load(config)
        workerinput = getattr(config, "workerinput", None)
        self.is_worker = workerinput is not None
        if workerinput is not None and STATE_DIR_KEY in workerinput:
            state_dir = Path(workerinput[STATE_DIR_KEY])
            self._owns_state = False
        else:
            # Named now (workers need the path), created only when Amigo work starts.
            state_dir = Path(tempfile.gettempdir()) / f"pytest-amigo-{secrets.token_hex(8)}"
            self._owns_state = True
        self.coordinator = Coordinator(SharedState(state_dir), self.settings, self._make_api)
        self.results: dict[str, AmigoResult] = {}
        self.summary = SetSummary()
        self.progress = Progress(config, self.settings)
        self._secrets = {os.environ.get("AMIGO_API_KEY", "")}
        self._cleaned = False
        self._reported: set[str] = set()
        self._previous_sigterm: Any = None
        self._ended_normally = False
        xmlpath = getattr(config.option, "xmlpath", None)  # as junitxml resolves it, now
        self._xmlpath = Path(os.path.abspath(xmlpath)) if xmlpath else None
        self._sigterm_deliverable = False  # pytest can handle KeyboardInterrupt from now on
        self._sigterm_pending = False

    def _handle_sigterm(self) -> None:
        """A cancelled CI job sends SIGTERM: treat it as Ctrl-C so this session's runs are
        cancelled and the reports written. Installed on the controller (or single process) as
        soon as Amigo work is known, and only over the default handler."""
        if self.is_worker or self._previous_sigterm is not None:
            return
        if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            try:
                self._previous_sigterm = signal.signal(signal.SIGTERM, self._on_sigterm)
            except ValueError:  # not the main thread
                self._previous_sigterm = None

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        # Before the session proper starts (xdist starting its workers), a KeyboardInterrupt
        # would skip pytest's end of session (no JUnit, workers left running): hold it until
        # collection starts.
        if self._sigterm_deliverable:
            raise KeyboardInterrupt("SIGTERM")
        self._sigterm_pending = True

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> None:
        self._session = session
        self._sigterm_deliverable = True
        if self._sigterm_pending:
            raise KeyboardInterrupt("SIGTERM")

    # ------------------------------------------------------------------ API
    def _make_api(self) -> Any:
        from .api import ConfigurationError, SimulationApi

        try:
            api = SimulationApi(token_cache=SharedTokenCache(self.coordinator.state))
        except ConfigurationError as exc:
            raise DefinitionError(str(exc)) from None
        self._api_for_secrets = api
        return api

    def secrets(self) -> set[str]:
        found = set(self._secrets)
        api = getattr(self, "_api_for_secrets", None)
        if api is not None:
            found.update(s for s in api.secrets() if s)
        return {s for s in found if len(s) >= 6}

    # ------------------------------------------------------------------ collection
    def _ini_sets_apply(self) -> bool:
        """Sets from ini follow path selection: only when the run covers the project root."""
        config = self.config
        if config.args_source != pytest.Config.ArgsSource.ARGS:
            return True
        root = config.rootpath.resolve()
        for arg in config.args:
            path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
            if path == root or root.is_relative_to(path):
                return True
        return False

    def wanted_set_ids(self) -> list[str]:
        ids = list(self.settings.set_ids)
        if self._ini_sets_apply():
            ids += self.settings.ini_set_ids
        return list(dict.fromkeys(ids))

    def collected_sets(self) -> list[UnitTestSet]:
        try:
            attach = self.attached_runs()
            ids = self.wanted_set_ids() + [s for s in attach if s not in self.wanted_set_ids()]
            if not ids:
                return []
            origin = "--amigo-set / amigo_sets / --amigo-run"
            return list(self.coordinator.definitions(ids, origin=origin).values())
        except DefinitionError as exc:
            pytest.fail(f"pytest-amigo: {exc}", pytrace=False)

    def attached_runs(self) -> dict[str, str]:
        return {self.coordinator.set_of_run(r): r for r in self.settings.run_ids}

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, Any, Any]:
        report = yield
        if (
            isinstance(collector, pytest.Session)
            and report.passed
            and (self.wanted_set_ids() or self.settings.run_ids)
        ):
            report.result.append(
                AmigoRoot.from_parent(collector, name=ROOT_NAME, nodeid=ROOT_NAME, amigo=self)
            )
        return report

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        marker = metafunc.definition.get_closest_marker("amigo_set")
        if marker is None:
            return
        if FIXTURE_PARAM not in metafunc.fixturenames:
            pytest.fail(
                f"{metafunc.definition.nodeid}: a test marked amigo_set must request the "
                "amigo_result fixture (def test_x(amigo_result): ...).",
                pytrace=False,
            )
        if not marker.args:
            pytest.fail(
                f"{metafunc.definition.nodeid}: amigo_set needs a set id: "
                '@pytest.mark.amigo_set("<24-hex set id>")',
                pytrace=False,
            )
        rate = marker.kwargs.get("min_pass_rate", self.settings.min_pass_rate)
        if rate is not None and not 0 < float(rate) <= 1:
            pytest.fail(
                f"{metafunc.definition.nodeid}: min_pass_rate must be in (0, 1]", pytrace=False
            )
        try:
            sets = self.coordinator.definitions(
                [str(marker.args[0])], origin=f"amigo_set marker of {metafunc.definition.nodeid}"
            )
        except DefinitionError as exc:
            pytest.fail(f"pytest-amigo: {exc}", pytrace=False)
        refs = refs_for(
            next(iter(sets.values())),
            min_pass_rate=None if rate is None else float(rate),
            enforce_verdict=bool(marker.kwargs.get("enforce_verdict", True)),
        )
        metafunc.parametrize(
            FIXTURE_PARAM, [r for _, r in refs], ids=[n for n, _ in refs], indirect=True
        )

    @pytest.hookimpl(tryfirst=True)  # before -k/-m deselection, to see every collected item
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        amigo_items = [(item, ref) for item in items if (ref := ref_of(item)) is not None]
        if not amigo_items:
            return
        self._handle_sigterm()  # no-op on workers
        if self.is_worker:  # the controller reports what is left when it is interrupted
            self.coordinator.publish_items(
                {
                    item.nodeid: {
                        "set_id": ref.set_id,
                        "position": ref.position,
                        "min_pass_rate": ref.min_pass_rate,
                        "enforce_verdict": ref.enforce_verdict,
                        "location": list(item.location),
                    }
                    for item, ref in amigo_items
                }
            )
        # pytest-timeout: Amigo items follow the Amigo budget, not a global --timeout.
        has_timeout = self.config.pluginmanager.hasplugin("timeout")
        timeout = (
            pytest.mark.timeout(self.settings.timeout + TIMEOUT_MARGIN) if has_timeout else None
        )
        matched: set[str] = set()
        for item, ref in amigo_items:
            item.add_marker(pytest.mark.amigo)
            if timeout is not None:
                item.add_marker(timeout)
            reason = self._xfail_reason(item, ref, matched)
            if reason is not None:
                # Only verdict failures are expected: errors (timeouts, permissions,
                # errored runs) still report as errors.
                item.add_marker(pytest.mark.xfail(reason=reason, strict=False, raises=AmigoFailure))
        first_worker = getattr(self.config, "workerinput", {}).get("workerid", "gw0") == "gw0"
        for line in self.settings.xfail_lines:
            if line not in matched and first_worker:
                warnings.warn(
                    pytest.PytestConfigWarning(
                        f"amigo_xfail entry matches no collected unit test: {line!r}"
                    ),
                    stacklevel=1,
                )

    def _xfail_reason(self, item: pytest.Item, ref: UnitTestRef, matched: set[str]) -> str | None:
        """``amigo_xfail`` lines are ``KEY: reason``; KEY (a unit test name or id, or the item's
        name or node id) may itself contain colons, so every colon is tried as the split."""
        keys = {ref.unit_test.id, ref.unit_test.name, item.name, item.nodeid}
        for line in self.settings.xfail_lines:
            for index, char in enumerate(line):
                if char == ":" and line[:index].strip() in keys:
                    matched.add(line)
                    return line[index + 1 :].strip() or "listed in amigo_xfail"
            if line.strip() in keys:
                matched.add(line)
                return "listed in amigo_xfail"
        return None

    # ------------------------------------------------------------------ running
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        config = session.config
        if config.option.collectonly:
            return
        if session.testsfailed and not config.option.continue_on_collection_errors:
            return  # pytest is about to stop on collection errors: start nothing
        self._session = session
        if not self.is_worker and config.pluginmanager.hasplugin("dsession"):
            self.progress.watch(lambda: self.coordinator.state.read("snapshot.json"))
            return
        selected = list(dict.fromkeys(r.set_id for i in session.items if (r := ref_of(i))))
        if not selected:
            return
        self._handle_sigterm()
        self.coordinator.state.write("active.json", True)  # tells the xdist controller
        attach = {s: r for s, r in self.attached_runs().items() if s in selected}
        self.coordinator.start([s for s in selected if s not in attach], attach)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if self.coordinator.state.read("active.json"):
            self._handle_sigterm()

    def resolve(self, item: pytest.Item, ref: UnitTestRef) -> AmigoResult:
        """Wait for the unit test's result and judge it; stored on the item for reporting."""

        def needs(run: dict[str, Any] | None, record: RunRecord) -> set[str] | None:
            verdict = _judge(ref, run, record, None, self.settings.min_valid_sessions)
            return None if verdict.outcome == "pending" else set(verdict.failing_evaluation_ids())

        try:
            observation = self.coordinator.wait(ref.set_id, needs, on_tick=self.progress.tick)
        except BaseException as exc:  # Ctrl-C, pytest-timeout's Failed, internal errors
            why = "interrupted" if isinstance(exc, KeyboardInterrupt) else "the test timed out"
            self._cancel(why, set_ids=[ref.set_id])
            raise
        finally:
            self.progress.done()
        result = self._result(ref, observation)
        self.results[item.nodeid] = result
        item.user_properties.extend(result.properties())
        run = observation.run or {}
        if (
            result.artifacts is not None
            and not observation.record.cancelled
            and not run.get("errored")
        ):
            sys.stdout.write(f"[[ATTACHMENT|{result.artifacts}]]\n")
        return result

    def result_of(self, item: pytest.Item) -> AmigoResult | None:
        return self.results.get(item.nodeid)

    def _result(
        self, ref: UnitTestRef, obs: Observation, *, interrupted: bool = False
    ) -> AmigoResult:
        record = obs.record
        if record.run_id is None or record.error:
            reason = printable(f"set {ref.set.name!r}: {record.error}")
            return AmigoResult(ref, "error", reason, f"{reason}\n", None, None)
        run_id = record.run_id
        verdict: Verdict
        if obs.timed_out:
            verdict = judge_unfinished(
                ref.unit_test,
                ref.position,
                obs.run,
                why="timeout",
                budget_s=self.settings.timeout,
                occurrence=ref.occurrence,
            )
            self._cancel("the --amigo-timeout budget ran out", set_ids=[ref.set_id])
            record = self.coordinator.records().get(ref.set_id, record)
            if record.cancelled:
                verdict = replace(
                    verdict,
                    error_kind="run-cancelled",
                    reason=f"{verdict.reason}; this session cancelled the run",
                )
        elif obs.failure is not None:
            verdict = Verdict("error", ref.unit_test, run_id, obs.failure, error_kind="unreadable")
        else:
            verdict = _judge(
                ref, obs.run, record, obs.evaluations, self.settings.min_valid_sessions
            )
        if interrupted and verdict.outcome == "pending":
            verdict = judge_unfinished(
                ref.unit_test,
                ref.position,
                obs.run,
                why="interrupted",
                occurrence=ref.occurrence,
                evaluations=obs.evaluations,
            )
            if record.cancelled:
                verdict = replace(verdict, reason=f"{verdict.reason}; run {run_id} cancelled")
            else:
                verdict = replace(
                    verdict,
                    reason=f"{verdict.reason}; run {run_id} left running: report it later "
                    f"with pytest --amigo-run={run_id}",
                )
        text = explain(
            verdict,
            obs.evaluations,
            set_name=ref.set.name,
            rerun_hint=f"Report this run again: pytest --amigo-run={run_id}",
        )
        notes = [record.note] if record.note and not record.started_here else []
        if record.cancelled:
            notes.append(f"this session cancelled the run: {record.cancelled}")
        if obs.evaluation_error and verdict.outcome == "failed":
            notes.append(f"justifications unavailable: {obs.evaluation_error}")
        if notes:
            text = text.rstrip("\n") + "\n" + "\n".join(notes) + "\n"
        text = printable(text)  # service text never reaches the terminal or XML raw
        artifacts = (
            artifacts_path(self.settings.artifacts_dir, run_id)
            if self.settings.artifacts_dir is not None
            else None
        )
        outcome = verdict.outcome if verdict.outcome in ("passed", "failed") else "error"
        return AmigoResult(
            ref,
            outcome,
            printable(verdict.reason),
            text,
            run_id,
            verdict,
            dict(obs.evaluations or {}),
            artifacts,
            record.note,
        )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        outcome = yield
        result = self.results.get(item.nodeid)
        if (
            result is not None
            and not isinstance(item, AmigoItem)
            and result.ref.enforce_verdict
            and result.outcome == "failed"
        ):
            raise AmigoFailure(result)
        return outcome

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.excinfo is not None and isinstance(call.excinfo.value, AmigoProblem):
            if hasattr(report, "wasxfail"):
                # An xfail report keeps only the reason: keep the evidence in <system-out>.
                item.add_report_section(call.when, "stdout", call.excinfo.value.result.explanation)
            else:
                report.longrepr = longrepr(call.excinfo.value, item.location)
        if ref_of(item) is not None and (found := self.secrets()):
            _scrub(report, found)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._reported.add(report.nodeid)
        self.summary.add(report)

    def pytest_keyboard_interrupt(self) -> None:
        """Ctrl-C or SIGTERM: cancel this session's runs, then report every Amigo item not yet
        reported: its verdict if its result was in, else an error saying what became of its run.
        """
        session = getattr(self, "_session", None)
        if session is None or self.is_worker or not self.coordinator.records():
            return
        self.coordinator.poll_if_due(force=True)  # report what is in, cancel only what runs
        self._cancel("interrupted")
        snap = self.coordinator.snapshot()
        records = self.coordinator.records()
        for nodeid, location, keywords, ref in self._interrupted_items(session):
            record = records.get(ref.set_id)
            if record is None or nodeid in self._reported:
                continue
            run = snap["runs"].get(record.run_id or "")
            failure = snap["poll_fatal"].get(record.run_id or "")
            observation = Observation(record, run, snap["evaluations"], None, False, failure)
            result = self._result(ref, observation, interrupted=True)
            for report in _reports_for(nodeid, location, keywords, result):
                self.config.hook.pytest_runtest_logreport(report=report)

    def _interrupted_items(
        self, session: pytest.Session
    ) -> list[tuple[str, tuple[str, int | None, str], dict[str, Literal[1]], UnitTestRef]]:
        """The Amigo items of the session: collected here, or (xdist) published by workers."""
        found: list[
            tuple[str, tuple[str, int | None, str], dict[str, Literal[1]], UnitTestRef]
        ] = []
        for item in getattr(session, "items", None) or []:
            if (ref := ref_of(item)) is not None:
                keywords: dict[str, Literal[1]] = dict.fromkeys(item.keywords, 1)
                found.append((item.nodeid, item.location, keywords, ref))
        if found:
            return found
        refs: dict[tuple[str, float | None, bool], list[UnitTestRef]] = {}
        for nodeid, entry in self.coordinator.published_items().items():
            key = (entry["set_id"], entry["min_pass_rate"], entry["enforce_verdict"])
            if key not in refs:
                try:
                    unit_set = self.coordinator.definitions([key[0]], origin="the workers")[key[0]]
                except DefinitionError:
                    continue
                refs[key] = [
                    r for _, r in refs_for(unit_set, min_pass_rate=key[1], enforce_verdict=key[2])
                ]
            if entry["position"] < len(refs[key]):
                path, line, name = entry["location"]
                marks: dict[str, Literal[1]] = {"amigo": 1, nodeid.split("::")[-1]: 1}
                found.append((nodeid, (path, line, name), marks, refs[key][entry["position"]]))
        return found

    # ------------------------------------------------------------------ xdist
    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[STATE_DIR_KEY] = str(self.coordinator.state.root)

    # ------------------------------------------------------------------ end of session
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.progress.stop()
        if self.is_worker or not self.coordinator.records():
            return
        self.coordinator.poll_if_due(force=True)  # decide on fresh data, not the last poll's
        if exitstatus == ExitCode.INTERRUPTED:
            self._cancel("interrupted")
            return
        if session.shouldfail or session.shouldstop:
            # -x / --maxfail: the remaining items will not be reported; nobody needs the runs.
            self._cancel("the session stopped early (-x / --maxfail)")
        self._ended_normally = True
        self.coordinator.finish_artifacts()

    def _cancel(self, why: str, *, set_ids: list[str] | None = None) -> list[str]:
        cancelled, left = self.coordinator.cancel_started(why, set_ids=set_ids)
        self.summary.left_running += [r for r in left if r not in self.summary.left_running]
        return cancelled

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """JUnit is written by now: drop references to artifacts that never arrived."""
        xmlpath = self._xmlpath
        if self.is_worker or xmlpath is None or not self.coordinator.state.root.exists():
            return
        try:
            settle(xmlpath, self.coordinator.missing_artifacts())
        except (OSError, ET.ParseError) as exc:
            sys.stderr.write(f"pytest-amigo: could not update {xmlpath}: {exc}\n")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker:
            return
        self.summary.write(terminalreporter, self.coordinator)

    def cleanup(self) -> None:
        """Runs even when Ctrl-C or an internal error skipped the normal end of session."""
        if self._cleaned:
            return
        self._cleaned = True
        try:
            if not self.is_worker and not self._ended_normally and self.coordinator.records():
                cancelled, left = self.coordinator.cancel_started("interrupted", time_cap=15.0)
                if cancelled or left:
                    lines = [f"pytest-amigo: cancelled run {r}" for r in cancelled]
                    lines += [
                        f"pytest-amigo: run {r} still running: cancel it or report it "
                        f"with pytest --amigo-run={r}"
                        for r in left
                    ]
                    sys.stderr.write("\n".join(lines) + "\n")
        finally:
            self.coordinator.close()
            if self._previous_sigterm is not None:
                signal.signal(signal.SIGTERM, self._previous_sigterm)
            if self._owns_state:
                shutil.rmtree(self.coordinator.state.root, ignore_errors=True)


def _judge(
    ref: UnitTestRef,
    run: dict[str, Any] | None,
    record: RunRecord,
    evaluations: dict[str, dict[str, Any]] | None,
    min_valid: float,
) -> Verdict:
    return judge(
        ref.unit_test,
        ref.position,
        run,
        min_pass_rate=ref.min_pass_rate,
        cancelled_by_us=bool(record.cancelled),
        occurrence=ref.occurrence,
        evaluations=evaluations,
        min_valid=min_valid,
    )


def _reports_for(
    nodeid: str,
    location: tuple[str, int | None, str],
    keywords: dict[str, Literal[1]],
    result: AmigoResult,
) -> list[pytest.TestReport]:
    """Setup, call and teardown reports for an item judged without being run (interruption)."""
    problem: AmigoProblem | None = None
    if result.outcome == "error":
        problem = AmigoError(result)
    elif result.outcome == "failed":
        problem = AmigoFailure(result)
    failed_when = "setup" if result.outcome == "error" else "call"
    props = result.properties()
    now = time.time()
    reports = []
    for when in ("setup", "call", "teardown"):
        if when == "call" and result.outcome == "error":
            continue
        bad = problem is not None and when == failed_when
        reports.append(
            pytest.TestReport(
                nodeid,
                location,
                keywords,
                "failed" if bad else "passed",
                longrepr(problem, location) if bad and problem else None,
                when,
                user_properties=props,
                start=now,
                stop=now,
                duration=0.0,
            )
        )
    return reports


def ref_of(item: pytest.Item) -> UnitTestRef | None:
    if isinstance(item, AmigoItem):
        return item.ref
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        value = callspec.params.get(FIXTURE_PARAM)
        if isinstance(value, UnitTestRef):
            return value
    return None


def _scrub(report: pytest.TestReport, values: set[str]) -> None:
    def clean(text: str) -> str:
        for value in values:
            text = text.replace(value, "***")
        return text

    if report.longrepr is not None:
        text = str(report.longrepr)
        if any(v in text for v in values):
            report.longrepr = clean(text)
    report.sections = [(title, clean(body)) for title, body in report.sections]
    report.user_properties = [
        (k, clean(v) if isinstance(v, str) else v) for k, v in report.user_properties
    ]


@pytest.fixture
def amigo_unit_test(request: pytest.FixtureRequest) -> UnitTestRef:
    """The unit test this parametrized test reports (set by the amigo_set marker)."""
    ref = getattr(request, "param", None)
    if not isinstance(ref, UnitTestRef):
        pytest.fail("amigo_unit_test is only available to tests marked amigo_set", pytrace=False)
    return ref


@pytest.fixture
def amigo_result(request: pytest.FixtureRequest, amigo_unit_test: UnitTestRef) -> AmigoResult:
    """The outcome of this unit test once its results are in (an error outcome errors here).

    With ``enforce_verdict=True`` (default) a failed verdict also fails the test after its body;
    your own assertions add to it.
    """
    amigo: AmigoSession = request.config.pluginmanager.get_plugin("amigo-session")  # type: ignore[assignment]
    result = amigo.resolve(request.node, amigo_unit_test)
    if result.outcome == "error":
        raise AmigoError(result)
    return result
