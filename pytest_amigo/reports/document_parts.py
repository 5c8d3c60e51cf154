"""The parts of the typed report document (``document.py``): the JSON readers every part uses,
and the evidence a unit test carries (criteria, the baseline comparison, the A/B comparison).

``Any`` appears only where JSON comes in (a ``from_json`` argument and the readers below); every
value past them is typed. A reader raises :class:`ReportError` naming where the document is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

from pytest_amigo.judging.ab import Correction, Label
from pytest_amigo.judging.evidence import NOT_PASSING, Transition
from pytest_amigo.judging.provenance import Provenance

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]
SideOutcome = Literal["passed", "failed", "error", "inconclusive", "pending"]
LABELS: tuple[Label, ...] = ("worse", "better", "no detectable difference", "not compared")
CORRECTIONS: tuple[Correction, ...] = ("holm", "bh", "none")
SIDE_OUTCOMES: tuple[SideOutcome, ...] = ("passed", "failed", "error", "inconclusive", "pending")
TRANSITIONS: tuple[Transition, ...] = (
    "regressed",
    "fixed",
    "still-failing",
    "unchanged",
    "new",
    "not-comparable",
)
_S = TypeVar("_S", bound=str)


class ReportError(ValueError):
    """A document that is not a pytest-amigo report: the message says where and what is wrong."""


# --- readers: JSON in, typed values out --------------------------------------------------------


def obj(value: Any, at: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ReportError(f"{at}: expected an object, found {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _need(data: Mapping[str, Any], key: str, at: str) -> Any:
    if key not in data:
        raise ReportError(f"{at}: missing {key!r}")
    return data[key]


def text(data: Mapping[str, Any], key: str, at: str) -> str:
    value = _need(data, key, at)
    if not isinstance(value, str):
        raise ReportError(f"{at}.{key}: expected a string, found {_kind(value)}")
    return value


def opt_text(data: Mapping[str, Any], key: str, at: str) -> str | None:
    """A string or null; a missing key is null."""
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ReportError(f"{at}.{key}: expected a string or null, found {_kind(value)}")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def count(data: Mapping[str, Any], key: str, at: str) -> int:
    value = _need(data, key, at)
    if not _is_int(value) or value < 0:
        raise ReportError(f"{at}.{key}: expected a count, found {value!r}")
    return int(value)


def opt_count(data: Mapping[str, Any], key: str, at: str) -> int | None:
    return None if data.get(key) is None else count(data, key, at)


def number(data: Mapping[str, Any], key: str, at: str) -> float | None:
    """A number or null (kept as written: ``1`` stays ``1``); a missing key is null."""
    value = data.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ReportError(f"{at}.{key}: expected a number or null, found {_kind(value)}")
    return value


def flag(data: Mapping[str, Any], key: str, at: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ReportError(f"{at}.{key}: expected true or false, found {_kind(value)}")
    return value


def choice(data: Mapping[str, Any], key: str, allowed: tuple[_S, ...], at: str) -> _S:
    value = _need(data, key, at)
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ReportError(f"{at}.{key}: {value!r} is not one of {shown}")
    return cast(_S, value)


def array(data: Mapping[str, Any], key: str, at: str) -> list[Any]:
    """A list; a missing key or null is empty."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ReportError(f"{at}.{key}: expected an array, found {_kind(value)}")
    return value


def texts(data: Mapping[str, Any], key: str, at: str) -> tuple[str | None, ...]:
    found = array(data, key, at)
    if any(v is not None and not isinstance(v, str) for v in found):
        raise ReportError(f"{at}.{key}: expected strings or nulls")
    return tuple(found)


def absent(data: Mapping[str, Any], keys: tuple[str, ...]) -> frozenset[str]:
    """The optional ``keys`` a document left out: writing it back leaves them out too."""
    return frozenset(k for k in keys if k not in data)


def without(found: dict[str, Any], omitted: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in found.items() if k not in omitted} if omitted else found


def what_ran_of(value: Any, at: str) -> Provenance | None:
    return None if value is None else Provenance.from_json(obj(value, at))


def _what_ran_json(ran: Provenance | None) -> dict[str, Any] | None:
    return ran.to_json() if ran is not None else None


# --- the evidence of a unit test ---------------------------------------------------------------


@dataclass(frozen=True)
class Sessions:
    """A unit test's sessions: ``valid`` did not error, ``passed`` met every criterion."""

    total: int
    valid: int
    passed: int
    errored: int

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "valid": self.valid,
            "passed": self.passed,
            "errored": self.errored,
        }

    @classmethod
    def from_json(cls, data: Any, at: str = "sessions") -> Sessions:
        d = obj(data, at)
        return cls(
            count(d, "total", at),
            count(d, "valid", at),
            count(d, "passed", at),
            count(d, "errored", at),
        )

    def counts(self) -> str:
        """``7/10``: passed of valid."""
        return f"{self.passed}/{self.valid}"


@dataclass(frozen=True)
class PassK:
    """Unbiased pass^k (``value``) and pass^1 of a judged unit test."""

    k: int
    value: float
    pass_1: float | None = None  # absent from older reports

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"k": self.k, "value": self.value}
        return found if self.pass_1 is None else {**found, "pass_1": self.pass_1}

    @classmethod
    def from_json(cls, data: Any, at: str = "pass_k") -> PassK:
        d = obj(data, at)
        value = number(d, "value", at)
        if value is None:
            raise ReportError(f"{at}: missing 'value'")
        return cls(count(d, "k", at), value, number(d, "pass_1", at))


@dataclass(frozen=True)
class CriterionReport:
    """A criterion's tally and, per session, met or not (None: errored or no result), the
    metric's value and the judge's justification."""

    name: str
    metric_id: str
    passed: int
    valid: int
    sessions: tuple[bool | None, ...]
    requirement: str | None = None  # e.g. '>= 7' or 'is true'
    values: tuple[JsonValue, ...] = ()
    justifications: tuple[str | None, ...] = ()
    omitted: frozenset[str] = frozenset()

    _OPTIONAL = ("requirement", "values", "justifications")

    def to_json(self) -> dict[str, Any]:
        found = {
            "name": self.name,
            "metric_id": self.metric_id,
            "requirement": self.requirement,
            "passed": self.passed,
            "valid": self.valid,
            "sessions": list(self.sessions),
            "values": list(self.values),
            "justifications": list(self.justifications),
        }
        return without(found, self.omitted)

    @classmethod
    def from_json(cls, data: Any, at: str = "criterion") -> CriterionReport:
        d = obj(data, at)
        marks = array(d, "sessions", at)
        if any(m is not None and not isinstance(m, bool) for m in marks):
            raise ReportError(f"{at}.sessions: expected true, false or null per session")
        return cls(
            name=text(d, "name", at),
            metric_id=text(d, "metric_id", at),
            passed=count(d, "passed", at),
            valid=count(d, "valid", at),
            sessions=tuple(marks),
            requirement=opt_text(d, "requirement", at),
            values=tuple(array(d, "values", at)),
            justifications=texts(d, "justifications", at),
            omitted=absent(d, cls._OPTIONAL),
        )


def criteria_of(values: list[Any], at: str) -> tuple[CriterionReport, ...]:
    return tuple(CriterionReport.from_json(c, f"{at}[{i}]") for i, c in enumerate(values))


@dataclass(frozen=True)
class BaselineReport:
    """Now against the baseline run (``--amigo-baseline``): the transition and Fisher's test."""

    run_id: str
    sessions_passed: int | None
    sessions_valid: int | None
    transition: Transition
    p_value: float | None
    significant: bool = False
    changes: tuple[str, ...] = ()  # not-comparable: what the two runs tested differently
    note: str = ""

    @property
    def regressed(self) -> bool:
        return self.transition == "regressed"

    def counts(self) -> str | None:
        """``9/10`` in the baseline run, None when the baseline has no such counts."""
        if self.sessions_passed is None or self.sessions_valid is None:
            return None
        return f"{self.sessions_passed}/{self.sessions_valid}"

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "sessions_passed": self.sessions_passed,
            "sessions_valid": self.sessions_valid,
            "transition": self.transition,
            "p_value": self.p_value,
            "significant": self.significant,
            **({"changes": list(self.changes)} if self.changes else {}),
            **({"note": self.note} if self.note else {}),
        }

    @classmethod
    def from_json(cls, data: Any, at: str = "baseline") -> BaselineReport:
        d = obj(data, at)
        changes = texts(d, "changes", at)
        return cls(
            run_id=text(d, "run_id", at),
            sessions_passed=opt_count(d, "sessions_passed", at),
            sessions_valid=opt_count(d, "sessions_valid", at),
            transition=choice(d, "transition", TRANSITIONS, at),
            p_value=number(d, "p_value", at),
            significant=flag(d, "significant", at),
            changes=tuple(c for c in changes if c is not None),
            note=opt_text(d, "note", at) or "",
        )


@dataclass(frozen=True)
class CompareSide:
    """One side of an A/B comparison (``--amigo-compare``) for one unit test."""

    outcome: SideOutcome
    passed: int
    valid: int
    pass_rate: float | None = None
    what_ran: Provenance | None = None

    @property
    def failing(self) -> bool:
        return self.outcome in NOT_PASSING

    def counts(self) -> str:
        return f"{self.passed}/{self.valid}"

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "passed": self.passed,
            "valid": self.valid,
            "pass_rate": self.pass_rate,
            "what_ran": _what_ran_json(self.what_ran),
        }

    @classmethod
    def from_json(cls, data: Any, at: str = "side") -> CompareSide:
        d = obj(data, at)
        return cls(
            outcome=choice(d, "outcome", SIDE_OUTCOMES, at),
            passed=count(d, "passed", at),
            valid=count(d, "valid", at),
            pass_rate=number(d, "pass_rate", at),
            what_ran=what_ran_of(d.get("what_ran"), f"{at}.what_ran"),
        )


@dataclass(frozen=True)
class UnitCompare:
    """``--amigo-compare`` for one unit test: the candidate (as reported) against the reference
    version set, one-sided Fisher p-values adjusted across the session (``correction``)."""

    reference: str  # the reference version set
    label: Label
    candidate: CompareSide
    reference_sessions: CompareSide
    correction: Correction
    difference: float | None = None  # candidate pass rate minus the reference's
    p_worse: float | None = None
    p_worse_adjusted: float | None = None
    p_better: float | None = None
    p_better_adjusted: float | None = None
    why: str | None = None  # not compared: why
    run_id: str | None = None  # the reference run
    reference_criteria: tuple[CriterionReport, ...] = ()
    omitted: frozenset[str] = frozenset()

    _OPTIONAL = (
        "difference",
        "p_better",
        "p_better_adjusted",
        "why",
        "run_id",
        "reference_criteria",
    )

    @property
    def p_adjusted(self) -> float | None:
        """The adjusted p-value of the label's direction (better: p_better's, else p_worse's)."""
        return self.p_better_adjusted if self.label == "better" else self.p_worse_adjusted

    def to_json(self) -> dict[str, Any]:
        found = {
            "reference": self.reference,
            "label": self.label,
            "candidate": self.candidate.to_json(),
            "reference_sessions": self.reference_sessions.to_json(),
            "difference": self.difference,
            "p_worse": self.p_worse,
            "p_worse_adjusted": self.p_worse_adjusted,
            "p_better": self.p_better,
            "p_better_adjusted": self.p_better_adjusted,
            "correction": self.correction,
            "why": self.why,
            "run_id": self.run_id,
            "reference_criteria": [c.to_json() for c in self.reference_criteria],
        }
        return without(found, self.omitted)

    @classmethod
    def from_json(cls, data: Any, at: str = "compare") -> UnitCompare:
        d = obj(data, at)
        return cls(
            reference=text(d, "reference", at),
            label=choice(d, "label", LABELS, at),
            candidate=CompareSide.from_json(_need(d, "candidate", at), f"{at}.candidate"),
            reference_sessions=CompareSide.from_json(
                _need(d, "reference_sessions", at), f"{at}.reference_sessions"
            ),
            correction=choice(d, "correction", CORRECTIONS, at),
            difference=number(d, "difference", at),
            p_worse=number(d, "p_worse", at),
            p_worse_adjusted=number(d, "p_worse_adjusted", at),
            p_better=number(d, "p_better", at),
            p_better_adjusted=number(d, "p_better_adjusted", at),
            why=opt_text(d, "why", at),
            run_id=opt_text(d, "run_id", at),
            reference_criteria=criteria_of(
                array(d, "reference_criteria", at), f"{at}.reference_criteria"
            ),
            omitted=absent(d, cls._OPTIONAL),
        )


@dataclass(frozen=True)
class SetCompare:
    """``--amigo-compare`` over a set's compared unit tests (Cochran-Mantel-Haenszel), adjusted
    across the session's sets; ``warning``: e.g. A/A, both sides ran the same agent."""

    reference: str
    label: Label
    worse: int
    better: int
    same: int
    not_compared: int
    correction: Correction
    same_agent: bool
    statistic: float | None = None
    p_worse: float | None = None
    p_worse_adjusted: float | None = None
    p_better: float | None = None
    p_better_adjusted: float | None = None
    run_id: str | None = None  # the reference run
    warning: str | None = None
    omitted: frozenset[str] = frozenset()

    _OPTIONAL = (
        "statistic",
        "p_worse",
        "p_worse_adjusted",
        "p_better",
        "p_better_adjusted",
        "run_id",
        "warning",
    )

    @property
    def p_adjusted(self) -> float | None:
        return self.p_better_adjusted if self.label == "better" else self.p_worse_adjusted

    def to_json(self) -> dict[str, Any]:
        found = {
            "reference": self.reference,
            "label": self.label,
            "worse": self.worse,
            "better": self.better,
            "same": self.same,
            "not_compared": self.not_compared,
            "statistic": self.statistic,
            "p_worse": self.p_worse,
            "p_worse_adjusted": self.p_worse_adjusted,
            "p_better": self.p_better,
            "p_better_adjusted": self.p_better_adjusted,
            "correction": self.correction,
            "same_agent": self.same_agent,
            "run_id": self.run_id,
            "warning": self.warning,
        }
        return without(found, self.omitted)

    @classmethod
    def from_json(cls, data: Any, at: str = "compare") -> SetCompare:
        d = obj(data, at)
        return cls(
            reference=text(d, "reference", at),
            label=choice(d, "label", LABELS, at),
            worse=count(d, "worse", at),
            better=count(d, "better", at),
            same=count(d, "same", at),
            not_compared=count(d, "not_compared", at),
            correction=choice(d, "correction", CORRECTIONS, at),
            same_agent=flag(d, "same_agent", at),
            statistic=number(d, "statistic", at),
            p_worse=number(d, "p_worse", at),
            p_worse_adjusted=number(d, "p_worse_adjusted", at),
            p_better=number(d, "p_better", at),
            p_better_adjusted=number(d, "p_better_adjusted", at),
            run_id=opt_text(d, "run_id", at),
            warning=opt_text(d, "warning", at),
            omitted=absent(d, cls._OPTIONAL),
        )
