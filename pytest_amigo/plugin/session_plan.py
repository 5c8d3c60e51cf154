"""What a session would simulate: per set, the unit tests selected and the sessions they cost.

Plain data from the collected items: ``--amigo-plan`` prints it instead of running, and
``--amigo-max-sessions`` refuses a session whose plan costs more. With ``--amigo-subset`` a set
whose unit tests are only partly selected runs just those (a temporary set), otherwise all of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pytest_amigo.domain import UnitTestRef, UnitTestSet
from pytest_amigo.judging.ab import drop_words
from pytest_amigo.judging.text import plural
from pytest_amigo.settings import Correction


@dataclass(frozen=True)
class SetPlan:
    unit_set: UnitTestSet
    selected: tuple[UnitTestRef, ...]  # the unit tests reported (by position in the set)
    whole: bool  # the whole set runs (not a subset)
    attached: bool = False  # an existing run is reported (--amigo-run): nothing is simulated
    gated: bool = False  # a set gate is selected: it needs every unit test

    @property
    def runs_unselected(self) -> bool:
        """The whole set runs though only some of its unit tests are selected (``-k`` without
        ``--amigo-subset``): a subset run would simulate fewer sessions."""
        partial = len(self.selected) < len(self.unit_set.unit_tests)
        return self.whole and partial and not self.attached and not self.gated

    @property
    def subset(self) -> list[tuple[str, int]]:
        """(unit test id, run count) of what a subset run holds, in the set's order.

        A unit test listed twice whose second listing is selected keeps its first listing too:
        the run is read by occurrence."""
        wanted: dict[str, int] = {}
        for ref in self.selected:
            wanted[ref.unit_test.id] = max(wanted.get(ref.unit_test.id, -1), ref.occurrence)
        entries, seen = [], dict[str, int]()
        for unit_test in self.unit_set.unit_tests:
            occurrence = seen.get(unit_test.id, 0)
            seen[unit_test.id] = occurrence + 1
            if occurrence <= wanted.get(unit_test.id, -1):
                entries.append((unit_test.id, unit_test.run_count))
        return entries

    @property
    def entries(self) -> list[tuple[str, int]]:
        """(unit test id, run count) of what the run holds: the subset, or the whole set."""
        if self.whole:
            return [(u.id, u.run_count) for u in self.unit_set.unit_tests]
        return self.subset

    @property
    def sessions(self) -> int:
        """Sessions this set would simulate."""
        if self.attached:
            return 0
        if self.whole:
            return sum(u.run_count for u in self.unit_set.unit_tests)
        return sum(count for _, count in self.subset)


def plan_of(
    selected: Iterable[tuple[UnitTestSet, UnitTestRef | None]],
    *,
    subset: bool,
    attached: Iterable[str] = (),
) -> list[SetPlan]:
    """Plans per set from the selected items: (its set, its unit test; None for a set gate,
    which needs every unit test)."""
    sets: dict[str, UnitTestSet] = {}
    refs: dict[str, dict[int, UnitTestRef]] = {}
    gated: set[str] = set()
    for unit_set, ref in selected:
        sets.setdefault(unit_set.id, unit_set)
        chosen = refs.setdefault(unit_set.id, {})
        if ref is None:
            gated.add(unit_set.id)
        else:
            chosen.setdefault(ref.position, ref)
    existing = set(attached)
    plans = []
    for set_id, unit_set in sets.items():
        chosen_refs = tuple(refs[set_id][p] for p in sorted(refs[set_id]))
        partial = len(refs[set_id]) < len(unit_set.unit_tests)
        whole = not subset or set_id in gated or set_id in existing or not partial
        plans.append(SetPlan(unit_set, chosen_refs, whole, set_id in existing, set_id in gated))
    return plans


def describe(
    plans: Sequence[SetPlan],
    version_set: str | None = None,
    compare: str | None = None,
    correction: Correction = "holm",
) -> list[str]:
    """The plan as lines: per set its unit tests, run counts and sessions, and what would be
    copied onto ``version_set`` (and ``compare``'s reference version set, with the smallest
    drop its run counts could detect); then the total."""
    lines = []
    sides = 2 if compare is not None else 1
    if version_set is not None:
        lines.append(
            f"version set {version_set} (--amigo-version-set): unit tests on another version "
            "set would run as temporary copies on it; nothing was created"
        )
    if compare is not None:
        lines.append(
            f"A/B against version set {compare} (--amigo-compare): every selected unit test "
            f"would run on {compare} too, concurrently, with the same run counts (copies where "
            "it is on another version set); the sessions below count both sides"
        )
    compared = sum(len(p.selected) for p in plans if not p.attached)
    for plan in plans:
        unit_set = plan.unit_set
        how = (
            "existing run (--amigo-run)"
            if plan.attached
            else ("whole set" if plan.whole else "subset (--amigo-subset)")
        )
        sessions = plan.sessions * sides
        lines.append(f"{unit_set.name} ({unit_set.id}): {sessions} sessions, {how}")
        lines += _unit_test_lines(plan, version_set, compare)
        if compare is not None and not plan.attached:
            counts = sorted({r.unit_test.run_count for r in plan.selected})
            lines += [f"    {drop_words(n, compared, correction)}" for n in counts]
    total = sum(p.sessions for p in plans) * sides
    lines.append(
        f"total: {plural(total, 'session')} in {plural(len(plans), 'set')}; no run was started"
    )
    return lines


def _unit_test_lines(plan: SetPlan, version_set: str | None, compare: str | None) -> list[str]:
    lines = []
    chosen = {r.position for r in plan.selected}
    running = None if plan.whole else {uid for uid, _ in plan.subset}  # None: all of them
    for position, unit_test in enumerate(plan.unit_set.unit_tests):
        runs = running is None or unit_test.id in running
        mark = "" if position in chosen else "  (not selected)"
        if not runs:
            mark = "  (not selected, not run)"
        for target in (version_set, compare):
            copied = runs and not plan.attached and target not in (None, unit_test.version_set)
            mark += f"  (copy on {target})" if copied else ""
        lines.append(f"    {unit_test.run_count:>4} x {unit_test.name}{mark}")
    return lines


def over_budget(plans: Sequence[SetPlan], budget: int | None, sides: int = 1) -> str | None:
    """Why the plan exceeds ``--amigo-max-sessions`` (None: it does not); ``sides``: 2 when
    every set runs on the reference too (``--amigo-compare``)."""
    total = sum(p.sessions for p in plans) * sides
    if budget is None or total <= budget:
        return None
    counts = ", ".join(f"{p.unit_set.name!r} {p.sessions * sides}" for p in plans if p.sessions)
    if sides == 2:
        counts += "; both sides of --amigo-compare"
    head = (
        f"--amigo-max-sessions={budget}: the selected sets would simulate {total} sessions "
        f"({counts}); no run was started."
    )
    whole = [p for p in plans if p.runs_unselected]
    if whole:
        selected = ", ".join(
            f"{p.unit_set.name!r} {len(p.selected)} of {len(p.unit_set.unit_tests)}" for p in whole
        )
        return (
            f"{head} A set runs whole however few of its unit tests are selected ({selected} "
            "selected): --amigo-subset would simulate only the selected ones. Or lower run "
            "counts, or raise the budget. --amigo-plan shows the plan."
        )
    return (
        f"{head} Select fewer unit tests (-k, --lf with --amigo-subset), lower run counts, or "
        "raise the budget. --amigo-plan shows the plan."
    )
