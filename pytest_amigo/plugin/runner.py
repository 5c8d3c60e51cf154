"""The item runner: every process that runs Amigo items starts their runs, waits and judges.

Registered in the single process and on xdist workers (on the xdist controller it is inert: the
controller never collects). It waits in an item's setup for the unit test's result, builds the
result (``results``), and rewrites the item's reports: the explanation as the failure text, the
evidence of xfailed items kept, secrets scrubbed.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Generator
from dataclasses import replace
from typing import Any

import pytest
from _pytest.junitxml import mangle_test_address, xml_key

from pytest_amigo.domain import UnitTestSet
from pytest_amigo.judging.baseline import BaselineSet, from_run, is_run_id
from pytest_amigo.judging.evidence import weigh
from pytest_amigo.lifecycle.records import Observation, RunRecord, reference_key
from pytest_amigo.plugin import wire
from pytest_amigo.plugin.amigo_result import (
    ABResult,
    AmigoExpected,
    AmigoProblem,
    AmigoResult,
    UnitTestRef,
    enforce,
    longrepr,
)
from pytest_amigo.plugin.collect import ROOT_NAME, AmigoItem, AmigoSetGate, ref_of, refs_for
from pytest_amigo.plugin.comparing import Comparing
from pytest_amigo.plugin.context import Context
from pytest_amigo.plugin.judge_item import build_result, judge_ref, policy_of
from pytest_amigo.plugin.resampling import Resampling
from pytest_amigo.reports import html_extras
from pytest_amigo.reports.baseline_file import BaselineError, from_report, read_baseline


class ItemRunner:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.results: dict[str, AmigoResult] = {}
        # The same results by unit test (set, min pass rate, position): what the set gate reuses.
        self._judged: dict[tuple[str, float | None, int], AmigoResult] = {}
        self._baselines: dict[tuple[str, float | None], BaselineSet] = {}
        self._report: dict[str, Any] | None = None  # a JSON report used as the baseline
        self.resampling = Resampling(ctx)
        compare = ctx.settings.compare.reference
        self.comparing = Comparing(ctx, compare) if compare is not None else None

    # -- starting the runs ------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        config = session.config
        if config.option.collectonly:
            return
        if session.testsfailed and not config.option.continue_on_collection_errors:
            return  # pytest is about to stop on collection errors: start nothing
        selected = [p.unit_set.id for p in self.ctx.plans]  # Collection's, from session.items
        if not selected:
            return
        coordinator = self.ctx.coordinator
        coordinator.mark_active()  # tells the xdist controller
        attach = {s: r for s, r in self.ctx.attached_runs().items() if s in selected}
        # a subset runs its unit tests only; on a candidate version set every set runs copies
        settings = self.ctx.settings
        copying = settings.runs.version_set is not None
        # A shard's temporary runs (copies, the reference) hold only its own unit tests: the
        # other shards make their own, so whole sets would be simulated once per shard.
        own = settings.runs.shard is not None and (
            copying or settings.compare.reference is not None
        )
        subsets = {
            p.unit_set.id: (p.unit_set, p.subset if own else p.entries)
            for p in self.ctx.plans
            if not p.whole or (copying and not p.attached)
        }
        keys = [s for s in selected if s not in attach]
        if settings.compare.reference is not None:  # A/B: each set's reference run beside it
            subsets |= {
                reference_key(p.unit_set.id): (p.unit_set, p.subset if own else p.entries)
                for p in self.ctx.plans
            }
            keys = [key for s in keys for key in (s, reference_key(s))]
        coordinator.start(keys, attach, subsets, wait=False)

    # -- waiting and judging ----------------------------------------------------------------
    def resolve(self, item: pytest.Item, ref: UnitTestRef) -> AmigoResult:
        """Wait for the unit test's result and judge it; stored on the item for reporting."""
        result = self._result(ref)
        self.results[item.nodeid] = result
        self._judged[_judged_key(ref)] = result
        if result.report_properties:
            item.user_properties.extend(result.properties())
        if result.artifacts is not None:
            # Settled at the end: a file that never arrives is replaced by the reason.
            sys.stdout.write(f"[[ATTACHMENT|{result.attachment or result.artifacts}]]\n")
        return result

    def junit_properties(self) -> bool:
        """Whether Amigo items put their evidence in ``user_properties`` (JUnit properties)."""
        return self.ctx.settings.reports.properties

    def fails_on_worse(self) -> bool:
        """``--amigo-fail-on=worse``: the set gate fails only a set worse than the reference."""
        return self.ctx.settings.compare.fail_on == "worse"

    def resolve_set(self, unit_set: UnitTestSet) -> list[AmigoResult]:
        """The results of every unit test of a set (the set gate), without reporting them.

        A unit test whose item this process already resolved reuses that result. The others
        are judged here: the gate counts the whole set, and this process may not hold every
        result (under xdist a worker resolves only the items it runs, the set's other items
        run on other workers, or later; deselected unit tests have no item at all)."""
        refs = refs_for(unit_set, min_pass_rate=self.ctx.settings.evidence.min_pass_rate)
        results = []
        for _, ref in refs:
            found = self._judged.get(_judged_key(ref))
            if found is None or found.ref.unit_test.id != ref.unit_test.id:
                found = self._result(ref)
            results.append(found)
        return results

    def _result(self, ref: UnitTestRef) -> AmigoResult:
        settings, coordinator, progress = self.ctx.settings, self.ctx.coordinator, self.ctx.progress

        def needs(run: dict[str, Any] | None, record: RunRecord) -> set[str] | None:
            verdict = judge_ref(ref, run, record, None, settings)
            return None if verdict.outcome == "pending" else set(verdict.failing_evaluation_ids())

        try:
            observation = coordinator.wait(ref.set_id, needs, on_tick=progress.tick)
        except BaseException as exc:  # Ctrl-C, pytest-timeout's Failed, internal errors
            why = "interrupted" if isinstance(exc, KeyboardInterrupt) else "the test timed out"
            self.ctx.cancel(why, set_ids=[ref.set_id])
            raise
        finally:
            progress.done()
        if observation.timed_out:
            self.ctx.cancel("the --amigo-timeout budget ran out", set_ids=[ref.set_id])
            record = coordinator.records().get(ref.set_id, observation.record)
            observation = replace(observation, record=record)
        baseline = self.baseline(ref, observation.record.run_id)
        ab = self._compared(ref, observation)
        result = build_result(ref, observation, settings, baseline=baseline, ab=ab)
        if result.outcome == "inconclusive" and settings.evidence.resample:
            try:
                resampled = self.resampling.evidence(ref)
            except BaseException as exc:  # Ctrl-C, pytest-timeout: cancel the re-sampling too
                why = "interrupted" if isinstance(exc, KeyboardInterrupt) else "the test timed out"
                self.ctx.cancel(why)
                raise
            finally:
                progress.done()
            if resampled is not None:
                result = build_result(
                    ref, observation, settings, baseline=baseline, resampled=resampled, ab=ab
                )
        return result

    def _compared(self, ref: UnitTestRef, observation: Observation) -> ABResult | None:
        """``--amigo-compare``: the unit test against the reference, once every compared run
        of the session is over (not after this item's own wait timed out or failed)."""
        comparing = self.comparing
        if comparing is None or observation.timed_out or observation.record.run_id is None:
            return None
        progress = self.ctx.progress
        try:
            comparing.table(on_tick=progress.tick)
        except BaseException as exc:  # Ctrl-C, pytest-timeout's Failed: cancel both sides
            why = "interrupted" if isinstance(exc, KeyboardInterrupt) else "the test timed out"
            self.ctx.cancel(why)
            raise
        finally:
            progress.done()
        return comparing.compared(ref)

    def baseline(self, ref: UnitTestRef, run_id: str | None) -> BaselineSet | None:
        """How the unit tests of ``ref``'s set did in the baseline (``--amigo-baseline``)."""
        which = self.ctx.settings.compare.baseline
        if which is None:
            return None
        key = (ref.set_id, ref.min_pass_rate)
        if key in self._baselines:
            return self._baselines[key]
        if which == "last" or is_run_id(which):
            found = self.ctx.coordinator.baseline_run(ref.set_id, which, run_id)
            if "run" in found:
                refs = [r for _, r in refs_for(ref.set, min_pass_rate=ref.min_pass_rate)]
                baseline = from_run(found["run"], refs, self._judge_baseline, found["how"])
            else:
                baseline = BaselineSet(None, note=str(found.get("none", "no baseline")))
        else:
            try:
                path = self.ctx.settings.compare.baseline_path
                if self._report is None and path is not None:
                    self._report = read_baseline(path)
                baseline = from_report(self._report or {}, ref.set_id, which)
            except BaselineError as exc:
                baseline = BaselineSet(None, note=str(exc))
        self._baselines[key] = baseline
        return baseline

    def _judge_baseline(self, ref: UnitTestRef, run: Any) -> tuple[str, int, int]:
        record = RunRecord(ref.set_id, run.get("id"), False, "", 0.0)
        settings = self.ctx.settings
        weighed = weigh(judge_ref(ref, run, record, None, settings), policy_of(settings))
        v = weighed.verdict
        return v.outcome, v.sessions_passed, v.sessions_valid

    def result_of(self, item: pytest.Item) -> AmigoResult | None:
        return self.results.get(item.nodeid)

    # -- reports ----------------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        outcome = yield
        result = self.results.get(item.nodeid)
        # A marker-parametrized test: a failed verdict fails it after its own assertions.
        if result is not None and not isinstance(item, AmigoItem) and result.ref.enforce_verdict:
            enforce(result, listed=item.get_closest_marker("xfail") is not None)
        return outcome

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        result = self.results.get(item.nodeid)
        if result is not None:
            entry = result.to_json(item.nodeid)
            wire.put_entry(report, entry)
            if html_extras.active(item.config) and (report.when == "call" or report.failed):
                # pytest-html: the evidence and links, on the report that carries the verdict
                extras = list(getattr(report, "extras", []))
                report.extras = extras + html_extras.for_report(item.config, entry)  # type: ignore[attr-defined]
        if isinstance(item, AmigoSetGate):
            wire.put_gate(report, dict(item.gate))
        problem = call.excinfo.value if call.excinfo is not None else None
        if isinstance(problem, AmigoProblem | AmigoExpected):
            if hasattr(report, "wasxfail"):
                # An xfail report keeps only the reason: keep the evidence in <system-out>,
                # and show it (not pytest's and pluggy's traceback) where reports print the
                # longrepr of an xfail (pytest-html's log).
                item.add_report_section(call.when, "stdout", problem.result.explanation)
                report.longrepr = problem.result.explanation
            elif isinstance(problem, AmigoProblem):
                report.longrepr = longrepr(problem, item.location)
        if ref_of(item) is not None and (found := self.ctx.secrets()):
            scrub(report, found)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """JUnit (the process that writes it): the classname of an Amigo item without the dots
        of its set's name, which Jenkins would split into a package and a class."""
        if not report.nodeid.startswith(f"{ROOT_NAME}::"):
            return
        xml = self.ctx.config.stash.get(xml_key, None)
        if xml is None:
            return
        classname = junit_classname(report.nodeid, xml.prefix)
        if classname is not None:
            # A user attribute: kept over the one junitxml derives from the node id.
            xml.node_reporter(report).add_attribute("classname", classname)


def _judged_key(ref: UnitTestRef) -> tuple[str, float | None, int]:
    """What makes two refs judge alike: the unit test's place in its set and the pass rate."""
    return ref.set_id, ref.min_pass_rate, ref.position


_CLASSNAME_ODD = re.compile(r"[./\\]")


def junit_classname(nodeid: str, prefix: str | None = None) -> str | None:
    """The JUnit classname of an Amigo node id with the set's name made safe (``.`` ``/``
    ``\\`` -> ``_``), or None when junitxml's own (``amigo.<set name>``) is already safe.
    The set's real name stays in the node id, ``amigo_set`` and the JSON report."""
    names = mangle_test_address(nodeid)[:-1]
    safe = names[:1] + [_CLASSNAME_ODD.sub("_", name) for name in names[1:]]
    if safe == names:
        return None
    return ".".join(([prefix] if prefix else []) + safe)


def scrub(report: pytest.TestReport, values: set[str]) -> None:
    """Last resort: no secret in a report's text, sections or properties."""

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

    def deep(value: Any) -> Any:
        if isinstance(value, str):
            return clean(value)
        if isinstance(value, list):
            return [deep(v) for v in value]
        if isinstance(value, dict):
            return {k: deep(v) for k, v in value.items()}
        return value

    # the JSON / HTML reports and pytest-html read these plain attributes
    for name in (wire.ENTRY, "extras"):
        found = getattr(report, name, None)
        if found is not None and any(v in repr(found) for v in values):
            setattr(report, name, deep(found))
