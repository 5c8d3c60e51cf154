"""The ``pytest-amigo`` command (also ``python -m pytest_amigo``): ``merge`` the reports of CI
shards (``reports/cli.py``); ``validate``, ``plan`` and ``export`` the definitions of tests as
code (``as_code/cli.py``, which needs the ``definitions`` extra). Each command's exit statuses
are in its module and in docs/exit-codes.md."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pytest_amigo.as_code import cli as as_code_cli
from pytest_amigo.reports import cli as reports_cli


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(
        prog=reports_cli.PROG,
        description=(
            "pytest-amigo's command line: merge the reports of CI shards; validate, plan and "
            "export the definitions of tests kept in the repository."
        ),
    )
    commands = found.add_subparsers(dest="command", required=True, metavar="COMMAND")
    reports_cli.add_merge(commands)
    as_code_cli.add_commands(commands)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command given; returns its exit status."""
    args = parser().parse_args(argv)
    if args.command == "merge":
        return reports_cli.run(args)
    return as_code_cli.run(args, sys.stdout, sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
