"""What decided the session's exit status, in the typed report document (``document.py``), so
that ``pytest-amigo merge`` decides the merged suite as one session would have:

- ``Gating`` (the report's ``gating``): ``--amigo-fail-on`` and ``--amigo-inconclusive``. Under
  ``worse`` a failing unit test fails only when significantly worse than the reference, and
  "significantly" depends on the family the correction spans: a shard's is its own unit tests,
  the merged suite's is all of them.
- ``SetGate`` (a set's ``gate``): the ``--amigo-set-min-pass-rate`` set gate, its counts and how
  pytest reported it (``xfailed``: below the rate but, under ``worse``, the set is not
  significantly worse than the reference; ``error``: undecided, the session was interrupted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pytest_amigo.reports.document_parts import choice, count, number, obj

FailOn = Literal["any", "regression", "worse"]
Inconclusive = Literal["fail", "xfail", "pass"]
GateOutcome = Literal["passed", "failed", "xfailed", "error"]
FAIL_ON: tuple[FailOn, ...] = ("any", "regression", "worse")
INCONCLUSIVE: tuple[Inconclusive, ...] = ("fail", "xfail", "pass")
GATE_OUTCOMES: tuple[GateOutcome, ...] = ("passed", "failed", "xfailed", "error")


@dataclass(frozen=True)
class Gating:
    """How the session turned evidence into its exit status."""

    fail_on: FailOn = "any"
    inconclusive: Inconclusive = "fail"

    def to_json(self) -> dict[str, object]:
        return {"fail_on": self.fail_on, "inconclusive": self.inconclusive}

    @classmethod
    def from_json(cls, data: object, at: str = "gating") -> Gating:
        d = obj(data, at)
        return cls(choice(d, "fail_on", FAIL_ON, at), choice(d, "inconclusive", INCONCLUSIVE, at))


@dataclass(frozen=True)
class SetGate:
    """A set gate (``--amigo-set-min-pass-rate``): ``passed`` of ``total`` unit tests of the set
    passed, against ``min_pass_rate``; ``outcome``: how pytest reported it."""

    min_pass_rate: float
    passed: int
    total: int
    outcome: GateOutcome

    @property
    def failing(self) -> bool:
        """Fails the session (merge's exit status)."""
        return self.outcome in ("failed", "error")

    @property
    def enough(self) -> bool:
        """Enough unit tests passed."""
        return bool(self.total) and self.passed / self.total >= self.min_pass_rate - 1e-12

    def counts(self) -> str:
        return f"{self.passed}/{self.total} (needs {self.min_pass_rate:.0%})"

    def to_json(self) -> dict[str, object]:
        return {
            "min_pass_rate": self.min_pass_rate,
            "passed": self.passed,
            "total": self.total,
            "outcome": self.outcome,
        }

    @classmethod
    def from_json(cls, data: object, at: str = "gate") -> SetGate:
        d = obj(data, at)
        return cls(
            min_pass_rate=number(d, "min_pass_rate", at) or 0.0,
            passed=count(d, "passed", at),
            total=count(d, "total", at),
            outcome=choice(d, "outcome", GATE_OUTCOMES, at),
        )
