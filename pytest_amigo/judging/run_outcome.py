"""How a unit test did on one run: the one value baselines, A/B and the reports share.

A baseline's entry (how the unit test did in the baseline run), each side of an A/B comparison
(the candidate, the reference) and the sides the JSON report keeps are all a
:class:`RunOutcome`. Plain data: no HTTP, no pytest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_amigo.judging.provenance import Provenance

FAILING = ("failed", "inconclusive", "xfailed")
"""The outcomes that count as failing. ``xfailed`` is what an earlier JSON report may say of a
failing unit test it reported as expected to fail (a baseline read from it); a unit test judged
in this session is never ``xfailed`` (its outcome is the verdict's, before pytest reports it)."""


@dataclass(frozen=True)
class RunOutcome:
    """How one unit test did on one run: the outcome (``passed``, ``failed``, ``inconclusive``,
    ``error``, ``pending``, or ``xfailed`` as an earlier report said it), ``passed`` of
    ``valid`` sessions, the run when known and what ran (None: not known, e.g. a report written
    before it was recorded)."""

    outcome: str
    passed: int
    valid: int
    run_id: str | None = None
    what_ran: Provenance | None = None

    @property
    def failing(self) -> bool:
        """Failed or inconclusive (``xfailed`` in an earlier report counts: see ``FAILING``);
        an error or a pending result is not a failure of the agent."""
        return self.outcome in FAILING

    @property
    def rate(self) -> float | None:
        """The session pass rate (None without a valid session)."""
        return self.passed / self.valid if self.valid else None

    def counts(self) -> str:
        """``7/10``: passed of valid."""
        return f"{self.passed}/{self.valid}"

    def to_json(self) -> dict[str, Any]:
        """The JSON of an A/B side (``compare.candidate``, ``compare.reference_sessions``), and
        the run when known."""
        found = {
            "outcome": self.outcome,
            "passed": self.passed,
            "valid": self.valid,
            "pass_rate": self.rate,
            "what_ran": self.what_ran.to_json() if self.what_ran is not None else None,
        }
        return {**found, "run_id": self.run_id} if self.run_id is not None else found

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunOutcome:
        ran, run_id = data.get("what_ran"), data.get("run_id")
        return cls(
            str(data["outcome"]),
            int(data["passed"]),
            int(data["valid"]),
            str(run_id) if run_id is not None else None,
            Provenance.from_json(ran) if isinstance(ran, Mapping) else None,
        )
