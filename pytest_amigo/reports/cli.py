"""The ``pytest-amigo`` command (also ``python -m pytest_amigo``): ``merge`` the JSON reports of
CI shards into one, and write the JSON, HTML and GitHub step summary of the whole suite.

Exit status: 0 when every unit test and set gate passed (an expected failure is not a failure),
1 when one failed or errored, as the merged suite decides (``merge_gates``), 2 when the inputs
are not the shards of one suite (the same shard twice, an A/B shard beside a plain one, not
``--expect-shards`` reports), could not be merged, or the reports could not be written (then no
verdict is printed), with one line per problem on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TextIO

from pytest_amigo.judging.text import plural
from pytest_amigo.reports import json_report, writer
from pytest_amigo.reports.document import Report
from pytest_amigo.reports.merge import (
    PASSED,
    UNMERGEABLE,
    MergeError,
    Shard,
    exit_status,
    merge,
)
from pytest_amigo.reports.merge_checks import shard_count
from pytest_amigo.settings import Reports, Settings

PROG = "pytest-amigo"


def parser() -> argparse.ArgumentParser:
    """``merge`` alone (the full command, with tests as code, is ``pytest_amigo.__main__``)."""
    found = argparse.ArgumentParser(
        prog=PROG, description="pytest-amigo's command line: merge the reports of CI shards."
    )
    add_merge(found.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return found


def add_merge(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Declare ``merge`` on the command's sub-parsers."""
    merging = commands.add_parser(
        "merge",
        help="merge the --amigo-json reports of CI shards into one report",
        description=(
            "Merge the --amigo-json reports of the shards of one suite into one report: every "
            "unit test once, each set's results as one set, the --amigo-compare comparison "
            "recomputed over the whole suite and, with --amigo-fail-on=worse, what it decides. "
            "Exit status 0: everything passed; 1: a unit test or a set gate failed or errored "
            "(as the merged suite decides); 2: the reports are not the shards of one suite (the "
            "same shard twice, an A/B shard beside a plain one, not --expect-shards reports), "
            "could not be merged, or could not be written."
        ),
    )
    merging.add_argument("reports", nargs="+", type=Path, metavar="REPORT", help="shard reports")
    merging.add_argument(
        "--expect-shards",
        type=_positive,
        metavar="N",
        help="refuse to merge unless exactly N reports are given (a missing shard fails the job)",
    )
    merging.add_argument("--json", type=Path, metavar="PATH", help="write the merged JSON report")
    merging.add_argument("--html", type=Path, metavar="PATH", help="write the HTML report")
    merging.add_argument(
        "--github-summary",
        action="store_true",
        help=f"append the step summary to the file named by {writer.GITHUB_SUMMARY}",
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] = os.environ,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Runs ``merge``; returns its exit status."""
    return run(parser().parse_args(argv), environ=environ, out=out, err=err)


def run(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str] = os.environ,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Carries out a parsed ``merge``; returns its exit status."""
    out, err = out or sys.stdout, err or sys.stderr
    summary = environ.get(writer.GITHUB_SUMMARY) if args.github_summary else None
    if args.github_summary and not summary:
        err.write(
            f"{PROG} merge: --github-summary: {writer.GITHUB_SUMMARY} is not set (GitHub Actions "
            "sets it in every job step)\n"
        )
        return UNMERGEABLE
    shards, problems = read(args.reports)
    problems += shard_count(len(args.reports), args.expect_shards)
    try:
        merged = merge(shards, json_report.schema(), version=_version())
    except MergeError as exc:
        problems += exc.problems
    if problems:
        for problem in problems:
            err.write(f"{PROG} merge: {problem}\n")
        return UNMERGEABLE
    for note in merged.notes:
        err.write(f"{PROG} merge: note: {note}\n")
    settings = Settings(reports=Reports(json_path=args.json, html_path=args.html))
    targets = {writer.GITHUB_SUMMARY: summary} if summary else {}
    warnings = writer.write_all(merged.document, settings, environ=targets)
    for warning in warnings:
        err.write(f"{PROG} merge: {warning}\n")
    if warnings:  # no verdict beside reports that are not there: the job fails on them first
        err.write(
            f"{PROG} merge: the merged reports were not all written (above); nothing is decided "
            "until they are: fix the path or the disk and merge again\n"
        )
        return UNMERGEABLE
    status = exit_status(merged.document)
    out.write(_said(len(shards), merged.document, status) + "\n")
    for entry, test in merged.document.unit_tests:
        if test.xpass_note:  # listed in amigo_xfail, yet passed
            out.write(f"{PROG} merge: {test.name} ({entry.name or entry.id}): {test.xpass_note}\n")
    return status


def read(paths: Sequence[Path]) -> tuple[list[Shard], list[str]]:
    """The reports as documents, and one line per file that cannot be read as JSON."""
    shards, problems = [], []
    for path in paths:
        try:
            data: object = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            problems.append(f"{path}: cannot read it: {exc.strerror or exc}")
            continue
        except UnicodeDecodeError:
            problems.append(f"{path}: not a JSON file (not UTF-8 text)")
            continue
        except ValueError as exc:
            problems.append(f"{path}: not a JSON file: {exc}")
            continue
        shards.append(Shard(str(path), data))
    return shards, problems


def _said(files: int, report: Report, status: int) -> str:
    """``merged 2 reports: 3 unit tests in 1 set (2 passed, 1 failed): failed``."""
    found = report.outcome_counts()
    sets = len(report.sets)
    detail = ", ".join(
        plural(n, outcome) if outcome == "error" else f"{n} {outcome}"
        for outcome, n in found.items()
    )
    verdict = "passed" if status == PASSED else "failed"
    gates = [f"{s.name!r} {s.gate.counts()}" for s in report.sets if s.gate and s.gate.failing]
    if gates:
        verdict += f" (set gate failed: {', '.join(gates)})"
    return (
        f"{PROG} merge: {plural(files, 'report')}: {plural(sum(found.values()), 'unit test')} "
        f"in {plural(sets, 'set')}{f' ({detail})' if detail else ''}: {verdict}"
    )


def _positive(value: str) -> int:
    try:
        found = int(value)
    except ValueError:
        found = 0
    if found < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of shards above 0, not {value!r}")
    return found


def _version() -> str:
    try:
        return version("pytest-amigo")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"
