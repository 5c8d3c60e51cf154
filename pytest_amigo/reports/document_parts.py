"""The parts of the typed report document (``document.py``): the JSON readers every part uses,
and the evidence a unit test carries (sessions, pass^k, criteria, what ran, the baseline
comparison; the A/B comparison is in ``document_compare.py``).

JSON comes in as ``object`` (a ``from_json`` argument, read by the readers below) and goes out as
``dict[str, object]`` (``to_json``); every value past the readers is typed. A reader raises
:class:`ReportError` naming where the document is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TypeGuard, TypeVar, cast

from pytest_amigo.judging.evidence import Transition
from pytest_amigo.judging.provenance import FIELDS, Provenance

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]
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


def obj(value: object, at: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ReportError(f"{at}: expected an object, found {_kind(value)}")
    return value


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def need(data: Mapping[str, object], key: str, at: str) -> object:
    if key not in data:
        raise ReportError(f"{at}: missing {key!r}")
    return data[key]


def text(data: Mapping[str, object], key: str, at: str) -> str:
    value = need(data, key, at)
    if not isinstance(value, str):
        raise ReportError(f"{at}.{key}: expected a string, found {_kind(value)}")
    return value


def opt_text(data: Mapping[str, object], key: str, at: str) -> str | None:
    """A string or null; a missing key is null."""
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ReportError(f"{at}.{key}: expected a string or null, found {_kind(value)}")
    return value


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def count(data: Mapping[str, object], key: str, at: str) -> int:
    value = need(data, key, at)
    if not _is_int(value) or value < 0:
        raise ReportError(f"{at}.{key}: expected a count, found {value!r}")
    return int(value)


def opt_count(data: Mapping[str, object], key: str, at: str) -> int | None:
    return None if data.get(key) is None else count(data, key, at)


def number(data: Mapping[str, object], key: str, at: str) -> float | None:
    """A number or null (kept as written: ``1`` stays ``1``); a missing key is null."""
    value = data.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ReportError(f"{at}.{key}: expected a number or null, found {_kind(value)}")
    return value


def flag(data: Mapping[str, object], key: str, at: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ReportError(f"{at}.{key}: expected true or false, found {_kind(value)}")
    return value


def choice(data: Mapping[str, object], key: str, allowed: tuple[_S, ...], at: str) -> _S:
    value = need(data, key, at)
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ReportError(f"{at}.{key}: {value!r} is not one of {shown}")
    return cast(_S, value)


def array(data: Mapping[str, object], key: str, at: str) -> list[object]:
    """A list; a missing key or null is empty."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ReportError(f"{at}.{key}: expected an array, found {_kind(value)}")
    return value


def texts(data: Mapping[str, object], key: str, at: str) -> tuple[str | None, ...]:
    found = array(data, key, at)
    if any(v is not None and not isinstance(v, str) for v in found):
        raise ReportError(f"{at}.{key}: expected strings or nulls")
    return cast("tuple[str | None, ...]", tuple(found))


def absent(data: Mapping[str, object], keys: tuple[str, ...]) -> frozenset[str]:
    """The optional ``keys`` a document left out: writing it back leaves them out too."""
    return frozenset(k for k in keys if k not in data)


def without(found: Mapping[str, object], omitted: frozenset[str]) -> dict[str, object]:
    return {k: v for k, v in found.items() if k not in omitted}


@dataclass(frozen=True)
class WhatRan(Provenance):
    """A report's ``what_ran``: the provenance (versions, settings) of the run, and the fields an
    older or hand-written report left out (written back left out)."""

    omitted: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, object]:
        return without(super().to_json(), self.omitted)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> WhatRan:
        ran = Provenance.from_json(data)
        return cls(**{f: getattr(ran, f) for f in FIELDS}, omitted=absent(data, FIELDS))


def what_ran_of(value: object, at: str) -> WhatRan | None:
    return None if value is None else WhatRan.from_json(obj(value, at))


# --- the evidence of a unit test ---------------------------------------------------------------


@dataclass(frozen=True)
class Sessions:
    """A unit test's sessions: ``valid`` did not error, ``passed`` met every criterion."""

    total: int
    valid: int
    passed: int
    errored: int

    def to_json(self) -> dict[str, object]:
        return asdict(self)  # total, valid, passed, errored: the counts as the report keys them

    @classmethod
    def from_json(cls, data: object, at: str = "sessions") -> Sessions:
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

    def to_json(self) -> dict[str, object]:
        found: dict[str, object] = {"k": self.k, "value": self.value}
        return found if self.pass_1 is None else {**found, "pass_1": self.pass_1}

    @classmethod
    def from_json(cls, data: object, at: str = "pass_k") -> PassK:
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

    def to_json(self) -> dict[str, object]:
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
    def from_json(cls, data: object, at: str = "criterion") -> CriterionReport:
        d = obj(data, at)
        marks = array(d, "sessions", at)
        if any(m is not None and not isinstance(m, bool) for m in marks):
            raise ReportError(f"{at}.sessions: expected true, false or null per session")
        return cls(
            name=text(d, "name", at),
            metric_id=text(d, "metric_id", at),
            passed=count(d, "passed", at),
            valid=count(d, "valid", at),
            sessions=cast("tuple[bool | None, ...]", tuple(marks)),
            requirement=opt_text(d, "requirement", at),
            values=cast("tuple[JsonValue, ...]", tuple(array(d, "values", at))),
            justifications=texts(d, "justifications", at),
            omitted=absent(d, cls._OPTIONAL),
        )


def criteria_of(values: list[object], at: str) -> tuple[CriterionReport, ...]:
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
    power: str = ""  # not significant: what the sessions could have detected

    @property
    def regressed(self) -> bool:
        return self.transition == "regressed"

    def counts(self) -> str | None:
        """``9/10`` in the baseline run, None when the baseline has no such counts."""
        if self.sessions_passed is None or self.sessions_valid is None:
            return None
        return f"{self.sessions_passed}/{self.sessions_valid}"

    def to_json(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "sessions_passed": self.sessions_passed,
            "sessions_valid": self.sessions_valid,
            "transition": self.transition,
            "p_value": self.p_value,
            "significant": self.significant,
            **({"changes": list(self.changes)} if self.changes else {}),
            **({"note": self.note} if self.note else {}),
            **({"power": self.power} if self.power else {}),
        }

    @classmethod
    def from_json(cls, data: object, at: str = "baseline") -> BaselineReport:
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
            power=opt_text(d, "power", at) or "",
        )
