"""``pytest-amigo merge`` decides the merged suite as one session would have (``gating``).

Under ``--amigo-fail-on=worse`` a failing unit test fails only when significantly worse than
the reference, after a correction over the session's compared unit tests: a shard's family is
its own unit tests, the merged suite's is all of them, so a label can change in the merge
(``merge._recompare``) and with it how the unit test is reported. The set gate
(``--amigo-set-min-pass-rate``) is decided again too: below the rate it is an xfail under
``worse`` unless the set, compared over the merged suite, is significantly worse. The merge's
exit status is then the merged suite's decision (``Report.failing``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pytest_amigo.judging.words import NOT_WORSE
from pytest_amigo.reports.document import Gating, SetGate, SetReport, UnitCompare, UnitTestReport


def merged_gating(gatings: Sequence[Gating | None]) -> Gating | None:
    """The shards' gating (``merge_checks.mixed_gating`` refused shards that differ)."""
    return next((g for g in gatings if g is not None), None)


def decide_unit(test: UnitTestReport, before: UnitCompare, gating: Gating | None) -> UnitTestReport:
    """``test`` reported as the merged suite decides (its ``compare`` already the merged one;
    ``before``: its shard's): under ``worse``, a failing unit test whose label crossed
    "worse" either way is reported again."""
    after = test.compare
    if gating is None or not _worse_rule(gating) or after is None or before.worse == after.worse:
        return test
    inconclusive_fails = test.outcome == "inconclusive" and gating.inconclusive == "fail"
    if after.label == "not compared" or not (test.outcome == "failed" or inconclusive_fails):
        return test  # nothing the worse rule decides (an amigo_xfail-listed failure: xfailed)
    if after.worse and test.reported == "xfailed" and (test.expected or "").startswith(NOT_WORSE):
        return replace(test, reported="failed", expected=None)
    if not after.worse and test.reported == "failed":
        expected = (
            f"{NOT_WORSE} {after.reference_name} over the merged suite: {after.words()}; "
            f"{test.reason}"
        )
        return replace(test, reported="xfailed", expected=expected)
    return test


def decide_gate(
    entry: SetReport, gates: Sequence[tuple[str, SetGate]], gating: Gating | None
) -> tuple[SetGate | None, list[str]]:
    """The set's gate over the merged suite, from the shards' (``(file, gate)``), and a note
    when its outcome changed or the shards counted differently."""
    if not gates:
        return None, []
    decided = [(source, g) for source, g in gates if g.outcome != "error"]
    if not decided:
        return gates[0][1], []
    notes = []
    counts = {(g.passed, g.total) for _, g in decided}
    source, lowest = min(decided, key=lambda found: _share(found[1]))
    if len(counts) > 1:
        said = "; ".join(f"{s}: {g.passed}/{g.total}" for s, g in decided)
        notes.append(
            f"set gate of {entry.name!r}: the shards counted different runs ({said}); the merge "
            f"keeps the lowest ({source})"
        )
    compared = entry.compare
    if lowest.enough:
        outcome = "passed"
    elif (
        gating is not None and gating.fail_on == "worse" and compared and compared.label != "worse"
    ):
        outcome = "xfailed"  # below the rate, not significantly worse than the reference
    else:
        outcome = "failed"
    gate = replace(lowest, outcome=outcome)  # type: ignore[arg-type]
    changed = sorted({g.outcome for _, g in gates} - {outcome})
    if changed:
        notes.append(
            f"set gate of {entry.name!r} ({gate.counts()}): {' / '.join(changed)} in a shard, "
            f"{outcome} over the merged suite"
            + (f" (set compared {compared.words()})" if compared is not None else "")
        )
    return gate, notes


def _worse_rule(gating: Gating | None) -> bool:
    return gating is not None and gating.fail_on == "worse"


def _share(gate: SetGate) -> float:
    return gate.passed / gate.total if gate.total else 0.0
