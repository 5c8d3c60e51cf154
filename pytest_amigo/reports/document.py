"""The JSON report (``--amigo-json``) as a typed value: frozen dataclasses, read once at the edge.

``Report.from_json`` checks a document against ``report.schema.json`` (:func:`validate`, the one
place the schema is checked at run time) and turns it into typed values; ``to_json`` writes it
back as it came (keys a writer leaves out stay out). The plugin's items send plain dicts over
xdist's channel (``AmigoResult.to_json``); the controller reads them with ``from_json``: typed
at both ends, dicts only on the wire. Views (HTML page, step summary, merge, terminal summary,
baseline reader) read attributes, never ``.get``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pytest_amigo.judging.evidence import NOT_PASSING
from pytest_amigo.judging.words import xpassed_words
from pytest_amigo.reports import schema_check
from pytest_amigo.reports.document_compare import SetCompare, UnitCompare
from pytest_amigo.reports.document_gates import Gating, SetGate
from pytest_amigo.reports.document_parts import (
    BaselineReport,
    CriterionReport,
    JsonValue,
    PassK,
    ReportError,
    Sessions,
    WhatRan,
    absent,
    array,
    choice,
    criteria_of,
    flag,
    number,
    obj,
    opt_text,
    text,
    texts,
    what_ran_of,
    without,
)

__all__ = [
    "BaselineReport",
    "CriterionReport",
    "Gating",
    "JsonValue",
    "MergedFrom",
    "PassK",
    "Report",
    "ReportError",
    "Sessions",
    "SetCompare",
    "SetGate",
    "SetReport",
    "UnitCompare",
    "UnitTestEntry",
    "UnitTestReport",
    "WhatRan",
    "pass_rate_text",
    "read_report",
    "set_pass_rate",
    "validate",
]

SCHEMA_FILE = "report.schema.json"
Outcome = Literal["passed", "failed", "error", "inconclusive", "xfailed"]
Reported = Literal["passed", "failed", "error", "xfailed", "xpassed"]
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "error", "inconclusive", "xfailed")
REPORTED: tuple[Reported, ...] = ("passed", "failed", "error", "xfailed", "xpassed")
FAILING_OUTCOMES = ("failed", "error", "inconclusive")  # merge's exit status, when not reported
FAILING_REPORTED = ("failed", "error")


@cache
def _schema_text() -> str:
    files = resources.files("pytest_amigo.reports")
    return files.joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def schema() -> dict[str, object]:
    """The JSON Schema of the report (a fresh copy)."""
    data: dict[str, object] = json.loads(_schema_text())
    return data


def validate(data: object) -> None:
    """Raise :class:`ReportError` when ``data`` breaks the report's JSON Schema (the first few
    problems, e.g. ``$.sets[0].unit_tests[1].outcome: 'ok' is not one of ...``)."""
    found = schema_check.problems(data, schema())
    if found:
        raise ReportError("not a pytest-amigo report: " + "; ".join(found))


@dataclass(frozen=True, kw_only=True)
class UnitTestReport:
    """One unit test of a set as the session reported it (``outcome``: what the evidence says,
    ``reported``: how pytest reported it)."""

    id: str
    name: str
    nodeid: str
    outcome: Outcome
    sessions: Sessions
    reason: str = ""
    run_id: str | None = None
    reported: Reported | None = None  # None: an older report; see ``reported_as``
    expected: str | None = None  # why reported as xfail; xpassed: its amigo_xfail reason
    pass_rate: float | None = None
    pass_rate_interval: tuple[float, float] | None = None  # Wilson, at ``confidence``
    confidence: float | None = None
    pass_k: PassK | None = None
    criteria: tuple[CriterionReport, ...] = ()
    session_errors: tuple[str | None, ...] = ()  # per session: its error, None when none
    explanation: str = ""  # the full text a failure shows
    artifacts: str | None = None
    baseline: BaselineReport | None = None
    baseline_note: str | None = None  # where the baseline came from, or why there is none
    what_ran: WhatRan | None = None
    compare: UnitCompare | None = None
    omitted: frozenset[str] = frozenset()  # optional keys the document left out

    _OPTIONAL = (
        "reason",
        "run_id",
        "reported",
        "expected",
        "pass_rate",
        "pass_rate_interval",
        "confidence",
        "pass_k",
        "criteria",
        "session_errors",
        "explanation",
        "artifacts",
        "baseline",
        "baseline_note",
        "what_ran",
        "compare",
    )

    @property
    def reported_as(self) -> str:
        """How pytest reported it; an older report without ``reported``: the outcome."""
        return self.reported or self.outcome

    @property
    def xpass_note(self) -> str | None:
        """Listed in ``amigo_xfail`` but passed (``reported: xpassed``): what every report says
        of it (``words.xpassed_words``); None otherwise."""
        return xpassed_words(self.expected) if self.reported == "xpassed" else None

    @property
    def failing(self) -> bool:
        """Fails the session (merge's exit status): reported failed or error, or, without
        ``reported``, a failing outcome."""
        if self.reported is not None:
            return self.reported in FAILING_REPORTED
        return self.outcome in FAILING_OUTCOMES

    @property
    def judged_failing(self) -> bool:
        """The evidence fails (failed or inconclusive), whatever pytest reported."""
        return self.outcome in NOT_PASSING

    @property
    def transition(self) -> str | None:
        return self.baseline.transition if self.baseline is not None else None

    @property
    def compare_label(self) -> str | None:
        return self.compare.label if self.compare is not None else None

    @property
    def session_count(self) -> int:
        """Sessions shown in the criteria x sessions grid (html_base.session_count)."""
        lengths = [len(c.sessions) for c in self.criteria]
        return max([self.sessions.total, len(self.session_errors), *lengths])

    def session_status(self, k: int) -> str:
        """Session ``k``: errored, failed, passed or no result (html_base.session_status)."""
        if k < len(self.session_errors) and self.session_errors[k]:
            return "errored"
        marks = [c.sessions[k] if k < len(c.sessions) else None for c in self.criteria]
        if any(m is False for m in marks):
            return "failed"
        if marks and all(m is True for m in marks):
            return "passed"
        return "no result"

    def to_json(self) -> dict[str, object]:
        found = {
            "id": self.id,
            "name": self.name,
            "nodeid": self.nodeid,
            "run_id": self.run_id,
            "outcome": self.outcome,
            "reported": self.reported,
            "reason": self.reason,
            "expected": self.expected,
            "sessions": self.sessions.to_json(),
            "pass_rate": self.pass_rate,
            "pass_rate_interval": _pair(self.pass_rate_interval),
            "confidence": self.confidence,
            "pass_k": self.pass_k.to_json() if self.pass_k is not None else None,
            "criteria": [c.to_json() for c in self.criteria],
            "session_errors": list(self.session_errors),
            "explanation": self.explanation,
            "artifacts": self.artifacts,
            "baseline": self.baseline.to_json() if self.baseline is not None else None,
            "baseline_note": self.baseline_note,
            "what_ran": self.what_ran.to_json() if self.what_ran is not None else None,
            "compare": self.compare.to_json() if self.compare is not None else None,
        }
        return without(found, self.omitted)

    @classmethod
    def from_json(cls, data: object, at: str = "unit_test") -> UnitTestReport:
        d = obj(data, at)
        reported = d.get("reported")
        pass_k, baseline, compare = d.get("pass_k"), d.get("baseline"), d.get("compare")
        return cls(
            id=text(d, "id", at),
            name=text(d, "name", at),
            nodeid=text(d, "nodeid", at),
            outcome=choice(d, "outcome", OUTCOMES, at),
            sessions=Sessions.from_json(d.get("sessions"), f"{at}.sessions"),
            reason=opt_text(d, "reason", at) or "",
            run_id=opt_text(d, "run_id", at),
            reported=None if reported is None else choice(d, "reported", REPORTED, at),
            expected=opt_text(d, "expected", at),
            pass_rate=number(d, "pass_rate", at),
            pass_rate_interval=_interval(array(d, "pass_rate_interval", at), at),
            confidence=number(d, "confidence", at),
            pass_k=None if pass_k is None else PassK.from_json(pass_k, f"{at}.pass_k"),
            criteria=criteria_of(array(d, "criteria", at), f"{at}.criteria"),
            session_errors=texts(d, "session_errors", at),
            explanation=opt_text(d, "explanation", at) or "",
            artifacts=opt_text(d, "artifacts", at),
            baseline=None
            if baseline is None
            else BaselineReport.from_json(baseline, f"{at}.baseline"),
            baseline_note=opt_text(d, "baseline_note", at),
            what_ran=what_ran_of(d.get("what_ran"), f"{at}.what_ran"),
            compare=None if compare is None else UnitCompare.from_json(compare, f"{at}.compare"),
            omitted=absent(d, cls._OPTIONAL),
        )


@dataclass(frozen=True, kw_only=True)
class UnitTestEntry:
    """A unit test as an item reports it (``AmigoResult.to_json`` on ``report.amigo``): what
    crosses xdist's channel as a plain dict. The unit test of the report, its set, and its set's
    comparison (``compare.set`` on the wire, ``SetReport.compare`` in the report)."""

    set_id: str
    set_name: str
    unit_test: UnitTestReport
    set_compare: SetCompare | None = None

    def to_json(self) -> dict[str, object]:
        found: dict[str, object] = {}
        for key, value in self.unit_test.to_json().items():
            found[key] = value
            if key == "nodeid":
                found["set_id"], found["set_name"] = self.set_id, self.set_name
        compared = found.get("compare")
        if isinstance(compared, dict):
            of_set = self.set_compare.to_json() if self.set_compare is not None else None
            found["compare"] = {**compared, "set": of_set}
        return found

    @classmethod
    def from_json(cls, data: object, at: str = "entry") -> UnitTestEntry:
        d = obj(data, at)
        found = {k: v for k, v in d.items() if k not in ("set_id", "set_name")}
        compared, of_set = found.get("compare"), None
        if isinstance(compared, Mapping):
            found["compare"] = {k: v for k, v in compared.items() if k != "set"}
            of_set = compared.get("set")
        return cls(
            set_id=text(d, "set_id", at),
            set_name=text(d, "set_name", at),
            unit_test=UnitTestReport.from_json(found, at),
            set_compare=SetCompare.from_json(of_set, f"{at}.compare.set") if of_set else None,
        )


def _pair(interval: tuple[float, float] | None) -> list[float] | None:
    return list(interval) if interval is not None else None


def _interval(found: list[object], at: str) -> tuple[float, float] | None:
    if not found:
        return None
    if len(found) == 2:
        low, high = found
        if isinstance(low, int | float) and isinstance(high, int | float):
            if not isinstance(low, bool) and not isinstance(high, bool):
                return low, high
    raise ReportError(f"{at}.pass_rate_interval: expected [low, high], found {found!r}")


def set_pass_rate(outcomes: Iterable[str]) -> float | None:
    """The set pass rate, as every report states it (terminal summary, HTML page, step summary,
    JSON ``sets[].pass_rate``, ``pytest-amigo merge``): the share of the set's reported unit
    tests whose evidence passed. Unit tests, not sessions: each unit test's ``outcome`` counts
    once, ``passed`` over all of them, so an XPASS (passed, though listed in ``amigo_xfail``)
    counts as passed and an xfail, an error or an inconclusive unit test as not passed; the share
    ``--amigo-set-min-pass-rate`` gates on. None without a unit test."""
    found = list(outcomes)
    return sum(1 for o in found if o == "passed") / len(found) if found else None


def pass_rate_text(rate: float | None) -> str:
    """A set pass rate as every report writes it: ``50%``; ``–`` without one."""
    return "–" if rate is None else f"{rate:.0%}"


@dataclass(frozen=True, kw_only=True)
class SetReport:
    """A unit test set: its run (``run_ids``: every run a merged report's shards reported) and
    its unit tests, in the order they were first reported."""

    id: str
    name: str
    run_id: str | None
    started_here: bool
    unit_tests: tuple[UnitTestReport, ...] = ()
    compare: SetCompare | None = None  # written only with --amigo-compare
    run_ids: tuple[str, ...] = ()  # written only by merge, when the shards ran several runs
    gate: SetGate | None = None  # written only with --amigo-set-min-pass-rate
    omitted: frozenset[str] = frozenset()  # optional keys an older document left out

    @property
    def pass_rate(self) -> float | None:
        """The set pass rate (:func:`set_pass_rate`): written in the JSON, recomputed on read."""
        return set_pass_rate(t.outcome for t in self.unit_tests)

    @property
    def compared(self) -> tuple[UnitTestReport, ...]:
        """The unit tests compared with --amigo-compare."""
        return tuple(t for t in self.unit_tests if t.compare is not None)

    @property
    def candidate_name(self) -> str:
        """The candidate's version set as its compared unit tests ran it ("the candidate" when
        unknown; compare_words.candidate_name)."""
        for test in self.compared:
            ran = test.compare.candidate.what_ran if test.compare else None
            if ran is not None and ran.version_set:
                return ran.version_set
        return "the candidate"

    def to_json(self) -> dict[str, object]:
        found: dict[str, object] = {"id": self.id, "name": self.name, "run_id": self.run_id}
        if self.run_ids:
            found["run_ids"] = list(self.run_ids)
        found["started_here"] = self.started_here
        if "pass_rate" not in self.omitted:
            found["pass_rate"] = self.pass_rate
        found["unit_tests"] = [t.to_json() for t in self.unit_tests]
        if self.compare is not None:
            found["compare"] = self.compare.to_json()
        if self.gate is not None:
            found["gate"] = self.gate.to_json()
        return found

    @classmethod
    def from_json(cls, data: object, at: str = "set") -> SetReport:
        d = obj(data, at)
        tests = array(d, "unit_tests", at)
        compare, gate = d.get("compare"), d.get("gate")
        number(d, "pass_rate", at)  # checked; written again from the unit tests' outcomes
        return cls(
            id=text(d, "id", at),
            name=text(d, "name", at),
            run_id=opt_text(d, "run_id", at),
            started_here=flag(d, "started_here", at),
            unit_tests=tuple(
                UnitTestReport.from_json(t, f"{at}.unit_tests[{i}]") for i, t in enumerate(tests)
            ),
            compare=None if compare is None else SetCompare.from_json(compare, f"{at}.compare"),
            run_ids=tuple(r for r in texts(d, "run_ids", at) if r is not None),
            gate=None if gate is None else SetGate.from_json(gate, f"{at}.gate"),
            omitted=absent(d, ("pass_rate",)),
        )


@dataclass(frozen=True)
class MergedFrom:
    """``pytest-amigo merge``: one report merged into this one (``file``: its path as given)."""

    file: str
    pytest_amigo: str | None = None
    created_at: str | None = None

    def to_json(self) -> dict[str, object]:
        found: dict[str, object] = {"file": self.file}
        if self.pytest_amigo is not None:
            found["pytest_amigo"] = self.pytest_amigo
        if self.created_at is not None:
            found["created_at"] = self.created_at
        return found

    @classmethod
    def from_json(cls, data: object, at: str = "merged_from") -> MergedFrom:
        d = obj(data, at)
        return cls(
            text(d, "file", at), opt_text(d, "pytest_amigo", at), opt_text(d, "created_at", at)
        )


@dataclass(frozen=True, kw_only=True)
class Report:
    """The whole report: the pytest-amigo version that wrote it, when, and its sets."""

    pytest_amigo: str
    created_at: str
    sets: tuple[SetReport, ...] = ()
    merged_from: tuple[MergedFrom, ...] = ()  # written only by merge
    gating: Gating | None = None  # None: an older report (--amigo-fail-on unknown)

    @property
    def unit_tests(self) -> Iterator[tuple[SetReport, UnitTestReport]]:
        """Every unit test with its set, in the report's order."""
        return ((s, t) for s in self.sets for t in s.unit_tests)

    @property
    def failing(self) -> bool:
        """Some unit test or set gate fails the session (merge's exit status)."""
        gates = (s.gate for s in self.sets if s.gate is not None)
        return any(t.failing for _, t in self.unit_tests) or any(g.failing for g in gates)

    def set(self, set_id: str) -> SetReport | None:
        """The set ``set_id`` (the baseline reader's lookup), or None."""
        return next((s for s in self.sets if s.id == set_id), None)

    def outcome_counts(self) -> dict[str, int]:
        """How many unit tests had each outcome, in the order first seen (merge.counts)."""
        found: dict[str, int] = {}
        for _, test in self.unit_tests:
            found[test.outcome] = found.get(test.outcome, 0) + 1
        return found

    def to_json(self) -> dict[str, object]:
        found: dict[str, object] = {
            "pytest_amigo": self.pytest_amigo,
            "created_at": self.created_at,
            "sets": [s.to_json() for s in self.sets],
        }
        if self.gating is not None:
            found["gating"] = self.gating.to_json()
        if self.merged_from:
            found["merged_from"] = [m.to_json() for m in self.merged_from]
        return found

    @classmethod
    def from_json(cls, data: object, *, check: bool = True) -> Report:
        """The report in ``data``; ``check``: validate it against the schema first (off: an
        older or hand-edited report, read as far as its values allow)."""
        if check:
            validate(data)
        d = obj(data, "$")
        sets = array(d, "sets", "$")
        gating = d.get("gating")
        return cls(
            pytest_amigo=text(d, "pytest_amigo", "$"),
            created_at=opt_text(d, "created_at", "$") or "",
            sets=tuple(SetReport.from_json(s, f"$.sets[{i}]") for i, s in enumerate(sets)),
            merged_from=tuple(
                MergedFrom.from_json(m, f"$.merged_from[{i}]")
                for i, m in enumerate(array(d, "merged_from", "$"))
            ),
            gating=None if gating is None else Gating.from_json(gating, "$.gating"),
        )


def read_report(path: Path, *, check: bool = True) -> Report:
    """The report in the file ``path``; :class:`ReportError` says why it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: cannot read it: {exc}") from None
    try:
        return Report.from_json(data, check=check)
    except ReportError as exc:
        raise ReportError(f"{path}: {exc}") from None
