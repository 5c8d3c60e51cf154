"""A JSON report document with an A/B comparison (``--amigo-compare=release``), built by hand in
the shape the plugin writes (validated against the shipped schema), for the report tests:
``from browser.compare_document import compare_document``.

Set "Checkout <&>" compared pr-7 with release, eight sessions per side (report order):

- "Greets": failed, 0/8 against 8/8: worse (adjusted p 0.000389);
- "Refunds": passed, 8/8 against 0/8: better (adjusted p 0.000389 for better);
- "Slips | pipes" (a pipe and a newline in its name): failed, 7/8 against 8/8: no detectable
  difference;
- "Quiet drop": passed (its own criteria allow it), 5/8 against 8/8: worse all the same;
- "Down": error on the candidate: not compared;
- "Steady": passed, 8/8 on both sides.

The set's comparison says both sides ran the same agent (A/A), with a warning carrying markup.
Set "Plain" has no comparison.
"""

from __future__ import annotations

import zlib
from typing import Any

import jsonschema

from pytest_amigo.reports.json_report import schema

RUN = "6b1538fd000000000000000d"
REFERENCE_RUN = "6b1538fd000000000000000f"
WARNING = "pr-7 and release ran the same agent version: this compares release with itself <b>"
N = 8


def what_ran(version_set: str, agent: int) -> dict[str, Any]:
    return {
        "version_set": version_set,
        "agent": ["b0d1103345b03896ebf0ca27", agent],
        "state_machine": ["6f479e8fe1b7eb864e59d5bb", 1],
        "persona": ["dab55b56ba811f3d0b2d68b7", 1],
        "scenario": ["c0030e26010077ad062c6176", 1],
        "max_interactions": 10,
        "run_count": N,
    }


def criteria(passed: int, valid: int = N, why: str = "no greeting") -> list[dict[str, Any]]:
    marks: list[bool | None] = [True] * passed + [False] * (valid - passed)
    marks += [None] * (N - valid)
    return [
        {
            "name": "Completed",
            "metric_id": "80c29f5d6247ad058b6ac554",
            "requirement": "is true",
            "passed": passed,
            "valid": valid,
            "sessions": marks,
            "values": marks,
            "justifications": [None if m is not False else why for m in marks],
        }
    ]


def side(outcome: str, passed: int, valid: int, version_set: str, agent: int) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "passed": passed,
        "valid": valid,
        "pass_rate": passed / valid if valid else None,
        "what_ran": what_ran(version_set, agent),
    }


def compared(
    label: str,
    candidate: dict[str, Any],
    reference: dict[str, Any],
    *,
    p_worse: float | None = 1.0,
    p_better: float | None = 1.0,
    why: str | None = None,
) -> dict[str, Any]:
    rates = candidate["pass_rate"], reference["pass_rate"]
    return {
        "reference": "release",
        "run_id": REFERENCE_RUN,
        "label": label,
        "candidate": candidate,
        "reference_sessions": reference,
        "difference": None if None in rates else rates[0] - rates[1],
        "p_worse": p_worse,
        "p_worse_adjusted": p_worse,
        "p_better": p_better,
        "p_better_adjusted": p_better,
        "correction": "holm",
        "compared": 5,  # the family of the adjustment: every compared unit test
        "why": why,
        "reference_criteria": criteria(reference["passed"], reference["valid"], "release slipped"),
    }


def unit_test(
    name: str,
    outcome: str,
    passed: int,
    reference: int,
    label: str,
    valid: int = N,
    **extra: Any,
) -> dict[str, Any]:
    ref_outcome = "passed" if reference == N else "failed"
    return {
        "id": f"{zlib.crc32(name.encode()):024d}",
        "name": name,
        "nodeid": f"amigo::Checkout::{name}",
        "run_id": RUN,
        "outcome": outcome,
        "reported": outcome,
        "reason": f"{passed}/{valid} sessions passed",
        "expected": None,
        "sessions": {"total": N, "valid": valid, "passed": passed, "errored": N - valid},
        "pass_rate": passed / valid if valid else None,
        "pass_rate_interval": None,
        "confidence": None,
        "pass_k": None,
        "criteria": criteria(passed, valid),
        "session_errors": [None] * valid + ["simulator crashed"] * (N - valid),
        "explanation": "",
        "artifacts": None,
        "baseline": None,
        "what_ran": what_ran("pr-7", 2),
        "compare": compared(
            label,
            side(outcome, passed, valid, "pr-7", 2),
            side(ref_outcome, reference, N, "release", 1),
            **extra,
        ),
    }


def compare_document() -> dict[str, Any]:
    tests = [
        unit_test("Greets", "failed", 0, N, "worse", p_worse=0.000389, p_better=1.0),
        unit_test("Refunds", "passed", N, 0, "better", p_worse=1.0, p_better=0.000389),
        unit_test("Slips | pipes\nand a new line", "failed", 7, N, "no detectable difference"),
        unit_test("Quiet drop", "passed", 5, N, "worse", p_worse=0.04, p_better=1.0),
        unit_test(
            "Down",
            "error",
            0,
            N,
            "not compared",
            valid=0,
            p_worse=None,
            p_better=None,
            why="the candidate has no valid session",
        ),
        unit_test("Steady", "passed", N, N, "no detectable difference"),
    ]
    plain = dict(unit_test("Alone", "passed", N, N, "no detectable difference"), compare=None)
    plain["nodeid"] = "amigo::Plain::Alone"
    document = {
        "pytest_amigo": "0.1.0",
        "created_at": "2026-04-01T12:00:00+00:00",
        "sets": [
            {
                "id": "5e7a000000000000000000a1",
                "name": "Checkout <&>",
                "run_id": RUN,
                "started_here": True,
                "unit_tests": tests,
                "compare": {
                    "reference": "release",
                    "run_id": REFERENCE_RUN,
                    "label": "worse",
                    "worse": 2,
                    "better": 1,
                    "same": 2,
                    "not_compared": 1,
                    "statistic": 6.1,
                    "p_worse": 0.0068,
                    "p_worse_adjusted": 0.0136,
                    "p_better": 0.99,
                    "p_better_adjusted": 0.99,
                    "correction": "holm",
                    "same_agent": True,
                    "compared": 2,  # the sets of the session
                    "warning": WARNING,
                },
            },
            {
                "id": "5e7a000000000000000000b2",
                "name": "Plain",
                "run_id": "6b1538fd00000000000000b2",
                "started_here": True,
                "unit_tests": [plain],
            },
        ],
    }
    jsonschema.validate(document, schema())
    return document
