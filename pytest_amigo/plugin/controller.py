"""The controller: what only the main process does (never an xdist worker).

It owns the session's state directory, turns SIGTERM (a cancelled CI job) into an interruption,
reports the items still waiting when the session is interrupted, cancels what this session
started when it must, waits for artifacts, prints the summary, settles the JUnit file and cleans
up. Under xdist it learns what the workers did through the coordinator's shared state.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from pytest_amigo.domain import UnitTestRef
from pytest_amigo.errors import DefinitionError
from pytest_amigo.lifecycle.records import Observation
from pytest_amigo.plugin import wire
from pytest_amigo.plugin.collect import AmigoSetGate, ref_of, refs_for
from pytest_amigo.plugin.context import Context
from pytest_amigo.plugin.hooks import REPORT_HOOK, UNIT_TEST_HOOK, implemented, notify
from pytest_amigo.plugin.judge_item import Keywords, Location, build_result, reports_for
from pytest_amigo.plugin.session_plan import describe
from pytest_amigo.plugin.summary import SetSummary, left_running_line
from pytest_amigo.reports import json_report
from pytest_amigo.reports.document import UnitTestEntry
from pytest_amigo.reports.document_gates import Gating
from pytest_amigo.reports.junit_artifacts import settle
from pytest_amigo.reports.writer import GITHUB_SUMMARY, write_reports


class Controller:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.summary = SetSummary()
        self.unit_tests = json_report.UnitTestLog()
        self._json_written = False
        self._files_written: list[tuple[str, Path]] = []
        self._refusals: list[str] = []
        self._reported: set[str] = set()
        self._session: pytest.Session | None = None
        self._ended_normally = False
        self._cleaned = False
        self._previous_sigterm: Any = None
        self._sigterm_deliverable = False  # pytest can handle a KeyboardInterrupt from now on
        self._sigterm_pending = False
        xmlpath = getattr(ctx.config.option, "xmlpath", None)  # as junitxml resolves it, now
        self._xmlpath = Path(xmlpath).absolute() if xmlpath else None

    @property
    def _active(self) -> bool:
        """Amigo work happened in this session (here, or in the workers)."""
        return self.ctx.started or self.ctx.state_dir.exists()

    # -- SIGTERM ----------------------------------------------------------------------------
    def handle_sigterm(self) -> None:
        """A cancelled CI job sends SIGTERM: treat it as Ctrl-C, so this session's runs are
        cancelled and the reports written. Installed as soon as Amigo work is known, and only
        over the default handler."""
        if self._previous_sigterm is not None:
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

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        if any(ref_of(item) is not None for item in items):
            self.handle_sigterm()  # amigo_set markers: known only now

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        if session.config.pluginmanager.hasplugin("dsession"):
            # Workers wait, and nobody sees their output: the controller prints the progress.
            self.ctx.progress.watch(lambda: self.ctx.coordinator.snapshot())

    # -- reports ----------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._reported.add(report.nodeid)
        self.summary.add(report)
        gate = wire.gate_of(report)
        if gate is not None and gate.get("set_id") and (report.when == "call" or report.failed):
            xfailed = report.skipped and hasattr(report, "wasxfail")
            outcome = "xfailed" if xfailed else report.outcome if report.when == "call" else "error"
            self.unit_tests.add_gate(gate, outcome)
        entry = wire.entry_of(report)
        if entry is None:
            return
        reason = getattr(report, "wasxfail", None)
        xfailed = reason is not None and report.skipped
        xpassed = reason is not None and report.passed  # an XPASS: listed, yet passed
        self.unit_tests.add(
            entry, xfailed=xfailed, reason=reason if xfailed or xpassed else None, xpassed=xpassed
        )
        if report.when == "teardown" and implemented(self.ctx.config, UNIT_TEST_HOOK):
            # the item's last report: its outcome as reported
            logged = UnitTestEntry.from_json(
                self.unit_tests.unit_tests[report.nodeid], report.nodeid
            )
            notify(self.ctx.config, UNIT_TEST_HOOK, nodeid=report.nodeid, entry=logged)

    def pytest_keyboard_interrupt(self) -> None:
        """Ctrl-C or SIGTERM: cancel this session's runs, then report every Amigo item not yet
        reported: its verdict if its result was in, else an error saying what became of its run.
        """
        if self._session is None or not self._active:
            return
        coordinator = self.ctx.coordinator
        if not coordinator.records():
            return
        coordinator.poll_if_due(force=True)  # report what is in, cancel only what runs
        self.ctx.cancel("interrupted")
        snap, records = coordinator.snapshot(), coordinator.records()
        for nodeid, location, keywords, ref in self._amigo_items(self._session):
            record = records.get(ref.set_id)
            if record is None or nodeid in self._reported:
                continue
            failure = snap.failure(record.run_id)
            seen = Observation(
                record, snap.run(record.run_id), snap.evaluations, None, False, failure
            )
            result = build_result(ref, seen, self.ctx.settings, interrupted=True)
            for report in reports_for(nodeid, location, keywords, result):
                self.ctx.config.hook.pytest_runtest_logreport(report=report)
        for item in getattr(self._session, "items", None) or []:
            if isinstance(item, AmigoSetGate) and item.nodeid not in self._reported:
                self._report_gate_interrupted(item)

    def _report_gate_interrupted(self, item: AmigoSetGate) -> None:
        """A set gate that never ran: an error (not a pass) in the reports and the JUnit."""
        why = "interrupted before every unit test of the set was judged: the set gate is undecided"
        for when, outcome in (("setup", "failed"), ("teardown", "passed")):
            report = pytest.TestReport(
                item.nodeid,
                item.location,
                dict.fromkeys(item.keywords, 1),
                outcome,  # type: ignore[arg-type]
                why if outcome == "failed" else None,
                when,  # type: ignore[arg-type]
                user_properties=[
                    ("amigo_set_id", item.unit_set.id),
                    ("amigo_set", item.unit_set.name),
                    ("amigo_set_gate", "undecided (interrupted)"),
                ]
                if self.ctx.settings.reports.properties
                else [],
            )
            wire.put_gate(
                report,
                {
                    "set_id": item.unit_set.id,
                    "set_name": item.unit_set.name,
                    "counts": "undecided (interrupted)",
                },
            )
            self.ctx.config.hook.pytest_runtest_logreport(report=report)

    def _amigo_items(
        self, session: pytest.Session
    ) -> list[tuple[str, Location, Keywords, UnitTestRef]]:
        """The Amigo items of the session: collected here, or (xdist) published by workers."""
        found: list[tuple[str, Location, Keywords, UnitTestRef]] = []
        for item in getattr(session, "items", None) or []:
            if (ref := ref_of(item)) is not None:
                keywords: Keywords = dict.fromkeys(item.keywords, 1)
                found.append((item.nodeid, item.location, keywords, ref))
        if found:
            return found
        for nodeid, location, ref in published_refs(self.ctx):
            marks: Keywords = {"amigo": 1, nodeid.split("::")[-1]: 1}
            found.append((nodeid, location, marks, ref))
        return found

    # -- end of session ---------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.ctx.progress.stop()
        if not self._active or not self.ctx.coordinator.may_have_runs():
            return
        self.ctx.coordinator.poll_if_due(force=True)  # decide on fresh data, not the last poll's
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            self.ctx.cancel("interrupted")
            self.write_reports()
            return
        if refusals := self.ctx.coordinator.refusals():
            session.exitstatus = pytest.ExitCode.USAGE_ERROR  # xdist workers refused to start runs
            self._refusals = refusals
        if session.shouldfail or session.shouldstop:
            # -x / --maxfail: the remaining items will not be reported; nobody needs the runs.
            self.ctx.cancel("the session stopped early (-x / --maxfail)")
        self._ended_normally = True
        self.ctx.coordinator.finish_artifacts()
        self.write_reports()

    def write_reports(self) -> None:
        """The report document, to the ``pytest_amigo_report`` hook and, when asked for, the
        JSON, HTML and GitHub step summary reports (once per session)."""
        if self._json_written or not self.unit_tests:
            return
        self._json_written = True
        from pytest_amigo import __version__

        reports = self.ctx.settings.reports
        files = bool(reports.json_path or reports.html_path or os.environ.get(GITHUB_SUMMARY))
        hooked = implemented(self.ctx.config, REPORT_HOOK)
        if not (files or hooked):  # built only for someone who reads it
            return
        records = self.ctx.coordinator.records() if self.ctx.started else {}
        runs = {r.set_id: (r.run_id, r.started_here) for r in records.values()}
        settings = self.ctx.settings
        document = json_report.document(
            __version__,
            self.unit_tests.unit_tests.values(),
            runs,
            gating=Gating(settings.compare.fail_on, settings.evidence.inconclusive),
            gates=self.unit_tests.gates,
        )
        if hooked:
            notify(self.ctx.config, REPORT_HOOK, report=document)  # frozen: nobody changes it
        if not files:
            return
        done = write_reports(document, self.ctx.settings, junit=self._xmlpath)
        self._files_written = done.files  # said in the terminal summary, as JUnit's file is
        for warning in done.warnings:
            sys.stderr.write(f"pytest-amigo: {warning}\n")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.ctx.settings.selection.plan:
            terminalreporter.write_sep("=", "Amigo plan (--amigo-plan: nothing was simulated)")
            for line in (
                describe(
                    self.ctx.plans,
                    self.ctx.settings.runs.version_set,
                    self.ctx.settings.compare.reference,
                    self.ctx.settings.compare.correction,
                )
                if self.ctx.plans
                else ["no Amigo unit test"]
            ):
                terminalreporter.write_line(line)
            return
        for kind, path in self._files_written:  # as junitxml says "generated xml file: ..."
            terminalreporter.write_sep("-", f"generated Amigo {kind}: {path.absolute()}")
        if not self._active:
            return
        for refusal in self._refusals:
            terminalreporter.write_line(f"ERROR: {refusal}", red=True)
        self.summary.write(terminalreporter, self.ctx.coordinator, self.ctx.left_running)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """JUnit is written by now: drop references to artifacts that never arrived."""
        if self._xmlpath is None or not self._active:
            return
        try:
            missing = self.ctx.coordinator.missing_artifacts()
            settle(
                self._xmlpath,
                missing,
                self.ctx.settings.reports.rootdir or self.ctx.config.rootpath,
            )
        except (OSError, ET.ParseError) as exc:
            sys.stderr.write(f"pytest-amigo: could not update {self._xmlpath}: {exc}\n")

    def cleanup(self) -> None:
        """Runs even when Ctrl-C or an internal error skipped the normal end of session."""
        if self._cleaned:
            return
        self._cleaned = True
        try:
            self.write_reports()
            if self._active and not self._ended_normally and self.ctx.coordinator.may_have_runs():
                self._cancel_at_exit()
            if self._active:  # whatever was created, even before any run was recorded
                self._delete_temporary_sets()
        finally:
            if self.ctx.started:
                self.ctx.coordinator.close()
            if self._previous_sigterm is not None:
                signal.signal(signal.SIGTERM, self._previous_sigterm)
            if self.ctx.owns_state:
                shutil.rmtree(self.ctx.state_dir, ignore_errors=True)

    def _delete_temporary_sets(self) -> None:
        """Re-sampling sets are deleted when their run ends; whatever is left, now."""
        lines = self.ctx.coordinator.delete_temporary_sets()
        if lines:
            sys.stderr.write("".join(f"pytest-amigo: {line}\n" for line in lines))

    def _cancel_at_exit(self) -> None:
        cancelled, left = self.ctx.coordinator.cancel_started("interrupted", time_cap=15.0)
        lines = [f"pytest-amigo: cancelled run {r}" for r in cancelled]
        shard = self.ctx.settings.runs.shard
        canceller = self.ctx.coordinator.canceller
        lines += [
            f"pytest-amigo: {left_running_line(r, shard)}"
            if shard and canceller.shares(r)
            else f"pytest-amigo: run {r} still running: cancel it or report it "
            f"with pytest --amigo-run={r}"
            for r in left
        ]
        if lines:
            sys.stderr.write("\n".join(lines) + "\n")


class XdistController:
    """xdist hooks of the controller, registered only when pytest-xdist is installed."""

    def __init__(self, ctx: Context, controller: Controller) -> None:
        self.ctx = ctx
        self.controller = controller

    def pytest_configure_node(self, node: Any) -> None:
        from pytest_amigo.plugin.context import STATE_DIR_KEY

        node.workerinput[STATE_DIR_KEY] = str(self.ctx.state_dir)

    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if self.ctx.state_dir.exists() and self.ctx.coordinator.is_active():
            self.controller.handle_sigterm()


def published_refs(ctx: Context) -> list[tuple[str, tuple[str, int | None, str], UnitTestRef]]:
    """The workers' Amigo items, as the xdist controller (which never collects) can know them."""
    found = []
    refs: dict[tuple[str, float | None, bool], list[UnitTestRef]] = {}
    for nodeid, entry in ctx.coordinator.published_items().items():
        key = (entry["set_id"], entry["min_pass_rate"], entry["enforce_verdict"])
        if key not in refs:
            try:
                unit_set = ctx.coordinator.definitions([key[0]], origin="the workers")[key[0]]
            except DefinitionError:
                continue
            pairs = refs_for(unit_set, min_pass_rate=key[1], enforce_verdict=key[2])
            refs[key] = [r for _, r in pairs]
        if entry["position"] < len(refs[key]):
            path, line, name = entry["location"]
            found.append((nodeid, (path, line, name), refs[key][entry["position"]]))
    return found
