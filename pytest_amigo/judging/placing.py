"""Placing a unit test result's ``[evaluation_id, passed]`` checks on its sessions.

The API lists each criterion's checks without their session: a failed check goes to the session
its evaluation's ``source.run_index`` names; without it, the placement is assumed (and counted).
Pure: the verdict turns what is placed here into its sessions and tallies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_amigo.domain import Criterion
from pytest_amigo.judging.run_data import malformed


@dataclass(frozen=True)
class Placed:
    """Per session, per criterion: the check (None: no result) and its evaluation id; with the
    valid sessions each criterion has no result for and the placements assumed."""

    checks: tuple[tuple[bool | None, ...], ...]
    evaluation_ids: tuple[tuple[str | None, ...], ...]
    missing: tuple[int, ...]  # per criterion: valid sessions without a result
    assumed: int  # failed checks placed on a session without knowing its run index


def run_index_of(
    evaluations: Mapping[str, Mapping[str, Any]] | None, evaluation_id: str, unit_test_id: str
) -> int | None:
    """The session an evaluation belongs to (``source.run_index``), if the evaluations say so."""
    if evaluations is None:
        return None
    found = evaluations.get(evaluation_id)
    source = found.get("source") if isinstance(found, Mapping) else None
    if not isinstance(source, Mapping) or source.get("type", "simulation") != "simulation":
        return None
    if source.get("unit_test_id") not in (None, unit_test_id):
        return None
    index = source.get("run_index")
    return index if isinstance(index, int) and not isinstance(index, bool) else None


class _Grid:
    """Per session and criterion: the check (None: no result yet) and its evaluation id."""

    def __init__(self, errors: list[str | None], width: int) -> None:
        self.errors = errors
        self.valid = [i for i, error in enumerate(errors) if error is None]
        self.checks: list[list[bool | None]] = [[None] * width for _ in errors]
        self.eval_ids: list[list[str | None]] = [[None] * width for _ in errors]

    def put(self, session: int, criterion: int, passed: bool, evaluation_id: str) -> None:
        self.checks[session][criterion] = passed
        self.eval_ids[session][criterion] = evaluation_id

    def free(self, criterion: int) -> list[int]:
        return [s for s in self.valid if self.checks[s][criterion] is None]


def _check_pairs(name: str, pairs: list[tuple[str, bool]], valid: int) -> None:
    if len(pairs) > valid:
        raise malformed(
            f"criterion {name!r} has {len(pairs)} results for {valid} sessions that did not error"
        )
    if len({evaluation_id for evaluation_id, _ in pairs}) != len(pairs):
        raise malformed(f"criterion {name!r} lists an evaluation id twice")


def _place_by_run_index(
    grid: _Grid,
    c: int,
    name: str,
    pairs: list[tuple[str, bool]],
    locate: Callable[[str], int | None],
) -> list[tuple[int, int, str]]:
    """Failed checks onto the sessions their evaluations name; the others are returned."""
    unplaced = []
    for position, (evaluation_id, passed) in enumerate(pairs):
        if passed:
            continue
        index = locate(evaluation_id)
        if index is None:
            unplaced.append((c, position, evaluation_id))
            continue
        if not 0 <= index < len(grid.errors) or grid.errors[index] is not None:
            raise malformed(
                f"evaluation {evaluation_id} of criterion {name!r} names session "
                f"{index + 1}, which is not a session of this unit test that did not error"
            )
        if grid.checks[index][c] is False:
            raise malformed(f"two failed checks of criterion {name!r} name session {index + 1}")
        grid.put(index, c, False, evaluation_id)
    return unplaced


def place(
    criteria: Sequence[Criterion],
    errors: list[str | None],
    per_criterion: list[list[tuple[str, bool]] | None],
    evaluations: Mapping[str, Mapping[str, Any]] | None,
    unit_test_id: str,
) -> Placed:
    """Place every ``[evaluation_id, passed]`` pair on its session.

    The pairs carry no session index: a failed check goes to the session its evaluation's
    ``source.run_index`` names. Without it (evaluations unavailable), failures of different
    criteria are assumed to fall on different sessions: the fewest passing sessions the data
    allows. Passed checks fill the remaining valid sessions.
    """
    grid = _Grid(errors, len(per_criterion))
    missing = [len(grid.valid)] * len(per_criterion)
    unplaced: list[tuple[int, int, str]] = []  # (criterion, position in pairs, evaluation id)

    def locate(evaluation_id: str) -> int | None:
        return run_index_of(evaluations, evaluation_id, unit_test_id)

    for c, pairs in enumerate(per_criterion):
        if pairs is not None:
            _check_pairs(criteria[c].name, pairs, len(grid.valid))
            missing[c] = len(grid.valid) - len(pairs)
            unplaced += _place_by_run_index(grid, c, criteria[c].name, pairs, locate)
    for c, position, evaluation_id in unplaced:
        free = grid.free(c)
        clean = [s for s in free if False not in grid.checks[s]]
        nearest = grid.valid[position] if position < len(grid.valid) else None
        grid.put(nearest if nearest in clean else (clean or free)[0], c, False, evaluation_id)
    for c, pairs in enumerate(per_criterion):
        passes = [evaluation_id for evaluation_id, passed in pairs or () if passed]
        for session, evaluation_id in zip(grid.free(c), passes, strict=False):
            grid.put(session, c, True, evaluation_id)
    checks = tuple(tuple(row) for row in grid.checks)
    evaluation_ids = tuple(tuple(row) for row in grid.eval_ids)
    return Placed(checks, evaluation_ids, tuple(missing), len(unplaced))
