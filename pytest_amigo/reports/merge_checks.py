"""What ``pytest-amigo merge`` checks of its inputs before it trusts them as the shards of one
suite: the same shard given twice, an A/B shard beside a plain one, the number of shards.

Each check returns one line per problem (the merge refuses: exit status 2) or per doubt worth
a warning (a note on stderr), saying what is wrong and what to do. Pure functions over the
typed reports; reading and the exit status are the command's (``reports/cli.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import combinations

from pytest_amigo.reports.document import Report

Source = tuple[str, Report]  # (the report's path as given, the report)


def same_document(first: tuple[str, object], second: tuple[str, object]) -> bool:
    """Whether two inputs hold the same JSON document (a file given twice, or its copy)."""
    return _canonical(first[1]) == _canonical(second[1])


def _canonical(document: object) -> str:
    return json.dumps(document, sort_keys=True, ensure_ascii=False)


def duplicates(inputs: Sequence[tuple[str, object]], reports: Sequence[Source]) -> list[str]:
    """The same shard twice: two inputs with the same document, or two reports of exactly the
    same unit tests (a rerun's report beside the first, or jobs that did not split the suite)."""
    problems = []
    for (i, first), (j, second) in combinations(enumerate(inputs), 2):
        if same_document(first, second):
            problems.append(
                f"{first[0]} and {second[0]} are the same report: a shard's report given twice; "
                "give each shard's report once"
            )
            continue
        one, two = _unit_tests(reports[i][1]), _unit_tests(reports[j][1])
        if one and one == two:
            problems.append(
                f"{first[0]} and {second[0]} report the same {len(one)} unit test"
                f"{'s' * (len(one) != 1)}: the same shard twice (a rerun job's report beside the "
                "first's?) or jobs that did not split the suite (check pytest-split's --splits/"
                "--group or the CI's node index); give each shard's report once"
            )
    return problems


def _unit_tests(report: Report) -> frozenset[tuple[str, str]]:
    return frozenset((entry.id, test.nodeid) for entry, test in report.unit_tests)


def mixed_comparisons(reports: Sequence[Source]) -> list[str]:
    """An A/B shard (``--amigo-compare``) beside a plain one: a matrix job that lost its
    ``AMIGO_VERSION_SET`` or its ``--amigo-compare`` ran the plain suite."""
    compared = [source for source, report in reports if _compares(report)]
    plain = [source for source, report in reports if not _compares(report)]
    if not compared or not plain:
        return []
    return [
        f"{_files(plain)} compared nothing while {_files(compared)} compared against a reference "
        "(--amigo-compare): every shard of an A/B job needs the same --amigo-compare and "
        "AMIGO_VERSION_SET (a shard that lost them ran the plain suite); run that shard again "
        "with them"
    ]


def _compares(report: Report) -> bool:
    return any(entry.compare is not None or entry.compared for entry in report.sets)


def mixed_version_sets(reports: Sequence[Source]) -> list[str]:
    """Notes: shards that each ran one version set, not the same one (a job that lost
    ``AMIGO_VERSION_SET`` runs the set's own version set)."""
    ran: dict[str, set[str]] = {}
    for source, report in reports:
        found = {
            test.what_ran.version_set
            for _, test in report.unit_tests
            if test.what_ran is not None and test.what_ran.version_set
        }
        if len(found) == 1:
            ran[source] = found
    if len(ran) < 2 or len({frozenset(v) for v in ran.values()}) < 2 or len(ran) < len(reports):
        return []
    said = "; ".join(f"{source}: {', '.join(sorted(v))}" for source, v in ran.items())
    return [
        f"the shards ran different version sets ({said}): if they were meant to run one "
        "candidate (--amigo-version-set, AMIGO_VERSION_SET), a shard lost it; run it again"
    ]


def mixed_gating(reports: Sequence[Source]) -> list[str]:
    """Shards that decided their exit status differently (``--amigo-fail-on``,
    ``--amigo-inconclusive``): the merged suite cannot be decided one way."""
    seen: dict[tuple[str, str], str] = {}
    for source, report in reports:
        if report.gating is not None:
            seen.setdefault((report.gating.fail_on, report.gating.inconclusive), source)
    if len(seen) < 2:
        return []
    said = "; ".join(
        f"{file}: --amigo-fail-on={fail_on} --amigo-inconclusive={inconclusive}"
        for (fail_on, inconclusive), file in seen.items()
    )
    return [
        f"the shards decided their exit status with different options ({said}): give every "
        "shard the same --amigo-fail-on and --amigo-inconclusive, and run them again"
    ]


def shard_count(given: int, expected: int | None) -> list[str]:
    """``--expect-shards N``: one problem when the reports given are not N."""
    if expected is None or given == expected:
        return []
    if given < expected:
        why = (
            "a shard's job failed before writing its --amigo-json report, or its report was not "
            "downloaded: check the shard jobs, then merge every report"
        )
    else:
        why = (
            "an old report or a rerun's beside the first is among the files (check the pattern "
            "the reports are given with), or --expect-shards is out of date"
        )
    return [f"expected {expected} shard reports (--expect-shards {expected}), got {given}: {why}"]


def _files(sources: Sequence[str]) -> str:
    return ", ".join(sources)
