"""The verdict of a report in one line, and the version sets it compared: what the step summary
and the HTML page open with (one function for both; plain text, neither escaped nor marked up).

``Gate failed: 1 unit test significantly worse than release``; ``Gate passed: no unit test
significantly worse than release (2 known failures xfailed)``; ``Gate failed: 2 unit tests failed,
1 errored``; ``Gate passed: 6 unit tests passed``. The gate is the session's exit status as the
report records it (``Report.failing``: a unit test reported failed or error).
"""

from __future__ import annotations

from pytest_amigo.reports.document import Report, UnitTestReport

_FAILING_WORDS = {"failed": "failed", "error": "errored", "inconclusive": "inconclusive"}
_ORDER = ("worse", "failed", "errored", "inconclusive", "failing")


def _unit_tests(count: int) -> str:
    return f"{count} unit test{'' if count == 1 else 's'}"


def _reference(tests: list[UnitTestReport]) -> str | None:
    """The reference version set of the compared unit tests (the first named), None without."""
    return next((t.compare.reference_name for t in tests if t.compare is not None), None)


def headline(report: Report) -> str:
    """The report's verdict: whether the gate failed, and on what first."""
    tests = [t for _, t in report.unit_tests]
    if not tests:
        return "No unit test was reported"
    reference = _reference(tests)
    failing: dict[str, int] = dict.fromkeys(_ORDER, 0)
    for test in tests:
        if test.failing:
            worse = test.compare_label == "worse"
            failing["worse" if worse else _FAILING_WORDS.get(test.outcome, "failing")] += 1
    if any(failing.values()):
        said = [
            (n, f"significantly worse than {reference}" if why == "worse" else why)
            for why, n in failing.items()
            if n
        ]
        # the first part names the unit tests, the others only count them
        parts = [f"{_unit_tests(n) if i == 0 else n} {why}" for i, (n, why) in enumerate(said)]
        return "Gate failed: " + ", ".join(parts)
    known = sum(1 for t in tests if t.reported_as == "xfailed")
    extra = f" ({known} known failure{'' if known == 1 else 's'} xfailed)" if known else ""
    if reference is not None:
        return f"Gate passed: no unit test significantly worse than {reference}{extra}"
    passed = sum(1 for t in tests if t.outcome == "passed")
    return f"Gate passed: {_unit_tests(passed)} passed{extra}"


def compared_lines(report: Report) -> list[str]:
    """With ``--amigo-compare``, what each side ran, once per distinct version: ``Candidate:
    version set candidate: agent b0d1…27 v2, state machine 6f47…bb v1``, ``Reference: version
    set release: ...``; [] without a comparison."""
    found: dict[str, None] = {}
    for _, test in report.unit_tests:
        compare = test.compare
        if compare is None:
            continue
        for kind, side in (("Candidate", compare.candidate), ("Reference", compare.reference)):
            ran = side.what_ran
            if ran is not None:
                found[f"{kind}: {ran.words()}"] = None
            elif kind == "Reference":
                found[f"Reference: version set {compare.reference_name}"] = None
    return sorted(found, key=lambda line: not line.startswith("Candidate"))
